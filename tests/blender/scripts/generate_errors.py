"""Bad input, a second Generate while one runs, cancel: each leaves the scene untouched.

argv: spec.json workdir. Emits, per case, the operator's error message (or result) and whether
the scene fingerprint stayed the same.
"""
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import enable_addon, run  # noqa: E402
import _parley_scene as ps  # noqa: E402


def main():
    import importlib
    import bpy

    spec = json.load(open(sys.argv[1]))
    work = sys.argv[2]
    mod = enable_addon()
    apply = importlib.import_module(mod.__name__ + ".animation.apply")
    engine = importlib.import_module(mod.__name__ + ".core.engine")
    out = {"blender": bpy.app.version_string, "cases": {}}

    def fresh(voice=True, head=True):
        bpy.ops.wm.read_factory_settings(use_empty=True)
        bpy.ops.preferences.addon_enable(module=mod.__name__)
        scene = bpy.context.scene
        scene.render.fps = 25
        scene.frame_start, scene.frame_end = 1, 250
        obj = ps.build_arkit_head() if head else None
        if obj is not None:
            scene.parley.target = obj
        strip = ps.add_voice(scene, spec["speech"], 1) if voice else None
        return scene, obj, strip

    def attempt(case, scene, **kwargs):
        before = ps.fingerprint(scene)
        entry = {}
        try:
            entry["result"] = sorted(bpy.ops.parley.generate_lipsync(**kwargs))
        except RuntimeError as exc:
            entry["error"] = str(exc)
        entry["unchanged"] = ps.fingerprint(bpy.context.scene) == before
        out["cases"][case] = entry
        return entry

    scene, _, _ = fresh(voice=False)
    attempt("no_sound_strip", scene)
    out["panel_after_error"] = ps.draw_panel("PARLEY_PT_take")

    # regenerate with "keep previous on NLA": the replaced take goes to a muted track
    scene, obj, _ = fresh()
    bpy.ops.parley.generate_lipsync()
    scene.parley.emotion = "sad"
    bpy.ops.parley.generate_lipsync(push_previous_to_nla=True)
    ad = obj.data.shape_keys.animation_data
    out["nla_keep"] = {"active": ad.action.name,
                       "tracks": [[t.name, t.mute, [s.action.name for s in t.strips]]
                                  for t in ad.nla_tracks]}

    scene, _, strip = fresh()
    strip.mute = True
    attempt("all_muted", scene)

    scene, _, strip = fresh(voice=False)
    gone = os.path.join(work, "deleted.ogg")
    shutil.copy(spec["speech"], gone)
    ps.add_voice(scene, gone, 1)
    os.remove(gone)
    attempt("missing_file", scene)

    scene, _, strip = fresh()
    strip.sound.filepath = "//voice.ogg"
    attempt("relative_unsaved", scene)

    scene, obj, strip = fresh(voice=False)
    odd_dir = os.path.join(work, "Stímme ü")
    os.makedirs(odd_dir, exist_ok=True)
    odd = os.path.join(odd_dir, "Grüße 声.ogg")
    shutil.copy(spec["speech"], odd)
    ps.add_voice(scene, odd, 1)
    attempt("non_ascii_path", scene)
    out["cases"]["non_ascii_path"]["action"] = ps.take_summary(obj.data.shape_keys).get("action")

    scene, obj, _ = fresh()
    bpy.ops.mesh.primitive_uv_sphere_add()
    attempt("wrong_vertex_count", scene, object_name=bpy.context.active_object.name)

    scene, obj, _ = fresh()
    cam = bpy.data.objects.new("Camera", bpy.data.cameras.new("Camera"))
    scene.collection.objects.link(cam)
    attempt("not_a_mesh", scene, object_name="Camera")

    # linked from a library, and a library override of it
    lib_path = os.path.join(work, "library.blend")
    scene, obj, _ = fresh(voice=False)
    obj.name = "LibHead"
    bpy.ops.wm.save_as_mainfile(filepath=lib_path)
    scene, _, _ = fresh(head=False)
    with bpy.data.libraries.load(lib_path, link=True) as (src, dst):
        dst.objects = ["LibHead"]
    linked = dst.objects[0]
    scene.collection.objects.link(linked)
    attempt("linked_object", scene, object_name="LibHead")
    try:
        override = linked.override_create(remap_local_usages=True)
        out["override_name"] = override.name
        attempt("library_override", scene, object_name=override.name)
    except (RuntimeError, AttributeError) as exc:
        out["override_error"] = str(exc)

    # scene range shorter than the audio: refused, then accepted with extend_scene
    scene, obj, strip = fresh()
    scene.frame_end = 40
    out["strip_end"] = strip.frame_final_end
    attempt("range_too_short", scene)
    out["panel_range_error"] = ps.draw_panel("PARLEY_PT_take")
    entry = attempt("range_extended", scene, extend_scene=True)
    entry["frame_end"] = scene.frame_end

    # a second Generate while one runs
    scene, obj, _ = fresh()
    job = apply.prepare(scene, apply.Request(object_name=obj.name))
    busy = apply.Runner(job)
    apply.Runner._active = busy  # a worker that has not finished yet
    attempt("second_generate", scene)
    busy.cancel()
    busy.release()
    out["active_after_release"] = apply.Runner.active() is not None

    # cancel: the worker stops, nothing is written (what the modal operator does on Esc/Cancel)
    scene, obj, _ = fresh()
    before = ps.fingerprint(scene)
    job = apply.prepare(scene, apply.Request(object_name=obj.name, transcript=spec["transcript"]))
    runner = apply.Runner(job)
    runner.cancel()  # pressed before the worker reached its first check: deterministic stop
    runner.start()
    runner.wait(60)
    runner.release()
    early = {"error": type(runner.error).__name__, "result": runner.result is not None}
    job = apply.prepare(scene, apply.Request(object_name=obj.name, transcript=spec["transcript"]))
    runner = apply.Runner(job).start()
    runner.cancel()  # pressed while it runs
    runner.wait(60)
    runner.release()
    out["cases"]["cancel"] = {"early": early, "late_done": runner.done,
                              "unchanged": ps.fingerprint(bpy.context.scene) == before,
                              "active": apply.Runner.active() is not None,
                              "cancelled_is": engine.Cancelled.__name__}
    # name matching (ARKit spellings, VRM presets) and a VRM-keyed mesh driven by ARKit mixes
    targets = importlib.import_module(mod.__name__ + ".animation.targets")
    names = ["jawOpen", "JawOpen", "jaw_open", "eyeBlink_L", "EyeBlinkLeft", "eyeBlink.R",
             "blendShape1.mouthClose", "ARKit_mouthFunnel", "A01_Brow_Inner_Up", "jawOpen.001",
             "Smile", "aa", "Fcl_MTH_A", "blink_l", "Fcl_EYE_Close_R", "ou"]
    out["arkit_names"] = {n: targets.arkit_name_for(n) for n in names}
    out["vrm_names"] = {n: targets.vrm_preset_for(n) for n in names}
    scene, _, strip = fresh(head=False)
    bpy.ops.mesh.primitive_grid_add(x_subdivisions=10, y_subdivisions=10, size=0.2)
    vrm = bpy.context.active_object
    vrm.name = "VrmHead"
    vrm.shape_key_add(name="Basis")
    for n in ("Fcl_MTH_A", "Fcl_MTH_I", "Fcl_MTH_U", "Fcl_MTH_E", "Fcl_MTH_O", "Fcl_EYE_Close_L",
              "Fcl_EYE_Close_R", "Fcl_BRW_Angry"):
        vrm.shape_key_add(name=n).value = 0.0
    plan = targets.plan_target(vrm)
    res = bpy.ops.parley.generate_lipsync(object_name="VrmHead", transcript=spec["transcript"])
    take = ps.take_summary(vrm.data.shape_keys)
    out["vrm"] = {"mode": plan.mode, "result": sorted(res), "curves": sorted(take["curves"]),
                  "aa_max": max(take["curves"]["Fcl_MTH_A"]), "aa_min": min(take["curves"]["Fcl_MTH_A"])}

    # a transcript that lacks words: the take is made, and the panel says where words are missing
    gen = importlib.import_module(mod.__name__ + ".operators.generate")
    words = spec["transcript"].split()
    res = bpy.ops.parley.generate_lipsync(object_name="VrmHead",
                                          transcript=" ".join(words[:len(words) // 2]))
    out["partial_transcript"] = {"result": sorted(res), "warnings": list(gen.LAST_RUN["warnings"]),
                                 "panel": ps.draw_panel("PARLEY_PT_take")}
    # a transcript of another recording: a take from recognised phones, and the reason why
    res = bpy.ops.parley.generate_lipsync(
        object_name="VrmHead", transcript="seven quick zebras jumped over the lazy fox while the "
        "rain fell on the roof of the old farmhouse and the children slept until dawn")
    out["wrong_transcript"] = {"result": sorted(res), "warnings": list(gen.LAST_RUN["warnings"]),
                               "panel": ps.draw_panel("PARLEY_PT_take")}

    # the modal operator's own logic, driven like Blender's event loop would (which never runs
    # in background mode): timer ticks until done, Esc, and the Cancel button
    gen = importlib.import_module(mod.__name__ + ".operators.generate")
    op_cls = gen.PARLEY_OT_generate_lipsync
    Modal = type("Modal", (), {k: v for k, v in vars(op_cls).items() if not k.startswith("__")})
    import time
    from types import SimpleNamespace

    previous = []

    def drive(cancel_with=None, timeout=120, transcript=""):
        # re-takes of the same audio reuse its phones (core.engine.PHONE_CACHE); a cancel test
        # needs the recognition work to interrupt, so each drive starts with an empty cache,
        # after the previous (cancelled) worker has finished and stored what it recognised
        for r in previous:
            r.wait(120)
        engine.PHONE_CACHE.clear()
        scene, obj, _ = fresh()
        before = ps.fingerprint(scene)
        op = Modal()
        op.reports = []
        op.report = lambda kind, msg: op.reports.append([sorted(kind)[0], msg])
        op._timer = None
        job = apply.prepare(scene, apply.Request(object_name=obj.name, transcript=transcript))
        op._runner = apply.Runner(job).start()
        previous.append(op._runner)
        rt = bpy.context.window_manager.parley
        rt.running = True
        seen, t0, result = [], time.time(), None
        while time.time() - t0 < timeout:
            if cancel_with == "esc" and len(seen) >= 2:
                result = op_cls.modal(op, bpy.context, SimpleNamespace(type='ESC'))
            else:
                if cancel_with == "button" and len(seen) >= 2:
                    bpy.ops.parley.cancel_generation()
                result = op_cls.modal(op, bpy.context, SimpleNamespace(type='TIMER'))
            seen.append([rt.progress, rt.status])
            if result != {'PASS_THROUGH'}:
                break
            time.sleep(0.05)
        took = ps.take_summary(obj.data.shape_keys).get("action")
        return {"result": sorted(result), "ticks": len(seen), "progress": seen,
                "unchanged": ps.fingerprint(bpy.context.scene) == before, "take": took,
                "running_after": rt.running, "active": apply.Runner.active() is not None,
                "reports": op.reports}

    # (cancel cases recognise phones without a transcript: seconds of work to interrupt)
    out["modal"] = {"done": drive(transcript=spec["transcript"]), "esc": drive("esc"),
                    "button": drive("button")}
    return out


run(main)
