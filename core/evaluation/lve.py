"""Lip vertex error (LVE) against a reference vertex sequence, as in VOCASET/FaceFormer."""
from __future__ import annotations

import numpy as np


def lip_vertex_error(pred_verts, ref_verts, lip_idx, scale: float = 1000.0,
                     squared: bool = False) -> float:
    """Mean over frames of the max over lip vertices of the L2 distance (mm by default).

    ``squared=True`` gives FaceFormer's variant (max squared L2, in the squared unit).
    Sequences of different length are compared over the shorter one (FaceFormer practice);
    a length difference above 10 % raises, since that is a timing bug, not an error to score.
    """
    p, r = np.asarray(pred_verts, np.float64), np.asarray(ref_verts, np.float64)
    if p.ndim != 3 or r.ndim != 3 or p.shape[1:] != r.shape[1:] or p.shape[2] != 3:
        raise ValueError(f"pred and ref must both be [T, V, 3] with the same V, got "
                         f"{p.shape} and {r.shape}")
    T = min(len(p), len(r))
    if T == 0 or abs(len(p) - len(r)) > 0.1 * max(len(p), len(r)):
        raise ValueError(f"frame counts differ too much ({len(p)} vs {len(r)}); resample "
                         f"one sequence to the other's fps first")
    idx = np.asarray(lip_idx, dtype=np.int64)
    if idx.ndim != 1 or idx.size == 0 or idx.min() < 0 or idx.max() >= p.shape[1]:
        raise ValueError("lip_idx must be a non-empty 1-D array of vertex indices in range")
    d = np.linalg.norm(p[:T, idx] - r[:T, idx], axis=-1) * scale
    if squared:
        d = d ** 2
    return float(d.max(axis=1).mean())
