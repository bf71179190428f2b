#!/usr/bin/env python
"""Whole-file vs chunked phone recognition of long recordings: accuracy (prints figures).

Two long recordings: the corpus's held-out test items joined with 0.4 s pauses (truth: the
corpus phones) and the real LibriVox chapter in ../shared/speech (truth: forced alignment of its
transcript). For each chunk length (``none`` = whole file): frame phone and viseme accuracy
over speech frames, and bilabial (P/B/M) recall within 50 ms with the false bilabials counted.
Chunked results are computed in this process (identical with any number of helpers).

    OMP_NUM_THREADS=1 PYTHONPATH=. .venv/bin/python scripts/compare_chunked_recognition.py none,15,30
"""
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.alignment import align_long                     # noqa: E402
from core.alignment.sphinx import recognize_phones        # noqa: E402
from core.audio import load_audio                         # noqa: E402
from core.corpus import load_item                         # noqa: E402
from core.corpus.dataset import load_phones               # noqa: E402
from core.model.data import load_records                  # noqa: E402
from core.phones import BILABIALS, PHONE_TO_VISEME, PhoneSegment  # noqa: E402

CORPUS = "data/corpus"
LIBRIVOX = ROOT.parent / "shared" / "speech" / "threelittlekittens_01_rountreesmith"


def labels(segs, n):
    out = np.full(n, "SIL", object)
    for s in segs:
        out[int(round(s.start * 100)):int(round(s.end * 100))] = s.phone
    return out


def bilabials(truth, hyp):
    ev = [s for s in truth if s.phone in BILABIALS]
    hy = [s for s in hyp if s.phone in BILABIALS]
    hit = sum(any(h.start < e.end + 0.05 and h.end > e.start - 0.05 for h in hy) for e in ev)
    false = sum(not any(e.start < h.end + 0.05 and e.end > h.start - 0.05 for e in ev) for h in hy)
    return hit / max(1, len(ev)), len(ev), false


def score(name, truth, hyp, duration, seconds):
    n = int(duration * 100)
    t, h = labels(truth, n), labels(hyp, n)
    sp = t != "SIL"
    vis = np.vectorize(PHONE_TO_VISEME.get)
    rec, events, false = bilabials(truth, hyp)
    print(f"{name}: phone {np.mean(h[sp] == t[sp]):.4f} viseme {np.mean(vis(h[sp]) == vis(t[sp])):.4f} "
          f"bilabial recall {rec:.4f} of {events} ({false} false) [{seconds:.0f} s]", flush=True)


def heldout_stream(items: int = 60):
    recs = load_records(CORPUS, "test")[:items]
    parts, truth, t = [], [], 0.0
    gap = np.zeros(int(0.4 * 16000), np.float32)
    for r in recs:
        x = load_item(CORPUS, r, with_audio=True, with_motion=False).samples.astype(np.float32)
        truth += [PhoneSegment(s.phone, s.start + t, s.end + t)
                  for s in load_phones(Path(CORPUS) / r["phones"])]
        parts += [x, gap]
        t += (len(x) + len(gap)) / 16000
    return np.concatenate(parts), truth


def main():
    chunks = [None if c == "none" else float(c) for c in (sys.argv[1] if len(sys.argv) > 1
                                                          else "none,15").split(",")]
    sets = []
    if Path(CORPUS, "manifest.jsonl").is_file():
        sets.append(("held-out stream", *heldout_stream()))
    if LIBRIVOX.with_suffix(".ogg").is_file():
        x = load_audio(str(LIBRIVOX.with_suffix(".ogg"))).samples
        sets.append(("LibriVox", x, align_long(x, LIBRIVOX.with_suffix(".txt").read_text()).phones))
    for name, x, truth in sets:
        d = len(x) / 16000
        for cs in chunks:
            t = time.perf_counter()
            hyp = recognize_phones(x, chunk_s=cs, workers=1)
            score(f"{name} ({d:.0f} s) chunk {cs or 'whole'}", truth, hyp, d, time.perf_counter() - t)


if __name__ == "__main__":
    main()
