"""Generate one take with the *learned* engine inside Blender (no torch: the numpy runtime).

argv: spec.json outdir. spec: {"speech", "transcript", "strip_frame"}. Emits the engine label,
the runtime class, whether torch was importable, and the written curves.
"""
import importlib.util
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import enable_addon, run  # noqa: E402
import _parley_scene as ps  # noqa: E402


def main():
    import bpy

    spec = json.load(open(sys.argv[1]))
    mod = enable_addon()
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.preferences.addon_enable(module=mod.__name__)
    scene = bpy.context.scene
    scene.render.fps, scene.frame_start, scene.frame_end = 24, 1, 250
    head = ps.build_arkit_head()
    ps.add_voice(scene, spec["speech"], spec["strip_frame"])
    scene.parley.target = head
    res = bpy.ops.parley.generate_lipsync(engine='learned', transcript=spec["transcript"])
    take = ps.take_summary(bpy.data.objects["Head"].data.shape_keys)
    engine = sys.modules[mod.__name__ + ".core.engine"]
    loaded = engine.select_engine(engine.ENGINE_LEARNED).load()
    return {"result": sorted(res), "torch_importable": importlib.util.find_spec("torch") is not None,
            "runtime": type(loaded).__name__, "info": take["info"], "curves": take["curves"],
            "frames": take["frames"]}


run(main)
