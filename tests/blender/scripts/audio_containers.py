"""A phone memo / video reference as the audio file: loads through ffmpeg, and through Blender's
own decoder (audaspace) when ffmpeg is not on PATH; Check Audio reports it; garbage still fails.

argv: m4a path (2 s, one click at 0.75 s), a corrupt .m4a path.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import enable_addon, run  # noqa: E402


def main():
    import importlib
    import warnings

    import bpy
    import numpy as np

    good, broken = sys.argv[1], sys.argv[2]
    mod = enable_addon()
    sa = importlib.import_module(mod.__name__ + ".blender_support.scene_audio")
    ff = importlib.import_module(mod.__name__ + ".core.ffmpeg_audio")
    out = {}

    def describe(tag):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clip = sa.load_audio_file(good)
        out[tag] = {"format": clip.source_format, "duration": clip.duration,
                    "click_s": float(np.argmax(np.abs(clip.samples)) / clip.sample_rate),
                    "rate": clip.sample_rate}

    describe("ffmpeg")
    real_available = ff.available
    ff.available = lambda: False
    try:
        describe("audaspace")
        scene = bpy.context.scene
        scene.parley.audio_source = 'FILE'
        scene.parley.audio_file = good
        out["check_audio"] = list(bpy.ops.parley.check_audio())
        out["check_audio_duration"] = scene.parley.audio_duration
        try:
            sa.load_audio_file(broken)
            out["broken"] = None
        except ValueError as exc:
            out["broken"] = f"{type(exc).__name__}: {exc}"
    finally:
        ff.available = real_available
    return out


run(main)
