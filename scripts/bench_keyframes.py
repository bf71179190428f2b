"""Benchmark: writing a take's keyframes (52 ARKit shape keys x 1800 frames) in real Blender.

Run with a Blender-as-a-module interpreter from the repository root, e.g.

    .venv-bpy50/bin/python scripts/bench_keyframes.py [--frames 1800] [--repeat 5]

It times Parley's bulk writer (``animation.takes.write_take``: ``keyframe_points.add`` +
``foreach_set`` + ``update``) against the naive baseline (set the value, ``keyframe_insert`` per
key) on the same mesh and curves in the same run, and prints both and their ratio as JSON.
Figures only; nothing here is a pass/fail test. Results are recorded in BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def build_head(bpy, names):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.mesh.primitive_grid_add(x_subdivisions=40, y_subdivisions=40)
    obj = bpy.context.active_object
    obj.shape_key_add(name="Basis")
    for n in names:
        obj.shape_key_add(name=n).value = 0.0
    return obj


def bench_bulk(bpy, takes, names, curves, repeat):
    times = []
    for _ in range(repeat):
        obj = build_head(bpy, names)
        t = time.perf_counter()
        written = takes.write_take(obj.data.shape_keys, curves, 1, strip_name="bench",
                                   emotion="neutral", intensity=1.0)
        times.append(time.perf_counter() - t)
    return times, written.num_keys


def bench_keyframe_insert(bpy, names, curves):
    obj = build_head(bpy, names)
    key = obj.data.shape_keys
    key.animation_data_create()
    blocks = [key.key_blocks[n] for n in names]
    t = time.perf_counter()
    for block, n in zip(blocks, names):
        for f, v in enumerate(curves[n], start=1):
            block.value = float(v)
            block.keyframe_insert("value", frame=f)
    return time.perf_counter() - t


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=1800)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)

    import bpy
    import numpy as np

    from animation import takes
    from core.arkit import ARKIT_NAMES

    rng = np.random.default_rng(0)
    curves = {n: rng.random(args.frames).astype(np.float32) for n in ARKIT_NAMES}
    bulk, num_keys = bench_bulk(bpy, takes, ARKIT_NAMES, curves, args.repeat)
    naive = bench_keyframe_insert(bpy, ARKIT_NAMES, curves)
    best = min(bulk)
    print(json.dumps({
        "blender": bpy.app.version_string, "python": platform.python_version(),
        "cpu": platform.processor() or platform.machine(),
        "shape_keys": len(ARKIT_NAMES), "frames": args.frames, "keys_written": num_keys,
        "bulk_seconds_best": round(best, 4),
        "bulk_seconds_median": round(statistics.median(bulk), 4),
        "keyframe_insert_seconds": round(naive, 3),
        "speedup_vs_keyframe_insert": round(naive / best, 1),
        "target_seconds": 0.1,
    }, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
