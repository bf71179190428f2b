"""How strongly the choreography's jaw follows the voice's loudness, per setting of
``ChoreographyOptions.loudness_relative``, measured on corpus *training* voices only.

For each sampled train-split item: animate its stored phones + talker loudness (neutral, the
corpus's own seed) once per gain, put the weights on the FLAME template rig and score the
inner-lip gap against the frame loudness of the item's own audio with
``core.evaluation.loudness_aperture_correlation`` (speech frames; also outside P/B/M). Prints
the median r per voice and overall, and the mean open-vowel gap so a stronger coupling that
merely widens every vowel shows up. Real recordings are never read: the setting is chosen on
synthetic training voices, and real speech only checks it afterwards.

    PYTHONPATH=. .venv/bin/python scripts/measure_loudness_coupling.py data/corpus \
        ../shared/flame/FLAME_template.ply --items 150 --gains 0.35 0.6 0.9
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from core.choreography import animate  # noqa: E402
from core.corpus.dataset import load_item, load_manifest  # noqa: E402
from core.evaluation import (frame_loudness_db, loudness_aperture_correlation,  # noqa: E402
                             mouth_measures, speech_mask)
from core.evaluation.signals import phone_frames  # noqa: E402
from core.phones import BILABIALS, VOWELS  # noqa: E402
from core.rig import FlameRig  # noqa: E402

FPS = 30.0


def _records(corpus) -> list[dict]:
    """The manifest, or while a build is still running its per-item records."""
    if (Path(corpus) / "manifest.jsonl").is_file():
        return load_manifest(corpus)
    return [json.loads(p.read_text()) for p in sorted((Path(corpus) / "items").glob("*.json"))]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus")
    ap.add_argument("template")
    ap.add_argument("--items", type=int, default=150)
    ap.add_argument("--gains", type=float, nargs="+", default=[0.35, 0.6, 0.9])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--split", default="train", choices=("train", "val", "test"),
                    help="test = the held-out voice (still synthetic: never the real recordings)")
    ap.add_argument("--json")
    args = ap.parse_args(argv)

    rig = FlameRig.from_ply(args.template)
    recs = [r for r in _records(args.corpus) if r["split"] == args.split
            and (Path(args.corpus) / r["motion"]).is_file()]
    rng = np.random.default_rng(args.seed)
    recs = [recs[i] for i in sorted(rng.choice(len(recs), min(args.items, len(recs)), replace=False))]
    rows = []
    for rec in recs:
        item = load_item(args.corpus, rec)
        data = json.loads((Path(args.corpus) / rec["phones"]).read_text())
        talker = np.asarray(data["loudness_db"], np.float32)
        T = item.num_frames
        loud = frame_loudness_db(item.samples, item.sample_rate, FPS, num_frames=T)
        speech = speech_mask(item.segments, T, FPS)
        open_speech = speech & ~phone_frames(item.segments, BILABIALS, T, FPS)
        vowel = phone_frames(item.segments, VOWELS, T, FPS)
        for g in args.gains:
            w = animate(item.segments, rec["duration"], fps=FPS, loudness=talker,
                        seed=rec["augment"]["seed"], options={"loudness_relative": g})
            gap = mouth_measures(FPS, w, rig)[0]
            rows.append({"voice": rec["voice"], "gain": g,
                         "r": loudness_aperture_correlation(loud, gap, mask=speech),
                         "r_open": loudness_aperture_correlation(loud, gap, mask=open_speech),
                         "vowel_gap_mm": float(gap[vowel].mean()) if vowel.any() else float("nan")})
    by = defaultdict(list)
    for row in rows:
        by[(row["voice"], row["gain"])].append(row)
    voices = sorted({r["voice"] for r in rows})
    print(f"{len(recs)} {args.split} items, {len(voices)} voices; median r (speech frames) per gain")
    print("voice".ljust(28) + "".join(f"{g:>10.2f}" for g in args.gains))
    for v in voices + ["ALL"]:
        cells = []
        for g in args.gains:
            sel = [r for r in rows if r["gain"] == g and (v == "ALL" or r["voice"] == v)]
            cells.append(np.nanmedian([r["r"] for r in sel]))
        print(v.ljust(28) + "".join(f"{c:>10.2f}" for c in cells))
    for key, label in (("r_open", "median r outside P/B/M"), ("vowel_gap_mm", "mean vowel gap mm")):
        print(label.ljust(28) + "".join(
            f"{np.nanmedian([r[key] for r in rows if r['gain'] == g]):>10.2f}" for g in args.gains))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
