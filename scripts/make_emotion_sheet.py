"""Render what Intensity and a two-emotion blend do to one frame of a real clip (docs/).

Usage: .venv/bin/python scripts/make_emotion_sheet.py [--clip ../shared/speech/codetalker_man.wav]
                                                      [--time 7.35] [--out docs/emotion_sheet.png]
Four rows of the same audio frame on the FLAME template, learned default model, recognised
phones: happy at intensity 0 … 1 and happy→surprised at shares 0 … 1, each once with the
condition fed to the network as it is (``mix="condition"``) and once with the motion of the
trained conditions mixed (``mix="motion"``, the product's default). Skin is tinted blue where it
moved against the row's first tile (deeper = further, full at 3 mm; the label gives the largest
move). A linear control changes the face evenly across a row; the condition rows show the steps measured in
docs/emotion_control.json. Reads the clip and head from ../shared (never copied into the repo).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
from core import preview  # noqa: E402
from core.model.frontends.base import load_audio_16k  # noqa: E402
from core.model.numpy_runtime import MOTION_FPS, NumpyParley  # noqa: E402
from core.rig import FlameRig, region  # noqa: E402
from make_contact_sheet import TINT, base_colors  # noqa: E402

STEPS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clip", default=str(ROOT.parent / "shared" / "speech" / "codetalker_man.wav"))
    ap.add_argument("--template", default=str(ROOT.parent / "shared" / "flame" / "FLAME_template.ply"))
    ap.add_argument("--checkpoint", default=str(ROOT / "core" / "model" / "default"))
    ap.add_argument("--time", type=float, default=7.35, help="seconds into the clip")
    ap.add_argument("--size", type=int, default=180)
    ap.add_argument("--out", default=str(ROOT / "docs" / "emotion_sheet.png"))
    args = ap.parse_args()
    t0 = time.perf_counter()
    model = NumpyParley.from_pretrained(args.checkpoint)
    rig = FlameRig.from_ply(args.template)
    feats = model.features(load_audio_16k(args.clip))
    frame = min(len(feats) - 1, int(round(args.time * MOTION_FPS)))
    crop = np.r_[region("face"), region("left_eyeball"), region("right_eyeball")]
    view = preview.fit_view(rig.neutral, yaw_deg=14.0, region=crop, margin=1.05)
    colors = base_colors(rig)
    rows = []
    for mix in ("condition", "motion"):
        rows.append([(f"happy @ {s:.1f} [{mix[:4]}]", dict(emotion="happy", intensity=s, mix=mix))
                     for s in STEPS])
        rows.append([(f"surprised {s:.0%} [{mix[:4]}]",
                      dict(emotion={"happy": 1 - s, "surprised": s} if 0 < s < 1
                           else ("happy" if s == 0 else "surprised"), intensity=1.0, mix=mix))
                     for s in STEPS])
    rows = [rows[0], rows[2], rows[1], rows[3]]     # intensity rows together, then blends
    eyes = np.r_[region("left_eyeball"), region("right_eyeball")]
    imgs, labels = [], []
    for row in rows:
        first = None
        for label, kw in row:
            verts = rig.apply(model.motion_from_features(feats, **kw)[frame])
            first = verts if first is None else first
            mm = np.linalg.norm(verts - first, axis=1) * 1000.0
            t = np.clip(mm / 3.0, 0, 1)[:, None] * 0.6      # blue: moved vs the row's first tile
            t[eyes] = 0.0
            tinted = colors * (1 - t) + TINT[None] * t
            imgs.append(preview.render(verts, rig.faces, args.size, view, vertex_colors=tinted))
            labels.append(f"{label} {mm.max():.1f}mm")
    sheet = preview.contact_sheet(
        imgs, labels, cols=len(STEPS),
        title=f"{Path(args.clip).name} at {args.time:g} s, learned model: happy intensity; happy "
              "blended with surprised (share); [cond] as is, [moti] motion mixed (default)")
    preview.save_png(args.out, sheet)
    print(f"{args.out}: {sheet.shape[1]}x{sheet.shape[0]}, {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
