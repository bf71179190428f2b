"""Measurements taken on the user's own mesh: face frame, eyeball spheres, geodesic distances,
smooth falloffs and harmonic weight fields. Everything the rig builder uses for geometry."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra
from scipy.sparse.linalg import spsolve

from . import flame_tables as ft

#: inter-ocular (eyeball centre) distance of the FLAME mean head, metres; magnitudes scale with it
REF_IOD = 0.063


def sphere_fit(p: np.ndarray) -> tuple[np.ndarray, float]:
    """Least-squares sphere through points ``p`` [N,3] -> (centre, radius)."""
    a = np.c_[2 * p, np.ones(len(p))]
    s = np.linalg.lstsq(a, (p ** 2).sum(1), rcond=None)[0]
    c = s[:3]
    return c, float(np.sqrt(max(s[3] + c @ c, 0.0)))


@dataclass(frozen=True)
class FaceFrame:
    """Orthonormal head frame measured on the mesh: x = subject's left, y = up, z = forward."""
    origin: np.ndarray        # midpoint of the eyeball centres
    axes: np.ndarray          # [3,3] rows: x (left), y (up), z (forward)
    iod: float                # eyeball-centre distance (metres)
    eye_left: tuple           # (centre, radius)
    eye_right: tuple

    @property
    def scale(self) -> float:
        return self.iod / REF_IOD

    def to_local(self, p):
        return (np.asarray(p) - self.origin) @ self.axes.T

    def to_world_vec(self, d):
        return np.asarray(d) @ self.axes


def forward_hint(v: np.ndarray) -> np.ndarray:
    """Facing direction [..., 3] (not normalised): from the midpoint of the ears to the nose tip.
    Eyes-to-mouth would lean ~20 degrees back on a real face; ears-to-nose is close to level."""
    ears = 0.5 * (v[..., ft.region("left_ear"), :].mean(-2) + v[..., ft.region("right_ear"), :].mean(-2))
    return ft.landmarks68(v)[..., ft.LMK_NOSE_TIP, :] - ears


def face_frame(verts: np.ndarray) -> FaceFrame:
    """Measure the head frame from eyeballs, ears and nose tip (works for any pose/scale)."""
    v = np.asarray(verts, np.float64)
    cl, rl = sphere_fit(v[ft.region("left_eyeball")])
    cr, rr = sphere_fit(v[ft.region("right_eyeball")])
    x = cl - cr
    iod = float(np.linalg.norm(x))
    x /= iod
    origin = 0.5 * (cl + cr)
    z = forward_hint(v)
    z -= (z @ x) * x
    z /= np.linalg.norm(z)
    y = np.cross(z, x)
    return FaceFrame(origin, np.stack([x, y, z]), iod, (cl, rl), (cr, rr))


def edge_graph(verts: np.ndarray, faces: np.ndarray) -> sp.csr_matrix:
    """Symmetric sparse graph of mesh edges weighted by their length."""
    e = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    w = np.linalg.norm(verts[e[:, 0]] - verts[e[:, 1]], axis=1) + 1e-12
    g = sp.coo_matrix((w, (e[:, 0], e[:, 1])), shape=(len(verts), len(verts))).tocsr()
    return g.maximum(g.T).tocsr()


def geodesic(graph, seeds, limit=np.inf) -> np.ndarray:
    """Approximate geodesic distance (shortest edge path) from a seed set; inf beyond ``limit``."""
    seeds = np.atleast_1d(np.asarray(seeds, np.int64))
    return dijkstra(graph, indices=seeds, min_only=True, limit=limit)


def smoothstep(e0, e1, x):
    t = np.clip((np.asarray(x, np.float64) - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def falloff(dist, radius) -> np.ndarray:
    """1 at distance 0, smoothly 0 at ``radius`` and beyond (C1, no hard edges)."""
    d = np.where(np.isfinite(dist), dist, radius)
    return 1.0 - smoothstep(0.0, radius, d)


def harmonic_field(graph, fixed_idx, fixed_val) -> np.ndarray:
    """Smooth scalar field equal to ``fixed_val`` on ``fixed_idx`` and harmonic elsewhere
    (inverse-edge-length graph Laplacian); vertices not connected to a constraint get 0."""
    n = graph.shape[0]
    w = graph.copy()
    w.data = 1.0 / w.data
    lap = sp.diags(np.asarray(w.sum(1)).ravel()) - w
    fixed = np.zeros(n, bool)
    fixed[fixed_idx] = True
    x = np.zeros(n)
    x[fixed_idx] = fixed_val
    free = np.where(~fixed)[0]
    lff = lap[free][:, free].tocsc()
    rhs = -lap[free][:, np.where(fixed)[0]] @ x[fixed]
    # isolated free components (eyeballs) would make the system singular: regularise lightly
    lff = lff + sp.identity(len(free), format="csc") * 1e-9
    x[free] = spsolve(lff, rhs)
    return np.clip(x, 0.0, 1.0)


def vertex_normals(verts: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Area-weighted unit vertex normals."""
    fn = np.cross(verts[faces[:, 1]] - verts[faces[:, 0]], verts[faces[:, 2]] - verts[faces[:, 0]])
    vn = np.zeros_like(verts, dtype=np.float64)
    for k in range(3):
        np.add.at(vn, faces[:, k], fn)
    return vn / (np.linalg.norm(vn, axis=1, keepdims=True) + 1e-20)


def nearest_vertex(verts: np.ndarray, point, candidates=None) -> int:
    idx = np.arange(len(verts)) if candidates is None else np.asarray(candidates)
    return int(idx[np.argmin(np.linalg.norm(verts[idx] - point, axis=1))])
