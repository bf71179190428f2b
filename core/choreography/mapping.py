"""Articulatory parameters -> ARKit weights (the only place that knows the ARKit mouth shapes).

Lip closure is expressed the ARKit way: ``mouthClose = closure * jawOpen`` (lips meet while the
jaw stays where it is, so ``mouthClose <= jawOpen`` always), and every shape that would part
the lips (funnel, upper-lip raise, lower-lip drop, tongue) is faded out by the same closure.
"""
from __future__ import annotations

import numpy as np

from ..arkit import INDEX, NUM_SHAPES
from .visemes import P

#: Shapes that part the lips; they are multiplied by (1 - closure) so seals and rest hold.
LIP_OPENERS: tuple[str, ...] = ("mouthFunnel", "mouthUpperUpLeft", "mouthUpperUpRight",
                                "mouthLowerDownLeft", "mouthLowerDownRight", "tongueOut",
                                "mouthShrugUpper")
#: Shapes that may part the lips a little when strong; half-gated by closure.
LIP_LOOSENERS: tuple[str, ...] = ("mouthStretchLeft", "mouthStretchRight")


def _set_pair(w: np.ndarray, stem: str, values: np.ndarray) -> None:
    w[:, INDEX[stem + "Left"]] = values
    w[:, INDEX[stem + "Right"]] = values


def params_to_arkit(params: np.ndarray, gate: bool = True) -> np.ndarray:
    """``[T, NUM_PARAMS]`` parameters -> ``[T, 52]`` ARKit weights (lower face only).

    ``gate=False`` leaves the lip-parting shapes ungated, for callers that add more offsets
    (emotion) first and gate once at the end.
    """
    T = params.shape[0]
    w = np.zeros((T, NUM_SHAPES))
    c = np.clip(params[:, P["closure"]], 0.0, 1.0)
    jaw = np.clip(params[:, P["jaw"]], 0.0, 1.0)
    w[:, INDEX["jawOpen"]] = jaw
    w[:, INDEX["mouthClose"]] = c * jaw
    spread = params[:, P["spread"]]
    tuck = params[:, P["tuck"]]
    w[:, INDEX["mouthPucker"]] = params[:, P["protrude"]]
    w[:, INDEX["mouthFunnel"]] = params[:, P["funnel"]]
    _set_pair(w, "mouthStretch", 0.40 * spread)
    _set_pair(w, "mouthSmile", 0.15 * spread)
    _set_pair(w, "mouthPress", params[:, P["press"]])
    w[:, INDEX["mouthRollLower"]] = 0.80 * tuck
    w[:, INDEX["mouthShrugLower"]] = 0.20 * tuck
    _set_pair(w, "mouthUpperUp", params[:, P["upper"]] + 0.15 * tuck)
    _set_pair(w, "mouthLowerDown", params[:, P["lower"]])
    w[:, INDEX["tongueOut"]] = params[:, P["tongue"]]
    return gate_openers(w, c) if gate else w


def gate_openers(w: np.ndarray, closure: np.ndarray) -> np.ndarray:
    """Fade lip-parting shapes by the lip closure (fully) and stretch (by half)."""
    open_gate = (1.0 - np.clip(closure, 0.0, 1.0))[:, None]
    idx = [INDEX[n] for n in LIP_OPENERS]
    w[:, idx] *= open_gate
    idx = [INDEX[n] for n in LIP_LOOSENERS]
    w[:, idx] *= 0.5 + 0.5 * open_gate
    return w
