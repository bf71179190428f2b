"""Mouth measures on vertex sequences ``[T, V, 3]``: inner-lip gap and lip speed, in mm.

The inner-lip vertex pairs (upper, lower) come from the rig's FLAME tables (``core.rig``);
any ``[P, 2]`` index array works, so another topology only needs its own pairs. FLAME is in
metres, hence the default ``scale=1000`` to millimetres.
"""
from __future__ import annotations

import numpy as np


def _verts(verts) -> np.ndarray:
    v = np.asarray(verts)
    if v.ndim == 2:
        v = v[None]
    if v.ndim != 3 or v.shape[-1] != 3:
        raise ValueError(f"vertices must be [T, V, 3] (or [V, 3]), got shape {v.shape}")
    return v


def _pairs(pairs, num_verts: int) -> np.ndarray:
    p = np.asarray(pairs, dtype=np.int64)
    if p.ndim != 2 or p.shape[1] != 2 or p.shape[0] == 0:
        raise ValueError(f"inner-lip pairs must be a non-empty [P, 2] index array, got "
                         f"shape {p.shape}")
    if p.min() < 0 or p.max() >= num_verts:
        raise ValueError(f"inner-lip pair index out of range for a mesh of {num_verts} "
                         f"vertices (max index {p.max()}); is this a FLAME-topology head?")
    return p


def inner_lip_gap_mm(verts, pairs, scale: float = 1000.0) -> np.ndarray:
    """Per-frame mean distance between paired upper/lower inner-lip vertices (mm).

    Lips sealed => every pair touches => ~0 mm; the mean (not the max) keeps one stray pair
    from hiding a seal.
    """
    v = _verts(verts)
    p = _pairs(pairs, v.shape[1])
    d = np.linalg.norm(v[:, p[:, 0]] - v[:, p[:, 1]], axis=-1)
    return (d.mean(axis=1) * scale).astype(np.float64)


def step_speed(x: np.ndarray, fps: float) -> np.ndarray:
    """Per-frame speed along axis 0: the larger of the steps to the previous and next frame,
    times fps (central differences would miss a frame-to-frame flutter entirely)."""
    x = np.asarray(x, dtype=np.float64)
    if x.shape[0] < 2:
        return np.zeros(x.shape[:1])
    d = np.diff(x, axis=0)
    step = np.linalg.norm(d.reshape(len(d), -1, d.shape[-1] if d.ndim > 2 else 1), axis=-1)
    step = step.max(axis=1)                       # fastest vertex (or the value itself)
    prev = np.concatenate([[0.0], step])
    nxt = np.concatenate([step, [0.0]])
    return np.maximum(prev, nxt) * fps


def lip_speed_mm_s(verts, lip_idx, fps: float, scale: float = 1000.0) -> np.ndarray:
    """Per-frame maximum lip-vertex speed (mm/s): fastest lip vertex, larger adjacent step."""
    v = _verts(verts)
    idx = np.asarray(lip_idx, dtype=np.int64)
    if idx.ndim != 1 or idx.size == 0 or idx.min() < 0 or idx.max() >= v.shape[1]:
        raise ValueError("lip_idx must be a non-empty 1-D array of vertex indices in range")
    return step_speed(v[:, idx], fps) * scale


def rig_lip_tables(rig=None) -> tuple[np.ndarray, np.ndarray]:
    """``(inner_lip_pairs [P,2], lip_idx [L])`` for a rig: its own attributes when it has them
    (``inner_lip_pairs``, ``lip_idx``), otherwise the FLAME tables of ``core.rig``
    (``flame_tables.inner_lip_pairs()`` and the FLAME ``lips`` mask)."""
    pairs = getattr(rig, "inner_lip_pairs", None) if rig is not None else None
    lips = getattr(rig, "lip_idx", None) if rig is not None else None
    if pairs is None or lips is None:
        try:
            from ..rig import flame_tables as ft
        except ImportError as exc:
            raise ValueError("no inner-lip tables: pass inner_lip_pairs and lip_idx, or "
                             "install core.rig (flame_tables)") from exc
        pairs = ft.inner_lip_pairs() if pairs is None else pairs
        lips = ft.region("lips") if lips is None else lips
    pairs = np.asarray(pairs() if callable(pairs) else pairs, dtype=np.int64)
    lips = np.asarray(lips() if callable(lips) else lips, dtype=np.int64)
    return pairs, lips
