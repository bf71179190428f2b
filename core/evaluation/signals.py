"""Per-frame audio measures at the motion frame rate: loudness (dB), onset envelope, silence.

Frame ``i`` of a take shows time ``(i + 0.5) / fps`` (the frame centre: Parley's convention, as
in ``core.phones.frame_labels`` and the choreography), so every measure here is centred there.
"""
from __future__ import annotations

import numpy as np

from ..phones import normalize_phone

FLOOR_DB = -80.0


def frame_times(num_frames: int, fps: float) -> np.ndarray:
    """Time (s) each frame shows: its centre ``(i + 0.5) / fps``."""
    return (np.arange(num_frames) + 0.5) / float(fps)


def _check_audio(samples, sample_rate) -> np.ndarray:
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"audio must be non-empty mono 1-D samples, got shape {x.shape}")
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate}")
    if not np.all(np.isfinite(x)):
        raise ValueError("audio contains NaN or infinite samples")
    return x


def frame_loudness_db(samples, sample_rate: int, fps: float, num_frames: int | None = None,
                      window_s: float | None = None) -> np.ndarray:
    """RMS level in dBFS of a window centred on each frame time (default window: 2 frames).

    Floored at -80 dB so digital silence stays finite.
    """
    x = _check_audio(samples, sample_rate)
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    n = num_frames if num_frames is not None else int(round(len(x) / sample_rate * fps))
    win = int(round((window_s if window_s is not None else 2.0 / fps) * sample_rate))
    half = max(1, win // 2)
    csum = np.concatenate([[0.0], np.cumsum(x * x)])
    centres = np.round(frame_times(n, fps) * sample_rate).astype(np.int64)
    lo = np.clip(centres - half, 0, len(x))
    hi = np.clip(centres + half, 0, len(x))
    count = np.maximum(hi - lo, 1)
    ms = (csum[hi] - csum[lo]) / count
    return np.maximum(10.0 * np.log10(ms + 1e-12), FLOOR_DB).astype(np.float32)


def audio_silence_mask(loudness_db, floor_gap_db: float = 35.0,
                       noise_gap_db: float = 10.0) -> np.ndarray:
    """True where a frame is quiet: below ``max(noise floor + 10 dB, loudest - 35 dB)``.

    Noise floor = 5th percentile, loudest = 99th percentile of the clip's frame loudness.
    """
    db = np.asarray(loudness_db, dtype=np.float64)
    thr = max(np.percentile(db, 5) + noise_gap_db, np.percentile(db, 99) - floor_gap_db)
    return db < thr


def segment_silence_mask(segments, num_frames: int, fps: float, min_silence_s: float = 0.2,
                         margin_s: float = 0.15) -> np.ndarray:
    """Frames inside ``SIL`` segments of at least ``min_silence_s``, ``margin_s`` away from speech.

    The margin skips the release after speech and the anticipation before it (the mouth is
    expected to move there). A margin is not applied at the clip's start and end.
    """
    t = frame_times(num_frames, fps)
    mask = np.zeros(num_frames, dtype=bool)
    clip_end = max([s.end for s in segments], default=0.0)
    for s in segments:
        if normalize_phone(s.phone) != "SIL" or s.end - s.start < min_silence_s:
            continue
        a = s.start + (margin_s if s.start > 1e-6 else 0.0)
        b = s.end - (margin_s if s.end < clip_end - 1e-6 else -1.0)  # open end at clip end
        mask |= (t >= a) & (t <= b)
    return mask


def speech_mask(segments, num_frames: int, fps: float) -> np.ndarray:
    """Frames whose centre lies inside a non-silence phone segment."""
    t = frame_times(num_frames, fps)
    mask = np.zeros(num_frames, dtype=bool)
    for s in segments:
        if normalize_phone(s.phone) != "SIL":
            mask |= (t >= s.start) & (t < s.end)
    return mask


def phone_frames(segments, phones, num_frames: int, fps: float) -> np.ndarray:
    """Frames inside any segment whose phone is in ``phones``."""
    t = frame_times(num_frames, fps)
    mask = np.zeros(num_frames, dtype=bool)
    for s in segments:
        if normalize_phone(s.phone) in phones:
            mask |= (t >= s.start) & (t < s.end)
    return mask
