#!/usr/bin/env python
"""PocketSphinx's default word search vs Parley's faster settings (``WORD_SEARCH``), A/B on the
figures that matter: recognition time, frame phone agreement and bilabial recall against the
corpus's exact phone timings, and the learned model's bilabial closure (with and without the lip
seal) when fed each recogniser's phones. Held-out corpus voice only (no real recordings: the
settings are chosen here, real speech is scored afterwards by eval_real_speech.py).

usage: compare_recognizer_settings.py [--checkpoint core/model/default] [--corpus data/corpus]
                                      [--items 60] [--template ../shared/flame/FLAME_template.ply]
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


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default=str(ROOT / "core" / "model" / "default"))
    ap.add_argument("--corpus", default="data/corpus")
    ap.add_argument("--items", type=int, default=60)
    ap.add_argument("--template", default=str(ROOT.parent / "shared" / "flame" / "FLAME_template.ply"))
    ap.add_argument("--settings", default="pocketsphinx_default,parley_word_search",
                    help="comma list of: pocketsphinx_default, parley_word_search, fwdflat_topn2")
    ap.add_argument("--json")
    args = ap.parse_args()
    import pocketsphinx
    from core.alignment import recognize_phones
    from core.alignment import sphinx as sx
    from core.corpus import load_item
    from core.evaluation.lips import bilabial_closure_rate
    from core.evaluation.report import mouth_measures
    from core.lip_seal import seal_bilabials
    from core.model.data import load_records
    from core.model.numpy_runtime import NumpyParley
    from core.phones import BILABIALS, PHONE_INDEX, frame_labels
    from core.rig import FlameRig

    model = NumpyParley.from_pretrained(args.checkpoint)
    rig = FlameRig.from_ply(args.template)
    recs = load_records(args.corpus, "test")[:args.items]
    items = [load_item(args.corpus, r, with_audio=True, with_motion=False) for r in recs]
    audio_s = sum(len(i.samples) for i in items) / 16000
    bil = [PHONE_INDEX[p] for p in BILABIALS]
    words, fast = sx._decoder("words"), sx._decoder("words_fast")
    candidates = {"pocketsphinx_default": "words", "parley_word_search": None,
                  "fwdflat_topn2": dict(bestpath=False, topn=2, maxhmmpf=3000, maxwpf=10)}
    settings = {k: (fast if kw is None else words if kw == "words" else
                    pocketsphinx.Decoder(samprate=16000, loglevel="FATAL", **kw))
                for k, kw in candidates.items() if k in args.settings.split(",")}
    res = {"items": len(items), "audio_s": audio_s, "settings": sx.FAST_WORD_SEARCH}
    try:
        for name, dec in settings.items():
            sx._decoders["words"] = dec
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                hyps = [recognize_phones(it.samples) for it in items]
            secs = time.perf_counter() - t0
            acc, rec_b, events, closed, closed_seal = [], [], 0, 0, 0
            for it, hyp in zip(items, hyps):
                n = int(round(len(it.samples) / 16000 * 30))
                a = np.asarray(frame_labels(hyp, n, 30.0))
                b = np.asarray(frame_labels(it.segments, n, 30.0))
                acc.append(float((a == b)[b != 0].mean()))
                if np.isin(b, bil).any():
                    rec_b.append(float(np.isin(a[np.isin(b, bil)], bil).mean()))
                w = model.motion_from_features(model.frontend.features(it.samples, n, segments=hyp),
                                               "neutral", 0.0)
                for k, take in (("raw", w), ("seal", seal_bilabials(w, hyp, 30.0))):
                    gap, _, _ = mouth_measures(30.0, take, rig=rig)
                    r = bilabial_closure_rate(gap, it.segments, 30.0)
                    if k == "raw":
                        events, closed = events + r.events, closed + r.closed
                    else:
                        closed_seal += r.closed
            res[name] = {"recognition_s_per_audio_min": secs / audio_s * 60,
                         "frame_phone_acc": float(np.mean(acc)), "bilabial_recall": float(np.mean(rec_b)),
                         "closure": closed / max(events, 1), "closure_with_seal": closed_seal / max(events, 1),
                         "events": events}
            print(name, json.dumps(res[name]), flush=True)
    finally:
        sx._decoders["words"] = words
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1) + "\n")


if __name__ == "__main__":
    main()
