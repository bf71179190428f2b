"""``parley.check_audio``: render the job's audio and report its duration and level.

This is the first half of Generate (get the speech the viewer hears) made visible on its own, so
users see problems (muted strips, missing files, silence) before any animation is made.
"""
from __future__ import annotations

import warnings

import bpy

from ..blender_support import scene_audio

QUIET_RMS_DBFS = -40.0     # overall level this low usually means a wrong strip or a gain problem


class PARLEY_OT_check_audio(bpy.types.Operator):
    """Render the speech Parley would use and report its duration and loudness"""
    bl_idname = "parley.check_audio"
    bl_label = "Check Audio"
    bl_options = {'REGISTER'}

    @classmethod
    def poll(cls, context):
        scene = context.scene
        if scene is None:
            cls.poll_message_set("No active scene")
            return False
        problem = scene_audio.audio_problem(scene, getattr(scene, "parley", None))
        if problem:
            cls.poll_message_set(problem)
            return False
        return True

    def execute(self, context):
        scene = context.scene
        settings = scene.parley
        settings.last_error = ""
        try:
            path = scene_audio.audio_path_for_settings(scene, settings)
            with warnings.catch_warnings():  # silence is reported below, not as a Python warning
                warnings.simplefilter("ignore")
                clip = scene_audio.load_audio_file(path)
        except (scene_audio.AudioSourceError, ValueError, OSError, RuntimeError) as exc:
            settings.last_error = str(exc)
            settings.last_message = ""
            self.report({'ERROR'}, str(exc))
            return {'CANCELLED'}
        settings.audio_duration = float(clip.duration)
        settings.audio_rms_db = float(clip.rms_dbfs)
        settings.audio_peak_db = float(clip.peak_dbfs)
        msg = (f"Audio: {clip.duration:.2f} s, RMS {clip.rms_dbfs:.1f} dBFS, "
               f"peak {clip.peak_dbfs:.1f} dBFS, speech in {100 * clip.active_ratio:.0f}% of frames")
        settings.last_message = msg
        self.report({'INFO'}, msg)
        problems = list(clip.warnings)
        if clip.silent and not problems:
            problems.append("The audio is silent")
        if not clip.silent and clip.rms_dbfs < QUIET_RMS_DBFS:
            problems.append(f"The audio is very quiet (RMS {clip.rms_dbfs:.1f} dBFS); results may be weak")
        if clip.silent and settings.audio_source != 'FILE':
            problems.append("Check the strip's volume and position against the scene frame range "
                            f"{scene.frame_start}-{scene.frame_end}")
        if problems:
            settings.last_error = "; ".join(problems)
            self.report({'WARNING'}, settings.last_error)
        return {'FINISHED'}


CLASSES = (PARLEY_OT_check_audio,)
