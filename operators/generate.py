"""``parley.generate_lipsync`` and ``parley.cancel_generation``: the Generate button.

In the UI, ``invoke`` gathers the job on the main thread, runs the engine in a worker thread
(``animation.apply.Runner``, no bpy there) and polls it from a modal timer that drives the panel's
progress bar; Esc or the Cancel button stop it and leave the scene exactly as it was. Keyframes
are written on the main thread when the worker is done, inside the operator's single undo step.
In background mode (``blender -b``), where modal handlers and timers never run, ``execute`` does
the same work synchronously, and a failure reports an ERROR and returns CANCELLED, which makes
``bpy.ops.parley.generate_lipsync()`` raise ``RuntimeError`` for scripts.
"""
from __future__ import annotations

import bpy
from bpy.props import BoolProperty, EnumProperty, StringProperty

from ..animation import apply
from ..core import engine as core_engine

#: Last outcome for the panel (not saved in the .blend, not part of the scene).
LAST_RUN: dict = {"message": "", "error": "", "warnings": [], "offer_extend": False}

_ENGINE_ITEMS = (
    ('auto', "Automatic", "The learned model when one is installed and released (the built-in "
                          "one is), else the phoneme choreography"),
    ('choreography', "Choreography", "Phone recognition + rule-based choreography (no learned model)"),
    ('learned', "Learned Model", "The installed speech-to-motion model (fails when none is installed)"),
)


def _request(op, context) -> apply.Request:
    scene = context.scene
    settings = getattr(scene, "parley", None)
    if settings is None:
        raise apply.GenerateError("Parley settings are missing on this scene: enable the add-on")
    obj = op.object_name and apply.find_object(op.object_name)
    if op.object_name and obj is None:
        raise apply.GenerateError(f"no object named '{op.object_name}'")
    obj = obj or settings.target or context.active_object
    if obj is None:
        raise apply.GenerateError("no head selected: select the head mesh or set Head in the "
                                  "Parley panel")
    model_path, device, threads, recognition = "", "auto", 0, "words"
    try:
        from ..blender_support.preferences import effective_threads, get_preferences
        prefs = get_preferences(context)
        model_path, device = prefs.model_path, prefs.compute_device.lower()
        threads = effective_threads(prefs)
        recognition = str(getattr(prefs, "recognition", "WORDS")).lower()
    except (RuntimeError, AttributeError, KeyError):
        pass  # add-on registered without preferences (e.g. from a checkout): defaults
    if getattr(op, "recognition", 'PREFS') != 'PREFS':
        recognition = op.recognition.lower()
    from ..blender_support.properties import scene_emotion, scene_transcript
    transcript = op.transcript.strip() or scene_transcript(settings)
    return apply.Request(
        object_name=obj.name, emotion=scene_emotion(settings), intensity=float(settings.intensity),
        audio_source=settings.audio_source, strip_name=settings.strip_name,
        audio_file=settings.audio_file, transcript=transcript, extend_scene=op.extend_scene,
        push_previous_to_nla=op.push_previous_to_nla, engine=op.engine,
        model_path=bpy.path.abspath(model_path) if model_path else "", device=device,
        threads=threads, lip_seal=bool(getattr(settings, "lip_seal", True)),
        recognition=recognition, animated_intensity=bool(getattr(op, "animated_intensity", True)))


def _set_runtime(context, running=None, progress=None, status=None):
    rt = getattr(context.window_manager, "parley", None)
    if rt is None:
        return
    if running is not None:
        rt.running = running
    if progress is not None:
        rt.progress = min(max(progress, 0.0), 1.0)
    if status is not None:
        rt.status = status


def _redraw(context):
    screen = getattr(context, "screen", None)
    for area in (screen.areas if screen else ()):
        if area.type in {'VIEW_3D', 'SEQUENCE_EDITOR', 'PROPERTIES'}:
            area.tag_redraw()


class PARLEY_OT_generate_lipsync(bpy.types.Operator):
    """Generate lip-sync and facial animation for the head from the scene's speech (new take)"""
    bl_idname = "parley.generate_lipsync"
    bl_label = "Generate Lip-Sync"
    # UNDO: one undo step per take. No REGISTER: its "Adjust Last Operation" panel would re-run
    # execute() synchronously on the main thread and freeze the UI for the whole generation.
    bl_options = {'UNDO'}

    object_name: StringProperty(name="Object", default="",
                                description="Head to animate (empty: the panel's Head, else the "
                                            "active object)")
    transcript: StringProperty(name="Transcript", default="",
                               description="What is said (optional; empty: the panel's "
                                           "Transcript, if any)")
    extend_scene: BoolProperty(name="Extend Scene Range", default=False,
                               description="Extend the scene's end frame when the speech is longer")
    push_previous_to_nla: BoolProperty(name="Keep Previous Take on NLA", default=False,
                                       description="Push the replaced Parley take to a muted NLA "
                                                   "track 'Parley takes'")
    engine: EnumProperty(name="Engine", items=_ENGINE_ITEMS, default='auto')
    animated_intensity: BoolProperty(
        name="Animated Intensity", default=True,
        description="When the panel's Intensity is keyframed, follow its keyframes over the take "
                    "(off: its current value throughout)")
    recognition: EnumProperty(
        name="Phone Recognition", default='PREFS',
        items=(('PREFS', "Preferences", "As set in the Parley preferences"),
               ('WORDS', "Accurate", "PocketSphinx word recognition with its full search"),
               ('WORDS_FAST', "Fast", "A narrower search, about 2.5x faster")))

    _runner = None
    _timer = None

    @classmethod
    def poll(cls, context):
        if context.scene is None or not hasattr(context.scene, "parley"):
            cls.poll_message_set("Parley settings are missing: enable the Parley add-on")
            return False
        return True

    # -- shared ---------------------------------------------------------------------------
    def _fail(self, context, exc) -> set:
        msg = str(exc) or exc.__class__.__name__
        LAST_RUN.update(error=msg, message="", warnings=[],
                        offer_extend=isinstance(exc, apply.RangeError))
        _set_runtime(context, running=False, progress=0.0, status="")
        self.report({'ERROR'}, msg)
        return {'CANCELLED'}

    def _finish(self, context, job, result) -> set:
        try:
            out = apply.commit(job, result)
        except (apply.GenerateError, ValueError, RuntimeError) as exc:
            return self._fail(context, exc)
        LAST_RUN.update(error="", message=out.message, warnings=list(out.warnings),
                        offer_extend=False)
        _set_runtime(context, running=False, progress=1.0, status="done")
        if bpy.app.background:
            # Blender pushes the UNDO step of an operator only when a window manager drives it;
            # in background mode (scripts, batch) push it here so ed.undo still reverts one take.
            bpy.ops.ed.undo_push(message=self.bl_label)
        self.report({'INFO'}, out.message)
        for w in out.warnings:
            self.report({'WARNING'}, w)
        return {'FINISHED'}

    def _refuse_if_running(self):
        if apply.Runner.active() is not None:
            raise apply.GenerateError("Parley is already generating: wait for it to finish or "
                                      "cancel it (Esc or Cancel) before starting another take")

    # -- synchronous (background mode, scripts) --------------------------------------------
    def execute(self, context):
        try:
            self._refuse_if_running()
            job = apply.prepare(context.scene, _request(self, context))
            print(f"Parley: {job.notes[0]}; audio '{job.audio_label}' from frame "
                  f"{job.first_frame} at {job.fps:.3f} fps")
            result = apply.compute(job)
        except (apply.GenerateError, ValueError, core_engine.EngineError) as exc:
            return self._fail(context, exc)
        return self._finish(context, job, result)

    # -- interactive ------------------------------------------------------------------------
    def invoke(self, context, event):
        if bpy.app.background or context.window is None:
            return self.execute(context)
        try:
            self._refuse_if_running()
            job = apply.prepare(context.scene, _request(self, context))
            self._runner = apply.Runner(job).start()
        except (apply.GenerateError, ValueError, core_engine.EngineError) as exc:
            return self._fail(context, exc)
        LAST_RUN.update(error="", message="", warnings=[])
        _set_runtime(context, running=True, progress=0.0, status="starting")
        wm = context.window_manager
        self._timer = wm.event_timer_add(0.1, window=context.window)
        wm.modal_handler_add(self)
        return {'RUNNING_MODAL'}

    def _stop_timer(self, context):
        if self._timer is not None:
            context.window_manager.event_timer_remove(self._timer)
            self._timer = None

    def modal(self, context, event):
        runner = self._runner
        if event.type == 'ESC' or runner.cancelled:
            runner.cancel()
            runner.release()
            self._stop_timer(context)
            LAST_RUN.update(error="", message="Generation cancelled; nothing was changed",
                            warnings=[])
            _set_runtime(context, running=False, progress=0.0, status="cancelled")
            self.report({'INFO'}, "Parley: generation cancelled, the scene is unchanged")
            _redraw(context)
            return {'CANCELLED'}
        if event.type != 'TIMER':
            return {'PASS_THROUGH'}
        _set_runtime(context, progress=runner.progress, status=runner.status)
        _redraw(context)
        if not runner.done:
            return {'PASS_THROUGH'}
        self._stop_timer(context)
        runner.release()
        if runner.error is not None:
            if isinstance(runner.error, core_engine.Cancelled):
                _set_runtime(context, running=False, progress=0.0, status="cancelled")
                return {'CANCELLED'}
            return self._fail(context, runner.error)
        result = self._finish(context, runner.job, runner.result)
        _redraw(context)
        return result

    def cancel(self, context):  # Blender calls this when the modal is torn down (file load, quit)
        if self._runner is not None:
            self._runner.cancel()
            self._runner.release()
        self._stop_timer(context)
        _set_runtime(context, running=False, progress=0.0, status="cancelled")


class PARLEY_OT_cancel_generation(bpy.types.Operator):
    """Stop the running generation; the scene stays exactly as it was"""
    bl_idname = "parley.cancel_generation"
    bl_label = "Cancel"
    bl_options = {'INTERNAL'}

    @classmethod
    def poll(cls, context):
        if apply.Runner.active() is None:
            cls.poll_message_set("Nothing is being generated")
            return False
        return True

    def execute(self, context):
        runner = apply.Runner.active()
        if runner is not None:
            runner.cancel()  # the modal operator notices on its next timer tick and cleans up
        return {'FINISHED'}


CLASSES = (PARLEY_OT_generate_lipsync, PARLEY_OT_cancel_generation)
