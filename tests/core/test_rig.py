"""Rig builder on real FLAME heads (needs ../shared/flame; skips without it)."""
from __future__ import annotations

import numpy as np
import pytest

from core.arkit import ARKIT_NAMES
from core.rig import FlameRig, TopologyError, flame_tables as ft, load_ply, region
from core.rig.geometry import face_frame

HEADS = ("template", "sample")
SIDE_FREE = {"jawLeft", "jawRight", "mouthLeft", "mouthRight"}


@pytest.fixture(scope="module", params=HEADS)
def rig(request, flame_dir):
    return FlameRig.from_ply(flame_dir / f"FLAME_{request.param}.ply")


def _w(**kw):
    w = np.zeros(len(ARKIT_NAMES), np.float32)
    for k, val in kw.items():
        w[ARKIT_NAMES.index(k)] = val
    return w


def _intended(rig, name):
    """Generous region each shape may move; everything else must stay within 0.1 mm."""
    fr = face_frame(rig.neutral)
    p = fr.to_local(rig.neutral)
    iod = fr.iod
    n = len(p)
    balls = np.zeros(n, bool)
    balls[np.r_[region("left_eyeball"), region("right_eyeball")]] = True
    eye_y = 0.0
    lm = fr.to_local(ft.landmarks68(rig.neutral))
    mouth_y = lm[[48, 54], 1].mean()
    if name.startswith("eyeLook"):
        m = np.zeros(n, bool)
        m[region("left_eyeball" if name.endswith("Left") else "right_eyeball")] = True
        return m
    if name.startswith(("eyeBlink", "eyeSquint", "eyeWide")):
        c = fr.eye_left[0] if name.endswith("Left") else fr.eye_right[0]
        return (np.linalg.norm(rig.neutral - c, axis=1) < 0.55 * iod) & ~balls
    if name.startswith("brow"):
        return (p[:, 1] > eye_y - 0.2 * iod) & ~balls
    if name.startswith("cheekSquint"):
        return (p[:, 1] < eye_y + 0.1 * iod) & (p[:, 1] > mouth_y) & ~balls
    if name.startswith("noseSneer"):
        return (p[:, 1] < eye_y - 0.1 * iod) & (p[:, 1] > mouth_y - 0.25 * iod) & ~balls
    # jaw / mouth / cheekPuff / tongueOut: the lower face
    return (p[:, 1] < eye_y - 0.35 * iod) & ~balls


@pytest.mark.parametrize("name", ARKIT_NAMES)
def test_shape_moves_only_its_region(rig, name):
    i = ARKIT_NAMES.index(name)
    mag = np.linalg.norm(rig.deltas[i], axis=1)
    inside = _intended(rig, name)
    assert mag[~inside].max(initial=0) < 1e-4, f"{name} moves {mag[~inside].max()*1e3:.3f} mm outside its region"
    if name == "tongueOut":
        assert mag.max() == 0.0  # FLAME has no tongue: inert by design
        return
    assert mag.max() > 1.5e-3, f"{name} barely moves ({mag.max()*1e3:.2f} mm)"
    if name.endswith(("Left", "Right")) and name not in SIDE_FREE:
        fr = face_frame(rig.neutral)
        x = fr.to_local(rig.neutral)[:, 0] / fr.iod
        far = x < -0.3 if name.endswith("Left") else x > 0.3
        assert mag[far].max() < 1e-4, f"{name} leaks to the other side of the face"


def test_shapes_mean_what_arkit_says(rig):
    fr = face_frame(rig.neutral)
    loc = lambda v: fr.to_local(v)  # noqa: E731
    p0 = loc(rig.neutral)
    chin = ft.landmarks68(rig.neutral)[8]
    ci = int(np.argmin(np.linalg.norm(rig.neutral - chin, axis=1)))
    d = loc(rig.shape("jawOpen")) - p0
    assert d[ci, 1] < -0.02 and d[ci, 1] > -0.045, "jawOpen should drop the chin ~2-4 cm"
    assert (loc(rig.shape("jawLeft")) - p0)[ci, 0] > 0.005      # ARKit left = subject's left (+x)
    assert (loc(rig.shape("jawRight")) - p0)[ci, 0] < -0.005
    assert (loc(rig.shape("jawForward")) - p0)[ci, 2] > 0.004
    assert (loc(rig.shape("mouthLeft")) - p0)[region("lips"), 0].mean() > 0.004
    lm0 = ft.landmarks68(rig.neutral)
    for side, lmk in (("Left", 54), ("Right", 48)):
        k = int(np.argmin(np.linalg.norm(rig.neutral - lm0[lmk], axis=1)))
        assert (loc(rig.shape("mouthSmile" + side)) - p0)[k, 1] > 0.003
        assert (loc(rig.shape("mouthFrown" + side)) - p0)[k, 1] < -0.002
    front = region("left_eyeball")[np.argmax(p0[region("left_eyeball"), 2])]
    assert (loc(rig.shape("eyeLookUpLeft")) - p0)[front, 1] > 0.003
    assert (loc(rig.shape("eyeLookOutLeft")) - p0)[front, 0] > 0.003   # subject's left = +x
    assert (loc(rig.shape("eyeLookInLeft")) - p0)[front, 0] < -0.003
    assert (loc(rig.shape("browInnerUp")) - p0)[:, 1].max() > 0.004
    assert (loc(rig.shape("mouthPucker")) - p0)[region("lips"), 2].mean() > 0.003


@pytest.mark.parametrize("side", ["left", "right"])
def test_blink_closes_onto_lower_lid_without_entering_eyeball(rig, side):
    fr = face_frame(rig.neutral)
    c, r = fr.eye_left if side == "left" else fr.eye_right
    name = "eyeBlink" + side.capitalize()
    up, lo = region(f"upper_lid_{side}"), region(f"lower_lid_{side}")
    v = rig.shape(name)
    q0, q1 = fr.to_local(rig.neutral), fr.to_local(v)
    opening0 = q0[up, 1].mean() - q0[lo, 1].mean()
    opening1 = q1[up[2:-2], 1].mean() - q1[lo[2:-2], 1].mean()
    assert opening0 > 0.004
    assert abs(opening1) < 0.0012, f"blink leaves {opening1*1e3:.2f} mm open"
    lid = np.linalg.norm(rig.deltas[ARKIT_NAMES.index(name)], axis=1) > 1e-5
    r0 = np.linalg.norm(rig.neutral[lid] - c, axis=1)
    r1 = np.linalg.norm(v[lid] - c, axis=1)
    assert (r1 - r0).min() > -1e-4, "lid slides into the eyeball"
    for w in (0.1, 0.25, 0.5, 0.75):   # linear blending must not dip the lid into the eye either
        rw = np.linalg.norm(rig.shape(name, w)[lid] - c, axis=1)
        assert (rw - r0).min() > -0.4e-3, f"lid dips {(rw - r0).min()*1e3:.2f} mm into the eye at w={w}"


@pytest.mark.parametrize("w", [0.2, 0.5, 0.8, 1.0])
def test_lips_seal_on_mouth_close_and_press(rig, w):
    for weights in (_w(jawOpen=w, mouthClose=w),
                    _w(mouthPressLeft=w, mouthPressRight=w),
                    _w(mouthPressLeft=w),
                    _w(jawOpen=w, mouthClose=w, mouthPressLeft=1.0, mouthPressRight=1.0)):
        gap = rig.inner_lip_gap(rig.apply(weights))
        assert gap.max() < 0.5 and gap.min() > -0.2, f"gap {np.round(gap, 2)} for {weights.nonzero()}"
    opened = rig.inner_lip_gap(rig.apply(_w(jawOpen=w)))
    assert opened.max() > 22.0 * w and opened.min() > 8.0 * w, "jawOpen should part the lips (rounded)"


@pytest.mark.parametrize("name", ["mouthUpperUpLeft", "mouthUpperUpRight", "mouthLowerDownLeft",
                                  "mouthLowerDownRight", "mouthFunnel"])
def test_lip_openers_open_the_lips(rig, name):
    gap = rig.inner_lip_gap(rig.shape(name))
    assert gap.max() > 3.0 and gap.min() > -0.2, f"{name}: gap {np.round(gap, 2)}"


def test_rig_follows_scaled_rotated_translated_head(flame_dir):
    v, f = load_ply(flame_dir / "FLAME_sample.ply")
    base = FlameRig.from_vertices(v, f)
    a, b = np.radians(30), np.radians(12)
    rz = np.array([[np.cos(b), -np.sin(b), 0], [np.sin(b), np.cos(b), 0], [0, 0, 1]])
    ry = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    R, s, t = rz @ ry, 1.35, np.array([0.4, -1.2, 2.0])
    moved = FlameRig.from_vertices((s * v.astype(np.float64)) @ R.T + t)
    expect = s * base.deltas.astype(np.float64) @ R.T
    err = np.abs(moved.deltas - expect).max()
    assert err < 2e-5 * s, f"rig is not geometry-driven: max delta error {err*1e3:.3f} mm"
    gap = moved.inner_lip_gap(moved.apply(_w(jawOpen=0.7, mouthClose=0.7)))
    assert np.abs(gap).max() < 0.5


def test_apply_is_fast_and_linear(rig):
    import time
    w = np.random.default_rng(0).random((1800, 52), dtype=np.float32) * 0.3
    t = time.perf_counter()
    out = rig.apply(w)
    assert time.perf_counter() - t < 2.0
    assert out.shape == (1800, 5023, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out[5], rig.neutral + np.tensordot(w[5], rig.deltas, 1), atol=1e-6)
    with pytest.raises(ValueError, match="weights must be"):
        rig.apply(np.zeros((3, 51)))


def test_rejects_bad_meshes(flame_dir):
    v, f = load_ply(flame_dir / "FLAME_template.ply")
    with pytest.raises(TopologyError, match="5000 vertices; FLAME topology needs exactly 5023"):
        FlameRig.from_vertices(v[:5000])
    bad_f = f.copy()
    bad_f[[0, 1]] = bad_f[[1, 0]]
    with pytest.raises(TopologyError, match="differs from FLAME's in 2 faces"):
        FlameRig.from_vertices(v, bad_f)
    with pytest.raises(TopologyError, match="9975 triangles"):
        FlameRig.from_vertices(v, f[:-1])
    vn = v.copy()
    vn[17, 1] = np.nan
    with pytest.raises(TopologyError, match="NaN/inf .*index 17"):
        FlameRig.from_vertices(vn)
    with pytest.raises(TopologyError, match=r"\[N, 3\]"):
        FlameRig.from_vertices(v[:, :2])


def test_save_load_roundtrip(rig, tmp_path):
    rig.save(tmp_path / "r.npz")
    r2 = FlameRig.load(tmp_path / "r.npz")
    np.testing.assert_array_equal(r2.deltas, rig.deltas)
    np.testing.assert_array_equal(r2.neutral, rig.neutral)
