#!/usr/bin/env python
"""Do PocketSphinx's language-model weight / word insertion penalty hold the missed bilabials?

Audio-only lip closure is capped by how many bilabial phones (P, B, M) the word recogniser
finds. Its search balances acoustics against the bundled English language model with ``lw``
(language weight, default 6.5) and ``wip`` (word insertion penalty, default 0.65); a short word
such as "by", "me" or "up" that the language model finds unlikely is where a bilabial is lost.
This script decodes corpus utterances with each setting and scores the recognised phones
against the corpus's exact phone timings: bilabial event recall and precision (an event counts
if a recognised bilabial overlaps it within one 30 fps frame), frame phone agreement, and time.

The settings are compared on corpus voices only (``--split val``: training voices, sentences
not trained on; ``test``: the held-out voice); the real recordings are scored afterwards with
``scripts/eval_real_speech.py``, never used to choose.

usage: sweep_recognizer_weights.py --setting NAME[:key=value,...] [--split val] [--items 120]
       [--voice VOICE] [--json out.json]
  e.g. --setting default --setting lw4:lw=4.0 --setting wip2:wip=2.0
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

FRAME = 1.0 / 30.0


def parse_setting(text: str) -> tuple[str, dict]:
    """``name:key=value,...`` -> (name, decoder keyword arguments); values are ints, floats or
    (anything else, e.g. a dictionary path) strings."""
    name, _, rest = text.partition(":")
    kw = {}
    for part in filter(None, rest.split(",")):
        k, _, v = part.partition("=")
        v = v.strip()
        try:
            kw[k.strip()] = int(v) if v.lstrip("-").isdigit() else float(v)
        except ValueError:
            kw[k.strip()] = v
    return name, kw


def bilabial_events(segments) -> list[tuple[float, float]]:
    from core.phones import BILABIALS
    return [(s.start, s.end) for s in segments if s.phone in BILABIALS]


def matched(events, others, tol: float = FRAME) -> int:
    """How many of ``events`` overlap some interval of ``others`` within ``tol`` seconds."""
    return sum(any(a < d + tol and c < b + tol for c, d in others) for a, b in events)


def score(items, hyps) -> dict:
    from core.phones import frame_labels
    acc, n_true, n_found, n_hyp, n_hyp_ok = [], 0, 0, 0, 0
    for it, hyp in zip(items, hyps):
        n = int(round(len(it.samples) / 16000 * 30))
        a = np.asarray(frame_labels(hyp, n, 30.0))
        b = np.asarray(frame_labels(it.segments, n, 30.0))
        if (b != 0).any():
            acc.append(float((a == b)[b != 0].mean()))
        truth, found = bilabial_events(it.segments), bilabial_events(hyp)
        n_true += len(truth)
        n_found += matched(truth, found)
        n_hyp += len(found)
        n_hyp_ok += matched(found, truth)
    return {"frame_phone_acc": float(np.mean(acc)), "bilabial_events": n_true,
            "bilabial_recall": n_found / max(n_true, 1),
            "bilabial_precision": n_hyp_ok / max(n_hyp, 1), "recognised_bilabials": n_hyp}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default="data/corpus")
    ap.add_argument("--split", default="val")
    ap.add_argument("--voice", help="only this corpus voice (e.g. piper:joe)")
    ap.add_argument("--items", type=int, default=120)
    ap.add_argument("--setting", action="append", required=True,
                    help="NAME[:key=value,...] PocketSphinx decoder options; 'default' = none")
    ap.add_argument("--json")
    args = ap.parse_args()
    import pocketsphinx
    from core.alignment import recognize_phones
    from core.alignment import sphinx as sx
    from core.corpus import load_item
    from core.model.data import load_records

    recs = load_records(args.corpus, args.split)
    if args.voice:
        recs = [r for r in recs if r.get("voice") == args.voice]
    recs = recs[::max(1, len(recs) // args.items)][:args.items]   # spread over voices/sentences
    items = [load_item(args.corpus, r, with_audio=True, with_motion=False) for r in recs]
    audio_s = sum(len(i.samples) for i in items) / 16000
    res = {"split": args.split, "voice": args.voice, "items": len(items), "audio_s": audio_s}
    print(f"{len(items)} items, {audio_s / 60:.1f} min of audio", flush=True)
    saved = sx._decoders.get("words")
    try:
        for text in args.setting:
            name, kw = parse_setting(text)
            sx._decoders["words"] = pocketsphinx.Decoder(samprate=16000, loglevel="FATAL", **kw)
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                hyps = [recognize_phones(it.samples, workers=0) for it in items]
            out = {"options": kw, "s_per_audio_min": (time.perf_counter() - t0) / audio_s * 60,
                   **score(items, hyps)}
            res[name] = out
            print(name, json.dumps(out), flush=True)
    finally:
        if saved is None:
            sx._decoders.pop("words", None)
        else:
            sx._decoders["words"] = saved
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1) + "\n")


if __name__ == "__main__":
    main()
