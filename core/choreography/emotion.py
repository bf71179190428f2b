"""Emotion layer: a whole-face expression held over the sequence plus articulation changes.

The condition is the length-8 vector of :func:`core.emotions.emotion_vector` (one emotion
scaled by intensity, or a blend). Everything here is linear in that vector, so intensity 0 (the
zero vector) is *exactly* neutral and a 60/40 blend is the 60/40 mix of the two profiles.

Two effects, both at intensity 1:
- ``FACE``: ARKit offsets for the whole face (brows, eyes, cheeks, nose, mouth corners);
- ``ARTICULATION``: how the emotion changes speaking (happy spreads the lips, sad and contempt
  open less, surprised opens more, angry presses and tightens).
Lip-parting offsets are gated by the lip closure afterwards (see ``mapping.gate_openers``), so an
emotion never opens a bilabial seal or the resting mouth (a smile at rest is fine).
"""
from __future__ import annotations

import numpy as np

from ..arkit import INDEX, NUM_SHAPES
from ..emotions import EMOTIONS, emotion_vector
from .visemes import P


def _both(stem: str, v: float) -> dict[str, float]:
    return {stem + "Left": v, stem + "Right": v}


FACE: dict[str, dict[str, float]] = {
    "neutral": {},
    "happy": {**_both("mouthSmile", 0.70), **_both("cheekSquint", 0.50), **_both("eyeSquint", 0.25),
              **_both("mouthDimple", 0.15), "browInnerUp": 0.05},
    "sad": {"browInnerUp": 0.70, **_both("browDown", 0.12), **_both("mouthFrown", 0.60),
            "mouthShrugLower": 0.25, **_both("eyeLookDown", 0.18), **_both("eyeSquint", 0.10),
            **_both("mouthPress", 0.10)},
    "surprised": {"browInnerUp": 0.70, **_both("browOuterUp", 0.70), **_both("eyeWide", 0.60)},
    "fearful": {"browInnerUp": 0.75, **_both("browOuterUp", 0.30), **_both("eyeWide", 0.55),
                **_both("mouthStretch", 0.35), **_both("mouthFrown", 0.10)},
    "disgusted": {**_both("noseSneer", 0.55), **_both("mouthUpperUp", 0.35), **_both("browDown", 0.45),
                  **_both("eyeSquint", 0.30), **_both("cheekSquint", 0.25), **_both("mouthFrown", 0.20),
                  "mouthShrugLower": 0.15},
    "angry": {**_both("browDown", 0.70), **_both("eyeSquint", 0.35), **_both("mouthPress", 0.30),
              **_both("mouthStretch", 0.20), **_both("noseSneer", 0.20), "mouthRollUpper": 0.10,
              **_both("eyeWide", 0.08)},
    "contempt": {"mouthSmileLeft": 0.40, "mouthDimpleLeft": 0.30, "mouthPressLeft": 0.10,
                 **_both("eyeSquint", 0.15), "browDownRight": 0.10, "mouthLeft": 0.08},
}

#: Articulation changes at intensity 1: jaw gain delta, lower-lip gain delta, rounding gain
#: delta, and additive spread / press / upper-lip raise while speaking.
ARTICULATION: dict[str, dict[str, float]] = {
    "neutral": {},
    "happy": {"jaw_gain": 0.05, "spread": 0.30, "round_gain": -0.15},
    "sad": {"jaw_gain": -0.35, "lower_gain": -0.40, "spread": -0.10},
    "surprised": {"jaw_gain": 0.30, "lower_gain": 0.30, "round_gain": 0.10},
    "fearful": {"jaw_gain": 0.10, "spread": 0.20, "lower_gain": 0.20},
    "disgusted": {"jaw_gain": -0.15, "upper": 0.15, "round_gain": -0.10},
    "angry": {"jaw_gain": -0.10, "press": 0.20, "spread": 0.10, "round_gain": -0.20,
              "lower_gain": 0.15},
    "contempt": {"jaw_gain": -0.20, "round_gain": -0.10},
}

_FACE_MATRIX = np.zeros((len(EMOTIONS), NUM_SHAPES))
for _e, _prof in FACE.items():
    for _name, _v in _prof.items():
        _FACE_MATRIX[EMOTIONS.index(_e), INDEX[_name]] = _v
_ART_KEYS = ("jaw_gain", "lower_gain", "round_gain", "spread", "press", "upper")
_ART_MATRIX = np.array([[ARTICULATION[e].get(k, 0.0) for k in _ART_KEYS] for e in EMOTIONS])


def condition(emotion, intensity: float) -> np.ndarray:
    """The emotion condition vector (see :func:`core.emotions.emotion_vector`)."""
    return emotion_vector(emotion, intensity).astype(np.float64)


def face_offsets(cond: np.ndarray) -> np.ndarray:
    """``[52]`` ARKit offsets of the emotional expression for condition ``cond``."""
    return cond @ _FACE_MATRIX


def modulate_articulation(params: np.ndarray, cond: np.ndarray, rest_jaw: float) -> np.ndarray:
    """Emotion-specific speaking style applied to ``[T, NUM_PARAMS]`` parameters.

    Additive changes are weighted by speech activity (the ``voice`` parameter), so they act while
    speaking and vanish at rest; gains act on motion itself, which is ~0 at rest anyway.
    """
    d = dict(zip(_ART_KEYS, cond @ _ART_MATRIX))
    out = params.copy()
    voice = np.clip(params[:, P["voice"]], 0.0, 1.0)
    jaw = params[:, P["jaw"]]
    out[:, P["jaw"]] = rest_jaw + (jaw - rest_jaw) * max(0.2, 1.0 + d["jaw_gain"])
    out[:, P["lower"]] *= max(0.0, 1.0 + d["lower_gain"])
    rgain = max(0.0, 1.0 + d["round_gain"])
    out[:, P["protrude"]] *= rgain
    out[:, P["funnel"]] *= rgain
    rounding = np.clip(params[:, P["protrude"]] + params[:, P["funnel"]], 0.0, 1.0)
    out[:, P["spread"]] = np.maximum(0.0, params[:, P["spread"]] + d["spread"] * voice * (1 - rounding))
    out[:, P["press"]] += d["press"] * voice
    out[:, P["upper"]] += d["upper"] * voice
    return out


def apply_face(weights: np.ndarray, cond: np.ndarray, params: np.ndarray) -> np.ndarray:
    """Add the expression to ``[T, 52]`` weights; smiles yield to lip rounding."""
    off = np.broadcast_to(face_offsets(cond), weights.shape).copy()
    rounding = np.clip(params[:, P["protrude"]] + params[:, P["funnel"]], 0.0, 1.0)
    for name in ("mouthSmileLeft", "mouthSmileRight", "mouthDimpleLeft", "mouthDimpleRight"):
        off[:, INDEX[name]] *= 1.0 - 0.6 * rounding
    return weights + off
