#!/usr/bin/env python
"""Benchmark first-take phone recognition of long recordings (prints figures; not a test).

In one run, on the same audio (real speech from --speech looped to length, else festival):
  * ``whole``: the recording decoded as one utterance (``recognize_phones(chunk_s=None)``, what
    Parley did before chunking),
  * ``chunked, 1 process``: cut at pauses into <= 15 s chunks, decoded one after another here,
  * ``chunked, N processes``: the same chunks over N helper processes (``core.alignment.workers``;
    the result is identical to 1 process, checked),
and the ratios against ``whole``. Helper start-up (~1 s, paid once per Blender session) is
timed separately: the pool is warmed on 20 s first.

    .venv/bin/python scripts/bench_recognition.py --seconds 60 600
"""
from __future__ import annotations

import argparse
import datetime
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_inference import cpu_name, speech_audio  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--speech", default=str(ROOT.parent / "shared" / "speech"))
    ap.add_argument("--seconds", type=float, nargs="+", default=[60.0, 600.0])
    ap.add_argument("--workers", type=int, default=None, help="default: one per core, up to 4")
    args = ap.parse_args()

    from core.alignment import recognize_phones
    from core.alignment.workers import default_workers, pool

    n = args.workers or default_workers()
    print(f"# {datetime.date.today()} {cpu_name()} ({platform.machine()}), "
          f"python {platform.python_version()}, {n} helper processes")
    t = time.perf_counter()
    x = speech_audio(20.0, args.speech)
    recognize_phones(x, chunk_s=5.0, workers=n)             # starts and warms the helpers
    print(f"helper start + warm-up: {time.perf_counter() - t:.2f} s")
    for secs in args.seconds:
        x = speech_audio(secs, args.speech)
        t = time.perf_counter(); whole = recognize_phones(x, chunk_s=None); tw = time.perf_counter() - t
        t = time.perf_counter(); one = recognize_phones(x, workers=1); t1 = time.perf_counter() - t
        t = time.perf_counter(); many = recognize_phones(x, workers=n); tn = time.perf_counter() - t
        print(f"{secs:6.0f} s of speech: whole {tw:7.2f} s | chunked, 1 process {t1:7.2f} s "
              f"({tw / t1:.2f}x) | chunked, {n} processes {tn:7.2f} s ({tw / tn:.2f}x; "
              f"{secs / tn:.1f}x real time) | identical: {one == many} | "
              f"phones whole/chunked {len(whole)}/{len(one)}")
    pool().close()


if __name__ == "__main__":
    main()
