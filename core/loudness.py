"""Loudness measurements on mono float audio: levels, per-frame envelope, speech/silence mask.

Why here: choreography (jaw opening follows loudness), evaluation (loudness–aperture correlation,
silent rest) and the model all need the *same* frame timing, so it lives in one place.

Conventions (shared with ``core.phones.frame_labels``):

* Motion frame ``i`` covers ``[i/fps, (i+1)/fps)`` and is sampled at its centre ``(i+0.5)/fps``.
  ``loudness_envelope`` measures RMS in a window centred on that time, so a sound that starts at
  ``t`` shows up in the frame whose interval contains ``t`` (no half-frame shift).
* Levels are ``20*log10(rms)`` re. full scale 1.0: a full-scale square wave is 0 dBFS, a full-scale
  sine -3.01 dBFS. Silence is floored at ``DB_FLOOR`` (-100 dB) so every value is a finite float.
* ``integrated_loudness`` is a K-weighted, gated loudness in the spirit of ITU-R BS.1770-4 / EBU
  R128 (400 ms blocks, 75 % overlap, -70 LUFS absolute and -10 LU relative gates), computed on the
  ONE mono signal it is given (Parley's 16 kHz mixdown). It is not a certified meter: no channel
  summing/surround weighting, and at 16 kHz nothing above 8 kHz is counted. For a mono 997 Hz sine
  it agrees with the standard's reference (-3.01 LUFS at 0 dBFS) to within 0.1 dB.
* ``active_mask`` is an energy detector with hysteresis and minimum-duration rules; it tells speech
  from pauses in clean or moderately noisy recordings (SNR >~ 20 dB). It is not a voice-activity
  model: steady loud noise counts as "active", and breaths near speech level may too.
"""
from __future__ import annotations

import math

import numpy as np

DB_FLOOR = -100.0
#: Below this peak level a clip is treated as silent (16-bit dither/noise sits around -90 dBFS).
SILENT_PEAK_DBFS = -60.0
#: A frame must reach at least this RMS level to count as speech, however quiet the clip is.
ACTIVE_MIN_DBFS = -60.0

_BLOCK_S = 0.4   # BS.1770 gating block
_STEP_S = 0.1    # 75 % overlap
_ABS_GATE = -70.0
_REL_GATE = -10.0


def _as_mono(samples) -> np.ndarray:
    """1-D float array; float32 stays float32 (long clips), sums below are taken in float64."""
    x = np.asarray(samples)
    if x.ndim != 1:
        raise ValueError(f"expected mono samples as a 1-D array, got shape {x.shape}")
    return x if x.dtype in (np.float32, np.float64) else x.astype(np.float64)


def _csum_sq(x: np.ndarray) -> np.ndarray:
    """[0, x0^2, x0^2+x1^2, ...] accumulated in float64."""
    c = np.empty(x.size + 1, dtype=np.float64)
    c[0] = 0.0
    np.cumsum(np.square(x), dtype=np.float64, out=c[1:])
    return c


def _check_rate(sample_rate) -> float:
    if not (isinstance(sample_rate, (int, float, np.integer, np.floating)) and sample_rate > 0
            and math.isfinite(sample_rate)):
        raise ValueError(f"sample_rate must be a positive number of Hz, got {sample_rate!r}")
    return float(sample_rate)


def to_db(power_or_amp, *, power: bool = False) -> np.ndarray:
    """Amplitude (or power, with ``power=True``) to dB re. 1.0, floored at ``DB_FLOOR``."""
    v = np.asarray(power_or_amp, dtype=np.float64)
    with np.errstate(divide="ignore"):
        db = (10.0 if power else 20.0) * np.log10(np.maximum(v, 0.0))
    return np.maximum(db, DB_FLOOR)


def peak_dbfs(samples) -> float:
    x = _as_mono(samples)
    return float(to_db(np.max(np.abs(x)) if x.size else 0.0))


def rms_dbfs(samples) -> float:
    x = _as_mono(samples)
    return float(to_db(np.mean(np.square(x), dtype=np.float64) if x.size else 0.0, power=True))


def k_weighting_sos(sample_rate: float) -> np.ndarray:
    """BS.1770 K-weighting (pre-filter shelf + RLB high-pass) as second-order sections for any rate.

    The analog prototypes (gain, Q, corner) are those found by B. De Man (2014) to reproduce the
    standard's 48 kHz coefficients exactly; the bilinear transform gives them at other rates.
    """
    fs = _check_rate(sample_rate)
    # Stage 1: high shelf, about +4 dB above ~1.7 kHz (acoustic effect of the head).
    g, q, fc = 3.999843853973347, 0.7071752369554196, 1681.974450955533
    k = math.tan(math.pi * min(fc, 0.49 * fs) / fs)
    vh = 10.0 ** (g / 20.0)
    vb = vh ** 0.4996667741545416
    a0 = 1.0 + k / q + k * k
    shelf = [(vh + vb * k / q + k * k) / a0, 2.0 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0,
             1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0]
    # Stage 2: RLB high-pass at ~38 Hz.
    q, fc = 0.5003270373253953, 38.13547087613982
    k = math.tan(math.pi * fc / fs)
    a0 = 1.0 + k / q + k * k
    highpass = [1.0, -2.0, 1.0, 1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0]
    return np.array([shelf, highpass], dtype=np.float64)


def integrated_loudness(samples, sample_rate) -> float:
    """Gated K-weighted loudness of a mono signal in LUFS (see module docstring for the caveats).

    Clips shorter than one 400 ms block are measured as a single block. Returns ``DB_FLOOR`` when
    nothing passes the -70 LUFS absolute gate (silence).
    """
    x = _as_mono(samples)
    fs = _check_rate(sample_rate)
    if x.size == 0:
        return DB_FLOOR
    from scipy.signal import sosfilt  # lazy: scipy.signal takes ~1 s to import

    y = sosfilt(k_weighting_sos(fs).astype(x.dtype), x)
    block, step = int(round(_BLOCK_S * fs)), int(round(_STEP_S * fs))
    if y.size <= block:
        z = np.array([np.mean(np.square(y), dtype=np.float64)])
    else:
        c = _csum_sq(y)
        starts = np.arange(0, y.size - block + 1, step)
        z = (c[starts + block] - c[starts]) / block
    with np.errstate(divide="ignore"):
        lj = -0.691 + 10.0 * np.log10(z)
    kept = z[lj > _ABS_GATE]
    if kept.size == 0:
        return DB_FLOOR
    rel = -0.691 + 10.0 * math.log10(float(np.mean(kept))) + _REL_GATE
    kept = z[(lj > _ABS_GATE) & (lj > rel)]
    return float(max(DB_FLOOR, -0.691 + 10.0 * math.log10(float(np.mean(kept)))))


def num_frames_for(duration: float, fps: float) -> int:
    """Frame count of a take: ``round(duration * fps)`` (the corpus contract)."""
    return int(round(duration * fps))


def loudness_envelope(samples, sample_rate, fps: float = 30.0, *, num_frames: int | None = None,
                      window: float | None = None) -> np.ndarray:
    """Per-frame RMS level in dBFS, float32 ``[num_frames]``.

    Frame ``i`` is measured in a window of ``window`` seconds (default ``1/fps``, i.e. exactly the
    frame's own interval) centred at ``(i+0.5)/fps``. Parts of a window outside the signal are
    ignored (edge frames average what exists); frames wholly past the end read ``DB_FLOOR``.
    ``num_frames`` defaults to ``round(duration*fps)``.
    """
    x = _as_mono(samples)
    fs = _check_rate(sample_rate)
    fps = _check_rate(fps)
    if num_frames is None:
        num_frames = num_frames_for(x.size / fs, fps)
    if num_frames < 0:
        raise ValueError(f"num_frames must be >= 0, got {num_frames}")
    win = 1.0 / fps if window is None else float(window)
    if not win > 0:
        raise ValueError(f"window must be a positive duration in seconds, got {window!r}")
    centres = (np.arange(num_frames) + 0.5) / fps * fs
    half = 0.5 * win * fs
    lo = np.clip(np.round(centres - half).astype(np.int64), 0, x.size)
    hi = np.clip(np.round(centres + half).astype(np.int64), 0, x.size)
    c = _csum_sq(x)
    n = hi - lo
    ms = np.where(n > 0, (c[hi] - c[lo]) / np.maximum(n, 1), 0.0)
    return to_db(np.maximum(ms, 0.0), power=True).astype(np.float32)


def _runs(mask: np.ndarray):
    """(start, end, value) runs of a boolean array, end exclusive."""
    if mask.size == 0:
        return []
    edges = np.flatnonzero(np.diff(mask.astype(np.int8))) + 1
    bounds = np.concatenate([[0], edges, [mask.size]])
    return [(int(a), int(b), bool(mask[a])) for a, b in zip(bounds[:-1], bounds[1:])]


def hysteresis_mask(env_db, on_db: float, off_db: float) -> np.ndarray:
    """True from where ``env_db`` rises above ``on_db`` until it falls below ``off_db``.

    Runs are extended backwards over frames still above ``off_db`` so a soft onset is not cut.
    """
    env = np.asarray(env_db, dtype=np.float64)
    if off_db > on_db:
        raise ValueError(f"off threshold ({off_db} dB) must not exceed on threshold ({on_db} dB)")
    out = np.zeros(env.size, dtype=bool)
    active = False
    for i, v in enumerate(env):
        if active:
            active = v >= off_db
        else:
            active = v > on_db
            if active:  # walk back over the soft onset
                j = i - 1
                while j >= 0 and not out[j] and env[j] >= off_db:
                    out[j] = True
                    j -= 1
        out[i] = active
    return out


def clean_mask(mask, fps: float, *, min_silence: float = 0.2, min_speech: float = 0.1,
               pad: float = 0.0) -> np.ndarray:
    """Fill pauses shorter than ``min_silence`` s between speech, drop speech bursts shorter than
    ``min_speech`` s, then widen speech by ``pad`` s on both sides."""
    m = np.asarray(mask, dtype=bool).copy()
    fps = _check_rate(fps)
    gap = int(round(min_silence * fps))
    for a, b, v in _runs(m):
        if not v and a > 0 and b < m.size and (b - a) < gap:
            m[a:b] = True
    short = int(round(min_speech * fps))
    for a, b, v in _runs(m):
        if v and (b - a) < short:
            m[a:b] = False
    p = int(round(pad * fps))
    if p > 0 and m.any():
        m = np.convolve(m.astype(np.int32), np.ones(2 * p + 1, dtype=np.int32), mode="same") > 0
    return m


def activity_thresholds(env_db) -> tuple[float, float]:
    """(on, off) dBFS thresholds adapted to a clip's envelope.

    Reference = 95th percentile (speech level), floor = 5th percentile (pause/noise level).
    ``on`` sits 10 dB above the floor, but never higher than 15 dB under the speech level and never
    lower than 35 dB under it, nor under ``ACTIVE_MIN_DBFS``; ``off`` is 6 dB below ``on``.
    """
    env = np.asarray(env_db, dtype=np.float64)
    if env.size == 0:
        return ACTIVE_MIN_DBFS, ACTIVE_MIN_DBFS - 6.0
    ref, floor = np.percentile(env, 95), np.percentile(env, 5)
    on = max(ref - 35.0, min(floor + 10.0, ref - 15.0), ACTIVE_MIN_DBFS)
    return float(on), float(on - 6.0)


def active_mask(samples, sample_rate, fps: float = 30.0, *, num_frames: int | None = None,
                min_silence: float = 0.2, min_speech: float = 0.1, pad: float = 0.0,
                thresholds: tuple[float, float] | None = None) -> np.ndarray:
    """Speech (True) vs silence (False) per motion frame, bool ``[num_frames]``.

    Energy-based: the per-frame envelope (each frame's own interval, so a frame is speech when
    its interval holds speech energy -- no widening), adaptive hysteresis thresholds
    (``activity_thresholds``, or explicit ``(on_db, off_db)``), then ``clean_mask`` rules
    (pauses < ``min_silence`` s are bridged, so stop closures inside words stay "speech").
    """
    env = loudness_envelope(samples, sample_rate, fps, num_frames=num_frames)
    on, off = activity_thresholds(env) if thresholds is None else thresholds
    return clean_mask(hysteresis_mask(env, on, off), fps, min_silence=min_silence,
                      min_speech=min_speech, pad=pad)


def mask_to_intervals(mask, fps: float) -> list[tuple[float, float]]:
    """Speech intervals ``[(start_s, end_s), ...]`` of a frame mask (frame i = [i/fps, (i+1)/fps))."""
    fps = _check_rate(fps)
    return [(a / fps, b / fps) for a, b, v in _runs(np.asarray(mask, dtype=bool)) if v]


def split_silence(samples, sample_rate, fps: float = 30.0, **kwargs) -> list[tuple[float, float]]:
    """Speech intervals in seconds (the complement is silence); kwargs as for ``active_mask``."""
    return mask_to_intervals(active_mask(samples, sample_rate, fps, **kwargs), fps)


def loudness_stats(samples, sample_rate, fps: float = 30.0) -> dict:
    """Summary numbers for a mono clip: peak/RMS dBFS, integrated LUFS, active ratio, silent flag."""
    x = _as_mono(samples)
    pk = peak_dbfs(x)
    silent = pk < SILENT_PEAK_DBFS
    if silent or x.size == 0:
        ratio = 0.0
    else:
        m = active_mask(x, sample_rate, fps)
        ratio = float(m.mean()) if m.size else 0.0
    return {"peak_dbfs": pk, "rms_dbfs": rms_dbfs(x), "integrated_lufs": integrated_loudness(x, sample_rate),
            "active_ratio": ratio, "silent": bool(silent)}
