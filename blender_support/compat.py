"""Blender 4.2 - 5.x API differences in one place, detected by attribute, never by version number.

- Sequencer: ``sequences``/``sequences_all`` (<= 4.5) vs ``strips``/``strips_all`` (4.4+, only these in 5.0).
- Actions: legacy ``Action.fcurves`` (<= 4.3, removed in 5.0) vs slotted actions (4.4+).
- Shape keys: new keys default to value 1.0 in 5.0 (0.0 before) -> always zero them.
- EEVEE engine id: ``BLENDER_EEVEE_NEXT`` (4.2-4.5) vs ``BLENDER_EEVEE`` (5.0+).
"""
from __future__ import annotations

import bpy


def strips_collection(sequence_editor, *, recursive: bool = False):
    """Top-level strips (or all strips, meta contents included, with ``recursive``)."""
    if sequence_editor is None:
        return ()
    names = ("strips_all", "sequences_all") if recursive else ("strips", "sequences")
    for name in names:
        coll = getattr(sequence_editor, name, None)
        if coll is not None:
            return coll
    raise AttributeError("this Blender's SequenceEditor has neither 'strips' nor 'sequences'")


def strips_collection_name(sequence_editor, *, recursive: bool = False) -> str:
    """Attribute name of the strips collection, for ``UILayout.prop_search``."""
    names = ("strips_all", "sequences_all") if recursive else ("strips", "sequences")
    for name in names:
        if hasattr(sequence_editor, name):
            return name
    raise AttributeError("this Blender's SequenceEditor has neither 'strips' nor 'sequences'")


def sound_strips(scene) -> list:
    """Every sound strip of ``scene`` (inside meta strips too), in a stable order."""
    se = scene.sequence_editor
    if se is None:
        return []
    return sorted((s for s in strips_collection(se, recursive=True) if s.type == 'SOUND'),
                  key=lambda s: (s.channel, s.frame_final_start, s.name))


def new_sound_strip(scene, name: str, filepath: str, channel: int, frame_start: int):
    """Add a sound strip (``strips.new_sound`` or the older ``sequences.new_sound``)."""
    se = scene.sequence_editor or scene.sequence_editor_create()
    return strips_collection(se).new_sound(name, filepath, channel, frame_start)


def channel_muted(scene, channel: int) -> bool:
    """Whether a whole sequencer channel is muted (channels exist since 3.3)."""
    se = scene.sequence_editor
    channels = getattr(se, "channels", None) if se is not None else None
    if channels is None or channel >= len(channels):
        return False
    return bool(channels[channel].mute)


def add_shape_key(obj, name: str, *, from_mix: bool = False):
    """``shape_key_add`` with value 0.0 on every Blender (5.0 defaults new keys to 1.0)."""
    key_block = obj.shape_key_add(name=name, from_mix=from_mix)
    key_block.value = 0.0
    return key_block


def eevee_engine_id() -> str:
    """Render-engine identifier of EEVEE for this Blender."""
    items = bpy.types.RenderSettings.bl_rna.properties["engine"].enum_items
    ids = {item.identifier for item in items}
    for candidate in ("BLENDER_EEVEE_NEXT", "BLENDER_EEVEE"):
        if candidate in ids:
            return candidate
    raise RuntimeError(f"no EEVEE render engine found among {sorted(ids)}")


def ensure_fcurve(action, id_block, data_path: str, *, index: int = 0, group: str = "Parley"):
    """An F-curve for ``id_block.<data_path>`` in ``action``, with a slot on slotted-action Blenders.

    The action is assigned to ``id_block`` (and its slot too, on 4.4+), so the curve animates it.
    """
    anim = id_block.animation_data or id_block.animation_data_create()
    if hasattr(action, "layers"):  # slotted actions (4.4+)
        if anim.action is not action:
            anim.action = action
        if getattr(anim, "action_slot", None) is None:
            slot = action.slots.new(id_type=id_block.id_type, name=id_block.name)
            anim.action_slot = slot
        slot = anim.action_slot
        layer = action.layers[0] if len(action.layers) else action.layers.new("Layer")
        strip = layer.strips[0] if len(layer.strips) else layer.strips.new(type='KEYFRAME')
        bag = strip.channelbag(slot, ensure=True)
        fc = bag.fcurves.find(data_path, index=index)
        if fc is None:
            fc = bag.fcurves.new(data_path, index=index)
            grp = bag.groups.get(group) or bag.groups.new(group)
            fc.group = grp
        return fc
    # legacy actions (4.2 / 4.3)
    action.id_root = id_block.id_type
    if anim.action is not action:
        anim.action = action
    fc = action.fcurves.find(data_path, index=index)
    if fc is None:
        fc = action.fcurves.new(data_path, index=index, action_group=group)
    return fc


def find_fcurve(id_block, data_path: str, *, index: int = 0):
    """The F-curve animating ``id_block.<data_path>`` in its active action, or None (slotted
    actions on 4.4+, legacy ``Action.fcurves`` before)."""
    anim = getattr(id_block, "animation_data", None)
    action = anim.action if anim is not None else None
    if action is None:
        return None
    if hasattr(action, "layers"):  # slotted actions (4.4+)
        slot = getattr(anim, "action_slot", None)
        for layer in action.layers:
            for strip in layer.strips:
                bag = strip.channelbag(slot) if slot is not None else None
                fc = bag.fcurves.find(data_path, index=index) if bag is not None else None
                if fc is not None:
                    return fc
        if not hasattr(action, "fcurves"):
            return None
    return action.fcurves.find(data_path, index=index)
