"""compat.py on this Blender (strips, shape-key default, slotted/legacy actions, EEVEE id) and a
dry run of the sidebar panel's draw() against a recording layout (catches bad property names).

argv: workdir (a WAV is written there).
"""
import os
import sys
import wave

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import enable_addon, run  # noqa: E402


class RecordingLayout:
    """Stands in for UILayout: records calls and checks that drawn properties exist."""

    def __init__(self, log):
        self.log = log
        self.enabled = True
        self.scale_y = 1.0
        self.use_property_split = False

    def _child(self, *_a, **_k):
        return RecordingLayout(self.log)

    column = row = box = split = _child

    def prop(self, data, name, **_k):
        if name not in data.bl_rna.properties:
            raise AttributeError(f"panel draws missing property {name!r} of {data}")
        self.log.append(("prop", name))

    def operator(self, idname, **_k):
        self.log.append(("operator", idname, self.enabled))

    def label(self, text="", **_k):
        self.log.append(("label", text))

    def progress(self, **k):
        self.log.append(("progress", k.get("factor")))

    def separator(self, **_k):
        pass


def _wav(path):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\x00\x10" * 8000)


def main():
    import importlib
    import bpy

    work = sys.argv[1]
    mod = enable_addon()
    compat = importlib.import_module(mod.__name__ + ".blender_support.compat")
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.preferences.addon_enable(module=mod.__name__)
    scene = bpy.context.scene
    out = {"blender": bpy.app.version_string}

    # shape keys: zero on every version (5.0 defaults new keys to 1.0)
    mesh = bpy.data.meshes.new("Head")
    mesh.from_pydata([(0, 0, 0), (1, 0, 0), (0, 1, 0)], [], [(0, 1, 2)])
    obj = bpy.data.objects.new("Head", mesh)
    scene.collection.objects.link(obj)
    compat.add_shape_key(obj, "Basis")
    jaw = compat.add_shape_key(obj, "jawOpen")
    raw = obj.shape_key_add(name="raw", from_mix=False)
    out["raw_default_value"] = raw.value
    out["compat_value"] = jaw.value

    # an animated shape key through a slotted (4.4+) or legacy action
    key = obj.data.shape_keys
    action = bpy.data.actions.new("ParleyTest")
    fc = compat.ensure_fcurve(action, key, 'key_blocks["jawOpen"].value')
    fc.keyframe_points.add(2)
    fc.keyframe_points.foreach_set("co", [1.0, 0.0, 11.0, 1.0])
    fc.update()
    out["slotted"] = hasattr(action, "layers")
    scene.frame_set(6)
    out["animated_value"] = key.key_blocks["jawOpen"].value
    out["same_fcurve"] = compat.ensure_fcurve(action, key, 'key_blocks["jawOpen"].value') == fc

    # EEVEE identifier is a valid engine here
    out["eevee"] = compat.eevee_engine_id()
    scene.render.engine = out["eevee"]
    out["engine_set"] = scene.render.engine

    # strips collection by attribute
    se = scene.sequence_editor_create()
    out["strips_attr"] = compat.strips_collection_name(se)
    out["has_audio"] = bool(getattr(bpy.app.build_options, "audaspace", False))
    if out["has_audio"]:  # bpy 4.2 wheels cannot create sound strips (no Audaspace)
        wav = os.path.join(work, "tone.wav")
        _wav(wav)
        compat.new_sound_strip(scene, "Voice", wav, 1, 1)
    out["sound_strips"] = [s.name for s in compat.sound_strips(scene)]

    # panel draw() in every audio-source mode
    panel_cls = bpy.types.PARLEY_PT_main
    drawn = {}
    for source in ('AUTO', 'STRIP', 'FILE'):
        scene.parley.audio_source = source
        log = []
        fake = type("P", (), {"layout": RecordingLayout(log)})()
        panel_cls.draw(fake, bpy.context)
        drawn[source] = log
    # a blend: the Mix slider appears (and is greyed out when both emotions are the same)
    scene.parley.audio_source = 'AUTO'
    scene.parley.emotion_blend = 'surprised'
    log = []
    panel_cls.draw(type("P", (), {"layout": RecordingLayout(log)})(), bpy.context)
    drawn["BLEND"] = log
    scene_emotion = importlib.import_module(
        mod.__name__ + ".blender_support.properties").scene_emotion
    scene.parley.emotion, scene.parley.emotion_blend_share = 'happy', 0.25
    out["blend_spec"] = scene_emotion(scene.parley)
    scene.parley.emotion_blend_share = 1.0
    out["blend_all_second"] = scene_emotion(scene.parley)
    scene.parley.emotion_blend = 'NONE'
    out["blend_none"] = scene_emotion(scene.parley)
    # a keyframed Intensity: the panel says the take follows it; the job reads it per frame
    props_mod = importlib.import_module(mod.__name__ + ".blender_support.properties")
    out["intensity_plain"] = props_mod.scene_intensity(scene, 1, 4)
    for frame, value in ((1, 0.0), (5, 1.0)):
        scene.parley.intensity = value
        scene.parley.keyframe_insert("intensity", frame=frame)
    log = []
    panel_cls.draw(type("P", (), {"layout": RecordingLayout(log)})(), bpy.context)
    drawn["KEYED"] = log
    out["intensity_keyed"] = [round(float(v), 4) for v in props_mod.scene_intensity(scene, 1, 6)]
    out["drawn"] = drawn
    return out


run(main)
