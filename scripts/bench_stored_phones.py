#!/usr/bin/env python
"""A take of audio whose phone timings were stored with an earlier take (the .blend path:
``action["parley_phones"]`` -> ``core.engine.remember_phones``) against a first take that
recognises them, in the same run, for both engines. Prints figures; not a test.

    OMP_NUM_THREADS=1 .venv/bin/python scripts/bench_stored_phones.py [seconds=60]
"""
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_inference import speech_audio                          # noqa: E402
from core.engine import PHONE_CACHE, audio_digest, generate_take, remember_phones  # noqa: E402


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
    x = speech_audio(seconds, str(ROOT.parent / "shared" / "speech"))
    print(f"{seconds:g} s of real speech (looped), {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    for engine in ("choreography", "learned"):
        PHONE_CACHE.clear()
        t = time.perf_counter()
        first = generate_take(x, fps=24, engine=engine, threads=2)
        t_first = time.perf_counter() - t
        # what a later take does: read the stored JSON back, check the digest, seed the cache
        stored = json.dumps({"audio": first.audio_digest,
                             "segments": [[p.phone, p.start, p.end] for p in first.segments]})
        PHONE_CACHE.clear()
        t = time.perf_counter()
        rec = json.loads(stored)
        assert rec["audio"] == audio_digest(x)
        remember_phones(x, rec["segments"])
        again = generate_take(x, fps=24, engine=engine, threads=2)
        t_again = time.perf_counter() - t
        same = bool((again.weights == first.weights).all())
        print(f"{engine:13s} first take {t_first:6.2f} s | from stored phones {t_again:5.2f} s "
              f"({t_first / t_again:.1f}x faster) | identical curves: {same} | "
              f"stored JSON {len(stored) / 1024:.0f} KB")


if __name__ == "__main__":
    main()
