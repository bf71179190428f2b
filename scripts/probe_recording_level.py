"""Is phone recognition independent of the recording level? Each clip is recognised at its own
level, then scaled down by 20, 40 and 50 dB and recognised again, with and without Parley's
working-level boost (``core.alignment.sphinx.working_level``); prints the frame agreement of
every quieter copy with the clip's own recognition, and how many P/B/M it keeps.

A recording made at low gain is still ordinary speech: the phones, hence the closures, must
not change. Clips: the first ``--seconds`` of each given file, plus held-out corpus items (the
synthetic test voice) when ``--corpus`` is given.

    PYTHONPATH=. .venv/bin/python scripts/probe_recording_level.py ../shared/speech/*.wav \
        ../shared/speech/*.ogg --corpus data/corpus --items 6
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import core.alignment.sphinx as sphinx  # noqa: E402
from core.alignment import phone_overlap_accuracy, recognize_phones  # noqa: E402
from core.audio import load_audio  # noqa: E402
from core.phones import BILABIALS  # noqa: E402

GAINS_DB = (-20.0, -40.0, -50.0)


def _clips(args):
    for f in args.files:
        x = load_audio(f).samples[: int(args.seconds * 16000)]
        yield Path(f).name, x
    if args.corpus:
        from core.corpus.dataset import load_item, load_manifest
        for rec in load_manifest(args.corpus, "test")[: args.items]:
            yield rec["id"], load_item(args.corpus, rec, with_motion=False).samples


def _bilabials(segs) -> int:
    return sum(s.phone in BILABIALS for s in segs)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="*")
    ap.add_argument("--corpus")
    ap.add_argument("--items", type=int, default=6)
    ap.add_argument("--seconds", type=float, default=60.0)
    args = ap.parse_args(argv)
    boost = sphinx.MAX_BOOST
    totals = {}
    print(f"{'clip':40s} {'gain':>6s} {'peak':>7s} {'no boost':>9s} {'boost':>7s}   P/B/M ref/no/boost")
    for name, x in _clips(args):
        ref = recognize_phones(x)
        for g in GAINS_DB:
            y = (x * 10 ** (g / 20)).astype(np.float32)
            row = []
            for b in (1.0, boost):              # MAX_BOOST 1 = no gain added (the old behaviour)
                sphinx.MAX_BOOST = b
                segs = recognize_phones(y)
                row.append((phone_overlap_accuracy(ref, segs), _bilabials(segs)))
            sphinx.MAX_BOOST = boost
            for key, (acc, _) in zip(("no boost", "boost"), row):
                totals.setdefault((g, key), []).append(acc)
            print(f"{name[:40]:40s} {g:6.0f} {np.abs(y).max():7.4f} {row[0][0]:9.3f} {row[1][0]:7.3f}"
                  f"   {_bilabials(ref)}/{row[0][1]}/{row[1][1]}", flush=True)
    print("mean agreement with the clip's own-level recognition:")
    for g in GAINS_DB:
        print(f"  {g:4.0f} dB: no boost {np.mean(totals[(g, 'no boost')]):.3f}, "
              f"boost {np.mean(totals[(g, 'boost')]):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
