"""Lip-geometry training loss: error of the inner-lip *gap vectors* in millimetres.

Why: a weight-space L1 treats every shape alike, but a bilabial seal is a millimetre-scale
agreement between opposing shapes (jawOpen against mouthClose, lip rolls, presses). A 0.05
weight error on ``jawOpen`` costs almost nothing in L1 and leaves the lips ~1 mm apart — an
open "m". CodeTalker and FaceFormer train on vertices for this reason; Parley's motion is
ARKit weights on a linear rig, so the upper-minus-lower inner-lip vector of every lip pair is
a *linear* function of the weights and its error is cheap to compute in weight space.

The basis comes from a FLAME-topology rig built at training time (``--lip-mesh``); it is a
training aid only and is not stored in checkpoints.
"""
from __future__ import annotations

import numpy as np
import torch


def lip_pair_basis(rig, scale: float = 1000.0) -> np.ndarray:
    """``[52, P, 3]``: change of each inner-lip pair's (upper - lower) vector per unit weight, mm."""
    from ..evaluation.geometry import rig_lip_tables
    pairs, _ = rig_lip_tables(rig)
    deltas = np.asarray(rig.deltas, np.float32)              # [52, V, 3] per unit weight
    return ((deltas[:, pairs[:, 0]] - deltas[:, pairs[:, 1]]) * scale).astype(np.float32)


def load_lip_basis(mesh_path) -> torch.Tensor:
    """Basis for a FLAME-topology neutral head (PLY/OBJ accepted by ``FlameRig.from_ply``)."""
    from ..rig import FlameRig
    return torch.from_numpy(lip_pair_basis(FlameRig.from_ply(mesh_path)))


def lip_gap_error(pred: torch.Tensor, target: torch.Tensor, basis: torch.Tensor) -> torch.Tensor:
    """Per-frame mean over lip pairs of the gap-vector error norm, mm: ``[B, T]``.

    Linear rig => the neutral mesh cancels and only the weight difference matters.
    """
    d = torch.einsum("btk,kpc->btpc", pred - target, basis.to(pred))
    return d.norm(dim=-1).mean(-1)
