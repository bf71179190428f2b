"""Phoneme choreography: timed ARPAbet phones -> ARKit weight curves, with emotion and life.

``animate(segments, duration, fps, emotion, intensity, loudness, seed, options)`` returns a
float32 ``[T, 52]`` take (T = round(duration * fps), columns in ``ARKIT_NAMES`` order, frame k
showing time (k + 0.5) / fps like :func:`core.phones.frame_labels`). Pipeline:

1. ``coarticulation``: a Cohen-Massaro dominance model blends per-phone targets
   (``visemes``) of articulatory parameters (jaw, closure, rounding, spread, F/V tuck...),
   with speaking-rate-aware time constants;
2. ``prosody``: loudness (dB per frame) scales the jaw aperture; stress finds brow beats;
3. ``emotion``: a condition vector (MEAD's eight x intensity, or a blend) changes articulation
   and adds a whole-face expression; linear, so intensity 0 is exactly neutral;
4. bilabial seals are forced on the frames before each P/B burst and through each M (at any
   fps), and lip-parting shapes are faded by lip closure, so neither emotion nor undershoot can
   open a seal or the resting mouth;
5. ``idle``: seeded blinks, prosodic brow motion, small saccades.
Used to make the synthetic training corpus and, directly, to animate from a transcript.
"""
from __future__ import annotations

import math

import numpy as np

from ..arkit import INDEX, NUM_SHAPES
from ..phones import SILENCE, PhoneError, validate_segments
from .coarticulation import (apply_seals, blend, build_events, fill_silence, sample_times,
                             seal_frames, seal_intervals)
from .emotion import apply_face, condition, face_offsets, modulate_articulation
from .idle import idle_layer
from .mapping import gate_openers, params_to_arkit
from .options import ChoreographyOptions
from .prosody import check_loudness, jaw_gain, stress_digits, stressed_vowels
from .visemes import P, PARAMS


def register_cli(sub) -> None:
    """``python -m core choreograph`` (see ``core/choreography/cli.py``)."""
    from .cli import register_cli as _register
    _register(sub)


__all__ = ["animate", "articulation_curves", "ChoreographyOptions", "PARAMS", "seal_frames",
           "seal_intervals", "sample_times", "face_offsets"]

STYLE_STREAM = 4
_MOTION_PARAMS = ("protrude", "funnel", "spread", "tuck", "upper", "lower", "tongue", "press")


def _check_timing(segments, duration, fps) -> tuple[list, float, float, int]:
    try:
        fps = float(fps)
    except (TypeError, ValueError):
        raise ValueError(f"fps must be a number, got {fps!r}") from None
    if not math.isfinite(fps) or fps <= 0:
        raise ValueError(f"fps must be a positive finite number, got {fps}")
    segs = validate_segments(segments)
    if duration is None:
        if not segs:
            raise PhoneError("empty phone sequence and no duration: nothing to animate")
        duration = segs[-1].end
    try:
        duration = float(duration)
    except (TypeError, ValueError):
        raise ValueError(f"duration must be a number of seconds, got {duration!r}") from None
    if not math.isfinite(duration) or duration < 0:
        raise ValueError(f"duration must be a finite number of seconds >= 0, got {duration}")
    if segs and segs[-1].end > duration + 1.0 / fps:
        raise PhoneError(f"the phone sequence ends at {segs[-1].end:.3f} s, after the requested "
                         f"duration {duration:.3f} s")
    return segs, duration, fps, int(round(duration * fps))


def articulation_curves(segments, duration=None, fps: float = 30.0, emotion="neutral",
                        intensity: float = 1.0, loudness=None, options=None,
                        seed: int = 0) -> np.ndarray:
    """Articulatory parameters ``[T, len(PARAMS)]`` after loudness, emotion and seals.

    The intermediate of :func:`animate`, for plots and diagnostics.
    """
    opts = ChoreographyOptions.from_any(options)
    segs, duration, fps, T = _check_timing(segments, duration, fps)
    return _articulation(segs, duration, fps, T, condition(emotion, intensity), loudness, opts,
                         seed)[0]


def _style(opts: ChoreographyOptions, seed: int) -> dict[str, float]:
    """Seeded per-take speaking style (all 1 / 0 when ``style_variation`` is 0)."""
    v = opts.style_variation
    if v <= 0:
        return {"jaw": 1.0, "round": 1.0, "spread": 1.0, "lead": 0.0}
    r = np.random.default_rng([int(seed), STYLE_STREAM]).uniform(-1.0, 1.0, 4)
    return {"jaw": 1 + v * r[0], "round": 1 + v * r[1], "spread": 1 + v * r[2], "lead": 0.1 * v * r[3]}


def _articulation(segs, duration, fps, T, cond, loudness, opts, seed=0):
    style = _style(opts, seed)
    times = sample_times(T, fps)
    events = build_events(segs, duration, opts.rest_jaw, opts.rate_adapt)
    # a positive lead shows each articulation slightly earlier (seals are re-imposed on time below)
    params = blend(events, times + style["lead"])
    loud = None
    if loudness is not None:
        loud = check_loudness(loudness, T)
        gain = jaw_gain(loud, params[:, P["voice"]], fps, opts.loudness_ref_db,
                        opts.loudness_relative, opts.loudness_absolute)
        params[:, P["jaw"]] = opts.rest_jaw + (params[:, P["jaw"]] - opts.rest_jaw) * gain
    a = opts.articulation
    params[:, P["jaw"]] = opts.rest_jaw + (params[:, P["jaw"]] - opts.rest_jaw) * a * style["jaw"]
    for name in _MOTION_PARAMS:
        params[:, P[name]] *= a
    for name, key in (("protrude", "round"), ("funnel", "round"), ("spread", "spread")):
        params[:, P[name]] *= style[key]
    params = modulate_articulation(params, cond, opts.rest_jaw)
    params = apply_seals(params, seal_frames(segs, T, fps, opts.seal_hold))
    return np.clip(params, 0.0, 1.0), loud


def animate(segments, duration=None, fps: float = 30.0, emotion="neutral", intensity: float = 1.0,
            loudness=None, seed: int = 0, options=None) -> np.ndarray:
    """ARKit weights ``[round(duration * fps), 52]`` (float32, 0..1) for a timed phone sequence.

    segments: ``PhoneSegment``s or ``(phone, start, end)`` tuples in seconds (ARPAbet, stress
        digits allowed; SIL/sp/pau for pauses); validated with ``core.phones.validate_segments``.
    duration: seconds to cover (default: end of the last segment).
    emotion / intensity: one of ``core.emotions.EMOTIONS`` or a blend dict, intensity 0..1.
    loudness: optional per-frame loudness in dB at ``fps`` (``core.audio`` envelope).
    seed: blinks / brows / gaze randomness.  options: ``ChoreographyOptions`` or a dict.
    Raises ``PhoneError`` (a ValueError) for unknown phones or bad timings, ValueError otherwise.
    """
    opts = ChoreographyOptions.from_any(options)
    segs, duration, fps, T = _check_timing(segments, duration, fps)
    cond = condition(emotion, intensity)
    if T == 0:
        return np.zeros((0, NUM_SHAPES), dtype=np.float32)
    params, loud = _articulation(segs, duration, fps, T, cond, loudness, opts, int(seed))
    w = params_to_arkit(params, gate=False)
    w = apply_face(w, cond, params)
    w = gate_openers(w, params[:, P["closure"]])

    pauses = [s.start for s in fill_silence(segs, duration)
              if s.phone == SILENCE and s.duration >= 0.2 and 0.0 < s.start < duration]
    prominences = stressed_vowels(segs, stress_digits(segments), loud, fps)
    idle, blink = idle_layer(T, fps, duration, pauses, prominences, cond, int(seed),
                             opts.blinks, opts.brows, opts.saccades, opts.brow_strength)
    w = w + idle
    for side in ("Left", "Right"):  # open eyes close for the blink
        w[:, INDEX["eyeWide" + side]] *= 1.0 - blink
    w = np.clip(w, 0.0, 1.0)
    w[:, INDEX["mouthClose"]] = np.minimum(w[:, INDEX["mouthClose"]], w[:, INDEX["jawOpen"]])
    return w.astype(np.float32)
