"""Speech -> take: the one call the Blender layer and the batch script make.

``generate_take(samples16k, fps=..., emotion=..., intensity=...)`` turns 16 kHz mono speech into a
``Take``: ARKit-52 weights sampled at the *scene* frame rate, plus what the panel shows (engine,
timings, QA figures). It never imports bpy, so the UI can run it in a worker thread and tests can
run it in plain Python.

Engines (picked by :func:`select_engine`):

* ``learned``: the trained speech->motion model (``core.model.Parley``) when a checkpoint is
  installed (``core/model/default/`` or an explicit ``model_path``).
* ``choreography``: phone recognition with PocketSphinx (or forced alignment when a transcript is
  given) followed by the rule-based phoneme choreography (``core.choreography.animate``), a
  Rhubarb-like engine. It is used when no learned checkpoint is installed and is labelled as such
  ("choreography (no learned model installed)") everywhere it is reported.

Progress is reported through ``progress(fraction, message)``; cancellation is cooperative:
``should_cancel()`` is polled between stages and a :class:`Cancelled` exception ends the run.
"""
from __future__ import annotations

import importlib.util
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from .arkit import ARKIT_NAMES, NUM_SHAPES
from .clip_cache import ClipCache, clip_digest
from .emotions import check_emotion_mix, emotion_label, level_weights  # noqa: F401 (re-export)
from .loudness import SILENT_PEAK_DBFS, loudness_envelope, num_frames_for
from .phones import PhoneSegment

SAMPLE_RATE = 16000
MODEL_FPS = 30.0
MIN_FPS, MAX_FPS = 1.0, 240.0
MIN_DURATION = 0.1  # seconds; shorter clips cannot hold a single phone

ENGINE_LEARNED = "learned"
ENGINE_CHOREOGRAPHY = "choreography"
ENGINE_AUTO = "auto"
DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "model" / "default"

ProgressFn = Callable[[float, str], None]
CancelFn = Callable[[], bool]


class EngineError(RuntimeError):
    """Generation cannot run (missing dependency, unusable audio, broken checkpoint)."""


class Cancelled(Exception):
    """The caller asked to stop; nothing was produced."""


@dataclass
class Take:
    """One generated performance.

    ``weights[i]`` is the face at audio time ``start_offset + i / fps`` (seconds), columns in
    ``names`` (ARKit order). ``weights30`` keeps the model-rate curves for QA and export.
    """

    weights: np.ndarray
    fps: float
    names: tuple[str, ...]
    duration: float
    #: the emotion as shown: a name, or a blend such as "happy 60% + surprised 40%"
    emotion: str
    intensity: float
    engine: str
    engine_label: str
    start_offset: float = 0.0
    weights30: Optional[np.ndarray] = None
    segments: list = field(default_factory=list)
    timings: dict = field(default_factory=dict)
    qa: dict = field(default_factory=dict)
    versions: dict = field(default_factory=dict)
    #: where the phone timings came from: "transcript" (forced alignment) or
    #: "recognised (words)" / "recognised (words_fast)" (PocketSphinx, no transcript)
    phone_source: str = ""
    #: things the user should know about this take (e.g. a transcript that misses words)
    notes: list = field(default_factory=list)
    #: ``clip_digest`` of the 16 kHz samples ("sha1-length"): which audio the phones belong to
    audio_digest: str = ""
    #: the emotion as used: a name or a blend ``{name: share}`` (shares sum to 1)
    emotion_mix: object = "neutral"
    #: an animated Intensity: its value per output frame (``intensity`` is then its maximum)
    intensity_curve: Optional[np.ndarray] = None

    @property
    def num_frames(self) -> int:
        return int(self.weights.shape[0])

    @property
    def realtime_factor(self) -> float:
        """Compute seconds per second of audio (lower is faster)."""
        total = self.timings.get("total", 0.0)
        return total / self.duration if self.duration > 0 else 0.0

    def summary(self) -> str:
        c = self.intensity_curve
        level = f"{self.intensity:.2f}" if c is None else f"{c.min():.2f}-{c.max():.2f} (keyed)"
        return (f"{self.engine_label}: {self.num_frames} frames at {self.fps:.3f} fps, "
                f"{self.emotion}@{level}, {self.timings.get('total', 0.0):.2f} s "
                f"({self.realtime_factor:.2f}x real time)"
                + (f", phones {self.phone_source}" if self.phone_source else ""))


# --------------------------------------------------------------------------------------- checks
def check_fps(fps: float) -> float:
    fps = float(fps)
    if not np.isfinite(fps) or not MIN_FPS <= fps <= MAX_FPS:
        raise ValueError(f"frame rate must be within {MIN_FPS:g}..{MAX_FPS:g} fps, got {fps}")
    return fps


def check_samples(samples) -> np.ndarray:
    """16 kHz mono float samples as a contiguous float32 vector, or a ValueError saying why not."""
    if hasattr(samples, "samples"):  # core.audio.AudioClip
        rate = int(getattr(samples, "sample_rate", SAMPLE_RATE))
        if rate != SAMPLE_RATE:
            raise ValueError(f"audio must be resampled to {SAMPLE_RATE} Hz, got {rate} Hz")
        samples = samples.samples
    x = np.asarray(samples)
    if x.ndim == 2 and 1 in x.shape:
        x = x.reshape(-1)
    if x.ndim != 1:
        raise ValueError(f"audio must be mono (one channel), got an array of shape {x.shape}")
    if not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"audio samples must be floats in -1..1, got dtype {x.dtype}")
    x = np.ascontiguousarray(x, dtype=np.float32)
    if x.size < MIN_DURATION * SAMPLE_RATE:
        raise ValueError(f"audio is {x.size / SAMPLE_RATE:.3f} s long; at least {MIN_DURATION} s "
                         f"of speech is needed")
    if not np.all(np.isfinite(x)):
        raise ValueError("audio contains NaN or infinite samples")
    peak = float(np.max(np.abs(x)))
    if peak < 10.0 ** (SILENT_PEAK_DBFS / 20.0):
        raise ValueError(f"audio is silent (peak below {SILENT_PEAK_DBFS:g} dBFS): check that the "
                         f"sound strip is not muted, its volume is above 0 and it lies inside the "
                         f"scene frame range")
    return x


RECOGNITION_METHODS = ("words", "words_fast")


def check_recognition(method: str) -> str:
    if method not in RECOGNITION_METHODS:
        raise ValueError(f"unknown phone recognition {method!r}; use one of {RECOGNITION_METHODS}")
    return method


def check_intensity(intensity: float) -> float:
    v = float(intensity)
    if not np.isfinite(v) or not 0.0 <= v <= 1.0:
        raise ValueError(f"intensity must be within 0..1, got {intensity}")
    return v


#: intensity levels an engine without its own ``intensity_levels`` is run at for an animated one
DEFAULT_LEVELS = (0.0, 0.25, 0.5, 0.75, 1.0)


def check_intensity_curve(curve, num_frames: int) -> np.ndarray:
    """An animated Intensity: one value in 0..1 per output frame (``num_frames`` of them)."""
    c = np.asarray(curve, dtype=np.float64)
    if c.ndim != 1 or len(c) != num_frames:
        raise ValueError(f"an animated intensity needs one value per frame of the take "
                         f"({num_frames}), got shape {c.shape}")
    if not np.all(np.isfinite(c)) or c.min() < 0.0 or c.max() > 1.0:
        raise ValueError(f"intensity must be within 0..1 on every frame, got "
                         f"{float(np.nanmin(c)):g}..{float(np.nanmax(c)):g}")
    return c.astype(np.float32)


# ------------------------------------------------------------------------------------ resampling
def num_scene_frames(duration: float, fps: float) -> int:
    """Frames of a take at ``fps``: ``round(duration * fps)`` (at least one), as in the corpus."""
    return max(1, num_frames_for(duration, fps))


def resample_motion(weights: np.ndarray, src_fps: float, dst_fps: float,
                    num_frames: Optional[int] = None) -> np.ndarray:
    """Linear resampling of ``[T, C]`` curves from ``src_fps`` to ``dst_fps``.

    Timing convention (``core.loudness``): frame ``i`` covers ``[i/fps, (i+1)/fps)`` and shows the
    face at its centre ``(i + 0.5) / fps``; in Blender, scene frame ``frame_start + i`` plays audio
    from ``i / fps``, so the same convention holds there. Times outside the source hold the edge
    frame. Equal rates give the identity.
    """
    w = np.asarray(weights, dtype=np.float32)
    if w.ndim != 2 or w.shape[0] == 0:
        raise ValueError(f"motion must be a non-empty [frames, channels] array, got {w.shape}")
    src_fps, dst_fps = check_fps(src_fps), check_fps(dst_fps)
    if num_frames is None:
        num_frames = num_scene_frames(w.shape[0] / src_fps, dst_fps)
    if w.shape[0] == 1:
        return np.repeat(w, num_frames, axis=0)
    # source-frame position of each destination centre (rounded to kill float noise at exact hits)
    pos = np.round((np.arange(num_frames, dtype=np.float64) + 0.5) * (src_fps / dst_fps) - 0.5, 9)
    pos = np.clip(pos, 0.0, w.shape[0] - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, w.shape[0] - 1)
    frac = (pos - lo).astype(np.float32)[:, None]
    return (w[lo] * (1.0 - frac) + w[hi] * frac).astype(np.float32)


# --------------------------------------------------------------------------------------- engines
def find_checkpoint(model_path: Optional[str | Path] = None) -> Optional[Path]:
    """The learned-model checkpoint to use, or None when only the choreography engine exists.

    An explicit ``model_path`` that does not exist is an error (the user asked for it).
    """
    if model_path:
        p = Path(model_path).expanduser()
        if not p.exists():
            raise EngineError(f"model path {p} does not exist; clear the model path in the Parley "
                              f"preferences to use the built-in engine")
        return p
    d = DEFAULT_MODEL_DIR
    if d.is_dir() and any(f.suffix in (".safetensors", ".pt", ".onnx", ".json")
                          for f in d.iterdir() if f.is_file()):
        return d
    return None


class PhoneCache(ClipCache):
    """Recognised / aligned phone timings of the last clips (``core.clip_cache``): re-takes of
    the same line with another emotion or intensity skip PocketSphinx, most of a take's cost."""

    def key(self, samples, transcript: Optional[str] = None, recognition: str = "words") -> tuple:
        return super().key(samples, (transcript or "").strip(), recognition)


PHONE_CACHE = PhoneCache()


def audio_digest(samples) -> str:
    """The clip's identity for stored phone timings: ``"<sha1>-<samples>"`` of its float32 samples."""
    sha, n = clip_digest(samples)
    return f"{sha}-{n}"


def remember_phones(samples, segments, transcript: Optional[str] = None,
                    recognition: str = "words") -> None:
    """Seed the phone cache with timings found earlier for exactly these samples (e.g. stored
    with a take in the .blend), so the next take of the clip skips PocketSphinx."""
    PHONE_CACHE.put(PHONE_CACHE.key(samples, transcript, check_recognition(recognition)),
                    [PhoneSegment(str(p), float(a), float(b)) for p, a, b in segments])


def _chunk_progress(step: Callable[[float, str], None], lo: float, hi: float):
    """Map a long recording's recognition progress (chunks done) onto ``step``'s range."""
    def progress(done: int, total: int) -> None:
        step(lo + (hi - lo) * done / max(1, total), f"recognising phones ({done}/{total} parts)")
    return progress


class TranscriptNotAligned(Exception):
    """Forced alignment found no path through the transcript's words (internal: the engine
    then recognises the phones instead and says so)."""


class ChoreographyEngine:
    """Phones (PocketSphinx) -> rule-based ARKit choreography; no learned weights involved."""

    name = ENGINE_CHOREOGRAPHY
    device = "CPU"

    def __init__(self, reason: str = "no learned model installed", recognition: str = "words"):
        self.label = f"choreography ({reason})"
        self.recognition = check_recognition(recognition)

    def phones(self, samples: np.ndarray, transcript: Optional[str],
               progress: Optional[Callable[[int, int], None]] = None) -> list[PhoneSegment]:
        """Phone timings of the clip (aligned to ``transcript``, else recognised), cached per clip.

        A transcript that cannot be aligned (it does not match the audio, or the recording is
        too noisy or reverberant for forced alignment) does not stop the take: the phones are
        recognised instead and ``self.phone_note`` says so (None otherwise).
        ``progress(done, total)`` follows the chunks of a long recording's recognition; an
        exception it raises (a cancel) stops it."""
        self.phone_note = None
        if transcript and transcript.strip():
            key = PHONE_CACHE.key(samples, transcript, self.recognition)
            hit = PHONE_CACHE.get(key)
            if hit is None:
                try:
                    hit = self._aligned(samples, transcript)
                except TranscriptNotAligned as exc:
                    hit = {"unaligned": str(exc)}
                PHONE_CACHE.put(key, hit)
            if not isinstance(hit, dict):
                return list(hit)
            self.phone_note = (f"the transcript could not be aligned to the audio "
                               f"({hit['unaligned']}), so the phones were recognised from the "
                               f"audio instead; check that the transcript is what is said")
        key = PHONE_CACHE.key(samples, None, self.recognition)
        hit = PHONE_CACHE.get(key)
        if hit is None:
            hit = self._recognised(samples, progress)
            PHONE_CACHE.put(key, hit)
        return list(hit)

    @staticmethod
    def _alignment():
        try:
            from . import alignment
        except ImportError as exc:  # pocketsphinx missing from this Python (e.g. inside Blender)
            raise EngineError(
                f"the phoneme engine needs PocketSphinx, which cannot be imported here ({exc}); "
                f"reinstall the Parley extension for this platform or install a learned model"
            ) from exc
        return alignment

    def _aligned(self, samples: np.ndarray, transcript: str) -> list[PhoneSegment]:
        alignment = self._alignment()
        try:   # chunked at pauses past 30 s (align_long)
            return list(alignment.align_long(samples, transcript).phones)
        except ImportError as exc:
            raise EngineError(f"PocketSphinx could not be loaded ({exc}); reinstall the Parley "
                              f"extension for this platform") from exc
        except ValueError as exc:          # no words in it (only punctuation, say)
            raise TranscriptNotAligned(str(exc).split(";")[0]) from exc
        except RuntimeError as exc:        # alignment.AlignmentError: no path through the words
            raise TranscriptNotAligned(str(exc).split(". Check")[0]) from exc

    def _recognised(self, samples: np.ndarray, progress=None) -> list[PhoneSegment]:
        alignment = self._alignment()
        try:
            return list(alignment.recognize_phones(samples, self.recognition, progress=progress))
        except ImportError as exc:
            raise EngineError(f"PocketSphinx could not be loaded ({exc}); reinstall the Parley "
                              f"extension for this platform") from exc
        except RuntimeError as exc:  # alignment.AlignmentError: missing package, decode failure
            raise EngineError(f"phone recognition failed: {exc}") from exc

    #: an animated Intensity mixes runs at these levels (measured: the choreography is linear
    #: in intensity to within 0.011 of a weight, so three levels are enough)
    intensity_levels = (0.0, 0.5, 1.0)

    def motion30(self, samples, *, duration, emotion, intensity, transcript, loudness, seed,
                 step: Callable[[float, str], None]):
        step(0.15, "recognising phones" if not transcript else "aligning transcript")
        segments = self.phones(samples, transcript, _chunk_progress(step, 0.15, 0.75))
        step(0.75, "choreographing the face")
        from .choreography import animate
        w = animate(segments, duration, fps=MODEL_FPS, emotion=emotion, intensity=intensity,
                    loudness=loudness, seed=seed)
        return np.asarray(w, dtype=np.float32), segments


class LearnedEngine:
    """The trained speech->motion model (``core.model``), followed by the lip seal
    (``core.lip_seal``: lips meet on every P/B/M of the phone timings) unless ``lip_seal=False``."""

    name = ENGINE_LEARNED

    def __init__(self, checkpoint: Path, device: str = "auto", threads: int = 0,
                 lip_seal: bool = True, recognition: str = "words"):
        self.checkpoint = Path(checkpoint)
        self.lip_seal = bool(lip_seal)
        self.recognition = check_recognition(recognition)
        self.label = f"learned model ({self.checkpoint.name}){' + lip seal' if self.lip_seal else ''}"
        self._model = None
        self.requested_device = device
        self.threads = int(threads)
        self.device = "CPU"

    @property
    def intensity_levels(self) -> tuple:
        """The intensities the model was trained on (and 0): an animated Intensity mixes their
        motion, as a fixed one between them does inside the model (``condition_anchors``)."""
        return (0.0, *getattr(self.load().cfg, "intensities", (0.5, 1.0)))

    def load(self):
        """numpy runtime on the CPU (no torch needed: this is what runs inside Blender, and it is
        faster than torch there); torch ``Parley`` only for a GPU."""
        if self._model is None:
            torch_device = resolve_device(self.requested_device)
            try:
                if torch_device == "cpu":
                    from .model.numpy_runtime import NumpyParley
                    self._model = NumpyParley.from_pretrained(self.checkpoint)
                    self.device = "CPU"
                else:
                    import torch

                    from .model import Parley
                    if self.threads > 0:
                        torch.set_num_threads(self.threads)
                    self._model = Parley.from_pretrained(self.checkpoint, device=torch_device)
                    self.device = str(getattr(self._model, "device", torch_device)).upper()
            except ImportError as exc:
                raise EngineError(f"the learned model needs a runtime that cannot be imported "
                                  f"here ({exc})") from exc
            except (OSError, ValueError, KeyError) as exc:
                raise EngineError(f"could not load the model from {self.checkpoint}: {exc}") from exc
        return self._model

    def _timed_phones(self, samples, transcript, step):
        step(0.05, "loading model")
        model = self.load()
        step(0.15, "timing phones")
        timing = ChoreographyEngine(recognition=self.recognition)
        self.phone_note = None
        try:  # phone timings feed phone-based front ends and the QA figures
            segments = timing.phones(samples, transcript, _chunk_progress(step, 0.15, 0.4))
            self.phone_note = getattr(timing, "phone_note", None)
        except EngineError:
            segments = []
        return model, segments

    def _sealed(self, w, segments):
        w = np.asarray(w, dtype=np.float32)
        if self.lip_seal and segments:
            from .lip_seal import seal_bilabials
            w = seal_bilabials(w, segments, MODEL_FPS)
        return w

    def motion30(self, samples, *, duration, emotion, intensity, transcript, loudness, seed,
                 step: Callable[[float, str], None]):
        model, segments = self._timed_phones(samples, transcript, step)
        step(0.4, "running model")
        w = _needs_runtime(lambda: model.generate(samples, emotion=emotion, intensity=intensity,
                                                  fps=MODEL_FPS, segments=segments or None))
        return self._sealed(w, segments), segments

    def motion30_levels(self, samples, *, levels, duration, emotion, transcript, loudness, seed,
                        step: Callable[[float, str], None]):
        """``({intensity: motion}, segments)`` at each of ``levels``, equal to ``motion30`` at
        that intensity; the model decodes all of them in one pass over the audio."""
        model, segments = self._timed_phones(samples, transcript, step)
        step(0.4, f"running model at {len(levels)} intensity levels")
        runs = _needs_runtime(lambda: model.generate_levels(
            samples, emotion=emotion, levels=levels, fps=MODEL_FPS, segments=segments or None))
        return {v: self._sealed(w, segments) for v, w in runs.items()}, segments


def _needs_runtime(call):
    """``call()``, with a runtime that cannot be imported reported as an :class:`EngineError`."""
    try:
        return call()
    except ImportError as exc:
        raise EngineError(f"the learned model needs a runtime that cannot be imported here "
                          f"({exc})") from exc


def _animated_intensity(eng, x, curve, fps, n30, step, kw):
    """30 fps motion for a per-frame intensity ``curve`` (at ``fps``): the motion at each
    intensity level the curve passes, mixed frame by frame. An engine with ``motion30_levels``
    (the learned model) makes all levels in one pass; otherwise it runs once per level (phones
    and features are cached after the first run)."""
    curve30 = resample_motion(curve[:, None], fps, MODEL_FPS, n30)[:, 0]
    weights = level_weights(curve30, getattr(eng, "intensity_levels", DEFAULT_LEVELS))
    if hasattr(eng, "motion30_levels"):
        runs, segments = eng.motion30_levels(x, levels=tuple(weights), step=step, **kw)
    else:
        runs, segments = {}, []
        for i, level in enumerate(weights):
            run_step = step if i == 0 else (
                lambda _f, _m, i=i: step(0.85, f"animated intensity: level {i + 1} of "
                                               f"{len(weights)}"))
            runs[level], segs = eng.motion30(x, intensity=level, step=run_step, **kw)
            if i == 0:
                segments = segs
    out = None
    for level, w in weights.items():
        m = np.asarray(runs[level], np.float32)[:n30]
        if out is None:
            out = np.zeros_like(m)
        out[:len(m)] += w[:len(m), None] * m
    return out, segments


def resolve_device(choice: str = "auto") -> str:
    """torch device for ``auto`` / ``cpu`` / ``gpu`` (CUDA, else Apple MPS); ``gpu`` without one
    is an error, ``auto`` falls back to the CPU."""
    choice = (choice or "auto").lower()
    if choice not in ("auto", "cpu", "gpu"):
        raise ValueError(f"unknown compute device {choice!r}; use auto, cpu or gpu")
    if choice == "cpu":
        return "cpu"
    if importlib.util.find_spec("torch") is None:  # e.g. inside Blender: torch is not bundled
        if choice == "gpu":
            raise EngineError("compute device 'GPU' needs PyTorch, which this Python cannot "
                              "import; choose CPU or Automatic in the Parley preferences")
        return "cpu"
    import torch
    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    if choice == "gpu":
        raise EngineError("compute device 'GPU' was chosen but PyTorch sees no usable GPU (CUDA "
                          "or Apple MPS); choose CPU or Automatic in the Parley preferences")
    return "cpu"


RELEASE_FILE = "release.json"


def release_hold(checkpoint: Path, with_transcript: bool = False) -> Optional[str]:
    """Why the built-in checkpoint must not be used by ``auto``, or None when it may.

    A checkpoint that has not (yet) met Parley's quality bars on real speech ships with
    ``release.json`` = ``{"auto": false, "reason": "..."}``: it stays available on request
    (engine ``learned`` or a model path), but ``auto`` keeps the choreography engine. The bars
    are met or missed per phone source, so ``"auto_with_transcript"`` (default: ``"auto"``)
    decides for takes that come with a transcript (``with_transcript``).
    """
    import json

    f = Path(checkpoint) / RELEASE_FILE
    if not f.is_file():
        return None
    try:
        info = json.loads(f.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return f"unreadable {RELEASE_FILE} ({exc})"
    allowed = info.get("auto", True)
    if with_transcript:
        allowed = info.get("auto_with_transcript", allowed)
    if allowed:
        return None
    return str(info.get("reason") or "below the quality bars")


def select_engine(preference: str = ENGINE_AUTO, model_path: Optional[str | Path] = None,
                  device: str = "auto", threads: int = 0, lip_seal: bool = True,
                  recognition: str = "words", with_transcript: bool = False):
    """Learned model when a checkpoint is installed (or forced), else the choreography engine
    (which seals bilabials itself). ``lip_seal`` applies to the learned model; ``recognition``
    (``words`` | ``words_fast``, ``core.alignment.recognize_phones``) to both;
    ``with_transcript``: the take comes with a transcript (see :func:`release_hold`)."""
    if preference not in (ENGINE_AUTO, ENGINE_LEARNED, ENGINE_CHOREOGRAPHY):
        raise ValueError(f"unknown engine {preference!r}; choose auto, learned or choreography")
    if preference == ENGINE_CHOREOGRAPHY:
        return ChoreographyEngine("chosen in settings", recognition)
    ckpt = find_checkpoint(model_path)
    if ckpt is None:
        if preference == ENGINE_LEARNED:
            raise EngineError(f"no learned model is installed (looked in {DEFAULT_MODEL_DIR}); "
                              f"set a model path in the Parley preferences or pick engine 'auto'")
        return ChoreographyEngine(recognition=recognition)
    if preference == ENGINE_AUTO and model_path is None:
        held = release_hold(ckpt, with_transcript)
        if held:
            return ChoreographyEngine(f"built-in learned model held back: {held}", recognition)
    return LearnedEngine(ckpt, device, threads, lip_seal, recognition)


# ------------------------------------------------------------------------------------ loudness
def loudness_per_frame(samples: np.ndarray, fps: float, num_frames: int) -> np.ndarray:
    """Loudness (dBFS per motion frame, frame centres) for the choreography's aperture scaling."""
    return loudness_envelope(samples, SAMPLE_RATE, fps, num_frames=num_frames)


# ------------------------------------------------------------------------------------------- QA
def _plain(v):
    """JSON-safe copy of a metric value (numpy scalars -> float/int, NaN -> None)."""
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, (np.integer, int)) and not isinstance(v, bool):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return float(v) if np.isfinite(v) else None
    return v if isinstance(v, (str, bool, type(None))) else str(v)


def take_qa(weights30: np.ndarray, segments, samples: np.ndarray, rig=None) -> dict:
    """GT-free QA of a take (``core.evaluation.evaluate_take``) on the head's own rig.

    The lip metrics are measured on FLAME geometry, so they need ``rig`` (a ``core.rig`` rig of
    the target head) and phone timings; otherwise ``{"unavailable": reason}``.
    """
    if rig is None:
        return {"unavailable": "QA needs a FLAME-topology head"}
    if not segments:
        return {"unavailable": "QA needs phone timings (none were recognised)"}
    from .evaluation import evaluate_take
    try:
        m = evaluate_take(weights30, MODEL_FPS, segments, samples, rig=rig)
    except (ValueError, KeyError, IndexError) as exc:
        return {"unavailable": f"QA failed: {exc}"}
    out = {k: _plain(v) for k, v in m.items()
           if k != "bilabial_failures" and np.ndim(v) == 0}  # per-frame arrays stay out
    out["bilabial_failures"] = _plain(list(m.get("bilabial_failures") or [])[:10])
    return out


# ----------------------------------------------------------------------------------- main entry
def parley_version() -> str:
    """Version from the extension manifest next to ``core/`` ("unknown" outside a checkout)."""
    manifest = Path(__file__).resolve().parents[1] / "blender_manifest.toml"
    try:
        import tomllib
        with open(manifest, "rb") as f:
            return str(tomllib.load(f).get("version", "unknown"))
    except (OSError, ValueError, ImportError):
        return "unknown"


def versions(engine=None) -> dict:
    """Version strings logged with every take (Parley, engine, numpy)."""
    out = {"parley": parley_version(), "numpy": np.__version__}
    if engine is not None:
        out["engine"] = engine.label
        out["device"] = getattr(engine, "device", "CPU")
        if isinstance(engine, LearnedEngine):
            out["model"] = str(engine.checkpoint)
    return out


def phone_source_label(transcript: Optional[str], recognition: str) -> str:
    """How a take's phones were found, as recorded with the take and shown to the user."""
    return "transcript" if transcript and transcript.strip() else f"recognised ({recognition})"


def generate_take(samples, *, fps: float, emotion: "str | dict" = "neutral",
                  intensity: "float | np.ndarray" = 1.0,
                  transcript: Optional[str] = None, progress: Optional[ProgressFn] = None,
                  should_cancel: Optional[CancelFn] = None, engine: str = ENGINE_AUTO,
                  model_path: Optional[str | Path] = None, seed: int = 0,
                  start_offset: float = 0.0, qa_rig=None, device: str = "auto",
                  threads: int = 0, lip_seal: bool = True, recognition: str = "words") -> Take:
    """Generate a take for 16 kHz mono ``samples`` at the scene frame rate ``fps``.

    ``emotion``: one of MEAD's eight, or a blend of them (``{"happy": .6, "surprised": .4}`` or
    ``"happy:0.6,surprised:0.4"``: shares, scaled to sum to 1), played at ``intensity``: a
    number, or an animated Intensity given as one value per output frame (the Blender add-on
    passes the scene's Intensity keyframes). An animated one is played by mixing, frame by
    frame, the motion at the engine's intensity levels around each value (the learned model's
    trained levels, decoded once each over the same phones), so the lips keep one timing.

    ``qa_rig``: the target head's rig, for the QA figures (see :func:`take_qa`).
    ``device`` (auto/cpu/gpu) and ``threads`` (0 = torch default) apply to the learned model;
    the choreography engine always runs on the CPU. ``lip_seal`` (default on) closes the learned
    model's lips on every P/B/M of the phone timings (``core.lip_seal``). ``recognition``:
    ``words`` (default) or ``words_fast`` (~2.5x faster PocketSphinx search, slightly less
    reliable on bilabials), for clips without a transcript.
    Deterministic for equal inputs and ``seed``. Raises ValueError for unusable input,
    :class:`EngineError` when the engine cannot run and :class:`Cancelled` when
    ``should_cancel()`` turns true.
    """
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    fps = check_fps(fps)
    emotion = check_emotion_mix(emotion)
    x = check_samples(samples)
    duration = x.size / SAMPLE_RATE
    curve = None
    if np.ndim(intensity) > 0:
        curve = check_intensity_curve(intensity, num_scene_frames(duration, fps))
        if float(curve.max() - curve.min()) < 1e-6:          # a flat curve is a plain intensity
            intensity, curve = float(curve[0]), None
        else:
            intensity = float(curve.max())
    intensity = check_intensity(intensity)

    def step(frac: float, msg: str) -> None:
        if should_cancel is not None and should_cancel():
            raise Cancelled("generation cancelled")
        if progress is not None:
            progress(float(min(max(frac, 0.0), 1.0)), msg)

    step(0.0, "preparing audio")
    eng = (engine if hasattr(engine, "motion30")
           else select_engine(engine, model_path, device=device, threads=threads, lip_seal=lip_seal,
                              recognition=recognition,
                              with_transcript=bool(transcript and transcript.strip())))
    n30 = num_scene_frames(duration, MODEL_FPS)
    t = time.perf_counter()
    loud = loudness_per_frame(x, MODEL_FPS, n30)
    timings["audio"] = time.perf_counter() - t

    t = time.perf_counter()
    kw = dict(duration=duration, emotion=emotion, transcript=transcript, loudness=loud, seed=seed)
    if curve is None:
        w30, segments = eng.motion30(x, intensity=intensity, step=step, **kw)
    else:
        w30, segments = _animated_intensity(eng, x, curve, fps, n30, step, kw)
    timings["engine"] = time.perf_counter() - t
    if w30.ndim != 2 or w30.shape[1] != NUM_SHAPES or w30.shape[0] == 0:
        raise EngineError(f"engine {eng.label} returned motion of shape {w30.shape}, expected "
                          f"[frames, {NUM_SHAPES}]")
    if not np.all(np.isfinite(w30)):
        raise EngineError(f"engine {eng.label} returned NaN/inf weights")
    w30 = np.clip(w30, 0.0, 1.0).astype(np.float32)
    notes = []
    unaligned = getattr(eng, "phone_note", None)   # the transcript could not be aligned
    has_transcript = bool(transcript and transcript.strip())
    if unaligned:
        notes.append(unaligned)
    elif has_transcript and segments:
        from .alignment.fit import transcript_warnings
        notes = transcript_warnings(x, segments)
    elif segments:      # recognised phones: a noisy recording costs closures, say so
        from .alignment.conditions import noisy_recording_note
        noisy = noisy_recording_note(x, segments)
        if noisy:
            notes.append(noisy)
    if getattr(eng, "name", "") == ENGINE_CHOREOGRAPHY and segments:
        from .choreography.prosody import quiet_take_note
        peak = float(20.0 * np.log10(max(float(np.abs(x).max(initial=0.0)), 1e-9)))
        quiet = quiet_take_note(loud, segments, MODEL_FPS, peak)
        if quiet:
            notes.append(quiet)

    step(0.9, "resampling to scene frame rate")
    weights = resample_motion(w30, MODEL_FPS, fps, num_scene_frames(duration, fps))
    t = time.perf_counter()
    qa = take_qa(w30, segments, x, qa_rig)
    timings["qa"] = time.perf_counter() - t
    step(1.0, "done")
    timings["total"] = time.perf_counter() - t0
    return Take(weights=weights, fps=fps, names=ARKIT_NAMES, duration=duration,
                emotion=emotion_label(emotion), emotion_mix=emotion,
                intensity=intensity, intensity_curve=curve, engine=eng.name, engine_label=eng.label,
                start_offset=float(start_offset), weights30=w30, segments=list(segments),
                timings=timings, qa=qa, versions=versions(eng),
                phone_source=phone_source_label(None if unaligned else transcript,
                                                getattr(eng, "recognition", recognition)),
                notes=notes, audio_digest=audio_digest(x))
