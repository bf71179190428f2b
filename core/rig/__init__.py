"""ARKit rig for any FLAME-topology head: ``FlameRig.from_vertices(verts)`` / ``from_ply(path)``.

Shapes are per-vertex displacement fields ``deltas[52, 5023, 3]`` (metres) built from the user's
mesh geometry; FLAME contributes only index tables (see ``flame_tables.CREDIT``).
``tongueOut`` is inert: FLAME has no tongue.
"""
from __future__ import annotations


import numpy as np

from ..arkit import ARKIT_NAMES, NUM_SHAPES
from . import flame_tables
from .builder import build_deltas
from .flame_tables import CREDIT, N_FACES, N_VERTS, inner_lip_pairs, landmarks68, region
from .lips import inner_lip_gap, lip_aperture, lip_penetration
from .meshio import PlyError, load_ply, save_ply


class TopologyError(ValueError):
    """The mesh is not FLAME topology (message says what differs)."""


def validate_flame_mesh(verts, faces=None) -> np.ndarray:
    """Check ``verts`` (and ``faces`` if given) against FLAME topology; returns float64 vertices."""
    v = np.asarray(verts)
    if v.ndim != 2 or v.shape[1] != 3:
        raise TopologyError(f"vertices must be an [N, 3] array, got shape {v.shape}")
    if v.shape[0] != N_VERTS:
        raise TopologyError(f"mesh has {v.shape[0]} vertices; FLAME topology needs exactly {N_VERTS} "
                            "(is this a FLAME head exported without its eyeballs, or a different mesh?)")
    if not np.issubdtype(v.dtype, np.number):
        raise TopologyError(f"vertex array has non-numeric dtype {v.dtype}")
    bad = ~np.isfinite(v).all(1)
    if bad.any():
        raise TopologyError(f"{int(bad.sum())} vertices contain NaN/inf (first: index {int(np.where(bad)[0][0])})")
    if faces is not None:
        f = np.asarray(faces)
        if f.ndim != 2 or f.shape[1] != 3:
            raise TopologyError(f"faces must be triangles [F, 3], got shape {f.shape}")
        if f.shape[0] != N_FACES:
            raise TopologyError(f"mesh has {f.shape[0]} triangles; FLAME topology has {N_FACES}")
        if not np.array_equal(f, flame_tables.faces()):
            n_diff = int((f != flame_tables.faces()).any(1).sum())
            raise TopologyError(f"triangle list differs from FLAME's in {n_diff} faces "
                                "(vertex order or triangulation changed): not FLAME topology")
    extent = float(np.ptp(v, axis=0).max())
    if not 1e-3 < extent < 1e3:
        raise TopologyError(f"mesh extent {extent:g} is degenerate; expected a head (FLAME is ~0.25 m)")
    return v.astype(np.float64)


class FlameRig:
    """Neutral head + 52 ARKit displacement fields; ``apply(weights[T,52]) -> verts[T,5023,3]``."""

    names = ARKIT_NAMES

    def __init__(self, neutral: np.ndarray, deltas: np.ndarray):
        neutral = validate_flame_mesh(neutral).astype(np.float32)
        deltas = np.asarray(deltas, np.float32)
        if deltas.shape != (NUM_SHAPES, N_VERTS, 3):
            raise ValueError(f"deltas must be [{NUM_SHAPES}, {N_VERTS}, 3], got {deltas.shape}")
        self.neutral = neutral
        self.deltas = deltas
        self.faces = flame_tables.faces()
        self._flat = deltas.reshape(NUM_SHAPES, -1)

    @classmethod
    def from_vertices(cls, verts, faces=None) -> "FlameRig":
        """Build the rig from a neutral FLAME-topology head (any identity, scale, pose)."""
        v = validate_flame_mesh(verts, faces)
        return cls(v, build_deltas(v))

    @classmethod
    def from_ply(cls, path) -> "FlameRig":
        v, f = load_ply(path)
        try:
            return cls.from_vertices(v, f)
        except TopologyError as exc:
            raise TopologyError(f"{path}: {exc}") from None

    def apply(self, weights) -> np.ndarray:
        """Vertices for ARKit weights ``[T, 52]`` (or ``[52]``) -> ``[T, 5023, 3]`` (``[5023, 3]``)."""
        w = np.asarray(weights, np.float32)
        single = w.ndim == 1
        w2 = w[None] if single else w
        if w2.ndim != 2 or w2.shape[1] != NUM_SHAPES:
            raise ValueError(f"weights must be [T, {NUM_SHAPES}] in ARKIT_NAMES order, got {w.shape}")
        if not np.isfinite(w2).all():
            raise ValueError("weights contain NaN/inf")
        out = (w2 @ self._flat).reshape(len(w2), N_VERTS, 3) + self.neutral[None]
        return out[0] if single else out

    def shape(self, name: str, weight: float = 1.0) -> np.ndarray:
        """Vertices with a single named shape at ``weight``."""
        w = np.zeros(NUM_SHAPES, np.float32)
        w[ARKIT_NAMES.index(name)] = weight
        return self.apply(w)

    def inner_lip_gap(self, verts) -> np.ndarray:
        """Signed inner-lip gap (mm) relative to this rig's closed neutral mouth."""
        return inner_lip_gap(verts, rest=self.neutral)

    def save(self, path) -> None:
        np.savez_compressed(path, neutral=self.neutral, deltas=self.deltas,
                            names=np.array(ARKIT_NAMES))

    @classmethod
    def load(cls, path) -> "FlameRig":
        with np.load(path) as z:
            names = tuple(str(n) for n in z["names"])
            if names != ARKIT_NAMES:
                raise ValueError(f"{path}: shape names differ from ARKIT_NAMES")
            return cls(z["neutral"], z["deltas"])


__all__ = ["FlameRig", "TopologyError", "validate_flame_mesh", "load_ply", "save_ply", "PlyError",
           "flame_tables", "region", "inner_lip_pairs", "landmarks68", "inner_lip_gap",
           "lip_aperture", "lip_penetration", "CREDIT", "N_VERTS", "N_FACES"]
