"""Software renderer on synthetic meshes (no ../shared needed)."""
from __future__ import annotations

import time

import numpy as np
import pytest

from core import preview


def _quad(z, x0=-1.0, x1=1.0):
    v = np.array([[x0, -1, z], [x1, -1, z], [x1, 1, z], [x0, 1, z]], float)
    return v, np.array([[0, 1, 2], [0, 2, 3]])


def _sphere(n=60):
    th, ph = np.meshgrid(np.linspace(0, np.pi, n), np.linspace(0, 2 * np.pi, 2 * n, endpoint=False), indexing="ij")
    v = np.stack([np.sin(th) * np.cos(ph), np.cos(th), np.sin(th) * np.sin(ph)], -1).reshape(-1, 3)
    idx = np.arange(n * 2 * n).reshape(n, 2 * n)
    a, b = idx[:-1], np.roll(idx, -1, 1)[:-1]
    c, d = idx[1:], np.roll(idx, -1, 1)[1:]
    f = np.concatenate([np.stack([a, c, b], -1).reshape(-1, 3), np.stack([b, c, d], -1).reshape(-1, 3)])
    return v, f


def test_zbuffer_keeps_nearest_surface():
    va, fa = _quad(0.0)
    vb, fb = _quad(0.5, -0.3, 0.3)  # smaller quad in front (+z faces the camera)
    v = np.r_[va, vb]
    f = np.r_[fa, fb + 4]
    colors = np.r_[np.tile([1.0, 0, 0], (4, 1)), np.tile([0, 0, 1.0], (4, 1))]
    view = preview.View(center=np.zeros(3), half_extent=1.5)
    img = preview.render(v, f, 64, view, vertex_colors=colors)
    centre, side, corner = img[32, 32], img[32, 16], img[1, 1]
    assert centre[2] > centre[0]                       # blue quad in front wins
    assert side[0] > side[2]                           # red quad visible beside it
    assert tuple(corner) == (255, 255, 255)            # background


def test_sphere_render_is_round_shaded_and_fast():
    v, f = _sphere(72)                                  # ~10k triangles like FLAME
    preview.render(v, f, 64)
    t = time.perf_counter()
    img = preview.render(v, f, 256)
    dt = time.perf_counter() - t
    assert img.shape == (256, 256, 3) and img.dtype == np.uint8
    mask = (img != 255).any(-1)
    frac = mask.mean()
    assert abs(frac - np.pi / 4 / 1.08 ** 2) < 0.03   # disc area of a fitted sphere
    lum = img.astype(float).mean(-1)
    assert lum[128, 128] != lum[128, 40]                # shading varies across the surface
    assert dt < 1.0, f"render took {dt:.2f} s"


def test_contact_sheet_and_png(tmp_path):
    ims = [np.full((20, 30, 3), k * 40, np.uint8) for k in range(5)]
    sheet = preview.contact_sheet(ims, [f"s{k}" for k in range(5)], cols=3)
    assert sheet.shape[1] == 3 * 34 + 4 and sheet.dtype == np.uint8
    preview.save_png(tmp_path / "s.png", sheet)
    assert (tmp_path / "s.png").stat().st_size > 100
    with pytest.raises(ValueError, match="labels"):
        preview.contact_sheet(ims, ["a"])
    with pytest.raises(ValueError, match="faces index"):
        preview.render(np.zeros((3, 3)), np.array([[0, 1, 5]]), 32)
