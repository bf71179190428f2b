#!/usr/bin/env python
"""Which engine should "auto" pick? Both engines through the product path
(``core.engine.generate_take``), same audio, same phone source, same run.

Real recordings (../shared/speech, forced-aligned transcripts as the reference) and held-out
corpus utterances (their exact phone timings as the reference), each scored with
``core.evaluation.evaluate_take`` on the FLAME template: bilabial closure, silent rest, A/V lag
and loudness-aperture r, under several emotions (the learned model with its default lip seal).

usage: compare_engines.py --phones transcript|recognised [--items 30] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

KEYS = ("bilabial_closure_rate", "bilabial_events", "silent_rest_rate", "av_lag_ms",
        "loudness_aperture_r")
EMOTIONS = ("neutral", "happy", "sad", "angry")


def clips(args):
    from core.alignment import align_long
    from core.audio import load_audio
    from core.model.evaluate import read_transcripts
    speech = ROOT.parent / "shared" / "speech"
    for name, text in read_transcripts(speech).items():
        x = load_audio(speech / name).samples
        yield "real", name, x, text, align_long(x, text).phones
    from core.corpus import load_item
    from core.model.data import load_records
    recs = load_records(args.corpus, "test")[:args.items]
    for r in recs:
        it = load_item(args.corpus, r, with_audio=True, with_motion=False)
        yield "held-out", r["id"], it.samples, r["text"], it.segments


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--phones", choices=("transcript", "recognised"), required=True)
    ap.add_argument("--corpus", default="data/corpus")
    ap.add_argument("--items", type=int, default=30)
    ap.add_argument("--template", default=str(ROOT.parent / "shared" / "flame" / "FLAME_template.ply"))
    ap.add_argument("--json")
    args = ap.parse_args()
    from core.engine import MODEL_FPS, generate_take
    from core.evaluation import evaluate_take
    from core.rig import FlameRig
    rig = FlameRig.from_ply(args.template)
    rows = []
    warnings.simplefilter("ignore")
    for group, name, x, text, reference in clips(args):
        for engine in ("choreography", "learned"):
            for emotion in EMOTIONS:
                t = time.perf_counter()
                take = generate_take(x, fps=MODEL_FPS, engine=engine, emotion=emotion,
                                     intensity=0.0 if emotion == "neutral" else 1.0, threads=2,
                                     transcript=text if args.phones == "transcript" else None)
                m = evaluate_take(take.weights30, MODEL_FPS, reference, x, rig=rig)
                row = {"group": group, "clip": name, "engine": engine, "emotion": emotion,
                       "seconds": time.perf_counter() - t,
                       **{k: (None if m.get(k) is None or not np.isfinite(m[k]) else float(m[k]))
                          for k in KEYS}}
                rows.append(row)
        print(group, name, [(r["engine"][:5], r["emotion"][:3], r["bilabial_closure_rate"],
                             r["loudness_aperture_r"] and round(r["loudness_aperture_r"], 2))
                            for r in rows[-2 * len(EMOTIONS):]], flush=True)
    summary = summarise(rows)
    print(json.dumps(summary, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps({"phones": args.phones, "rows": rows,
                                               "summary": summary}, indent=1) + "\n")


def summarise(rows) -> dict:
    """Per group and engine: closure pooled over events, rest and lag ranges, r per real clip,
    and the closure spread across emotions."""
    out = {}
    for group in ("real", "held-out"):
        for engine in ("choreography", "learned"):
            sel = [r for r in rows if r["group"] == group and r["engine"] == engine]
            if not sel:
                continue
            per_emotion = {}
            for e in EMOTIONS:
                rs = [r for r in sel if r["emotion"] == e and r["bilabial_events"]]
                ev = sum(r["bilabial_events"] for r in rs)
                closed = sum(r["bilabial_closure_rate"] * r["bilabial_events"] for r in rs)
                per_emotion[e] = closed / ev if ev else None
            rest = [r["silent_rest_rate"] for r in sel if r["silent_rest_rate"] is not None]
            lag = [r["av_lag_ms"] for r in sel if r["av_lag_ms"] is not None]
            neutral = [r for r in sel if r["emotion"] == "neutral"]
            s = {"closure_per_emotion": per_emotion,
                 "silent_rest_min": min(rest) if rest else None,
                 "lag_ms_range": [min(lag), max(lag)] if lag else None,
                 "seconds": sum(r["seconds"] for r in sel)}
            if group == "real":
                s["loudness_r_neutral"] = {r["clip"]: r["loudness_aperture_r"] for r in neutral}
            else:
                rr = [r["loudness_aperture_r"] for r in neutral if r["loudness_aperture_r"] is not None]
                s["loudness_r_neutral_mean"] = float(np.mean(rr)) if rr else None
            out[f"{group}/{engine}"] = s
    return out


if __name__ == "__main__":
    main()
