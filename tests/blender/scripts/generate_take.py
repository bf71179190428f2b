"""Generate two takes on a head (FLAME or synthetic ARKit) from real speech, then undo them.

argv: spec.json outdir. Writes evaluated vertices (``verts_1.npy``, ``verts_2.npy``) and optional
renders into outdir; emits take summaries and fingerprints for the test to judge.
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
    outdir = sys.argv[2]
    mod = enable_addon()
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.preferences.addon_enable(module=mod.__name__)
    scene = bpy.context.scene
    scene.render.fps = spec["fps"]
    scene.render.fps_base = spec.get("fps_base", 1.0)
    scene.frame_start = spec["frame_start"]
    scene.frame_end = spec["frame_end"]

    if spec["head"] == "flame":
        head = ps.load_flame_head(spec["ply"])
        ps.add_user_data(head)
        lips = importlib.import_module(mod.__name__ + ".core.rig.flame_tables")
        idx = None  # keep all vertices: the test measures the inner-lip gap with core.rig
    else:
        head = ps.build_arkit_head()
        ps.add_user_data(head)
        ps.add_user_key_action(head)
        lips = None
        idx = list(ps.lower_upper_vertices(head))
    strip = ps.add_voice(scene, spec["speech"], spec["strip_frame"])
    settings = scene.parley
    settings.target = head
    settings.emotion = spec["emotion"]
    settings.intensity = spec["intensity"]
    # how the transcript reaches Parley: the operator argument (scripts), the panel's line, or a
    # Text datablock picked in the panel
    via = spec.get("transcript_via", "operator")
    if via == "scene":
        settings.transcript = spec["transcript"]
    elif via == "text":
        settings.transcript = "a line that must not be used when a Text is set"
        text = bpy.data.texts.new("Lines")
        text.write(spec["transcript"] + "\n")
        settings.transcript_text = text
    out = {"blender": bpy.app.version_string, "fps": scene.render.fps / scene.render.fps_base,
           "strip": [strip.frame_final_start, strip.frame_final_end]}

    before = ps.fingerprint(scene)
    user_before = ps.user_fingerprint(scene, head.name)
    bpy.ops.ed.undo_push(message="test setup")

    def generate(tag):
        t = time.perf_counter()
        res = bpy.ops.parley.generate_lipsync(
            transcript=spec.get("transcript", "") if via == "operator" else "")
        out[f"seconds_{tag}"] = time.perf_counter() - t
        out[f"result_{tag}"] = sorted(res)
        obj = bpy.data.objects["Head"]
        take = ps.take_summary(obj.data.shape_keys)
        out[f"take_{tag}"] = take
        frames = [int(round(f)) for f in take["frames"]]
        verts = ps.evaluated_vertices(scene, obj, frames, idx)
        np.save(os.path.join(outdir, f"verts_{tag}.npy"), verts.astype(np.float32))
        out[f"keys_{tag}"] = [kb.name for kb in obj.data.shape_keys.key_blocks]
        out[f"fingerprint_{tag}"] = ps.fingerprint(scene)

    generate("1")
    out["take_panel"] = ps.draw_panel("PARLEY_PT_take")
    out["main_panel"] = ps.draw_panel("PARLEY_PT_main")
    # how the panel shows a take whose phones were recognised (metadata edited, then restored)
    action = bpy.data.actions[out["take_1"]["action"]]
    meta = action["parley_take"]
    action["parley_take"] = json.dumps({**json.loads(meta), "phones": "recognised (words)"})
    out["take_panel_recognised"] = ps.draw_panel("PARLEY_PT_take")
    action["parley_take"] = meta
    rt = bpy.context.window_manager.parley
    rt.running, rt.progress, rt.status = True, 0.4, "recognising phones"
    out["take_panel_running"] = ps.draw_panel("PARLEY_PT_take")
    out["main_panel_running"] = ps.draw_panel("PARLEY_PT_main")
    rt.running, rt.progress, rt.status = False, 0.0, ""
    out["key_props"] = {k: (list(v) if hasattr(v, "__len__") and not isinstance(v, str) else v)
                        for k, v in bpy.data.objects["Head"].data.shape_keys.items()}
    kbs = bpy.data.objects["Head"].data.shape_keys.key_blocks
    out["parley_key_ranges"] = sorted({(kb.slider_min, kb.slider_max, round(kb.value, 6))
                                       for kb in kbs if kb.name in out["take_1"]["curves"]})
    scene.parley.emotion = spec["emotion2"]
    generate("2")
    out["user_after"] = ps.user_fingerprint(scene, "Head")
    out["user_before"] = user_before
    out["actions_after"] = sorted(a.name for a in bpy.data.actions)

    if spec.get("render_frames"):
        engine = ps.setup_render(scene, bpy.data.objects["Head"], "", spec.get("size", 320),
                                 spec.get("engine"))
        out["render_engine"] = engine
        out["renders"] = []
        for f in spec["render_frames"]:
            scene.frame_set(f)
            path = os.path.join(outdir, f"frame_{f:04d}.png")
            scene.render.filepath = path
            bpy.ops.render.render(write_still=True)
            out["renders"].append(path)
        for name in ("ParleyTestCam", "ParleyTestLight"):  # leave only generation effects
            o = bpy.data.objects[name]
            data = o.data
            bpy.data.objects.remove(o)
            (bpy.data.cameras if name.endswith("Cam") else bpy.data.lights).remove(data)
        scene.camera = None

    # undo: one step per Generate, back to the take-1 state, then to the setup
    bpy.ops.ed.undo()
    out["after_undo_1"] = ps.fingerprint(bpy.context.scene)
    bpy.ops.ed.undo()
    out["after_undo_2"] = ps.fingerprint(bpy.context.scene)
    out["before"] = before
    return out


run(main)
