"""Parley's FLAME-topology index tables (no geometry).

Vertex index tables derived from FLAME topology (Li et al. 2017, flame.is.tue.mpg.de, CC BY 4.0):
regions, upper/lower lip split, inner-lip contact pairs, eyelid margin rows, the 68 landmark
embeddings (vertex triplets + barycentrics) and the 9976 triangles. Produced once by
``scripts/derive_flame_tables.py`` and stored in ``flame_tables.npz`` beside this file.

Conventions: FLAME +x is the subject's LEFT; "left"/"right" names follow the subject (ARKit).
``inner_lip_pairs`` rows are ``(upper_vertex, lower_vertex)`` ordered by increasing x, i.e. from the
subject's right mouth corner to the left one (left to right in a front view).
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import numpy as np

N_VERTS = 5023
N_FACES = 9976
CREDIT = ("vertex index tables derived from FLAME topology "
          "(Li et al. 2017, flame.is.tue.mpg.de, CC BY 4.0)")
_PATH = Path(__file__).with_name("flame_tables.npz")

#: iBUG-68 landmark groups (0-based)
LMK_JAW = tuple(range(0, 17))
LMK_BROW_RIGHT = (17, 18, 19, 20, 21)   # subject's right, outer -> inner
LMK_BROW_LEFT = (22, 23, 24, 25, 26)    # subject's left, inner -> outer
LMK_NOSE = tuple(range(27, 36))
LMK_EYE_RIGHT = tuple(range(36, 42))
LMK_EYE_LEFT = tuple(range(42, 48))
LMK_MOUTH_OUTER = tuple(range(48, 60))
LMK_MOUTH_INNER = tuple(range(60, 68))
LMK_MOUTH_CORNER_RIGHT, LMK_MOUTH_CORNER_LEFT = 48, 54
LMK_CHIN = 8
LMK_NOSE_TIP = 30


@lru_cache(maxsize=1)
def tables() -> dict[str, np.ndarray]:
    """All tables as int64 / float32 arrays (cached)."""
    if not _PATH.is_file():
        raise FileNotFoundError(f"{_PATH} is missing; regenerate it with scripts/derive_flame_tables.py")
    with np.load(_PATH) as z:
        out = {k: (z[k].astype(np.float32) if z[k].dtype.kind == "f" else z[k].astype(np.int64))
               for k in z.files}
    for a in out.values():
        a.setflags(write=False)
    return out


def faces() -> np.ndarray:
    """FLAME's 9976 triangles, int64 [9976, 3]."""
    return tables()["faces"]


def faces_hash(f: np.ndarray | None = None) -> str:
    """sha256 of the triangle list (int32, C order): FLAME's topology fingerprint."""
    f = faces() if f is None else f
    return hashlib.sha256(np.ascontiguousarray(f, dtype="<i4").tobytes()).hexdigest()


def region(name: str) -> np.ndarray:
    """A vertex index set by name: FLAME masks (``lips``, ``face``, ``forehead``, ``nose``,
    ``eye_region``, ``left_eye_region``, ``right_eye_region``, ``left_eyeball``, ``right_eyeball``,
    ``left_ear``, ``right_ear``, ``neck``, ``scalp``, ``boundary``) and Parley's own rows
    (``upper_lip``, ``lower_lip``, ``upper_lip_zone``, ``lower_lip_zone``, ``mouth_hole``,
    ``upper_lid_left`` ... ``lower_lid_right``)."""
    t = tables()
    if "mask_" + name in t:
        return t["mask_" + name]
    if name in t and name not in ("faces", "lmk68_vertices", "lmk68_bary", "inner_lip_pairs"):
        return t[name]
    names = sorted([k[5:] for k in t if k.startswith("mask_")] +
                   [k for k in t if not k.startswith("mask_") and k not in
                    ("faces", "lmk68_vertices", "lmk68_bary", "inner_lip_pairs")])
    raise KeyError(f"unknown FLAME region {name!r}; known: {', '.join(names)}")


def inner_lip_pairs() -> np.ndarray:
    """int64 [P, 2] (upper, lower) inner-lip contact vertex pairs, subject's right -> left."""
    return tables()["inner_lip_pairs"]


def landmarks68(verts: np.ndarray) -> np.ndarray:
    """The 68 iBUG landmarks on ``verts`` ([..., 5023, 3]) from FLAME's barycentric embedding."""
    t = tables()
    v = np.asarray(verts)[..., t["lmk68_vertices"], :]          # [..., 68, 3, 3]
    return (v * t["lmk68_bary"][..., None]).sum(-2)
