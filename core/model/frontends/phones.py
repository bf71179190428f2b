"""Phone front end (the default candidate for real speech): PocketSphinx phones + loudness + pitch.

PocketSphinx's English acoustic model was trained on real human speech, so the phone sequence it
recognises from a synthetic TTS voice and from a real recording lives in the same symbolic space:
a model trained on TTS audio only sees phones, relative loudness and relative pitch, never the
TTS voice's spectrum. Per 30 fps frame (46 values):

* 40: share of the frame interval covered by each ARPAbet phone (soft one-hot, ``core.phones``)
* 2: position inside the current phone (0..1) and its log duration
* 2: loudness in dB relative to the clip's 95th percentile (/40) and its frame-to-frame change
* 2: voicing flag and log2 pitch relative to the clip's median voiced pitch (0 when unvoiced)
"""
from __future__ import annotations

import numpy as np

from ...loudness import loudness_envelope
from ...phones import NUM_PHONES, PHONE_INDEX, normalize_phone, validate_segments
from .base import FPS, SAMPLE_RATE, FrontEnd, FrontEndError, check_samples, num_frames_for
from .pitch import yin

PHONE_FEATURES = NUM_PHONES + 6


def recognize(samples16k: np.ndarray):
    """Phones from audio with PocketSphinx (``core.alignment.recognize_phones``)."""
    try:
        from ...alignment import recognize_phones
    except ImportError as exc:
        raise FrontEndError(f"the phone front end needs core.alignment (PocketSphinx): {exc}") from exc
    return recognize_phones(samples16k)


def phone_track(segments, num_frames: int, fps: float = FPS) -> np.ndarray:
    """``[T, 42]``: soft phone one-hot (interval coverage), position in phone, log duration."""
    segs = validate_segments(segments)
    out = np.zeros((num_frames, NUM_PHONES + 2), dtype=np.float32)
    lo = np.arange(num_frames) / fps
    hi = lo + 1.0 / fps
    centre = lo + 0.5 / fps
    covered = np.zeros(num_frames, dtype=np.float32)
    for s in segs:
        ov = np.clip(np.minimum(hi, s.end) - np.maximum(lo, s.start), 0.0, None) * fps
        if not ov.any():
            continue
        out[:, PHONE_INDEX[normalize_phone(s.phone)]] += ov
        covered += ov
        inside = (centre >= s.start) & (centre < s.end)
        out[inside, NUM_PHONES] = (centre[inside] - s.start) / s.duration
        out[inside, NUM_PHONES + 1] = np.log(max(s.duration, 1e-3) / 0.08)
    out[:, PHONE_INDEX["SIL"]] += np.clip(1.0 - covered, 0.0, None)   # gaps count as silence
    return out


def prosody_track(samples16k: np.ndarray, num_frames: int, fps: float = FPS) -> np.ndarray:
    """``[T, 4]``: relative loudness, its change, voicing, relative log2 pitch."""
    env = loudness_envelope(samples16k, SAMPLE_RATE, fps, num_frames=num_frames, window=2.0 / fps)
    ref = np.percentile(env, 95) if env.size else 0.0
    rel = np.clip((env - ref) / 40.0, -1.5, 0.5)
    d = np.diff(rel, prepend=rel[:1])
    f0, voiced = yin(samples16k, SAMPLE_RATE, fps, num_frames)
    rel_pitch = np.zeros(num_frames, dtype=np.float32)
    if voiced.any():
        med = np.median(f0[voiced])
        rel_pitch[voiced] = np.clip(np.log2(f0[voiced] / med), -1.5, 1.5)
    return np.stack([rel, d, voiced.astype(np.float32), rel_pitch], axis=1).astype(np.float32)


class PhoneFrontEnd(FrontEnd):
    kind = "phones"
    in_dim = PHONE_FEATURES

    def __init__(self, recognizer=None):
        self.recognizer = recognizer or recognize
        self.last_segments = None

    def features(self, samples16k, num_frames: int | None = None, segments=None, **kw) -> np.ndarray:
        """Features at 30 fps; ``segments`` (PhoneSegments) skip recognition (e.g. oracle phones)."""
        x = check_samples(samples16k)
        n = num_frames or num_frames_for(x)
        if segments is None:
            segments = self.recognizer(x)
        self.last_segments = list(segments)
        return np.concatenate([phone_track(segments, n), prosody_track(x, n)], axis=1)
