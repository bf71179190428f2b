"""Takes without audio (runs on bpy 4.2 too, whose wheel has no Audaspace): write takes with
animation.takes on the synthetic ARKit head, legacy or slotted actions, with and without the
artist's own action on the shape keys; evaluate the driven key values."""
import importlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import enable_addon, run  # noqa: E402
import _parley_scene as ps  # noqa: E402


def main():
    import bpy
    import numpy as np
    mod = enable_addon()
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.preferences.addon_enable(module=mod.__name__)
    takes = importlib.import_module(mod.__name__ + ".animation.takes")
    targets = importlib.import_module(mod.__name__ + ".animation.targets")
    scene = bpy.context.scene
    head = ps.build_arkit_head()
    key = head.data.shape_keys
    plan = targets.plan_target(head)
    w = np.zeros((40, 52), np.float32)
    w[:, 17] = np.linspace(0, 1, 40)  # jawOpen ramps up
    out = {"blender": bpy.app.version_string, "slotted": hasattr(bpy.types.Action, "slots")}
    t1 = takes.write_take(key, plan.curves(w), 5, strip_name="Voice", emotion="neutral",
                          intensity=1.0)
    w2 = w.copy()
    w2[:, 43] = 0.5  # browInnerUp
    t2 = takes.write_take(key, plan.curves(w2), 5, strip_name="Voice", emotion="sad",
                          intensity=0.5, push_previous_to_nla=True)
    ad = key.animation_data
    out["active"] = ad.action.name
    out["written"] = [[t.action_name, t.placement, t.num_curves, list(t.frames)] for t in (t1, t2)]
    out["tracks"] = [[t.name, t.mute, [s.action.name for s in t.strips]] for t in ad.nla_tracks]
    vals = []
    for f in (5, 24, 44):
        scene.frame_set(f)
        vals.append([round(key.key_blocks["jawOpen"].value, 4),
                     round(key.key_blocks["browInnerUp"].value, 4)])
    out["values"] = vals
    # the artist's own action becomes active: the next take goes to the "Parley" NLA track
    ad.action = None  # the artist starts their own action on the shape keys
    artist = ps.add_user_key_action(head)
    t3 = takes.write_take(key, plan.curves(w), 5, strip_name="Voice", emotion="happy",
                          intensity=1.0)
    out["artist"] = [ad.action.name, t3.placement, artist.name]
    out["tracks_after"] = [[t.name, t.mute, [s.action.name for s in t.strips]] for t in ad.nla_tracks]
    scene.frame_set(44)
    out["jaw_via_nla"] = round(key.key_blocks["jawOpen"].value, 4)
    out["takes"] = [a.name for a in takes.parley_takes(key)]

    # the Take panel lists the takes; an earlier one plays again through parley.use_take
    bpy.context.view_layer.objects.active = head
    out["panel"] = ps.draw_panel("PARLEY_PT_take")
    artist_keys = [tuple(k.co) for fc in takes_fcurves(artist) for k in fc.keyframe_points]
    out["use_t2"] = list(bpy.ops.parley.use_take(take=t2.action_name))
    scene.frame_set(24)
    out["after_use_t2"] = [ad.action.name, takes.playing_take(key).name,
                           round(key.key_blocks["browInnerUp"].value, 4),
                           [[t.name, [s.action.name for s in t.strips]] for t in ad.nla_tracks
                            if t.name == "Parley"]]
    out["artist_unchanged"] = artist_keys == [tuple(k.co) for fc in takes_fcurves(artist)
                                              for k in fc.keyframe_points]
    # without the artist's action, the take becomes the active action again
    ad.action = None
    out["use_t1"] = takes.use_take(key, bpy.data.actions[t1.action_name])
    scene.frame_set(24)
    out["after_use_t1"] = [ad.action.name, round(key.key_blocks["browInnerUp"].value, 4)]
    try:
        bpy.ops.parley.use_take(take="ArtistKeyAction")
        out["use_foreign"] = "accepted"
    except RuntimeError as exc:
        out["use_foreign"] = str(exc)
    return out


def takes_fcurves(action):
    """F-curves of a legacy or slotted action (4.4+: through its layers' channel bags)."""
    if hasattr(action, "layers") and len(action.layers):
        return [fc for layer in action.layers for strip in layer.strips
                for bag in strip.channelbags for fc in bag.fcurves]
    return list(action.fcurves)


run(main)
