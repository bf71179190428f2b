#!/usr/bin/env python
"""Lattice bilabial rescue (core.alignment.bilabial_rescue) at several posterior thresholds vs the
best path alone, on the held-out corpus voice, where the exact phones are known.

For each utterance the word decode runs once; its lattice is then rescued at every threshold.
Figures per setting: bilabial events of the truth covered by an input bilabial (recall),
inserted bilabials that match a true one within 80 ms (precision of the additions), wrong
insertions per minute, input bilabial events with no true one near (per minute, best path's
own errors included), and the learned model's bilabial closure without and with the lip seal
(neutral, numpy runtime), all against the corpus's own phone timings. The threshold is chosen
here; real recordings are scored afterwards, with the chosen setting only, by eval_real_speech.py.

usage: compare_bilabial_rescue.py [--items 80] [--thresholds 0.1,0.2,0.3,0.5]
                                  [--checkpoint core/model/default] [--corpus data/corpus] [--json OUT]
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


def events_of(segments):
    """[(start, burst)] of consecutive P/B/M runs."""
    from core.phones import BILABIALS
    ev = []
    for s in segments:
        if s.phone not in BILABIALS:
            continue
        if ev and abs(ev[-1][1] - s.start) < 1e-6:
            ev[-1] = (ev[-1][0], s.end)
        else:
            ev.append((s.start, s.end))
    return ev


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default=str(ROOT / "core" / "model" / "default"))
    ap.add_argument("--corpus", default="data/corpus")
    ap.add_argument("--items", type=int, default=80)
    ap.add_argument("--skip", type=int, default=0, help="start at this held-out item")
    ap.add_argument("--thresholds", default="0.1,0.2,0.3,0.5")
    ap.add_argument("--template", default=str(ROOT.parent / "shared" / "flame" / "FLAME_template.ply"))
    ap.add_argument("--json")
    args = ap.parse_args()
    from core.alignment import recognize_phones
    from core.alignment import sphinx as sx
    from core.alignment.bilabial_rescue import rescue_bilabials
    from core.alignment.lattice import decoder_lattice
    from core.corpus import load_item
    from core.evaluation.lips import bilabial_closure_rate
    from core.evaluation.report import mouth_measures
    from core.lip_seal import seal_bilabials
    from core.model.data import load_records
    from core.model.numpy_runtime import NumpyParley
    from core.rig import FlameRig

    model = NumpyParley.from_pretrained(args.checkpoint)
    rig = FlameRig.from_ply(args.template)
    recs = load_records(args.corpus, "test")[args.skip:args.skip + args.items]
    thresholds = [float(t) for t in args.thresholds.split(",")]
    settings = ["best path"] + [f"rescue {t:g}" for t in thresholds]
    acc = {k: dict(events=0, covered=0, added=0, added_ok=0, inputs=0, inputs_wrong=0, closed=0,
                   closed_seal=0, secs=0.0)
           for k in settings}
    audio_s = 0.0
    dec_s = 0.0
    for i, rec in enumerate(recs):
        it = load_item(args.corpus, rec, with_audio=True, with_motion=False)
        x = it.samples
        audio_s += len(x) / 16000
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            best = recognize_phones(x)
        dec = sx._decoder("words")
        arcs = decoder_lattice(dec, min_prob=min(thresholds) / 4)
        pron = {a.dict_key: dec.lookup_word(a.dict_key) for a in arcs}
        dec_s += time.perf_counter() - t0
        truth = events_of(it.segments)
        n = int(round(len(x) / 16000 * 30))
        for k in settings:
            t1 = time.perf_counter()
            if k == "best path":
                segs, added = best, []
            else:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    segs, added = rescue_bilabials(x, best, arcs, pron.get, float(k.split()[1]))
            a = acc[k]
            a["secs"] += time.perf_counter() - t1
            inp = events_of(segs)
            a["events"] += len(truth)
            # a true event is covered when an input bilabial overlaps its last 80 ms (+40 ms)
            a["covered"] += sum(any(s < b + 0.04 and e > b - 0.08 for s, e in inp) for _, b in truth)
            a["inputs"] += len(inp)     # every input bilabial event, and those with no true one near
            a["inputs_wrong"] += sum(not any(s < b + 0.08 and e > b - 0.12 for _, b in truth)
                                     for s, e in inp)
            a["added"] += len(added)
            a["added_ok"] += sum(any(abs(ad.end - b) < 0.08 or (ad.start < b and ad.end > s)
                                     for s, b in truth) for ad in added)
            w = model.motion_from_features(model.frontend.features(x, n, segments=segs), "neutral", 0.0)
            for seal, take in ((False, w), (True, seal_bilabials(w, segs, 30.0))):
                gap, _, _ = mouth_measures(30.0, take, rig=rig)
                r = bilabial_closure_rate(gap, it.segments, 30.0)
                a["closed_seal" if seal else "closed"] += r.closed
        if (i + 1) % 10 == 0:
            print(f"{i + 1}/{len(recs)}", " | ".join(
                f"{k}: {acc[k]['closed_seal'] / max(acc[k]['events'], 1):.1%}" for k in settings), flush=True)
    res = {"items": len(recs), "audio_s": audio_s, "decode_s_per_audio_min": dec_s / audio_s * 60}
    for k in settings:
        a = acc[k]
        res[k] = {"event_recall": a["covered"] / max(a["events"], 1),
                  "added": a["added"], "added_precision": a["added_ok"] / a["added"] if a["added"] else None,
                  "wrong_added_per_min": (a["added"] - a["added_ok"]) / audio_s * 60,
                  "input_bilabials": a["inputs"],
                  "wrong_input_bilabials_per_min": a["inputs_wrong"] / audio_s * 60,
                  "closure": a["closed"] / max(a["events"], 1),
                  "closure_with_seal": a["closed_seal"] / max(a["events"], 1),
                  "events": a["events"], "rescue_s_per_audio_min": a["secs"] / audio_s * 60}
        print(k, json.dumps(res[k]), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1) + "\n")


if __name__ == "__main__":
    main()
