"""Sidebar panel: head, audio source, emotion and intensity, Check Audio and (when registered) Generate."""
from __future__ import annotations

import bpy

from ..blender_support import compat

GENERATE_OPERATOR = "PARLEY_OT_generate_lipsync"


class PARLEY_PT_main(bpy.types.Panel):
    bl_label = "Parley Lip-Sync"
    bl_idname = "PARLEY_PT_main"
    bl_space_type = 'VIEW_3D'
    bl_region_type = 'UI'
    bl_category = "Parley"

    def draw(self, context):
        layout = self.layout
        scene = context.scene
        settings = getattr(scene, "parley", None)
        if settings is None:
            layout.label(text="Parley settings missing: re-enable the add-on", icon='ERROR')
            return
        col = layout.column()
        col.prop(settings, "target")

        box = col.box()
        box.label(text="Audio", icon='SOUND')
        box.row().prop(settings, "audio_source", expand=True)
        if settings.audio_source == 'STRIP':
            box.prop(settings, "strip_name", icon='SEQUENCE')
        elif settings.audio_source == 'FILE':
            box.prop(settings, "audio_file", text="")
        else:
            n = len(compat.sound_strips(scene))
            box.label(text=f"{n} sound strip{'s' if n != 1 else ''} in the scene, frames "
                           f"{scene.frame_start}-{scene.frame_end}")
        box.operator("parley.check_audio", icon='PLAY_SOUND')
        if hasattr(settings, "transcript"):
            tbox = col.box()
            tbox.label(text="Transcript (optional, seals P/B/M reliably)", icon='TEXT')
            if settings.transcript_text is None:
                tbox.prop(settings, "transcript", text="")
            tbox.prop(settings, "transcript_text", text="Text")

        col.separator()
        col.prop(settings, "emotion")
        if hasattr(settings, "emotion_blend"):
            col.prop(settings, "emotion_blend")
            if settings.emotion_blend != 'NONE':
                row = col.row()
                row.enabled = settings.emotion_blend != settings.emotion
                row.prop(settings, "emotion_blend_share", slider=True)
        col.prop(settings, "intensity", slider=True)
        if compat.find_fcurve(scene, "parley.intensity") is not None:
            col.label(text="Keyframed: the take follows it", icon='DECORATE_KEYFRAME')
        if hasattr(settings, "lip_seal"):
            col.prop(settings, "lip_seal")

        col.separator()
        runtime = getattr(context.window_manager, "parley", None)
        if hasattr(bpy.types, GENERATE_OPERATOR):
            row = col.row()
            row.scale_y = 1.5
            row.enabled = not (runtime and runtime.running)
            row.operator("parley.generate_lipsync", icon='SHAPEKEY_DATA')
        else:
            col.label(text="Generate: the speech-to-motion model is not installed yet", icon='INFO')
        # progress, Cancel and the last take's outcome are drawn by the "Take" sub-panel

        if settings.last_message:
            col.label(text=settings.last_message, icon='CHECKMARK')
        if settings.last_error:
            col.label(text=settings.last_error, icon='ERROR')


CLASSES = (PARLEY_PT_main,)
