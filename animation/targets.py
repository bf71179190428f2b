"""Which shape keys a take drives: find ARKit-named keys on the user's mesh or build Parley's own.

Rules (checked in this order by :func:`plan_target`):

1. The object must be a local, editable mesh (not linked from a library, not a library override,
   which cannot take new shape keys or actions reliably).
2. Keys Parley built earlier are remembered on the shape-key datablock
   (``key["parley_shapes"]`` = the 52 key names in ARKit order); they are reused as they are.
3. Otherwise, shape keys whose names match ARKit names are driven. Matching accepts the exact
   name and common spellings: case and separators (``jaw_open``, ``JawOpen``), side suffixes
   (``eyeBlink_L``, ``eyeBlink.R``, ``EyeBlinkLeft``), exporter prefixes (``blendShape1.``,
   ``ARKit_``, ``A01_`` (Character Creator)) and VRM presets (``aa ih ou ee oh blink blink_l
   blink_r`` and VRoid's ``Fcl_MTH_A``, ``Fcl_EYE_Close_L`` ...). VRM presets are visemes, not
   ARKit shapes: each is driven by a documented mix of ARKit weights (see ``VRM_MIXES``). A rig
   is accepted when it has at least a jaw-open equivalent (``jawOpen`` or VRM ``aa``).
4. Otherwise a FLAME-topology mesh (5023 vertices) gets Parley's 52 ARKit keys, built from its
   own rest shape (the Basis key when one exists) by ``core.rig.FlameRig``; the values are 0 and
   the sliders run 0..1. When a user key already owns an ARKit name, Parley's key is called
   ``<name>.parley`` instead, so the user's key is never replaced or edited.
5. Anything else raises :class:`TargetError` saying what is needed.

Driving a key only ever animates its ``value`` through the take's action; vertex data, slider
ranges, mute, vertex groups and relative keys of existing keys are never changed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from ..core.arkit import ARKIT_NAMES, INDEX

FLAME_NUM_VERTICES = 5023
FLAME_NUM_TRIANGLES = 9976
PARLEY_KEYS_PROP = "parley_shapes"
COLLISION_SUFFIX = ".parley"
SLIDER_MIN, SLIDER_MAX = 0.0, 1.0


class TargetError(ValueError):
    """The object cannot receive Parley's animation; the message says what is needed."""


# ----------------------------------------------------------------------------- name matching
_PREFIX = re.compile(r"^(?:blendshape\d*[._:]|arkit[._:]?|bs[._:]|shape[._:]|a\d\d[._])",
                     re.IGNORECASE)
_SIDE = re.compile(r"(?:[._\- ]?(?P<s>[lr])|(?P<w>left|right))$", re.IGNORECASE)
_DUP = re.compile(r"\.\d{3}$")


def _fold(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


_ARKIT_FOLDED = {_fold(n): n for n in ARKIT_NAMES}


def arkit_name_for(key_name: str):
    """The ARKit name a shape-key name stands for, or None.

    ``jawOpen``, ``JawOpen``, ``jaw_open``, ``eyeBlink_L``, ``EyeBlinkLeft``, ``eyeBlink.R``,
    ``blendShape1.jawOpen``, ``ARKit_mouthClose`` and ``A01_Brow_Inner_Up`` all match.
    Blender duplicates (``jawOpen.001``) do not: they are copies, not the driven key.
    """
    if _DUP.search(key_name):
        return None
    name = _PREFIX.sub("", key_name.strip())
    folded = _fold(name)
    if folded in _ARKIT_FOLDED:
        return _ARKIT_FOLDED[folded]
    m = _SIDE.search(name)
    if m and m.group("s"):
        base = _fold(name[:m.start()])
        side = "left" if m.group("s").lower() == "l" else "right"
        return _ARKIT_FOLDED.get(base + side)
    return None


#: VRM expression presets (1.0 and 0.x names, and VRoid ``Fcl_`` keys) as mixes of ARKit weights.
#: Visemes: aa = open jaw, ou = rounded (pucker), oh = open rounded (funnel + some jaw),
#: ee = spread lips (stretch), ih = narrow spread (smile + a little jaw); blink from eyeBlink.
VRM_MIXES: dict[str, dict[str, float]] = {
    "aa": {"jawOpen": 1.0, "mouthClose": -1.0},
    "ih": {"mouthSmileLeft": 0.5, "mouthSmileRight": 0.5, "jawOpen": 0.3},
    "ou": {"mouthPucker": 1.0},
    "ee": {"mouthStretchLeft": 0.5, "mouthStretchRight": 0.5},
    "oh": {"mouthFunnel": 1.0, "jawOpen": 0.3},
    "blink": {"eyeBlinkLeft": 0.5, "eyeBlinkRight": 0.5},
    "blinkleft": {"eyeBlinkLeft": 1.0},
    "blinkright": {"eyeBlinkRight": 1.0},
}
_VRM_ALIASES = {
    "aa": "aa", "a": "aa", "fclmtha": "aa",
    "ih": "ih", "i": "ih", "fclmthi": "ih",
    "ou": "ou", "u": "ou", "fclmthu": "ou",
    "ee": "ee", "e": "ee", "fclmthe": "ee",
    "oh": "oh", "o": "oh", "fclmtho": "oh",
    "blink": "blink", "fcleyeclose": "blink", "fclallclose": None,
    "blinkl": "blinkleft", "blinkleft": "blinkleft", "fcleyeclosel": "blinkleft",
    "blinkr": "blinkright", "blinkright": "blinkright", "fcleyecloser": "blinkright",
}


def vrm_preset_for(key_name: str):
    """The VRM preset a key name stands for (``aa``, ``blink_l`` -> ``blinkleft`` ...), or None."""
    if _DUP.search(key_name):
        return None
    return _VRM_ALIASES.get(_fold(key_name))


# ---------------------------------------------------------------------------------- the plan
@dataclass
class TargetPlan:
    """What to drive on one mesh.

    ``channels``: shape-key name -> coefficient vector over the 52 ARKit weights (one-hot for a
    direct match); the key's curve is ``clip(weights @ coeffs, 0, 1)``. ``build`` is True when
    Parley's keys must first be created (FLAME mesh seen for the first time).
    """

    object_name: str
    mode: str  # "parley" (reuse), "arkit" (user's ARKit keys), "vrm", "build" (FLAME, first use)
    channels: dict[str, np.ndarray] = field(default_factory=dict)
    build_names: list[str] = field(default_factory=list)  # key name per ARKit shape, when building
    missing: list[str] = field(default_factory=list)  # ARKit shapes with no key on this mesh
    note: str = ""

    @property
    def build(self) -> bool:
        return self.mode == "build"

    def curves(self, weights: np.ndarray) -> dict[str, np.ndarray]:
        """Per-key value curves for a ``[frames, 52]`` take, clipped to 0..1."""
        w = np.asarray(weights, dtype=np.float32)
        return {k: np.clip(w @ c, 0.0, 1.0).astype(np.float32) for k, c in self.channels.items()}

    def describe(self) -> str:
        n = len(self.channels)
        what = {"parley": "Parley's ARKit shape keys", "arkit": "existing ARKit-named shape keys",
                "vrm": "VRM expression keys (approximate mix)",
                "build": "new Parley ARKit shape keys (built from the FLAME mesh)"}[self.mode]
        return f"{self.object_name}: drives {n} {what}" + (f"; {self.note}" if self.note else "")


def _one_hot(name: str) -> np.ndarray:
    v = np.zeros(len(ARKIT_NAMES), dtype=np.float32)
    v[INDEX[name]] = 1.0
    return v


def _mix(spec: dict[str, float]) -> np.ndarray:
    v = np.zeros(len(ARKIT_NAMES), dtype=np.float32)
    for n, c in spec.items():
        v[INDEX[n]] = c
    return v


def check_editable(obj) -> None:
    """Raise TargetError unless ``obj`` is a local mesh Parley may add keys and actions to."""
    if obj is None:
        raise TargetError("no head selected: select the head mesh (or set it in the Parley panel)")
    if obj.type != 'MESH':
        raise TargetError(f"'{obj.name}' is a {obj.type.lower()}, not a mesh: Parley animates "
                          f"shape keys, so select the head mesh itself")
    if obj.override_library is not None or obj.data.override_library is not None:
        raise TargetError(f"'{obj.name}' is a library override: shape keys of overridden meshes "
                          f"cannot be added or keyed reliably; make the mesh local "
                          f"(Object > Library Override > Make Local) first")
    if obj.library is not None or obj.data.library is not None:
        lib = (obj.library or obj.data.library).filepath
        raise TargetError(f"'{obj.name}' is linked from {lib}: make it local (Object > Relations "
                          f"> Make Local) or animate it in its source file")
    key = obj.data.shape_keys
    if key is not None and (key.library is not None or key.override_library is not None):
        raise TargetError(f"the shape keys of '{obj.name}' come from a library; make them local")


def parley_key_names(key) -> list[str] | None:
    """Names of the keys Parley built on this Key datablock (ARKit order), if any still exist."""
    if key is None or PARLEY_KEYS_PROP not in key.keys():
        return None
    names = [str(n) for n in key[PARLEY_KEYS_PROP]]
    if len(names) != len(ARKIT_NAMES):
        return None
    if any(n not in key.key_blocks for n in names):
        return None  # user deleted some: rebuild the missing ones
    return names


def plan_target(obj) -> TargetPlan:
    """Decide what to drive on ``obj`` (see the module docstring); never modifies anything."""
    check_editable(obj)
    mesh = obj.data
    key = mesh.shape_keys
    blocks = list(key.key_blocks) if key is not None else []
    ref = key.reference_key.name if key is not None else None

    names = parley_key_names(key)
    if names is not None:
        return TargetPlan(obj.name, "parley",
                          {n: _one_hot(a) for n, a in zip(names, ARKIT_NAMES)})

    parley_owned = set()
    if key is not None and PARLEY_KEYS_PROP in key.keys():
        parley_owned = {str(n) for n in key[PARLEY_KEYS_PROP]}

    arkit: dict[str, str] = {}  # ARKit name -> user key
    vrm: dict[str, str] = {}  # VRM preset -> user key
    for kb in blocks:
        if kb.name == ref or kb.name in parley_owned:
            continue
        a = arkit_name_for(kb.name)
        if a is not None:
            if a not in arkit or kb.name == a:  # prefer the exact spelling
                arkit[a] = kb.name
            continue
        v = vrm_preset_for(kb.name)
        if v is not None and v not in vrm:
            vrm[v] = kb.name

    if "jawOpen" in arkit:
        channels = {k: _one_hot(a) for a, k in arkit.items()}
        missing = [a for a in ARKIT_NAMES if a not in arkit]
        note = f"{len(missing)} ARKit shapes have no key and are skipped" if missing else ""
        return TargetPlan(obj.name, "arkit", channels, missing=missing, note=note)
    if "aa" in vrm:
        channels = {k: _mix(VRM_MIXES[p]) for p, k in vrm.items()}
        return TargetPlan(obj.name, "vrm", channels, missing=[],
                          note="VRM visemes are driven by a mix of ARKit weights")

    nverts = len(mesh.vertices)
    if nverts == FLAME_NUM_VERTICES:
        existing = {kb.name for kb in blocks}
        build_names, renamed = [], 0
        for a in ARKIT_NAMES:
            if a in parley_owned or a not in existing:
                build_names.append(a)
            else:
                build_names.append(a + COLLISION_SUFFIX)
                renamed += 1
        note = (f"{renamed} names already used by your keys, Parley's are suffixed "
                f"'{COLLISION_SUFFIX}'" if renamed else "")
        return TargetPlan(obj.name, "build",
                          {n: _one_hot(a) for n, a in zip(build_names, ARKIT_NAMES)},
                          build_names=build_names, note=note)

    found = ", ".join(sorted(arkit)[:5]) if arkit else "none"
    raise TargetError(
        f"'{obj.name}' has {nverts} vertices and no jaw-open shape key. Parley needs either a "
        f"FLAME-topology head ({FLAME_NUM_VERTICES} vertices, e.g. a FLAME export) or a mesh with "
        f"ARKit-named shape keys including 'jawOpen' (VRM 'aa' also works); ARKit keys found: "
        f"{found}")


# ------------------------------------------------------------------------------ building keys
def rest_vertices(obj) -> np.ndarray:
    """Object-space rest positions ``[V, 3]``: the reference (Basis) key if any, else the mesh."""
    mesh = obj.data
    n = len(mesh.vertices)
    co = np.empty(n * 3, dtype=np.float32)
    key = mesh.shape_keys
    if key is not None and key.reference_key is not None:
        key.reference_key.data.foreach_get("co", co)
    else:
        mesh.vertices.foreach_get("co", co)
    return co.reshape(n, 3)


def mesh_triangles(obj):
    """``[F, 3]`` vertex indices when every face is a triangle (FLAME is), else None."""
    mesh = obj.data
    n = len(mesh.polygons)
    sizes = np.empty(n, dtype=np.int32)
    mesh.polygons.foreach_get("loop_total", sizes)
    if n == 0 or np.any(sizes != 3):
        return None
    verts = np.empty(n * 3, dtype=np.int32)
    mesh.polygons.foreach_get("vertices", verts)
    return verts.reshape(n, 3)


def build_rig(rest: np.ndarray, faces=None):
    """``core.rig.FlameRig`` of a FLAME-topology rest shape: its ``deltas [52, V, 3]`` become
    Parley's keys and it measures the QA figures (bpy-free; may run in a worker thread).
    ``faces`` (triangles) lets the rig check the topology, not just the vertex count."""
    from ..core.rig import FlameRig

    try:
        rig = FlameRig.from_vertices(np.asarray(rest, dtype=np.float32), faces)
    except ValueError as exc:  # core.rig.TopologyError
        raise TargetError(f"this mesh has {rest.shape[0]} vertices like FLAME but is not FLAME "
                          f"topology: {exc}") from exc
    shape = np.shape(rig.deltas)
    if shape != (len(ARKIT_NAMES), rest.shape[0], 3):
        raise TargetError(f"the rig builder returned deltas of shape {shape}, expected "
                          f"({len(ARKIT_NAMES)}, {rest.shape[0]}, 3)")
    return rig


def build_keys(obj, plan: TargetPlan, rest: np.ndarray, deltas: np.ndarray) -> list[str]:
    """Create Parley's 52 keys on ``obj`` (adds a Basis first when the mesh has no keys).

    Values are 0, sliders 0..1, names recorded in ``key["parley_shapes"]``. Existing keys are not
    touched. Returns the created key names.
    """
    from ..blender_support import compat

    if not plan.build:
        return []
    if rest.shape[0] != len(obj.data.vertices):
        raise TargetError(f"'{obj.name}' changed while Parley was working "
                          f"({len(obj.data.vertices)} vertices now, {rest.shape[0]} before)")
    if obj.data.shape_keys is None:
        compat.add_shape_key(obj, "Basis", from_mix=False)
    key = obj.data.shape_keys
    created = []
    for i, name in enumerate(plan.build_names):
        kb = key.key_blocks.get(name)
        if kb is None:
            kb = compat.add_shape_key(obj, name, from_mix=False)
            created.append(kb.name)
        kb.data.foreach_set("co", (rest + deltas[i]).astype(np.float32).ravel())
        kb.value = 0.0
        kb.slider_min, kb.slider_max = SLIDER_MIN, SLIDER_MAX
    key[PARLEY_KEYS_PROP] = list(plan.build_names)
    obj.data.update()
    return created
