"""Helpers for the headless-batch test, by mode (argv[1]).

``make <out.blend> <speech>``: save a shot with the synthetic ARKit head and a voice strip.
``run <shot.blend> <script> args...``: open the shot and run scripts/parley_batch.py the way
``blender -b shot.blend --python script -- args`` does; the exit status is the script's.
``dump <file.blend>``: emit the active Parley take of 'Head' (names, frames, curve hashes).
``command <shot.blend> args...``: run the ``parley`` extension command's callback.
"""
import hashlib
import os
import runpy
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import MODULE, enable_addon, run  # noqa: E402
import _parley_scene as ps  # noqa: E402


def make(out, speech):
    import bpy
    mod = enable_addon()
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.preferences.addon_enable(module=mod.__name__)
    scene = bpy.context.scene
    scene.render.fps = 25
    scene.frame_start, scene.frame_end = 1, 120
    scene.render.resolution_x = scene.render.resolution_y = 48
    head = ps.build_arkit_head()
    ps.add_voice(scene, speech, 3)
    ps.setup_render(scene, head, "", 48, 'BLENDER_WORKBENCH')
    bpy.ops.wm.save_as_mainfile(filepath=out)
    return {"saved": out}


def dump(path):
    import bpy
    import numpy as np
    enable_addon()
    bpy.ops.wm.open_mainfile(filepath=path)
    key = bpy.data.objects["Head"].data.shape_keys
    take = ps.take_summary(key)
    curves = {k: hashlib.sha1(np.asarray(v, np.float32).tobytes()).hexdigest()
              for k, v in take["curves"].items()}
    return {"action": take["action"], "frames": [take["frames"][0], take["frames"][-1]],
            "curves": curves, "frame_end": bpy.context.scene.frame_end,
            "emotion": take["info"]["emotion"], "intensity": take["info"]["intensity"],
            "emotion_mix": take["info"].get("emotion_mix"),
            "settings_emotion": [bpy.context.scene.parley.emotion,
                                 bpy.context.scene.parley.emotion_blend,
                                 round(bpy.context.scene.parley.emotion_blend_share, 4)]}


def key_intensity(path, out, keys):
    """Keyframe the panel's Intensity (``keys``: "frame:value,...", an artist's ramp)."""
    import bpy
    enable_addon()
    bpy.ops.wm.open_mainfile(filepath=path)
    settings = bpy.context.scene.parley
    for part in keys.split(","):
        frame, value = part.split(":")
        settings.intensity = float(value)
        settings.keyframe_insert("intensity", frame=int(frame))
    bpy.ops.wm.save_as_mainfile(filepath=out)
    return {"saved": out}


def upper_face(path):
    """browInnerUp..eyeWide values of the active take per frame (for the ramp check)."""
    import bpy
    enable_addon()
    bpy.ops.wm.open_mainfile(filepath=path)
    take = ps.take_summary(bpy.data.objects["Head"].data.shape_keys)
    names = [n for n in take["curves"] if n.startswith(("brow", "eye", "cheek", "mouthSmile"))]
    return {"names": names, "values": [list(map(float, take["curves"][n])) for n in names],
            "info": take["info"], "action": take["action"]}


def main():
    mode = sys.argv[1]
    if mode == "make":
        run(lambda: make(sys.argv[2], sys.argv[3]))
    elif mode == "key_intensity":
        run(lambda: key_intensity(*sys.argv[2:5]))
    elif mode == "upper_face":
        run(lambda: upper_face(sys.argv[2]))
    elif mode == "dump":
        run(lambda: dump(sys.argv[2]))
    elif mode == "run":
        import bpy
        try:  # as `blender -b` would: the extension is enabled if this profile has it
            enable_addon()
        except (RuntimeError, ImportError):
            pass
        bpy.ops.wm.open_mainfile(filepath=sys.argv[2])
        script = sys.argv[3]
        sys.argv = [script, "--"] + sys.argv[4:]
        runpy.run_path(script, run_name="__main__")  # exits with the script's status
    elif mode == "command":
        import importlib
        import bpy
        enable_addon()
        bpy.ops.wm.open_mainfile(filepath=sys.argv[2])
        batch = importlib.import_module(MODULE + ".animation.batch")
        registered = batch._CLI_HANDLE is not None
        code = batch.cli_command(["--"] + sys.argv[3:])
        run(lambda: {"registered": registered, "code": code})


main()
