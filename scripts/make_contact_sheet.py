"""Render every ARKit shape at weight 1 on FLAME heads into labelled contact sheets (docs/).

Usage: .venv/bin/python scripts/make_contact_sheet.py [--flame ../shared/flame] [--out docs]
                                                      [--size 200] [--heads template sample]
Each tile is the head (face crop, slight 3/4 view) with the shape applied; the skin is tinted
blue where the shape moves vertices (deeper = larger displacement), so the region is visible.
Reads the FLAME heads from ../shared (never copied into the repository).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from core import preview  # noqa: E402
from core.arkit import ARKIT_NAMES  # noqa: E402
from core.rig import FlameRig, region  # noqa: E402
from core.rig.geometry import face_frame  # noqa: E402

SKIN = np.array([0.80, 0.66, 0.58])
TINT = np.array([0.30, 0.45, 0.95])


def base_colors(rig: FlameRig) -> np.ndarray:
    """Skin, pink lips, white eyeballs with a dark iris (so gaze and lids are readable)."""
    col = np.tile(SKIN, (len(rig.neutral), 1))
    col[region("lips")] = (0.78, 0.50, 0.50)
    fr = face_frame(rig.neutral)
    for side, (c, r) in (("left", fr.eye_left), ("right", fr.eye_right)):
        ball = region(f"{side}_eyeball")
        cos = ((rig.neutral[ball] - c) / r) @ fr.axes[2]
        col[ball] = np.where((cos > 0.88)[:, None], (0.25, 0.18, 0.12), (0.96, 0.96, 0.97))
    return col


def tiles_for(rig: FlameRig, size: int, yaw: float):
    crop = np.r_[region("face"), region("left_eyeball"), region("right_eyeball")]
    view = preview.fit_view(rig.neutral, yaw_deg=yaw, region=crop, margin=1.05)
    base = base_colors(rig)
    imgs = [preview.render(rig.neutral, rig.faces, size, view, vertex_colors=base)]
    labels = ["neutral"]
    for i, name in enumerate(ARKIT_NAMES):
        mag = np.linalg.norm(rig.deltas[i], axis=1) * 1000.0          # mm
        t = np.clip(mag / 4.0, 0, 1)[:, None] * 0.55
        t[np.r_[region("left_eyeball"), region("right_eyeball")]] = 0.0  # keep the iris readable
        colors = base * (1 - t) + TINT[None] * t
        imgs.append(preview.render(rig.shape(name), rig.faces, size, view, vertex_colors=colors))
        labels.append(f"{name} {mag.max():.1f}mm" + (" (w/ jawOpen)" if name == "mouthClose" else ""))
    w = np.zeros(len(ARKIT_NAMES), np.float32)
    w[[ARKIT_NAMES.index("jawOpen"), ARKIT_NAMES.index("mouthClose")]] = 1.0
    imgs.append(preview.render(rig.apply(w), rig.faces, size, view, vertex_colors=base))
    labels.append("jawOpen+mouthClose (sealed)")
    return imgs, labels


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flame", default=str(ROOT.parent / "shared" / "flame"))
    ap.add_argument("--out", default=str(ROOT / "docs"))
    ap.add_argument("--size", type=int, default=200)
    ap.add_argument("--yaw", type=float, default=14.0)
    ap.add_argument("--heads", nargs="+", default=["template", "sample"])
    args = ap.parse_args()
    for head in args.heads:
        t0 = time.time()
        rig = FlameRig.from_ply(Path(args.flame) / f"FLAME_{head}.ply")
        imgs, labels = tiles_for(rig, args.size, args.yaw)
        sheet = preview.contact_sheet(
            imgs, labels, cols=9,
            title=f"Parley ARKit rig on FLAME_{head}.ply: every shape at weight 1 "
                  "(blue = displaced skin; FLAME topology: Li et al. 2017, CC BY 4.0)")
        out = Path(args.out) / f"rig_contact_sheet_{head}.png"
        preview.save_png(out, sheet)
        print(f"{out}: {sheet.shape[1]}x{sheet.shape[0]}, {out.stat().st_size / 1e3:.0f} kB, "
              f"{time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
