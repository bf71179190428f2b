"""Prosody from the voice: loudness -> jaw aperture gain, and where the stressed syllables are.

Loudness is a per-frame envelope in dB (dBFS RMS, e.g. ``core.audio.loudness_envelope``; any dB
scale works for the relative part). Two effects on the jaw:
- relative: louder syllables within the take open wider (loudness-aperture correlation);
- absolute: a take spoken loudly overall (shout) opens wider than a quiet one (whisper),
  measured as the take's median speech level against ``ref_db``.
"""
from __future__ import annotations

import numpy as np

from ..phones import VOWELS, PhoneSegment

#: Floor for silent frames (dB); -inf / NaN frames are clamped to it.
FLOOR_DB = -80.0


def check_loudness(loudness, num_frames: int) -> np.ndarray:
    """Validate a loudness envelope against the output length; returns float64 ``[num_frames]``.

    Off-by-one/two lengths (rounding differences between tools) are padded/trimmed; anything
    else is an error naming both lengths.
    """
    arr = np.asarray(loudness, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"loudness must be a 1-D per-frame dB envelope, got shape {arr.shape}")
    if abs(arr.size - num_frames) > 2:
        raise ValueError(f"loudness has {arr.size} frames but the animation has {num_frames}; "
                         f"compute it at the same fps and duration")
    if arr.size == 0:
        return np.full(num_frames, FLOOR_DB)
    arr = np.where(np.isfinite(arr), arr, FLOOR_DB)
    arr = np.maximum(arr, FLOOR_DB)
    if arr.size < num_frames:
        arr = np.concatenate([arr, np.full(num_frames - arr.size, arr[-1])])
    return arr[:num_frames]


def smooth(x: np.ndarray, fps: float, window_s: float) -> np.ndarray:
    """Centred moving average over ``window_s`` seconds (edge-padded)."""
    n = max(1, int(round(window_s * fps)))
    if n <= 1 or x.size == 0:
        return x.copy()
    pad = np.pad(x, (n // 2, n - 1 - n // 2), mode="edge")
    return np.convolve(pad, np.ones(n) / n, mode="valid")


def speech_level(loud_db: np.ndarray, voice: np.ndarray) -> float:
    """Median loudness of the speaking frames (``voice`` > 0.5), or of all frames if none."""
    sel = loud_db[voice > 0.5]
    return float(np.median(sel if sel.size else loud_db))


def level_gain(level_db: float, ref_db: float = -20.0, absolute: float = 0.25) -> float:
    """Jaw gain of a whole take from its speech level (the absolute, "vocal effort" part)."""
    return float(np.clip(1.0 + absolute * (level_db - ref_db) / 10.0, 0.55, 1.45))


def jaw_gain(loud_db: np.ndarray, voice: np.ndarray, fps: float, ref_db: float = -20.0,
             relative: float = 0.35, absolute: float = 0.25) -> np.ndarray:
    """Per-frame multiplier on jaw opening: ``relative``/``absolute`` gain change per 10 dB."""
    env = smooth(loud_db, fps, 0.10)
    level = speech_level(env, voice)
    rel = np.clip(1.0 + relative * (env - level) / 10.0, 0.6, 1.45)
    return rel * level_gain(level, ref_db, absolute)


#: Below this whole-take jaw gain, a take is worth a note: the recording may just be quiet ...
QUIET_NOTE_GAIN = 0.8
#: ... when its peak leaves this much headroom (dBFS): a quiet median under a near-full-scale
#: peak is a dynamic recording (e.g. an audiobook), not a gain problem, and cannot be raised.
QUIET_NOTE_PEAK_DBFS = -6.0


def quiet_take_note(loud_db, segments: list[PhoneSegment], fps: float, peak_dbfs: float,
                    ref_db: float = -20.0, absolute: float = 0.25) -> str | None:
    """A user-facing note when the take's speech level makes the choreography's jaw small.

    The choreography reads the recording's level as vocal effort (whisper small, shout large),
    which is right for a calibrated recording but wrong for one recorded with low gain (or a
    strip turned down): the artist is told, with the figures, instead of silently getting a
    timid mouth. None when the level is normal, the peak is near full scale, or there is no
    speech."""
    if peak_dbfs >= QUIET_NOTE_PEAK_DBFS:
        return None
    loud = np.asarray(loud_db, dtype=np.float64)
    voice = np.zeros(loud.size)
    centres = (np.arange(loud.size) + 0.5) / fps
    for s in segments:
        if s.phone != "SIL":
            voice[(centres >= s.start) & (centres < s.end)] = 1.0
    if not voice.any():
        return None
    level = speech_level(smooth(check_loudness(loud, loud.size), fps, 0.10), voice)
    gain = level_gain(level, ref_db, absolute)
    if gain >= QUIET_NOTE_GAIN:
        return None
    return (f"the speech level is {level:.0f} dBFS (peak {peak_dbfs:.0f} dBFS), which the "
            f"choreography plays as quiet speech (jaw opening x{gain:.2f}); if the voice is not quiet, raise the strip's volume or "
            f"the recording's gain and generate again")


def stressed_vowels(segments: list[PhoneSegment], stress: list[int | None],
                    loud_db: np.ndarray | None, fps: float) -> list[tuple[float, float]]:
    """(time, strength 0..1) of prominent syllables, for brow emphasis.

    Prominence is, in order of preference: loudness peak of the vowel relative to the take's
    speech level; the ARPAbet stress digit (1 = primary) when given; the vowel's duration
    relative to the take's vowels (stressed vowels are longer).
    """
    vowels = [(i, s) for i, s in enumerate(segments) if s.phone in VOWELS]
    if not vowels:
        return []
    scores = []
    if loud_db is not None and loud_db.size:
        env = smooth(loud_db, fps, 0.06)
        peaks = []
        for _, s in vowels:
            a = int(np.floor(s.start * fps))
            b = max(a + 1, int(np.ceil(s.end * fps)))
            seg = env[a:b]
            peaks.append(float(seg.max()) if seg.size else FLOOR_DB)
        peaks = np.array(peaks)
        ref = np.median(peaks)
        scores = np.clip((peaks - ref) / 6.0, 0.0, 1.0)
    elif any(stress[i] is not None for i, _ in vowels):
        scores = np.array([1.0 if stress[i] == 1 else 0.0 for i, _ in vowels])
    else:
        d = np.array([s.duration for _, s in vowels])
        scores = np.clip((d - np.median(d)) / (np.median(d) + 1e-6), 0.0, 1.0)
    return [(0.5 * (s.start + s.end), float(sc)) for (_, s), sc in zip(vowels, scores)]


def stress_digits(raw_segments) -> list[int | None]:
    """The ARPAbet stress digit of each raw input segment (``AH1`` -> 1), or None."""
    out = []
    for seg in raw_segments:
        p = seg.phone if isinstance(seg, PhoneSegment) else seg[0]
        p = str(p).strip()
        out.append(int(p[-1]) if p and p[-1] in "012" else None)
    return out
