"""Phone timings stored with a take are reused by later takes of the same audio, after a reload.

argv: spec.json outdir. spec: {"speech", "transcript", "strip_frame"}. Emits each take's
metadata, curves and the phone cache's hit count, so the test can judge what was reused.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import enable_addon, run  # noqa: E402
import _parley_scene as ps  # noqa: E402


def main():
    import bpy

    spec = json.load(open(sys.argv[1]))
    outdir = sys.argv[2]
    mod = enable_addon()
    engine = sys.modules[mod.__name__ + ".core.engine"]
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.preferences.addon_enable(module=mod.__name__)
    scene = bpy.context.scene
    scene.render.fps, scene.frame_start, scene.frame_end = 24, 1, 250
    head = ps.build_arkit_head()
    ps.add_voice(scene, spec["speech"], spec["strip_frame"])
    scene.parley.target = head
    out = {}

    def take(tag, **kw):
        hits = engine.PHONE_CACHE.hits
        res = bpy.ops.parley.generate_lipsync(**kw)
        t = ps.take_summary(bpy.data.objects["Head"].data.shape_keys)
        action = bpy.data.actions[t["action"]]
        out[tag] = {"result": sorted(res), "info": t["info"], "jaw": t["curves"]["jawOpen"],
                    "cache_hits": engine.PHONE_CACHE.hits - hits,
                    "stored": json.loads(action["parley_phones"]) if "parley_phones" in action
                    else None}

    take("first")                                   # recognised phones, stored with the take
    path = os.path.join(outdir, "shot.blend")
    bpy.ops.wm.save_as_mainfile(filepath=path)
    bpy.ops.wm.open_mainfile(filepath=path)          # a new session: the memory cache is gone
    engine.PHONE_CACHE.clear()
    scene = bpy.context.scene
    take("reopened")                                 # same audio, same recogniser: reused
    out["panel_reopened"] = ps.draw_panel("PARLEY_PT_take")
    scene.parley.emotion = 'sad'
    take("sad")                                      # another emotion: reused again
    engine.PHONE_CACHE.clear()
    take("transcript", transcript=spec["transcript"])  # a transcript is another source: aligned
    engine.PHONE_CACHE.clear()
    take("transcript_again", transcript=spec["transcript"])
    engine.PHONE_CACHE.clear()
    compat = sys.modules[mod.__name__ + ".blender_support.compat"]
    compat.sound_strips(scene)[0].volume = 0.5       # the audio changed: not reused
    take("quieter")
    # a strip turned right down (-30 dB): the take is made, and the artist is told why the
    # choreography's jaw got small
    gen = sys.modules[mod.__name__ + ".operators.generate"]
    compat.sound_strips(scene)[0].volume = 0.03
    take("turned_down", engine='choreography')
    out["turned_down"]["warnings"] = list(gen.LAST_RUN["warnings"])
    compat.sound_strips(scene)[0].volume = 1.0
    take("full_volume", engine='choreography')
    out["full_volume"]["warnings"] = list(gen.LAST_RUN["warnings"])
    return out


run(main)
