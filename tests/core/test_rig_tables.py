"""FLAME index tables and PLY io: no ../shared needed."""
from __future__ import annotations

import numpy as np
import pytest

from core.rig import flame_tables as ft
from core.rig import PlyError, load_ply, save_ply


def test_faces_table_is_flame_topology():
    f = ft.faces()
    assert f.shape == (ft.N_FACES, 3)
    assert f.min() == 0 and f.max() == ft.N_VERTS - 1
    assert len(np.unique(f)) == ft.N_VERTS
    e = np.sort(np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]), 1)
    _, counts = np.unique(e, axis=0, return_counts=True)
    assert counts.max() == 2          # manifold
    assert (counts == 1).sum() == 62  # boundary = mouth hole (32) + neck (30)
    assert len(ft.faces_hash()) == 64


def test_regions_are_consistent():
    for name in ("lips", "face", "nose", "forehead", "left_eyeball", "right_eyeball",
                 "upper_lip", "lower_lip", "upper_lip_zone", "lower_lip_zone", "mouth_hole",
                 "upper_lid_left", "lower_lid_left", "upper_lid_right", "lower_lid_right"):
        r = ft.region(name)
        assert len(r) > 0 and r.min() >= 0 and r.max() < ft.N_VERTS, name
    assert len(ft.region("left_eyeball")) == len(ft.region("right_eyeball")) == 546
    assert not set(ft.region("upper_lip")) & set(ft.region("lower_lip"))
    assert set(ft.region("upper_lip")) | set(ft.region("lower_lip")) == set(ft.region("lips"))
    eyes = set(ft.region("left_eyeball")) | set(ft.region("right_eyeball"))
    for lid in ("upper_lid_left", "lower_lid_left", "upper_lid_right", "lower_lid_right"):
        assert not set(ft.region(lid)) & eyes
    with pytest.raises(KeyError, match="unknown FLAME region 'teeth'"):
        ft.region("teeth")


def test_inner_lip_pairs_join_upper_and_lower_lip():
    pairs = ft.inner_lip_pairs()
    assert pairs.shape[1] == 2 and len(pairs) >= 8
    assert set(pairs[:, 0]) <= set(ft.region("upper_lip_zone"))
    assert set(pairs[:, 1]) <= set(ft.region("lower_lip_zone"))
    assert len(set(pairs[:, 0])) == len(pairs) and len(set(pairs[:, 1])) == len(pairs)


def test_landmark_embedding():
    t = ft.tables()
    assert t["lmk68_vertices"].shape == (68, 3)
    np.testing.assert_allclose(t["lmk68_bary"].sum(1), 1.0, atol=1e-5)
    v = np.zeros((ft.N_VERTS, 3))
    v[:, 0] = np.arange(ft.N_VERTS)
    lm = ft.landmarks68(v)
    assert lm.shape == (68, 3)
    np.testing.assert_allclose(lm[:, 0], (t["lmk68_vertices"] * t["lmk68_bary"]).sum(1), rtol=1e-5)


def test_ply_roundtrip_and_errors(tmp_path):
    rng = np.random.default_rng(1)
    v = rng.normal(size=(10, 3)).astype(np.float32)
    f = np.array([[0, 1, 2], [2, 3, 4], [5, 6, 9]])
    save_ply(tmp_path / "m.ply", v, f)
    v2, f2 = load_ply(tmp_path / "m.ply")
    np.testing.assert_array_equal(v2, v)
    np.testing.assert_array_equal(f2, f)
    (tmp_path / "a.ply").write_text(
        "ply\nformat ascii 1.0\nelement vertex 4\nproperty float x\nproperty float y\nproperty float z\n"
        "element face 1\nproperty list uchar int vertex_indices\nend_header\n"
        "0 0 0\n1 0 0\n1 1 0\n0 1 0\n4 0 1 2 3\n")
    va, fa = load_ply(tmp_path / "a.ply")
    assert va.shape == (4, 3) and fa.tolist() == [[0, 1, 2], [0, 2, 3]]
    (tmp_path / "bad.ply").write_bytes(b"not a mesh")
    with pytest.raises(PlyError, match="not a PLY file"):
        load_ply(tmp_path / "bad.ply")
    with pytest.raises(FileNotFoundError):
        load_ply(tmp_path / "missing.ply")
