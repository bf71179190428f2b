"""Audio-motion coupling: loudness-aperture correlation and audio-visual lag."""
from __future__ import annotations

import numpy as np


def _series(x, name: str) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 1 or a.size < 3:
        raise ValueError(f"{name} must be a 1-D per-frame array with at least 3 frames, "
                         f"got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return a


def smooth(x, frames: int) -> np.ndarray:
    """Centred moving average over ``frames`` (edge-padded); 1 = unchanged."""
    x = np.asarray(x, dtype=np.float64)
    if frames <= 1:
        return x
    k = np.ones(frames) / frames
    pad = frames // 2
    return np.convolve(np.pad(x, (pad, frames - 1 - pad), mode="edge"), k, mode="valid")


def loudness_aperture_correlation(loudness_db, aperture, mask=None,
                                  smooth_frames: int = 3) -> float:
    """Pearson r between frame loudness (dB) and mouth aperture over ``mask`` frames.

    Both series are smoothed with a centred ``smooth_frames`` moving average first (3 frames
    = 100 ms at 30 fps, keeping the 2-7 Hz syllable rhythm). ``mask`` is normally the speech
    frames; NaN when fewer than 3 frames or either series is constant there.
    """
    db = _series(loudness_db, "loudness_db")
    ap = _series(aperture, "aperture")
    if db.shape != ap.shape:
        raise ValueError(f"loudness_db ({db.size} frames) and aperture ({ap.size} frames) "
                         f"must have the same length")
    m = np.ones(db.size, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    db, ap = smooth(db, smooth_frames)[m], smooth(ap, smooth_frames)[m]
    if db.size < 3 or db.std() < 1e-9 or ap.std() < 1e-9:
        return float("nan")
    return float(np.corrcoef(db, ap)[0, 1])


def av_lag_ms(audio_envelope, aperture, fps: float, max_lag_ms: float = 300.0,
              derivative: bool = True, return_peak: bool = False):
    """Audio-visual lag in ms by cross-correlation (``(lag_ms, peak_correlation)`` with
    ``return_peak``; the peak says how much to trust the lag).

    Positive lag = the motion is late (aperture(t) follows envelope(t - lag)). Both series
    are differenced (``derivative``: onsets and releases drive the match, not slow level) and
    z-normalised; the normalised cross-correlation is searched within +-``max_lag_ms`` and
    the peak refined to sub-frame precision by a parabola through its neighbours.
    """
    e = _series(audio_envelope, "audio_envelope")
    a = _series(aperture, "aperture")
    if e.shape != a.shape:
        raise ValueError(f"audio_envelope ({e.size}) and aperture ({a.size}) must have the "
                         f"same number of frames")
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    if derivative:
        e, a = np.diff(e), np.diff(a)
    if e.std() < 1e-12 or a.std() < 1e-12:
        return (float("nan"), float("nan")) if return_peak else float("nan")
    e = (e - e.mean()) / e.std()
    a = (a - a.mean()) / a.std()
    n = e.size
    L = int(min(n - 2, max(1, round(max_lag_ms / 1000.0 * fps))))
    lags = np.arange(-L, L + 1)
    cc = np.empty(lags.size)
    for j, k in enumerate(lags):  # corr(e[t], a[t + k]) over the overlap
        if k >= 0:
            x, y = e[: n - k], a[k:]
        else:
            x, y = e[-k:], a[: n + k]
        cc[j] = float(np.mean(x * y))
    i = int(np.argmax(cc))
    shift = 0.0
    if 0 < i < len(cc) - 1:
        y0, y1, y2 = cc[i - 1], cc[i], cc[i + 1]
        den = y0 - 2 * y1 + y2
        if abs(den) > 1e-12:
            shift = float(np.clip(0.5 * (y0 - y2) / den, -0.5, 0.5))
    lag = float((lags[i] + shift) / fps * 1000.0)
    return (lag, float(cc[i])) if return_peak else lag
