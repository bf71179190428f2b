"""Scene building and inspection helpers for the Generate tests (run inside a bpy process)."""
import hashlib
import json
import os

import numpy as np

# Synthetic ARKit head: a grid whose lower half is the "jaw/lower lip", upper rows the "brows".
ARKIT_KEYS = {  # key name as the user spelled it -> (region, dz in metres)
    "jawOpen": ("lower", -0.02),
    "mouthClose": ("lower", +0.02),
    "mouthSmile_L": ("corner_l", +0.004),
    "MouthSmileRight": ("corner_r", +0.004),
    "mouthPucker": ("corner_l", -0.002),
    "mouthFunnel": ("corner_r", -0.002),
    "browInnerUp": ("brow", +0.006),
    "browDown_L": ("brow", -0.006),
    "browDown_R": ("brow", -0.006),
    "eyeBlink_L": ("eye", -0.004),
    "eye_blink_r": ("eye", -0.004),
    "eyeSquintLeft": ("eye", -0.002),
    "noseSneer_L": ("brow", -0.001),
}
USER_KEY = "MyCustomShape"


def fcurves_of(action, slot=None):
    """All F-curves of an action (slotted or legacy)."""
    if hasattr(action, "layers"):
        out = []
        for layer in action.layers:
            for strip in layer.strips:
                for bag in strip.channelbags:
                    out.extend(bag.fcurves)
        return out
    return list(action.fcurves)


def _region_mask(co, region):
    x, y = co[:, 0], co[:, 1]
    return {"lower": y < -0.01, "corner_l": (x > 0.06) & (np.abs(y) < 0.03),
            "corner_r": (x < -0.06) & (np.abs(y) < 0.03), "brow": y > 0.07,
            "eye": (y > 0.04) & (y <= 0.07)}[region]


def build_arkit_head(name="Head"):
    """A 21x21 grid with the ARKit-spelled keys above plus one user key with its own action."""
    import bpy
    bpy.ops.mesh.primitive_grid_add(x_subdivisions=20, y_subdivisions=20, size=0.2)
    obj = bpy.context.active_object
    obj.name = name
    obj.data.name = name + "Mesh"
    obj.shape_key_add(name="Basis", from_mix=False)
    n = len(obj.data.vertices)
    base = np.empty(n * 3, np.float32)
    obj.data.vertices.foreach_get("co", base)
    base = base.reshape(n, 3)
    for key_name, (region, dz) in list(ARKIT_KEYS.items()) + [(USER_KEY, ("brow", 0.01))]:
        kb = obj.shape_key_add(name=key_name, from_mix=False)
        kb.value = 0.0
        co = base.copy()
        co[_region_mask(base, region), 2] += dz
        kb.data.foreach_set("co", co.ravel())
    user = obj.data.shape_keys.key_blocks[USER_KEY]
    user.value = 0.25
    user.slider_max = 2.0
    return obj


def lower_upper_vertices(obj):
    """Indices of a lower-lip and an upper-lip vertex of the synthetic head."""
    n = len(obj.data.vertices)
    co = np.empty(n * 3, np.float32)
    obj.data.vertices.foreach_get("co", co)
    co = co.reshape(n, 3)
    lower = int(np.argmin(np.abs(co[:, 0]) + np.abs(co[:, 1] + 0.02)))
    upper = int(np.argmin(np.abs(co[:, 0]) + np.abs(co[:, 1] - 0.0)))
    return lower, upper


def load_flame_head(ply_path, name="Head"):
    """The FLAME sample head as a Blender mesh, with one user key and a user object action."""
    import bpy
    import importlib
    core_rig = importlib.import_module("bl_ext.user_default.parley.core.rig")
    verts, faces = core_rig.load_ply(ply_path)
    mesh = bpy.data.meshes.new(name + "Mesh")
    mesh.from_pydata(np.asarray(verts, float).tolist(), [], np.asarray(faces, int).tolist())
    mesh.update()
    obj = bpy.data.objects.new(name, mesh)
    bpy.context.scene.collection.objects.link(obj)
    for p in mesh.polygons:
        p.use_smooth = True
    return obj


def add_user_data(obj):
    """The artist's own things Parley must never change: a user key and a user object action."""
    import bpy
    if obj.data.shape_keys is None:
        obj.shape_key_add(name="Basis", from_mix=False)
    if USER_KEY not in obj.data.shape_keys.key_blocks:
        kb = obj.shape_key_add(name=USER_KEY, from_mix=False)
        n = len(obj.data.vertices)
        co = np.empty(n * 3, np.float32)
        kb.data.foreach_get("co", co)
        co[2::3] += 0.001
        kb.data.foreach_set("co", co)
        kb.value = 0.25
        kb.slider_max = 2.0
    obj.location = (0.0, 0.0, 0.0)
    obj.keyframe_insert("location", frame=1)
    obj.location = (0.0, 0.0, 0.01)
    obj.keyframe_insert("location", frame=40)
    obj.animation_data.action.name = "ArtistObjectAction"
    # a parent and a modifier must not get in the way
    parent = bpy.data.objects.new("HeadRoot", None)
    bpy.context.scene.collection.objects.link(parent)
    obj.parent = parent
    obj.modifiers.new("Subsurf", 'SUBSURF').levels = 0


def add_user_key_action(obj):
    """An action of the artist's on the shape-key datablock, animating the user key."""
    import bpy
    key = obj.data.shape_keys
    kb = key.key_blocks[USER_KEY]
    kb.value = 0.0
    kb.keyframe_insert("value", frame=1)
    kb.value = 1.0
    kb.keyframe_insert("value", frame=30)
    key.animation_data.action.name = "ArtistKeyAction"
    return key.animation_data.action


def add_voice(scene, path, frame, name="Voice", channel=1):
    se = scene.sequence_editor or scene.sequence_editor_create()
    strips = getattr(se, "strips", None)
    if strips is None:
        strips = se.sequences
    return strips.new_sound(name, path, channel, frame)


def _h(arr) -> str:
    return hashlib.sha1(np.ascontiguousarray(arr).tobytes()).hexdigest()


def _fcurve_dump(fc):
    n = len(fc.keyframe_points)
    co = np.empty(2 * n, np.float32)
    fc.keyframe_points.foreach_get("co", co)
    return {"path": fc.data_path, "index": fc.array_index, "keys": _h(co), "n": n}


def fingerprint(scene) -> dict:
    """Everything a failed or cancelled Generate must leave exactly as it was."""
    import bpy
    scene.frame_set(scene.frame_start)  # animated values are compared at one fixed frame
    out = {"scene": [scene.frame_start, scene.frame_end, scene.render.fps, scene.render.fps_base],
           "actions": sorted(a.name for a in bpy.data.actions), "objects": {}, "strips": []}
    se = scene.sequence_editor
    if se is not None:
        strips = se.strips_all if hasattr(se, "strips_all") else se.sequences_all
        out["strips"] = sorted([s.name, s.mute, s.channel, s.frame_final_start, s.frame_final_end]
                               for s in strips)
    for obj in bpy.data.objects:
        o = {"type": obj.type, "matrix": _h(np.array(obj.matrix_world, np.float32)),
             "parent": obj.parent.name if obj.parent else None}
        if obj.animation_data and obj.animation_data.action:
            a = obj.animation_data.action
            o["action"] = [a.name, [_fcurve_dump(fc) for fc in fcurves_of(a)]]
        if obj.type == 'MESH':
            n = len(obj.data.vertices)
            co = np.empty(n * 3, np.float32)
            obj.data.vertices.foreach_get("co", co)
            o["verts"] = _h(co)
            key = obj.data.shape_keys
            if key is not None:
                kbs = []
                for kb in key.key_blocks:
                    kco = np.empty(n * 3, np.float32)
                    kb.data.foreach_get("co", kco)
                    kbs.append([kb.name, round(kb.value, 6), kb.slider_min, kb.slider_max, kb.mute,
                                kb.relative_key.name, kb.vertex_group, _h(kco)])
                o["keys"] = kbs
                ad = key.animation_data
                if ad is not None:
                    o["key_action"] = ad.action.name if ad.action else None
                    o["key_nla"] = [[t.name, t.mute, [(s.name, s.action.name if s.action else None,
                                                       s.frame_start, s.frame_end) for s in t.strips]]
                                    for t in ad.nla_tracks]
        out["objects"][obj.name] = o
    return out


def user_fingerprint(scene, obj_name) -> dict:
    """Only the artist's data on the head: user key, artist actions, their NLA tracks."""
    import bpy
    obj = bpy.data.objects[obj_name]
    n = len(obj.data.vertices)
    out = {}
    key = obj.data.shape_keys
    for kb in key.key_blocks:
        if kb.name == USER_KEY or kb.name == key.reference_key.name:
            co = np.empty(n * 3, np.float32)
            kb.data.foreach_get("co", co)
            out[kb.name] = [kb.value, kb.slider_min, kb.slider_max, kb.mute, kb.relative_key.name,
                            _h(co)]
    for a in bpy.data.actions:
        if "parley_take" not in a.keys():
            out["action:" + a.name] = [_fcurve_dump(fc) for fc in fcurves_of(a)] + [a.users]
    out["object_action"] = obj.animation_data.action.name if obj.animation_data and obj.animation_data.action else None
    ad = key.animation_data
    out["key_action"] = ad.action.name if ad and ad.action and "parley_take" not in ad.action.keys() else None
    out["parent"] = obj.parent.name if obj.parent else None
    out["modifiers"] = [m.name for m in obj.modifiers]
    return out


def take_summary(key) -> dict:
    """The active Parley take of a Key (or the one on the 'Parley' NLA track)."""
    ad = key.animation_data
    action = ad.action if ad and ad.action and "parley_take" in ad.action.keys() else None
    placement = "active"
    if action is None and ad is not None:
        for t in ad.nla_tracks:
            if t.name == "Parley":
                action, placement = t.strips[-1].action, "nla"
    if action is None:
        return {}
    curves = {}
    interp = set()
    frames = None
    for fc in fcurves_of(action):
        n = len(fc.keyframe_points)
        co = np.empty(2 * n, np.float32)
        fc.keyframe_points.foreach_get("co", co)
        name = fc.data_path.split('"')[1]
        curves[name] = co[1::2].tolist()
        frames = co[0::2].tolist()
        interp |= {k.interpolation for k in fc.keyframe_points}
    slot = None
    if hasattr(action, "slots") and ad is not None and placement == "active":
        slot = ad.action_slot.identifier if ad.action_slot else None
    return {"action": action.name, "placement": placement, "info": json.loads(action["parley_take"]),
            "frames": frames, "curves": curves, "interpolation": sorted(interp), "slot": slot,
            "fake_user": action.use_fake_user}


def evaluated_vertices(scene, obj, frames, idx=None):
    """Evaluated (modifiers, shape keys, animation) object-space vertices at each scene frame."""
    import bpy
    out = []
    for f in frames:
        scene.frame_set(int(f))
        dg = bpy.context.evaluated_depsgraph_get()
        ev = obj.evaluated_get(dg)
        me = ev.to_mesh()
        n = len(me.vertices)
        co = np.empty(n * 3, np.float32)
        me.vertices.foreach_get("co", co)
        ev.to_mesh_clear()
        co = co.reshape(n, 3)
        out.append(co if idx is None else co[idx])
    return np.stack(out)


def setup_render(scene, obj, out_path, size=320, engine=None):
    """Camera in front of the head, a light, small resolution; returns the engine used."""
    import bpy
    import mathutils
    co = np.array([v.co for v in obj.data.vertices])
    lo, hi = co.min(0), co.max(0)
    centre = mathutils.Vector(((lo + hi) / 2).tolist())
    height = float((hi - lo)[1])
    cam_data = bpy.data.cameras.new("ParleyTestCam")
    cam = bpy.data.objects.new("ParleyTestCam", cam_data)
    scene.collection.objects.link(cam)
    cam_data.type = 'ORTHO'
    cam_data.ortho_scale = height * 0.75
    # FLAME looks down +Z with Y up: camera on +Z looking at -Z
    cam.location = centre + mathutils.Vector((0.0, -0.02, 1.0))
    cam.rotation_euler = (0.0, 0.0, 0.0)
    scene.camera = cam
    light_data = bpy.data.lights.new("ParleyTestLight", 'SUN')
    light_data.energy = 3.0
    light = bpy.data.objects.new("ParleyTestLight", light_data)
    light.rotation_euler = (0.5, 0.3, 0.0)
    scene.collection.objects.link(light)
    scene.render.resolution_x = scene.render.resolution_y = size
    scene.render.resolution_percentage = 100
    scene.render.image_settings.file_format = 'PNG'
    scene.render.filepath = out_path
    if engine is None:
        engine = 'CYCLES'
    scene.render.engine = engine
    if engine == 'CYCLES':
        scene.cycles.device = 'CPU'
        scene.cycles.samples = 8
        if hasattr(scene.cycles, "use_denoising"):
            scene.cycles.use_denoising = False
    world = scene.world or bpy.data.worlds.new("World")
    scene.world = world
    return engine


class RecordingLayout:
    """Stands in for UILayout in a panel's draw(): records labels (with icons), operators, bars."""

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
        self.log.append(["prop", name])

    def operator(self, idname, text="", **_k):
        from types import SimpleNamespace
        self.log.append(["operator", idname, text])
        return SimpleNamespace()

    def label(self, text="", icon="NONE", **_k):
        self.log.append(["label", text, icon])

    def progress(self, **k):
        self.log.append(["progress", k.get("factor"), k.get("text")])

    def separator(self, **_k):
        pass


def draw_panel(idname):
    """Run a registered panel's draw() against a RecordingLayout; returns what it drew."""
    import bpy
    log = []
    fake = type("P", (), {"layout": RecordingLayout(log)})()
    getattr(bpy.types, idname).draw(fake, bpy.context)
    return log
