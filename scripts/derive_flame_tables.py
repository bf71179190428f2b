"""Derive Parley's compact FLAME-topology index tables ONCE from ../shared/flame.

Writes ``core/rig/flame_tables.npz``: vertex index tables (regions, lip rows, eyelid margins,
landmark embeddings, faces). These are facts about FLAME's topology, credited to FLAME
(Li et al. 2017, flame.is.tue.mpg.de, CC BY 4.0). Geometry is NOT stored: the rig builder
measures every length, pivot and direction on the user's own mesh.

Run: ``.venv/bin/python scripts/derive_flame_tables.py [--flame ../shared/flame]``
Template geometry is used here only to decide *which* vertices form a row (e.g. the lip
contact seam, the eyelid margins); the row is then stored as indices.
"""
from __future__ import annotations

import argparse
import pickle
import sys
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, dijkstra

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from core.rig.meshio import load_ply  # noqa: E402


def boundary_loops(faces):
    e = np.sort(np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]), 1)
    u, c = np.unique(e, axis=0, return_counts=True)
    be = u[c == 1]
    adj: dict[int, list[int]] = {}
    for a, b in be:
        adj.setdefault(int(a), []).append(int(b))
        adj.setdefault(int(b), []).append(int(a))
    seen, loops = set(), []
    for s in sorted(adj):
        if s in seen:
            continue
        loop, prev, cur = [s], None, s
        seen.add(s)
        while True:
            nxt = [n for n in adj[cur] if n != prev and n not in seen]
            if not nxt:
                break
            prev, cur = cur, nxt[0]
            seen.add(cur)
            loop.append(cur)
        loops.append(np.array(loop))
    return loops


def edge_graph(v, faces, subset=None):
    e = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    if subset is not None:
        keep = np.zeros(len(v), bool)
        keep[subset] = True
        e = e[keep[e[:, 0]] & keep[e[:, 1]]]
    w = np.linalg.norm(v[e[:, 0]] - v[e[:, 1]], axis=1)
    g = sp.coo_matrix((w, (e[:, 0], e[:, 1])), shape=(len(v), len(v))).tocsr()
    return g.maximum(g.T)


def sphere_fit(p):
    a = np.c_[2 * p, np.ones(len(p))]
    s = np.linalg.lstsq(a, (p ** 2).sum(1), rcond=None)[0]
    c = s[:3]
    return c, float(np.sqrt(s[3] + c @ c))


def lid_margins(v, region, centre, radius, n_bins=9):
    """Upper/lower eyelid margin rows: per horizontal bin the lid vertex that lies on the
    eyeball and is closest to the eye opening (lowest above / highest below the centre)."""
    p = v[region] - centre
    d = np.linalg.norm(p, axis=1) - radius
    on_ball = (d > -0.0012) & (d < 0.0025) & (p[:, 2] > 0.45 * radius)
    cand = region[on_ball]
    pc = v[cand] - centre
    lo, hi = pc[:, 0].min(), pc[:, 0].max()
    edges = np.linspace(lo, hi, n_bins + 1)
    upper, lower = [], []
    for a, b in zip(edges[:-1], edges[1:]):
        m = (pc[:, 0] >= a) & (pc[:, 0] <= b)
        up = m & (pc[:, 1] > 0.0)
        dn = m & (pc[:, 1] <= 0.0)
        if up.any():
            upper.append(int(cand[up][np.argmin(pc[up, 1])]))
        if dn.any():
            lower.append(int(cand[dn][np.argmax(pc[dn, 1])]))
    return np.array(upper), np.array(lower)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flame", default=str(ROOT.parent / "shared" / "flame"))
    ap.add_argument("--out", default=str(ROOT / "core" / "rig" / "flame_tables.npz"))
    args = ap.parse_args()
    fd = Path(args.flame)
    v, faces = load_ply(fd / "FLAME_template.ply")
    v = v.astype(np.float64)
    with open(fd / "FLAME_masks.pkl", "rb") as f:
        masks = {k: np.asarray(x, np.int64) for k, x in pickle.load(f, encoding="latin1").items()}
    with open(fd / "flame_static_embedding_68.pkl", "rb") as f:
        emb = pickle.load(f, encoding="latin1")
    lmk_faces = np.asarray(emb["lmk_face_idx"], np.int64)
    lmk_bary = np.asarray(emb["lmk_b_coords"], np.float64)
    lmk_verts = faces[lmk_faces]
    lm = (v[lmk_verts] * lmk_bary[:, :, None]).sum(1)

    n_comp, comp = connected_components(edge_graph(v, faces), directed=False)
    assert n_comp == 3, n_comp
    # FLAME +x is the subject's left: 'left_eyeball' sits at +x.
    assert v[masks["left_eyeball"], 0].mean() > 0

    loops = boundary_loops(faces)
    mouth = [lp for lp in loops if abs(v[lp, 1].mean() - lm[60:68, 1].mean()) < 0.02][0]
    # corners of the mouth hole: extreme x on the loop; split into upper / lower arcs
    i_l, i_r = int(np.argmax(v[mouth, 0])), int(np.argmin(v[mouth, 0]))
    roll = np.roll(mouth, -i_l)
    j = int(np.where(roll == mouth[i_r])[0][0])
    arc_a, arc_b = roll[: j + 1], np.r_[roll[j:], roll[0]]
    upper_arc, lower_arc = (arc_a, arc_b) if v[arc_a, 1].mean() > v[arc_b, 1].mean() else (arc_b, arc_a)
    upper_arc, lower_arc = upper_arc[1:-1], lower_arc[1:-1]

    # Split lips into upper / lower by mesh topology. Around the mouth hole the mesh is made of
    # rings (hop distance from the hole); each ring vertex belongs to the side (hole arc) it is
    # nearest to. NOTE: FLAME's closed-mouth lips interpenetrate, so the hole's *higher* arc
    # is the end of the *lower* lip; we name the sides by where their outer (lip mask) part is.
    lips = masks["lips"]
    g_hop = (edge_graph(v, faces) > 0).astype(float)
    ring = dijkstra(g_hop, indices=mouth, min_only=True)
    da = dijkstra(g_hop, indices=upper_arc, min_only=True)
    db = dijkstra(g_hop, indices=lower_arc, min_only=True)
    zone = np.where(ring <= 10)[0]
    side_a, side_b = zone[da[zone] < db[zone]], zone[db[zone] < da[zone]]
    if v[np.intersect1d(side_a, lips), 1].mean() < v[np.intersect1d(side_b, lips), 1].mean():
        side_a, side_b = side_b, side_a
    # lip-mask vertices beyond the ring zone (outer corners): nearest labelled side
    ga = dijkstra(g_hop, indices=side_a, min_only=True)
    gb = dijkstra(g_hop, indices=side_b, min_only=True)
    upper_lip = lips[(ga[lips] < gb[lips]) | ((ga[lips] == gb[lips]) & (v[lips, 1] > lm[[48, 54], 1].mean()))]
    lower_lip = np.setdiff1d(lips, upper_lip)
    upper_zone, lower_zone = side_a, side_b

    # Inner-lip pairs: per column across the mouth, the (upper, lower) vertex pair that touches
    # on the *front* seam of the closed template mouth (close in 3D, most frontal, least
    # vertical offset). Their signed vertical distance is the inner-lip gap.
    corner_l, corner_r = lm[54], lm[48]  # iBUG 48 = subject's right corner (-x)
    half_w = 0.5 * (corner_l[0] - corner_r[0])
    cx = 0.5 * (corner_l[0] + corner_r[0])
    cols = np.linspace(-0.88, 0.88, 31)
    pairs = []
    for c in cols:
        x0 = cx + c * half_w
        uu = upper_zone[(np.abs(v[upper_zone, 0] - x0) < 0.07 * half_w) & (ring[upper_zone] >= 2)]
        ll = lower_zone[(np.abs(v[lower_zone, 0] - x0) < 0.07 * half_w) & (ring[lower_zone] >= 2)]
        d = np.linalg.norm(v[uu][:, None] - v[ll][None], axis=2)
        dy = v[uu, 1][:, None] - v[ll, 1][None]
        zmean = 0.5 * (v[uu, 2][:, None] + v[ll, 2][None])
        ok = d < 0.0016
        if not ok.any():
            continue
        score = np.where(ok, zmean - 0.5 * np.abs(dy) - 0.5 * np.abs(v[uu, 0][:, None] - x0), -np.inf)
        iu, il = np.unravel_index(np.argmax(score), score.shape)
        p = (int(uu[iu]), int(ll[il]))
        if p not in pairs and all(p[0] != q[0] and p[1] != q[1] for q in pairs):
            pairs.append(p)
    pairs = np.array(pairs, np.int64)
    gaps = (v[pairs[:, 0], 1] - v[pairs[:, 1], 1]) * 1000
    print("upper/lower lip", len(upper_lip), len(lower_lip))
    print("inner-lip pairs", len(pairs), "template gaps mm", np.round(gaps, 2))
    print("x", np.round(v[pairs[:, 0], 0] * 1000, 1), "z", np.round(v[pairs[:, 0], 2] * 1000, 1))

    eyes = {}
    for side in ("left", "right"):
        c, r = sphere_fit(v[masks[f"{side}_eyeball"]])
        up, lo = lid_margins(v, masks[f"{side}_eye_region"], c, r)
        eyes[side] = (up, lo)
        print(side, "eye r=%.4f" % r, "upper lid", up, "lower lid", lo,
              "opening mm", np.round((v[up, 1].mean() - v[lo, 1].mean()) * 1000, 2))

    tables = dict(
        faces=faces.astype(np.int16),
        lmk68_vertices=lmk_verts.astype(np.int16),
        lmk68_bary=lmk_bary.astype(np.float32),
        mouth_hole=mouth.astype(np.int16),
        upper_lip=np.sort(upper_lip).astype(np.int16),
        lower_lip=np.sort(lower_lip).astype(np.int16),
        inner_lip_pairs=pairs.astype(np.int16),
        upper_lip_zone=np.sort(upper_zone).astype(np.int16),
        lower_lip_zone=np.sort(lower_zone).astype(np.int16),
        upper_lid_left=eyes["left"][0].astype(np.int16),
        lower_lid_left=eyes["left"][1].astype(np.int16),
        upper_lid_right=eyes["right"][0].astype(np.int16),
        lower_lid_right=eyes["right"][1].astype(np.int16),
    )
    for k in ("lips", "face", "forehead", "nose", "eye_region", "left_eye_region", "right_eye_region",
              "left_eyeball", "right_eyeball", "left_ear", "right_ear", "neck", "scalp", "boundary"):
        tables["mask_" + k] = np.sort(masks[k]).astype(np.int16)
    np.savez_compressed(args.out, **tables)
    print("wrote", args.out, Path(args.out).stat().st_size, "bytes")


if __name__ == "__main__":
    main()
