"""One generation, scene -> keyframes, in three steps that keep the UI responsive and cancel clean.

1. :func:`prepare` (main thread): validate the head and the audio, render the speech with
   ``bpy.ops.sound.mixdown`` (temporary mutes / range changes are restored before it returns) and
   copy everything the work needs into a bpy-free :class:`Job`. Nothing in the scene changes.
2. :func:`compute` (any thread, no bpy): run ``core.engine.generate_take`` and, for a FLAME mesh
   seen for the first time, the rig builder. Cooperative cancellation via ``should_cancel``.
3. :func:`commit` (main thread): build Parley's shape keys if needed, write the take, extend the
   scene range when asked. This is the only step that changes the scene, so cancelling before it
   leaves the scene exactly as it was, and one operator undo step reverts all of it.

Timing: the speech sample ``s`` plays at scene frame ``first_frame + s / 16000 * fps``; key ``i``
of the take sits on frame ``first_frame + i`` and shows the face at the centre of that frame.
"""
from __future__ import annotations

import math
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from ..core import engine as core_engine
from . import targets, takes


class GenerateError(ValueError):
    """Generation cannot start or finish; the message says what to do."""


class RangeError(GenerateError):
    """The speech runs past the scene's end frame (the UI offers to extend the range)."""


@dataclass
class Request:
    """What the user asked for (operator / batch arguments), by name only."""
    object_name: str
    emotion: "str | dict" = "neutral"  # a name or a blend {name: share}
    intensity: float = 1.0
    audio_source: str = "AUTO"  # AUTO (scene mix) | STRIP | FILE
    strip_name: str = ""
    audio_file: str = ""
    transcript: str = ""
    extend_scene: bool = False
    push_previous_to_nla: bool = False
    engine: str = core_engine.ENGINE_AUTO
    model_path: str = ""
    device: str = "auto"  # learned model only: auto | cpu | gpu
    threads: int = 0
    lip_seal: bool = True  # learned model only: seal every P/B/M (core.lip_seal)
    recognition: str = "words"  # words | words_fast (no transcript)
    animated_intensity: bool = True  # follow the scene's Intensity keyframes, if it has any


@dataclass
class Job:
    """Everything :func:`compute` needs, without references to Blender data."""
    request: Request
    scene_name: str
    fps: float
    first_frame: int
    samples: np.ndarray
    audio_label: str
    plan: targets.TargetPlan
    rest: Optional[np.ndarray] = None
    faces: Optional[np.ndarray] = None
    new_frame_end: Optional[int] = None
    notes: list = field(default_factory=list)
    #: (take name, [[phone, start, end], ...]) stored with an earlier take of this exact audio
    known_phones: Optional[tuple] = None
    #: the scene's Intensity keyframed over the take: its value on each frame of the take
    intensity_curve: Optional[np.ndarray] = None


@dataclass
class Result:
    take: core_engine.Take
    deltas: Optional[np.ndarray] = None
    seconds: float = 0.0


@dataclass
class Outcome:
    action_name: str
    object_name: str
    frames: tuple
    message: str
    take: core_engine.Take
    written: takes.WrittenTake
    warnings: list = field(default_factory=list)


def find_object(name: str):
    """The object called ``name``, preferring a local one (a library override shares its name
    with the linked original)."""
    import bpy
    try:
        local = bpy.data.objects.get((name, None))
    except (TypeError, KeyError):
        local = None
    return local if local is not None else bpy.data.objects.get(name)


def scene_fps(scene) -> float:
    return scene.render.fps / scene.render.fps_base


# ------------------------------------------------------------------------------------- prepare
def _check_path_text(path: str, what: str) -> None:
    """Non-ASCII paths: decoding works on every OS we test, but report clearly if it cannot."""
    try:
        os.fsencode(path)
    except UnicodeError as exc:
        raise GenerateError(f"{what} path {path!r} cannot be encoded on this system ({exc}); "
                            f"rename the file or folder using ASCII characters") from exc


def _audible_span(scene, strips) -> tuple[int, int]:
    """Frames [start, end) covered by the given strips."""
    a = min(int(math.floor(s.frame_final_start)) for s in strips)
    b = max(int(math.ceil(s.frame_final_end)) for s in strips)
    return a, b


def _load(path: str):
    from ..blender_support.scene_audio import load_audio_file
    from ..core.audio import AudioError
    import warnings

    _check_path_text(path, "Audio")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return load_audio_file(path)
    except AudioError as exc:
        raise GenerateError(str(exc)) from exc


def _range_problem(scene, end_frame: int, what: str) -> RangeError:
    return RangeError(f"The scene ends at frame {scene.frame_end} but {what} runs to frame "
                      f"{end_frame - 1}: extend the scene range (End = {end_frame - 1}) or press "
                      f"'Extend Scene & Generate' (batch: --extend-scene)")


def _speech(scene, req: Request, fps: float):
    """(samples16k, first_frame, label, new_frame_end) for the request; restores what it touches."""
    from ..blender_support import scene_audio

    sa = scene_audio
    if req.audio_source == "FILE":
        path = sa.resolve_file_path(req.audio_file)
        clip = _load(path)
        first = scene.frame_start
        end = first + int(round(clip.duration * fps))
        new_end = None
        if end - 1 > scene.frame_end:
            if not req.extend_scene:
                raise _range_problem(scene, end, f"the audio file ({clip.duration:.2f} s)")
            new_end = end - 1
        return clip.samples, first, os.path.splitext(os.path.basename(path))[0], new_end

    if req.audio_source == "STRIP":
        strip = sa.find_sound_strip(scene, req.strip_name)
        path = sa.resolve_sound_path(strip)
        if path:
            _check_path_text(path, f"Sound strip '{strip.name}'")
        if strip.mute or sa.compat.channel_muted(scene, strip.channel):
            raise GenerateError(f"Sound strip '{strip.name}' is muted: unmute it or pick another strip")
        strips, label = [strip], strip.name
    elif req.audio_source == "AUTO":
        strips = sa.check_scene_audio(scene)
        for s in strips:
            p = sa.resolve_sound_path(s)
            if p:
                _check_path_text(p, f"Sound strip '{s.name}'")
        label = strips[0].name if len(strips) == 1 else f"{strips[0].name}+{len(strips) - 1}"
    else:
        raise GenerateError(f"unknown audio source {req.audio_source!r}; use AUTO, STRIP or FILE")

    a, b = _audible_span(scene, strips)
    a = max(a, scene.frame_start)
    new_end = None
    if b - 1 > scene.frame_end:
        if not req.extend_scene:
            raise _range_problem(scene, b, f"the sound ({label})")
        new_end = b - 1
    saved_end = scene.frame_end
    try:
        if new_end is not None:
            scene.frame_end = new_end  # restored below: the mixdown renders frame_start..frame_end
        if req.audio_source == "STRIP":
            path = sa.render_strip_audio(scene, strip.name)
        else:
            path = sa.render_scene_audio(scene)
    finally:
        if scene.frame_end != saved_end:
            scene.frame_end = saved_end
    clip = _load(path)
    s0 = int(round((a - scene.frame_start) / fps * clip.sample_rate))
    s1 = int(round((b - scene.frame_start) / fps * clip.sample_rate))
    samples = clip.samples[s0:min(s1, clip.samples.size)]
    return samples, a, label, new_end


def prepare(scene, req: Request) -> Job:
    """Validate and gather everything on the main thread; the scene is left as it was."""
    from ..blender_support.scene_audio import AudioSourceError

    obj = find_object(req.object_name) if req.object_name else None
    if obj is None:
        raise GenerateError(f"no object named '{req.object_name}'" if req.object_name else
                            "no head selected: select the head mesh or set it in the Parley panel")
    try:
        plan = targets.plan_target(obj)
    except targets.TargetError as exc:
        raise GenerateError(str(exc)) from exc
    fps = scene_fps(scene)
    try:
        samples, first, label, new_end = _speech(scene, req, fps)
    except AudioSourceError as exc:
        raise GenerateError(str(exc)) from exc
    if samples.size < core_engine.MIN_DURATION * core_engine.SAMPLE_RATE:
        raise GenerateError(f"only {samples.size / 16000:.2f} s of audio lies inside the scene "
                            f"range {scene.frame_start}-{scene.frame_end}: move the strip or the range")
    flame = len(obj.data.vertices) == targets.FLAME_NUM_VERTICES and plan.mode in ("build", "parley")
    rest = targets.rest_vertices(obj) if flame else None
    faces = targets.mesh_triangles(obj) if flame else None
    notes = [plan.describe()]
    samples = np.ascontiguousarray(samples, np.float32)
    known = takes.find_phones(core_engine.audio_digest(samples), req.transcript,
                              req.recognition, core_engine.parley_version())
    if known is not None:
        notes.append(f"phone timings reused from '{known[0]}'")
    curve = None
    if req.animated_intensity and getattr(scene, "parley", None) is not None:
        from ..blender_support.properties import scene_intensity
        n = core_engine.num_scene_frames(samples.size / core_engine.SAMPLE_RATE, fps)
        value = scene_intensity(scene, int(first), n)
        if isinstance(value, np.ndarray):
            curve = value
            notes.append(f"Intensity is keyframed: animated {curve.min():.2f}-{curve.max():.2f} "
                         f"over the take")
    return Job(req, scene.name, fps, int(first), samples, label, plan, rest, faces, new_end,
               notes, known, curve)


# ------------------------------------------------------------------------------------- compute
def compute(job: Job, progress=None, should_cancel=None) -> Result:
    """The heavy part; never touches bpy (safe in a worker thread)."""
    t0 = time.perf_counter()
    req = job.request
    rig, deltas, start = None, None, 0.0
    if job.rest is not None:  # FLAME topology: the rig gives Parley's keys and the QA geometry
        if progress is not None:
            progress(0.0, "building the FLAME rig")
        try:
            rig = targets.build_rig(job.rest, job.faces)
        except targets.TargetError as exc:
            raise GenerateError(str(exc)) from exc
        except ImportError as exc:
            if job.plan.build:
                raise GenerateError(f"the FLAME rig builder (core.rig) cannot be imported: "
                                    f"{exc}") from exc
            rig = None  # keys exist already; only the QA figures are lost
        if rig is not None and job.plan.build:
            deltas = np.asarray(rig.deltas, dtype=np.float32)
        start = 0.1

    def sub(frac, msg):
        if progress is not None:
            progress(start + frac * (1.0 - start), msg)

    if job.known_phones is not None:
        core_engine.remember_phones(job.samples, job.known_phones[1], req.transcript or None,
                                    req.recognition)
    try:
        take = core_engine.generate_take(
            job.samples, fps=job.fps, emotion=req.emotion,
            intensity=req.intensity if job.intensity_curve is None else job.intensity_curve,
            transcript=req.transcript or None, progress=sub, should_cancel=should_cancel,
            engine=req.engine, model_path=req.model_path or None, qa_rig=rig,
            device=req.device, threads=req.threads, lip_seal=req.lip_seal,
            recognition=req.recognition)
    except (core_engine.EngineError, ValueError) as exc:
        raise GenerateError(str(exc)) from exc
    return Result(take, deltas, time.perf_counter() - t0)


# -------------------------------------------------------------------------------------- commit
def commit(job: Job, result: Result) -> Outcome:
    """Write the result into the scene (main thread). The only step with side effects."""
    import bpy
    scene = bpy.data.scenes.get(job.scene_name)
    obj = find_object(job.request.object_name)
    if scene is None or obj is None:
        raise GenerateError("the scene or the head was deleted or renamed while Parley was working; "
                            "generate again")
    plan = job.plan
    if plan.build:
        targets.build_keys(obj, plan, job.rest, result.deltas)
    key = obj.data.shape_keys
    if key is None:
        raise GenerateError(f"'{obj.name}' has no shape keys any more; generate again")
    missing = [k for k in plan.channels if k not in key.key_blocks]
    if missing:
        raise GenerateError(f"shape keys were removed while Parley was working ({missing[0]} ...); "
                            f"generate again")
    take = result.take
    meta = {"engine": take.engine_label, "device": take.versions.get("device", "CPU"),
            "seconds": round(result.seconds, 3), "audio_seconds": round(take.duration, 3),
            "rtf": round(result.seconds / take.duration, 4) if take.duration else 0.0,
            "fps": round(job.fps, 5), "qa": take.qa, "versions": take.versions,
            "audio": job.audio_label, "target_mode": plan.mode, "phones": take.phone_source}
    if isinstance(take.emotion_mix, dict):
        meta["emotion_mix"] = {k: round(float(v), 4) for k, v in take.emotion_mix.items()}
    if take.intensity_curve is not None:
        meta["intensity_range"] = [round(float(take.intensity_curve.min()), 4),
                                   round(float(take.intensity_curve.max()), 4)]
    if job.known_phones is not None:
        meta["phones_reused_from"] = job.known_phones[0]
    written = takes.write_take(key, plan.curves(take.weights), job.first_frame,
                               strip_name=job.audio_label, emotion=take.emotion,
                               intensity=take.intensity, meta=meta,
                               intensity_label=None if take.intensity_curve is None else "anim",
                               push_previous_to_nla=job.request.push_previous_to_nla)
    if take.segments and take.audio_digest:
        used = job.request.transcript if take.phone_source == "transcript" else ""
        takes.store_phones(bpy.data.actions[written.action_name], take.segments,
                           audio_digest=take.audio_digest, transcript=used,
                           recognition=job.request.recognition,
                           version=take.versions.get("parley", ""))
    warnings = []
    if job.new_frame_end is not None:
        scene.frame_end = job.new_frame_end
        warnings.append(f"scene range extended to end at frame {job.new_frame_end}")
    if written.placement == "nla":
        warnings.append(f"'{key.name}' already plays your action "
                        f"'{key.animation_data.action.name}', so the take was put on the NLA track "
                        f"'{takes.LIVE_TRACK}' underneath it; channels your action keys override it")
    warnings.extend(take.notes)
    warnings.extend(qa_warnings(take.qa))
    msg = (f"{written.action_name}: {written.num_curves} shape keys, frames "
           f"{written.frames[0]:g}-{written.frames[1]:g} at {job.fps:.3f} fps, "
           f"{take.engine_label}, {result.seconds:.1f} s")
    return Outcome(written.action_name, obj.name, written.frames, msg, take, written, warnings)


# ------------------------------------------------------------------------------------------ QA
#: Figures shown in the panel: (qa key, label, unit, poor(value) -> bool)
#: Thresholds: closure and rest targets from docs (>= 95 % wanted, < 90 % flagged); lag uses the
#: ITU-R BT.1359 acceptability limits (motion late <= 90 ms, early <= 185 ms); jitter flags more
#: than 10 % of the lip-gap energy above 8 Hz (real speech articulates mostly below 8 Hz).
QA_FIGURES = (
    ("bilabial_closure_rate", "Bilabial closure", "%", lambda v: v < 0.9),
    ("silent_rest_rate", "Silent rest", "%", lambda v: v < 0.9),
    ("av_lag_ms", "A/V lag", "ms", lambda v: v > 90 or v < -185),
    ("jitter_hf_ratio_gap", "Jitter (>8 Hz)", "%", lambda v: v > 0.10),
)


def qa_rows(qa: dict) -> list[tuple[str, str, bool]]:
    """(label, formatted value, poor) for each QA figure present in ``qa``."""
    rows = []
    for key, label, unit, poor in QA_FIGURES:
        v = qa.get(key)
        if v is None or not isinstance(v, (int, float)) or not math.isfinite(v):
            continue
        text = f"{100 * v:.0f} %" if unit == "%" else (f"{v:+.0f} ms" if unit == "ms" else f"{v:.2f}")
        rows.append((label, text, bool(poor(v))))
    return rows


def qa_warnings(qa: dict) -> list[str]:
    return [f"QA: {label} is poor ({text})" for label, text, poor in qa_rows(qa) if poor]


# ---------------------------------------------------------------------------------- synchronous
def generate(scene, req: Request, progress=None) -> Outcome:
    """prepare + compute + commit on the calling thread (background mode, batch scripts)."""
    job = prepare(scene, req)
    result = compute(job, progress=progress)
    return commit(job, result)


# ---------------------------------------------------------------------------------- worker run
class Runner:
    """Runs :func:`compute` in a daemon thread; the UI polls ``progress``/``status``/``done``.

    ``cancel()`` makes the worker stop at its next check and the caller discards everything, so
    the scene stays untouched. Only one runner may be active per Blender session.
    """

    _active: Optional["Runner"] = None
    _lock = threading.Lock()

    def __init__(self, job: Job):
        self.job = job
        self.progress = 0.0
        self.status = "starting"
        self.result: Optional[Result] = None
        self.error: Optional[BaseException] = None
        self._cancel = threading.Event()
        self._thread = threading.Thread(target=self._run, name="parley-generate", daemon=True)

    @classmethod
    def active(cls) -> Optional["Runner"]:
        r = cls._active
        return r if r is not None and not r.finished else None

    def start(self) -> "Runner":
        with Runner._lock:
            if Runner.active() is not None:
                raise GenerateError("a generation is already running: wait for it to finish or "
                                    "cancel it (Esc or the Cancel button) first")
            Runner._active = self
        self._thread.start()
        return self

    def _progress(self, frac, msg):
        self.progress, self.status = float(frac), str(msg)

    def _run(self):
        try:
            self.result = compute(self.job, self._progress, self._cancel.is_set)
        except BaseException as exc:  # reported on the main thread
            self.error = exc

    @property
    def done(self) -> bool:
        return not self._thread.is_alive() and self._thread.ident is not None

    @property
    def finished(self) -> bool:
        return self.done or self._cancel.is_set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self):
        self._cancel.set()
        self.status = "cancelled"

    def wait(self, timeout: Optional[float] = None) -> bool:
        self._thread.join(timeout)
        return self.done

    def release(self):
        with Runner._lock:
            if Runner._active is self:
                Runner._active = None
