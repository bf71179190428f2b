#!/usr/bin/env python
"""How Intensity and emotion blends act on the learned model: stepwise or linear?

For held-out corpus utterances (test split: the held-out voice and sentences) this decodes every
emotion at intensities 0.1 .. 0.9 and three blends of two emotions at shares 25/50/75 %, once
with the condition vector fed to the network as it is (``mix="condition"``, EMOTE's form) and
once with the motion of the trained conditions mixed (``mix="motion"``, the default since
2026-12-02). For each it reports where the upper-face motion lies on the line from the first
condition to the second (projection ``t``: 0 = first, 1 = second; a linear control gives
``t`` = the requested intensity or share), and the lip figures (bilabial closure, LVE against
the corpus's ground truth at the trained intensity 0.5) so a change of control never costs lip
sync.

usage: measure_emotion_control.py [--items N] [--out docs/emotion_control.json]
"""
import sys as _sys
from pathlib import Path as _Path
_sys.path.insert(0, str(_Path(__file__).resolve().parents[1]))

import argparse
import json
import time
from pathlib import Path

import numpy as np

from core.arkit import ARKIT_NAMES
from core.corpus.dataset import load_phones
from core.emotions import EMOTIONS
from core.evaluation import evaluate_take, lip_vertex_error, rig_lip_tables
from core.model.data import load_records, prepare_features
from core.model.frontends.base import load_audio_16k
from core.model.numpy_runtime import NumpyParley
from core.rig import FlameRig

ROOT = Path(__file__).resolve().parents[1]
UPPER = [i for i, n in enumerate(ARKIT_NAMES)
         if n.startswith(("brow", "eye", "cheek", "mouthSmile", "mouthFrown", "noseSneer"))]
LEVELS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
PAIRS = (("happy", "sad"), ("angry", "surprised"), ("fearful", "disgusted"))
SHARES = (0.25, 0.5, 0.75)


def projection(m, a, b) -> float:
    """Where ``m`` lies on the line a -> b, in the upper-face shapes (0 = a, 1 = b)."""
    v = (b - a)[:, UPPER].ravel()
    return float(((m - a)[:, UPPER].ravel() @ v) / max(float(v @ v), 1e-12))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default=str(ROOT / "data" / "corpus"))
    ap.add_argument("--checkpoint", default=str(ROOT / "core" / "model" / "default"))
    ap.add_argument("--template", default=str(ROOT.parent / "shared" / "flame" / "FLAME_template.ply"))
    ap.add_argument("--items", type=int, default=12)
    ap.add_argument("--out", default=str(ROOT / "docs" / "emotion_control.json"))
    args = ap.parse_args()
    t0 = time.perf_counter()
    model = NumpyParley.from_pretrained(args.checkpoint)
    rig = FlameRig.from_ply(args.template)
    _, lips = rig_lip_tables(rig)
    recs = load_records(args.corpus, "test")[:args.items]
    feats = prepare_features(args.corpus, model.frontend, recs, "transcript", progress=False)
    res = {mode: {"intensity_t": {e: {str(v): [] for v in LEVELS} for e in EMOTIONS[1:]},
                  "blend_t": {f"{a}+{b}": {str(s): [] for s in SHARES} for a, b in PAIRS},
                  "closure": [], "lve_mm_at_0.5": []} for mode in ("condition", "motion")}
    for n, rec in enumerate(recs):
        segs = load_phones(Path(args.corpus) / rec["phones"])
        x = load_audio_16k(Path(args.corpus) / rec["audio"])
        with np.load(Path(args.corpus) / rec["motion"]) as z:
            gts = {k: z[k].astype(np.float32) for k in z.files}
        f = feats[rec["id"]]
        T = min(len(f), len(gts["neutral@0.00"]))
        f = f[:T]
        for mode in ("condition", "motion"):
            r = res[mode]

            def dec(emotion, intensity=1.0):
                return model.motion_from_features(f, emotion, intensity, mix=mode)[:T]
            neutral = dec("neutral", 0.0)
            full = {e: dec(e) for e in EMOTIONS[1:]}
            for e in EMOTIONS[1:]:
                for v in LEVELS:
                    m = dec(e, v)
                    r["intensity_t"][e][str(v)].append(projection(m, neutral, full[e]))
                    r["closure"].append(evaluate_take(m, 30.0, segs, x, rig=rig)["bilabial_closure_rate"])
                    if v == 0.5:
                        r["lve_mm_at_0.5"].append(lip_vertex_error(
                            rig.apply(m), rig.apply(gts[f"{e}@0.50"][:T]), lips))
            for a, b in PAIRS:
                for s in SHARES:
                    m = dec({a: 1.0 - s, b: s})
                    r["blend_t"][f"{a}+{b}"][str(s)].append(projection(m, full[a], full[b]))
                    r["closure"].append(evaluate_take(m, 30.0, segs, x, rig=rig)["bilabial_closure_rate"])
        print(f"item {n + 1}/{len(recs)} ({time.perf_counter() - t0:.0f} s)", flush=True)

    def mean(v):
        v = [x for x in v if x is not None and np.isfinite(x)]
        return round(float(np.mean(v)), 4) if v else None
    summary = {}
    for mode, r in res.items():
        it = {v: mean([t for e in r["intensity_t"] for t in r["intensity_t"][e][str(v)]]) for v in LEVELS}
        bl = {f"{p}@{s}": mean(r["blend_t"][p][str(s)]) for p in r["blend_t"] for s in SHARES}
        summary[mode] = {
            "intensity_t (mean over 7 emotions)": it,
            "intensity max |t - requested|": round(max(abs(t - v) for v, t in it.items()), 3),
            "blend_t": bl,
            "blend max |t - share|": round(max(abs(t - float(k.split("@")[1])) for k, t in bl.items()), 3),
            "bilabial closure (all conditions)": mean(r["closure"]),
            "LVE mm at intensity 0.5 (vs corpus ground truth)": mean(r["lve_mm_at_0.5"]),
        }
    out = {"items": len(recs), "split": "test", "phone_source": "transcript",
           "checkpoint": str(Path(args.checkpoint).name), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
           "summary": summary}
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
