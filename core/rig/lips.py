"""Inner-lip gap and lip penetration measured on vertex sequences (used by tests and evaluation).

The gap is measured at FLAME's inner-lip contact pairs (``flame_tables.inner_lip_pairs``) along the
head's own "up" axis (measured per frame from eyeballs, ears and nose tip), so head motion does not
count as lip motion. Positive = lips apart, negative = the lower lip has crossed above the upper lip.

FLAME's closed-mouth heads have slightly interpenetrating lips, so at the vertex level the neutral
pose reads between about -1.2 and +1.1 mm per pair. Pass ``rest`` (the neutral head) to measure the
opening relative to that closed rest pose -- this is what "sealed" (~0) and "crossing" (< 0) mean
for a rigged head; :meth:`FlameRig.inner_lip_gap` does this for you.
"""
from __future__ import annotations

import numpy as np

from . import flame_tables as ft
from .geometry import forward_hint


def _up_axis(v: np.ndarray) -> np.ndarray:
    """Per-frame unit 'up' [T,3] of the head frame (x = eye axis, z = ears -> nose tip)."""
    el = v[:, ft.region("left_eyeball")].mean(1)
    er = v[:, ft.region("right_eyeball")].mean(1)
    x = el - er
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    z = forward_hint(v)
    y = np.cross(z, x)
    return y / np.linalg.norm(y, axis=1, keepdims=True)


def _as_frames(verts) -> tuple[np.ndarray, bool]:
    v = np.asarray(verts, np.float64)
    if v.ndim == 2:
        v, single = v[None], True
    else:
        single = False
    if v.ndim != 3 or v.shape[1:] != (ft.N_VERTS, 3):
        raise ValueError(f"expected vertices [{ft.N_VERTS}, 3] or [T, {ft.N_VERTS}, 3], got {np.shape(verts)}")
    return v, single


def inner_lip_gap(verts, rest=None) -> np.ndarray:
    """Signed inner-lip gap in millimetres per contact pair: ``[P]`` for one mesh, ``[T, P]`` for a
    sequence. ``rest``: optional neutral mesh whose own gap is subtracted (0 = closed as at rest)."""
    v, single = _as_frames(verts)
    pairs = ft.inner_lip_pairs()
    up = _up_axis(v)
    g = ((v[:, pairs[:, 0]] - v[:, pairs[:, 1]]) * up[:, None]).sum(-1) * 1000.0
    if rest is not None:
        r, _ = _as_frames(rest)
        g = g - inner_lip_gap(r[0])[None]
    return g[0] if single else g


def lip_aperture(verts, rest=None) -> np.ndarray:
    """Mouth opening per frame (mm): the largest inner-lip gap over the pairs."""
    return np.max(inner_lip_gap(verts, rest), axis=-1)


def lip_penetration(verts, rest=None) -> np.ndarray:
    """How far the lips cross (mm, >= 0) per frame: minus the most negative gap, 0 if none."""
    return np.clip(-np.min(inner_lip_gap(verts, rest), axis=-1), 0.0, None)
