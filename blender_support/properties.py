"""Job settings saved with the scene (``scene.parley``) and transient run state (``window_manager.parley``)."""
from __future__ import annotations

import bpy
from bpy.props import (BoolProperty, EnumProperty, FloatProperty, PointerProperty, StringProperty)

from . import compat

# MEAD's eight emotions, same order as core.emotions.EMOTIONS (checked by the tests).
EMOTION_ITEMS = (
    ('neutral', "Neutral", "No emotional expression"),
    ('happy', "Happy", ""),
    ('sad', "Sad", ""),
    ('surprised', "Surprised", ""),
    ('fearful', "Fearful", ""),
    ('disgusted', "Disgusted", ""),
    ('angry', "Angry", ""),
    ('contempt', "Contempt", ""),
)

# The second emotion of a blend: neutral is left out (a share of neutral is what Intensity does).
BLEND_ITEMS = (('NONE', "None", "One emotion only"),) + tuple(
    (key, name, f"Mix {name.lower()} into the emotion") for key, name, _d in EMOTION_ITEMS
    if key != 'neutral')

AUDIO_SOURCE_ITEMS = (
    ('AUTO', "Scene Audio", "Everything audible in the scene range: all unmuted sound strips, mixed"),
    ('STRIP', "Sound Strip", "One chosen sound strip only"),
    ('FILE', "File", "An audio file on disk"),
)


def _is_mesh(_self, obj) -> bool:
    return obj.type == 'MESH'


def _search_sound_strips(_self, context, edit_text):
    """Names of the scene's sound strips for the strip field's search popup."""
    text = (edit_text or "").lower()
    for strip in compat.sound_strips(context.scene):
        if text in strip.name.lower():
            yield strip.name


class ParleySettings(bpy.types.PropertyGroup):
    """What to animate, from which audio, with which emotion."""
    target: PointerProperty(
        name="Head", type=bpy.types.Object, poll=_is_mesh,
        description="FLAME-topology head mesh that receives the shape-key animation",
    )
    audio_source: EnumProperty(name="Audio", items=AUDIO_SOURCE_ITEMS, default='AUTO',
                               description="Where the speech comes from")
    strip_name: StringProperty(name="Strip", description="Sound strip to use",
                               search=_search_sound_strips)  # search= exists since 3.3
    audio_file: StringProperty(name="File", subtype='FILE_PATH',
                               description="Audio file (WAV, FLAC, OGG, MP3)")
    emotion: EnumProperty(name="Emotion", items=EMOTION_ITEMS, default='neutral',
                          description="Emotion of the performance (MEAD's eight)")
    intensity: FloatProperty(name="Intensity", default=1.0, min=0.0, max=1.0, subtype='FACTOR',
                             description="Strength of the emotion (0 = neutral)")
    emotion_blend: EnumProperty(
        name="Blend With", items=BLEND_ITEMS, default='NONE',
        description="A second emotion to mix into the first (EMOTE-style blend), e.g. happy "
                    "with surprised")
    emotion_blend_share: FloatProperty(
        name="Mix", default=0.5, min=0.0, max=1.0, subtype='FACTOR',
        description="Share of the second emotion: 0 = only the first, 1 = only the second")
    transcript: StringProperty(
        name="Transcript", default="",
        description="What is said (optional). Parley then aligns these words to the audio instead "
                    "of recognising them: the lips meet on far more P/B/M, timing is exact")
    transcript_text: PointerProperty(
        name="Transcript Text", type=bpy.types.Text,
        description="A text datablock holding the transcript (for long recordings); used instead "
                    "of the Transcript line when set")
    lip_seal: BoolProperty(name="Seal P/B/M", default=True,
                           description="Learned model: make the lips meet on every P, B and M of "
                                       "the recognised (or transcript) phones")
    # Results of the last audio check / generation, shown in the panel.
    last_message: StringProperty(name="Last Message", default="")
    last_error: StringProperty(name="Last Error", default="")
    audio_duration: FloatProperty(name="Duration", default=0.0, unit='TIME_ABSOLUTE')
    audio_rms_db: FloatProperty(name="RMS Level", default=-120.0)
    audio_peak_db: FloatProperty(name="Peak Level", default=-120.0)


def scene_transcript(settings) -> str:
    """The job's transcript: the Text datablock's contents when one is set, else the line."""
    text = getattr(settings, "transcript_text", None)
    if text is not None:
        return text.as_string().strip()
    return (getattr(settings, "transcript", "") or "").strip()


class ParleyRuntime(bpy.types.PropertyGroup):
    """Transient state of a running job (on the WindowManager, so never saved in .blend files)."""
    running: BoolProperty(name="Running", default=False)
    progress: FloatProperty(name="Progress", default=0.0, min=0.0, max=1.0, subtype='FACTOR')
    status: StringProperty(name="Status", default="")


CLASSES = (ParleySettings, ParleyRuntime)


def register_properties() -> None:
    bpy.types.Scene.parley = PointerProperty(type=ParleySettings)
    bpy.types.WindowManager.parley = PointerProperty(type=ParleyRuntime)


def unregister_properties() -> None:
    for owner in (bpy.types.WindowManager, bpy.types.Scene):
        if hasattr(owner, "parley"):
            del owner.parley


def scene_emotion(settings) -> "str | dict[str, float]":
    """The job's emotion: the Emotion, or its blend with the Blend With emotion at Mix."""
    first = getattr(settings, "emotion", "neutral")
    second = getattr(settings, "emotion_blend", 'NONE')
    share = float(getattr(settings, "emotion_blend_share", 0.0))
    if second in ('NONE', '', first) or share <= 0.0:
        return first
    if share >= 1.0:
        return second
    return {first: 1.0 - share, second: share}


def scene_intensity(scene, first_frame: int, num_frames: int):
    """The job's intensity: the Intensity slider, or, when it is keyframed and changes, its
    value on each of the take's ``num_frames`` frames from ``first_frame`` (a numpy array)."""
    import numpy as np

    from .compat import find_fcurve
    settings = scene.parley
    fc = find_fcurve(scene, "parley.intensity")
    if fc is None or len(fc.keyframe_points) < 2 or getattr(fc, "mute", False):
        return float(settings.intensity)
    curve = np.array([fc.evaluate(first_frame + i) for i in range(num_frames)], np.float32)
    curve = np.clip(curve, 0.0, 1.0)
    if float(curve.max() - curve.min()) < 1e-6:
        return float(curve[0])
    return curve
