#!/usr/bin/env python
"""End to end (audio -> curves, learned model, numpy runtime) with peak memory of this process
and of each recognition helper (prints figures; not a test). Linux (reads /proc for helpers).

    OMP_NUM_THREADS=1 .venv/bin/python scripts/bench_end_to_end_memory.py 600
"""
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_inference import speech_audio                 # noqa: E402
from core.alignment.workers import pool                  # noqa: E402
from core.engine import generate_take                    # noqa: E402


def helper_peak_kb(pid: int) -> str:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM"):
            return line.split(":", 1)[1].strip()
    return "?"


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 600.0
    x = speech_audio(seconds, str(ROOT.parent / "shared" / "speech"))
    t = time.perf_counter()
    take = generate_take(x, fps=24, emotion="happy", intensity=0.7, engine="learned",
                         model_path=str(ROOT / "core" / "model" / "default"), threads=2)
    dt = time.perf_counter() - t
    print(f"{seconds:g} s end to end (learned, numpy runtime): {dt:.1f} s; "
          f"timings {getattr(take, 'timings', '')}")
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    for w in pool()._workers:
        print(f"helper {w.proc.pid}: peak RSS {helper_peak_kb(w.proc.pid)}")


if __name__ == "__main__":
    main()
