"""Every way the audio source can be unusable gives a specific message (poll and function).

argv: workdir (a folder where the script may create and delete WAV files).
"""
import os
import sys
import wave

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import enable_addon, run  # noqa: E402


def _write_wav(path, seconds=0.5, rate=16000):
    import numpy as np
    t = np.arange(int(seconds * rate)) / rate
    data = (0.3 * np.sin(2 * np.pi * 440 * t) * 32767).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(data.tobytes())


def main():
    import importlib
    import bpy

    work = sys.argv[1]
    mod = enable_addon()
    compat = importlib.import_module(mod.__name__ + ".blender_support.compat")
    sa = importlib.import_module(mod.__name__ + ".blender_support.scene_audio")
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.preferences.addon_enable(module=mod.__name__)
    scene = bpy.context.scene
    scene.frame_start, scene.frame_end = 1, 60
    settings = scene.parley
    out = {}

    def problem(tag):
        out[tag] = sa.audio_problem(scene, settings)
        try:
            bpy.ops.parley.check_audio()
            out[tag + "_op"] = None
        except RuntimeError as exc:
            out[tag + "_op"] = str(exc)

    if scene.sequence_editor is not None:
        scene.sequence_editor_clear()
    problem("no_sequencer")
    scene.sequence_editor_create()
    problem("no_strips")

    wav = os.path.join(work, "tone.wav")
    _write_wav(wav)
    strip = compat.new_sound_strip(scene, "Voice", wav, 1, 1)
    out["ok"] = sa.audio_problem(scene, settings)
    strip.mute = True
    problem("all_muted")
    strip.mute = False
    strip.frame_start = 200
    problem("out_of_range")
    strip.frame_start = 1

    os.rename(wav, wav + ".moved")
    problem("missing_file")
    os.rename(wav + ".moved", wav)
    strip.sound.filepath = "//tone.wav"  # relative, but this .blend has never been saved
    problem("unsaved_relative")
    try:
        sa.render_scene_audio(scene, os.path.join(work, "x.wav"))
        out["unsaved_relative_render"] = None
    except sa.AudioSourceError as exc:
        out["unsaved_relative_render"] = str(exc)
    strip.sound.filepath = wav

    settings.audio_source = 'STRIP'
    settings.strip_name = ""
    problem("strip_unset")
    settings.strip_name = "Nope"
    problem("strip_unknown")
    settings.strip_name = "Voice"
    out["strip_ok"] = sa.audio_problem(scene, settings)

    settings.audio_source = 'FILE'
    settings.audio_file = ""
    problem("file_unset")
    settings.audio_file = os.path.join(work, "missing.wav")
    problem("file_missing")
    settings.audio_file = wav
    out["file_ok"] = sa.audio_problem(scene, settings)

    # A failure while a strip is soloed must restore every mute flag exactly.
    other = compat.new_sound_strip(scene, "Music", wav, 2, 1)
    other.mute = True
    third = compat.new_sound_strip(scene, "Fx", wav, 3, 5)
    before = {s.name: s.mute for s in compat.sound_strips(scene)}

    def boom(*_a, **_k):
        raise RuntimeError("simulated mixdown failure")
    real = sa._mixdown
    sa._mixdown = boom
    try:
        sa.render_strip_audio(scene, "Fx")
    except RuntimeError as exc:
        out["solo_failure"] = str(exc)
    finally:
        sa._mixdown = real
    out["mutes_after_failure_equal"] = before == {s.name: s.mute for s in compat.sound_strips(scene)}
    out["mutes_before"] = before
    del third
    return out


run(main)
