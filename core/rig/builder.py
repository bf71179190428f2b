"""Build the 52 ARKit blendshapes for any FLAME-topology head as displacement fields.

Only vertex *indices* come from FLAME's topology (``flame_tables``); every length, pivot, axis
and radius is measured on the user's mesh (``geometry.face_frame``), so the rig follows the head's
identity, size, position and orientation. Magnitudes are ARKit-like at weight 1 and scale with
the measured eyeball distance. Falloffs are geodesic smoothsteps or harmonic fields (no hard edges).

``tongueOut`` is inert (all zeros): FLAME has no tongue geometry.
"""
from __future__ import annotations

import numpy as np

from ..arkit import ARKIT_NAMES, INDEX
from . import flame_tables as ft
from .geometry import (edge_graph, face_frame, falloff, geodesic, harmonic_field, nearest_vertex,
                       smoothstep, vertex_normals)

MM = 1e-3
JAW_OPEN_DEG = 16.0
EYE_LOOK_UD_DEG = 22.0
EYE_LOOK_LR_DEG = 28.0
CORNER_FREE = 0.6   # |x| / mouth half-width beyond which lip vertices are not pinned to the jaw


def _rot_x(q, theta):
    """Displacement of local points ``q`` (relative to the pivot) rotated about local x."""
    c, s = np.cos(theta), np.sin(theta)
    d = np.zeros_like(q)
    d[:, 1] = q[:, 1] * c - q[:, 2] * s - q[:, 1]
    d[:, 2] = q[:, 1] * s + q[:, 2] * c - q[:, 2]
    return d


def _rot_y(q, phi):
    c, s = np.cos(phi), np.sin(phi)
    d = np.zeros_like(q)
    d[:, 0] = q[:, 0] * c + q[:, 2] * s - q[:, 0]
    d[:, 2] = -q[:, 0] * s + q[:, 2] * c - q[:, 2]
    return d


def _vec(x=0.0, y=0.0, z=0.0):
    return np.array([x, y, z], np.float64)


class _Ctx:
    """Per-mesh measurements shared by the shape builders (all in the local head frame)."""

    def __init__(self, verts: np.ndarray):
        self.v = np.asarray(verts, np.float64)
        self.faces = ft.faces()
        self.frame = face_frame(self.v)
        self.k = self.frame.scale                         # 1.0 on the FLAME mean head
        self.iod = self.frame.iod
        self.p = self.frame.to_local(self.v)              # local coordinates [N,3]
        self.graph = edge_graph(self.v, self.faces)
        self.lm = self.frame.to_local(ft.landmarks68(self.v))
        self.n_local = vertex_normals(self.v, self.faces) @ self.frame.axes.T
        lm = self.lm
        self.corner_l, self.corner_r = lm[ft.LMK_MOUTH_CORNER_LEFT], lm[ft.LMK_MOUTH_CORNER_RIGHT]
        self.mouth_c = 0.5 * (self.corner_l + self.corner_r)
        self.half_w = 0.5 * (self.corner_l[0] - self.corner_r[0])
        pairs = ft.inner_lip_pairs()
        seam = 0.5 * (self.p[pairs[:, 0]] + self.p[pairs[:, 1]])
        order = np.argsort(seam[:, 0])
        self.seam_x, self.seam_y = seam[order, 0], seam[order, 1]
        self._geo = {}

    # --- helpers -------------------------------------------------------------------------
    def geo(self, key, seeds, limit):
        if key not in self._geo:
            dist = geodesic(self.graph, seeds, limit=limit)
            self._geo[key] = np.where(np.isfinite(dist), dist, 2.0 * limit)
        return self._geo[key]

    def seed(self, local_point, candidates=None):
        return nearest_vertex(self.p, local_point, candidates)

    def seam_y_at(self, x):
        return np.interp(x, self.seam_x, self.seam_y)

    def side(self, sign, lo=-0.45, hi=0.45):
        """Smooth 0..1 weight for the subject's left (+1) or right (-1) half of the mouth."""
        u = (self.p[:, 0] - self.mouth_c[0]) / self.half_w
        return smoothstep(lo, hi, sign * u)

    def out(self, w, vec_mm):
        return w[:, None] * (np.asarray(vec_mm) * MM * self.k)[None, :]


def _jaw_weight(c: _Ctx) -> np.ndarray:
    """Harmonic jaw weight: 1 on lower lip + chin, 0 on the upper lip and everything above the
    nose base, the ears, scalp and the neck's cut boundary; smooth in between."""
    n = len(c.p)
    # lip constraints stop short of the corners, so the corners blend (~0.5) and the opened
    # mouth is rounded instead of hinged at two points
    u = np.abs(c.p[:, 0] - c.mouth_c[0]) / c.half_w
    lower = np.r_[ft.region("lower_lip_zone"), ft.region("lower_lip")]
    upper = np.r_[ft.region("upper_lip_zone"), ft.region("upper_lip")]
    lower, upper = lower[u[lower] < CORNER_FREE], upper[u[upper] < CORNER_FREE]
    one = np.r_[lower, np.where(c.geo("chin", [c.seed(c.lm[ft.LMK_CHIN])], 0.4 * c.iod) < 0.3 * c.iod)[0]]
    nose_base = c.lm[33][1]
    above = np.where(c.p[:, 1] > nose_base - 0.05 * c.iod)[0]
    zero = np.r_[upper, ft.region("nose"), above,
                 ft.region("left_ear"), ft.region("right_ear"), ft.region("scalp"),
                 ft.region("boundary"), ft.region("left_eyeball"), ft.region("right_eyeball")]
    zero = np.setdiff1d(zero, one)
    w = harmonic_field(c.graph, np.r_[one, zero], np.r_[np.ones(len(one)), np.zeros(len(zero))])
    w = smoothstep(0.0, 1.0, w)
    w[w < 1e-4] = 0.0
    assert len(w) == n
    return w


def _jaw_pivot(c: _Ctx) -> np.ndarray:
    """Temporomandibular pivot: between the upper jaw-line landmarks (near the ears), a little
    below and behind them."""
    top = 0.5 * (c.lm[0] + c.lm[16])
    return top + _vec(0.0, -0.12, -0.05) * c.iod


def _mouth_shapes(c: _Ctx, d: dict):
    p, k, iod = c.p, c.k, c.iod
    upper_set = np.r_[ft.region("upper_lip"), ft.region("upper_lip_zone")]
    lower_set = np.r_[ft.region("lower_lip"), ft.region("lower_lip_zone")]
    lips_set = np.r_[upper_set, lower_set]
    d_up = c.geo("upper", upper_set, 0.6 * iod)
    d_lo = c.geo("lower", lower_set, 0.6 * iod)
    d_lips = c.geo("lips", lips_set, 0.8 * iod)
    f_up, f_lo = falloff(d_up, 0.28 * iod), falloff(d_lo, 0.28 * iod)
    f_lips = falloff(d_lips, 0.35 * iod)
    f_mouth_wide = falloff(d_lips, 0.55 * iod)
    # restrict the upper-lip field to the upper side of the mouth and vice versa (the two fields
    # only meet at the corners, where both are ~1, so this is continuous)
    up_side = d_up < d_lo
    f_up_only = np.where(up_side, f_up, f_up * smoothstep(0.0, 1.0, 1 - (d_up - d_lo) / (0.05 * iod)))
    f_lo_only = np.where(~up_side, f_lo, f_lo * smoothstep(0.0, 1.0, 1 - (d_lo - d_up) / (0.05 * iod)))
    u = (p[:, 0] - c.mouth_c[0]) / c.half_w                      # -1 right corner .. +1 left corner
    center = 1 - smoothstep(0.3, 1.3, np.abs(u))                 # 1 mid-lip, fading to the corners
    seam_y = c.seam_y_at(p[:, 0])
    lip_h = 0.16 * iod
    t_above = smoothstep(0.0, lip_h, p[:, 1] - seam_y)           # 0 at the seam -> 1 at lip top
    t_below = smoothstep(0.0, lip_h, seam_y - p[:, 1])

    # FLAME's closed lips overlap: the lower lip's inner edge rises above the contact seam behind
    # the upper lip (and vice versa). When one lip alone pulls away, that hidden inner edge would
    # fill the opening, so it is folded back to the seam height (hidden geometry only).
    n_all = len(p)
    in_lo_zone = np.zeros(n_all, bool)
    in_lo_zone[ft.region("lower_lip_zone")] = True
    in_up_zone = np.zeros(n_all, bool)
    in_up_zone[ft.region("upper_lip_zone")] = True
    lo_above = np.where(in_lo_zone, np.clip(p[:, 1] - seam_y, 0, None), 0.0)
    up_below = np.where(in_up_zone, np.clip(seam_y - p[:, 1], 0, None), 0.0)

    def tuck_lower(weight, mm):
        return (-np.minimum(lo_above, mm * MM * k) * weight)[:, None] * _vec(0, 1, 0)

    def tuck_upper(weight, mm):
        return (np.minimum(up_below, mm * MM * k) * weight)[:, None] * _vec(0, 1, 0)

    # jaw: rotation of the lower face about the measured pivot, weighted harmonically
    w_jaw = _jaw_weight(c)
    pivot = _jaw_pivot(c)
    full_open = _rot_x(p - pivot, np.radians(JAW_OPEN_DEG))
    d["jawOpen"] = w_jaw[:, None] * full_open
    d["jawForward"] = c.out(w_jaw, (0, 0, 5.5))
    for name, sgn in (("jawLeft", 1), ("jawRight", -1)):
        d[name] = c.out(w_jaw, (sgn * 7.0, 0, 0)) + w_jaw[:, None] * _rot_y(p - pivot, np.radians(sgn * 2.0))

    # mouthClose: with jawOpen=w the lower lip returns 80 % and the upper lip drops 20 % of the
    # jaw displacement, so at the contact seam both lips carry the same displacement -> sealed.
    # Generalised to any jaw weight: on the lips every vertex is brought to the same 20 % of the
    # (unweighted) jaw motion, so each contact pair moves together; it fades out over the skin.
    lam_lo = np.minimum(falloff(d_lo, 0.3 * iod), np.maximum(w_jaw, 0.2))
    lam_up = falloff(d_up, 0.12 * iod) * (d_up <= d_lo + 1e-9)
    lam = np.where(up_side, lam_up, lam_lo)
    lam[lips_set] = 1.0
    d["mouthClose"] = (lam * (0.2 - w_jaw))[:, None] * full_open

    # funnel: lips flare forward and open into an O, corners move in
    d["mouthFunnel"] = (c.out(f_up_only * center * (0.6 + 0.4 * t_above), (0, 3.0, 3.5))
                        + c.out(f_lo_only * center * (0.6 + 0.4 * t_below), (0, -3.0, 3.5))
                        + tuck_lower(center, 2.0) + tuck_upper(center, 2.0)
                        + c.out(f_lips * (0.4 + 0.6 * np.maximum(t_above, t_below)), (0, 0, 2.0))
                        + c.out(f_lips * np.clip(u, -1.2, 1.2), (-4.0, 0, 0)))
    # pucker: lips pushed forward and narrowed, kept closed
    d["mouthPucker"] = (c.out(f_lips * (0.5 + 0.5 * center), (0, 0, 6.0))
                        + c.out(f_mouth_wide * np.clip(u, -1.2, 1.2), (-7.0, 0, 0)))
    for name, sgn in (("mouthLeft", 1), ("mouthRight", -1)):
        d[name] = c.out(f_mouth_wide, (sgn * 6.0, 0, 0)) + c.out(f_lips, (0, 0, -0.8))

    # corner shapes (per side): geodesic falloff around the measured mouth corner
    for side, sgn, corner in (("Left", 1, c.corner_l), ("Right", -1, c.corner_r)):
        seed = c.seed(corner, np.r_[ft.region("lips")])
        dc = c.geo("corner" + side, seed, 0.9 * iod)
        big, mid, small = falloff(dc, 0.62 * iod), falloff(dc, 0.5 * iod), falloff(dc, 0.35 * iod)
        sd = c.side(sgn, -0.6, 0.6)
        d["mouthSmile" + side] = c.out(big, (sgn * 3.5, 6.0, -2.5))
        d["mouthFrown" + side] = c.out(mid, (sgn * 1.5, -5.0, -0.5))
        d["mouthDimple" + side] = c.out(small, (sgn * 3.0, 0.5, -3.5))
        d["mouthStretch" + side] = c.out(mid, (sgn * 5.5, -2.0, -1.5)) + c.out(f_lo_only * sd * t_below, (0, -1.5, 0))
        # press: lips flatten back and their outer parts squeeze toward the seam; a band around
        # the contact seam keeps its height, so sealed lips stay sealed and never cross
        band = 0.075 * iod
        squeeze = (-f_up_only * np.clip(p[:, 1] - seam_y - band, 0, None)
                   + f_lo_only * np.clip(seam_y - p[:, 1] - band, 0, None))
        d["mouthPress" + side] = (c.out(f_lips * sd, (0, 0, -1.0))
                                  + (0.5 * sd * squeeze)[:, None] * _vec(0, 1, 0))
        d["mouthUpperUp" + side] = (c.out(f_up_only * sd * (0.75 + 0.25 * t_above), (0, 5.5, 1.0))
                                    + tuck_lower(sd, 5.5))
        d["mouthLowerDown" + side] = (c.out(f_lo_only * sd * (0.75 + 0.25 * t_below), (0, -5.5, 0.8))
                                      + tuck_upper(sd, 5.5))

    # rolls: the outer (vermilion) part tucks in while the contact seam stays put
    d["mouthRollUpper"] = c.out(f_up_only * t_above, (0, -1.5, -3.5))
    d["mouthRollLower"] = c.out(f_lo_only * t_below, (0, 1.5, -3.5))
    d["mouthShrugUpper"] = c.out(f_up_only * (0.5 + 0.5 * t_above), (0, 2.5, 1.5))
    d_chin = c.geo("chin", [c.seed(c.lm[ft.LMK_CHIN])], 0.4 * iod)
    chin = np.maximum(f_lo_only, falloff(d_chin, 0.4 * iod)) * (p[:, 1] < seam_y)
    d["mouthShrugLower"] = c.out(chin * t_below, (0, 2.5, 2.0))

    # cheeks
    for side, sgn, jaw_lm, corner in (("Left", 1, 13, c.corner_l), ("Right", -1, 3, c.corner_r)):
        centre = 0.5 * (c.lm[jaw_lm] + corner) + _vec(0, 0.12, 0) * iod
        dcs = c.geo("cheek" + side, c.seed(centre), 0.6 * iod)
        d.setdefault("cheekPuff", np.zeros_like(p))
        d["cheekPuff"] = d["cheekPuff"] + falloff(dcs, 0.5 * iod)[:, None] * c.n_local * (5.0 * MM * k)
    d["cheekPuff"] = d["cheekPuff"] + c.out(f_lips * center, (0, 0, 1.5))


def _upper_face_shapes(c: _Ctx, d: dict):
    p, iod = c.p, c.iod
    eyeballs = np.r_[ft.region("left_eyeball"), ft.region("right_eyeball")]
    for side, sgn, brow, eye_lm, centre_r in (
            ("Left", 1, ft.LMK_BROW_LEFT, ft.LMK_EYE_LEFT, c.frame.eye_left),
            ("Right", -1, ft.LMK_BROW_RIGHT, ft.LMK_EYE_RIGHT, c.frame.eye_right)):
        brow_pts = c.lm[list(brow)]
        inner = brow_pts[0] if sgn > 0 else brow_pts[-1]
        # outer brow: between the last two brow landmarks (the very tail sits on the temple)
        outer = 0.5 * (brow_pts[-1] + brow_pts[-2]) if sgn > 0 else 0.5 * (brow_pts[0] + brow_pts[1])
        seeds = [c.seed(q) for q in brow_pts]
        f_brow = falloff(c.geo("brow" + side, seeds, 0.5 * iod), 0.3 * iod)
        d["browDown" + side] = c.out(f_brow, (-sgn * 1.5, -4.0, -0.5))
        f_out = falloff(c.geo("browOut" + side, [c.seed(outer)], 0.5 * iod), 0.33 * iod)
        d["browOuterUp" + side] = c.out(f_out, (0, 4.5, 0.3))
        f_in = falloff(c.geo("browIn" + side, [c.seed(inner)], 0.5 * iod), 0.3 * iod)
        d.setdefault("browInnerUp", np.zeros_like(p))
        d["browInnerUp"] = d["browInnerUp"] + c.out(f_in, (0, 5.0, 0.3))

        # eyes: lids rotate about the measured eyeball centre, so they slide over the eye
        ec = c.frame.to_local(centre_r[0])
        sl = side.lower()
        up_row, lo_row = ft.region(f"upper_lid_{sl}"), ft.region(f"lower_lid_{sl}")
        q = p - ec
        elev = np.arctan2(q[:, 1], q[:, 2])
        ou = np.argsort(q[up_row, 0])
        ol = np.argsort(q[lo_row, 0])
        xe = q[:, 0]
        # smooth lid-margin curves (quadratic in x) so the closed lid line is not jagged
        xs_u, xs_l = q[up_row, 0][ou], q[lo_row, 0][ol]
        cu = np.polyfit(xs_u, elev[up_row][ou], 2)
        cl = np.polyfit(xs_l, elev[lo_row][ol], 2)
        e_up = np.polyval(cu, np.clip(xe, xs_u[0], xs_u[-1]))
        e_lo = np.polyval(cl, np.clip(xe, xs_l[0], xs_l[-1]))
        gap = np.clip(e_up - e_lo, 0.0, None)                       # opening angle per column
        half = 0.5 * (max(q[up_row, 0].max(), q[lo_row, 0].max()) - min(q[up_row, 0].min(), q[lo_row, 0].min()))
        xmid = 0.5 * (max(q[up_row, 0].max(), q[lo_row, 0].max()) + min(q[up_row, 0].min(), q[lo_row, 0].min()))
        taper = 1 - smoothstep(0.75 * half, 1.5 * half, np.abs(xe - xmid))
        du = c.geo("lidU" + side, up_row, 0.6 * iod)
        dl = c.geo("lidL" + side, lo_row, 0.6 * iod)
        f_u = falloff(du, 0.3 * iod) * (du < dl)
        f_l = falloff(dl, 0.2 * iod) * (dl <= du)
        f_u[eyeballs] = 0.0
        f_l[eyeballs] = 0.0
        def lid(weight, frac):
            """Lid rotation about the eyeball centre. Shape keys blend linearly (along the chord),
            which would dip into the eye at partial weights; 1.5x the chord sag is added
            radially outward so a half blink stays on the eye surface (full blink sits ~1 mm out)."""
            theta = frac * gap * taper * weight
            chord = _rot_x(q, theta)
            mid = q + 0.5 * chord
            radial = mid / (np.linalg.norm(mid, axis=1, keepdims=True) + 1e-12)
            sag = np.linalg.norm(q, axis=1) * (1 - np.cos(0.5 * theta))
            return chord + (1.5 * sag)[:, None] * radial
        d["eyeBlink" + side] = lid(f_u, 0.8) + lid(f_l, -0.2)
        d["eyeSquint" + side] = lid(f_u, 0.12) + lid(f_l, -0.35)
        d["eyeWide" + side] = lid(f_u, -0.35) + lid(f_l, 0.08)
        # cheek squint: cheek under the eye rises (lower lid margin region damped)
        cheek_c = c.lm[list(eye_lm)].mean(0) + _vec(sgn * 0.1, -0.3, 0) * iod
        f_cs = falloff(c.geo("cheekSq" + side, c.seed(cheek_c), 0.6 * iod), 0.32 * iod)
        f_cs *= smoothstep(0.04 * iod, 0.14 * iod, np.where(np.isfinite(dl), dl, 1.0))
        f_cs[eyeballs] = 0.0
        d["cheekSquint" + side] = c.out(f_cs, (sgn * 0.5, 3.0, 0.8))
        # eyeballs: exact rotations about the fitted sphere centre
        ball = np.zeros(len(p))
        ball[ft.region(f"{sl}_eyeball")] = 1.0
        ud, lr = np.radians(EYE_LOOK_UD_DEG), np.radians(EYE_LOOK_LR_DEG)
        d["eyeLookUp" + side] = ball[:, None] * _rot_x(q, -ud)
        d["eyeLookDown" + side] = ball[:, None] * _rot_x(q, ud)
        d["eyeLookOut" + side] = ball[:, None] * _rot_y(q, sgn * lr)
        d["eyeLookIn" + side] = ball[:, None] * _rot_y(q, -sgn * lr)

        # nose sneer: nostril wing and the skin beside it rise
        ala = c.lm[35 if sgn > 0 else 31] + _vec(sgn * 0.09, 0.02, -0.02) * iod
        f_n = falloff(c.geo("sneer" + side, c.seed(ala), 0.5 * iod), 0.28 * iod)
        f_n[eyeballs] = 0.0
        d["noseSneer" + side] = c.out(f_n, (sgn * 0.5, 3.5, -0.5))


def build_deltas(verts: np.ndarray) -> np.ndarray:
    """ARKit displacement fields ``[52, 5023, 3]`` float32 (metres, world axes) for ``verts``."""
    c = _Ctx(verts)
    d: dict[str, np.ndarray] = {}
    _mouth_shapes(c, d)
    _upper_face_shapes(c, d)
    d["tongueOut"] = np.zeros_like(c.p)  # FLAME has no tongue: inert by design
    missing = [n for n in ARKIT_NAMES if n not in d]
    if missing:
        raise RuntimeError(f"rig builder produced no field for {missing}")
    out = np.stack([d[n] for n in ARKIT_NAMES])          # local frame
    out = out @ c.frame.axes                              # to world axes
    out[np.abs(out) < 1e-9] = 0.0
    return out.astype(np.float32)


__all__ = ["build_deltas", "INDEX"]
