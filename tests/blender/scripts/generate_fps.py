"""One take per scene frame rate on the synthetic ARKit head; emits frames and curves per rate.

argv: spec.json. spec: {"speech", "transcript", "strip_frame", "rates": [[fps, fps_base], ...]}.
Also times the bulk keyframe writer on 52 curves x 1800 frames (benchmark, reported only).
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import enable_addon, run  # noqa: E402
import _parley_scene as ps  # noqa: E402


def main():
    import importlib
    import bpy
    import numpy as np

    spec = json.load(open(sys.argv[1]))
    mod = enable_addon()
    out = {"blender": bpy.app.version_string, "rates": []}
    for fps, base in spec["rates"]:
        bpy.ops.wm.read_factory_settings(use_empty=True)
        bpy.ops.preferences.addon_enable(module=mod.__name__)
        scene = bpy.context.scene
        scene.render.fps, scene.render.fps_base = fps, base
        scene.frame_start, scene.frame_end = 1, 400
        head = ps.build_arkit_head()
        strip = ps.add_voice(scene, spec["speech"], spec["strip_frame"])
        scene.parley.target = head
        res = bpy.ops.parley.generate_lipsync(transcript=spec["transcript"])
        take = ps.take_summary(head.data.shape_keys)
        out["rates"].append({"fps": fps, "fps_base": base, "result": sorted(res),
                             "strip": [strip.frame_final_start, strip.frame_final_end],
                             "frames": take["frames"], "placement": take["placement"],
                             "jawOpen": take["curves"]["jawOpen"],
                             "mouthClose": take["curves"]["mouthClose"],
                             "interpolation": take["interpolation"], "slot": take["slot"],
                             "info_fps": take["info"]["fps"]})

    # benchmark: 52 shape keys x 1800 frames through the same writer the operator uses
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.preferences.addon_enable(module=mod.__name__)
    takes = importlib.import_module(mod.__name__ + ".animation.takes")
    arkit = importlib.import_module(mod.__name__ + ".core.arkit")
    bpy.ops.mesh.primitive_grid_add(x_subdivisions=10, y_subdivisions=10)
    obj = bpy.context.active_object
    obj.shape_key_add(name="Basis")
    for n in arkit.ARKIT_NAMES:
        obj.shape_key_add(name=n).value = 0.0
    rng = np.random.default_rng(0)
    curves = {n: rng.random(1800).astype(np.float32) for n in arkit.ARKIT_NAMES}
    t = time.perf_counter()
    written = takes.write_take(obj.data.shape_keys, curves, 1, strip_name="bench", emotion="neutral",
                               intensity=1.0)
    out["bench_seconds"] = time.perf_counter() - t
    out["bench_keys"] = written.num_keys
    return out


run(main)
