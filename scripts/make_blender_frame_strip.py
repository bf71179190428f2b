#!/usr/bin/env python3
"""Render a frame strip of Parley in real Blender: real speech on the FLAME sample head.

    .venv/bin/python scripts/make_blender_frame_strip.py --zip dist/parley-0.1.0-linux_x64.zip \
        [--bpy 5.0] [--clip en_male_watchingtv.ogg] [--out docs/blender_frame_strip.png]

Installs the zip into a temporary Blender profile (bpy wheel venv), generates a take with the
Generate operator (sound strip at frame 1, 30 fps), renders six frames picked at phones of the
forced-aligned transcript with Workbench, and tiles them with the phone under each frame.
Needs ../shared (FLAME sample head and speech), like the Blender tests.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.blender.harness import bpy_python, run_script  # noqa: E402
from tests.conftest import SHARED_DIR  # noqa: E402

TRANSCRIPTS = {"en_male_watchingtv.ogg": "i was watching tv at home when someone came to the door"}
WANTED = ["AY", "AA", "CH", "M", "OW", "AO"]  # I, wAtching, watCHing, hoMe, hOme, dOOr
STRIP_FRAME, FPS = 1, 30


def pick_frames(clip: Path, transcript: str):
    from core.alignment import align
    from core.audio import load_audio
    segs = align(load_audio(clip).samples, transcript)
    picks, used = [], set()
    for want in WANTED:
        for i, s in enumerate(segs):
            if s.phone == want and i not in used:
                used.add(i)
                mid = 0.5 * (s.start + s.end)
                picks.append((STRIP_FRAME + int(mid * FPS), want, mid))
                break
    return sorted(picks)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--zip", required=True, help="built extension zip (linux-x64)")
    ap.add_argument("--bpy", default="5.0", choices=("4.5", "5.0"))
    ap.add_argument("--clip", default="en_male_watchingtv.ogg")
    ap.add_argument("--out", default=str(REPO / "docs" / "blender_frame_strip.png"))
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--no-transcript", action="store_true",
                    help="leave the panel's Transcript empty: phones recognised from the audio")
    args = ap.parse_args(argv)
    python = bpy_python(args.bpy)
    if python is None:
        print(f"no bpy {args.bpy} venv: run scripts/setup.sh", file=sys.stderr)
        return 2
    clip = SHARED_DIR / "speech" / args.clip
    transcript = TRANSCRIPTS.get(args.clip, "")
    picks = pick_frames(clip, transcript)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        profile = tmp / "profile"
        profile.mkdir()
        rep = run_script(python, "install_extension.py", Path(args.zip).resolve(),
                         user_resources=profile)
        if rep.get("install_result") != ["FINISHED"]:
            print(f"install failed: {rep}", file=sys.stderr)
            return 1
        spec = {"head": "flame", "ply": str(SHARED_DIR / "flame" / "FLAME_sample.ply"),
                "speech": str(clip), "fps": FPS, "frame_start": 1, "frame_end": 250,
                "strip_frame": STRIP_FRAME, "emotion": "neutral", "intensity": 1.0,
                "emotion2": "neutral", "transcript": "" if args.no_transcript else transcript,
                "render_frames": [f for f, _, _ in picks], "engine": "BLENDER_WORKBENCH",
                "size": args.size}
        (tmp / "spec.json").write_text(json.dumps(spec))
        r = run_script(python, "generate_take.py", tmp / "spec.json", tmp, user_resources=profile,
                       timeout=900)
        if "exception" in r:
            print(r["exception"], file=sys.stderr)
            return 1
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.image import imread

        n = len(picks)
        fig, axes = plt.subplots(1, n, figsize=(2.2 * n, 2.75), dpi=100)
        for ax, (frame, phone, t), path in zip(axes, picks, r["renders"]):
            ax.imshow(imread(path))
            ax.set_title(f"/{phone}/  frame {frame}  ({t:.2f} s)", fontsize=8)
            ax.axis("off")
        info = r["take_1"]["info"]
        qa = info.get("qa", {})
        fig.suptitle(f"Parley in Blender {r['blender']} ({r['render_engine']}): {args.clip} on the "
                     f"FLAME sample head, {info['engine']}, phones {info.get('phones', '?')}; closure "
                     f"{qa.get('bilabial_closure_rate', float('nan')):.0%}, "
                     f"A/V lag {round(qa.get('av_lag_ms', float('nan'))) + 0:d} ms", fontsize=8)
        fig.tight_layout()
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(args.out)
        print(f"wrote {args.out} ({Path(args.out).stat().st_size / 1e3:.0f} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
