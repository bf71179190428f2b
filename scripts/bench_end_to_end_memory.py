#!/usr/bin/env python
"""End to end (audio -> curves, learned model, numpy runtime) with peak memory of this process
and of each recognition helper (prints figures; not a test).

    OMP_NUM_THREADS=1 .venv/bin/python scripts/bench_end_to_end_memory.py 600
"""
import sys, time, resource
from pathlib import Path
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT)); sys.path.insert(0, str(ROOT / "scripts"))
from bench_inference import speech_audio
from core.engine import generate_take
x = speech_audio(float(sys.argv[1]), str(ROOT.parent / "shared" / "speech"))
t = time.perf_counter()
take = generate_take(x, fps=24, emotion="happy", intensity=0.7, engine="learned", model_path=str(ROOT / "core" / "model" / "default"), threads=2)
dt = time.perf_counter() - t
print(f"{sys.argv[1]} s end to end (learned, numpy runtime): {dt:.1f} s; timings {take.timings if hasattr(take,'timings') else ''}")
print("peak RSS self MB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024, "largest child MB", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024)
from core.alignment.workers import pool
for w in pool()._workers:
    hwm = [l for l in open(f"/proc/{w.proc.pid}/status") if l.startswith("VmHWM")]
    print("helper", w.proc.pid, hwm[0].strip())
