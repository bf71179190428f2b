"""Build a scene of sound strips from a JSON spec, render it with Parley's scene_audio, report.

argv: spec.json outdir. The spec lists WAV files (written by the test) and strip settings; the
test compares the rendered WAVs with a numpy reference built from the same spec.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import enable_addon, run  # noqa: E402


def main():
    import importlib
    import bpy

    spec = json.load(open(sys.argv[1]))
    outdir = sys.argv[2]
    mod = enable_addon()
    compat = importlib.import_module(mod.__name__ + ".blender_support.compat")
    sa = importlib.import_module(mod.__name__ + ".blender_support.scene_audio")

    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.preferences.addon_enable(module=mod.__name__)  # factory settings reset add-ons
    scene = bpy.context.scene
    scene.render.fps = spec["fps"]
    scene.render.fps_base = 1.0
    scene.frame_start = spec["frame_start"]
    scene.frame_end = spec["frame_end"]
    for s in spec["strips"]:
        strip = compat.new_sound_strip(scene, s["name"], s["file"], s["channel"], s["frame"])
        strip.frame_offset_start = s.get("trim_start", 0)
        strip.frame_offset_end = s.get("trim_end", 0)
        strip.volume = s.get("volume", 1.0)
        strip.mute = s.get("mute", False)
        if s.get("pack"):
            strip.sound.pack()
    for s in spec["strips"]:  # packed sources are deleted: the mix must come from the packed bytes
        if s.get("pack"):
            os.remove(s["file"])

    out = {"blender": bpy.app.version_string, "strips": {}}
    for strip in compat.sound_strips(scene):
        out["strips"][strip.name] = {
            "frame_start": strip.frame_start, "final_start": strip.frame_final_start,
            "final_end": strip.frame_final_end, "volume": strip.volume, "mute": strip.mute,
            "packed": strip.sound.packed_file is not None}
    mutes = lambda: {s.name: s.mute for s in compat.sound_strips(scene)}  # noqa: E731
    out["audible"] = [s.name for s in sa.audible_sound_strips(scene)]

    # (a) everything audible, (b) one strip alone, (c) one muted strip alone
    out["mix"] = sa.render_scene_audio(scene, os.path.join(outdir, "mix.wav"))
    before = mutes()
    for name in spec["solo"]:
        out[f"solo_{name}"] = sa.render_strip_audio(scene, name, os.path.join(outdir, f"solo_{name}.wav"))
    out["mutes_restored"] = mutes() == before

    # (d) a //relative path after saving the .blend next to the file
    rel = spec["relative"]
    blend = os.path.join(os.path.dirname(rel["file"]), "scene.blend")
    bpy.ops.wm.save_as_mainfile(filepath=blend)
    strip = next(s for s in compat.sound_strips(scene) if s.name == rel["strip"])
    strip.sound.filepath = "//" + os.path.basename(rel["file"])
    out["relative_path"] = strip.sound.filepath
    out["relative_mix"] = sa.render_scene_audio(scene, os.path.join(outdir, "mix_relative.wav"))

    # (e) the operator: scene mix -> core.audio.load_audio -> report; temp file in the user folder
    settings = scene.parley
    settings.audio_source = 'AUTO'
    out["operator"] = sorted(bpy.ops.parley.check_audio())
    out["op_message"] = settings.last_message
    out["op_error"] = settings.last_error
    out["op_duration"] = settings.audio_duration
    out["temp_path"] = sa.temp_audio_path(scene, "mix")
    out["user_dir"] = bpy.utils.extension_path_user(mod.__name__, path="audio")
    settings.audio_source = 'STRIP'
    settings.strip_name = spec["solo"][0]
    out["operator_strip"] = sorted(bpy.ops.parley.check_audio())
    out["op_strip_message"] = settings.last_message
    return out


run(main)
