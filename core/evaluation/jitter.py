"""Jitter ("flappy mouth"): high-frequency energy and direction reversals of a trajectory."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class JitterResult:
    hf_energy_ratio: float   # share of (non-DC) spectral energy above cutoff_hz
    reversals_per_s: float   # direction reversals per second, mean over active channels
    cutoff_hz: float


def jitter(x, fps: float, cutoff_hz: float = 8.0, min_step: float | None = None,
           active_range: float = 1e-3) -> JitterResult:
    """Jitter of a per-frame trajectory ``[T]`` or ``[T, C]`` (weights, aperture...).

    ``hf_energy_ratio``: after removing each channel's mean and linear trend, the power
    spectrum's share above ``cutoff_hz`` (energy summed over channels, DC excluded). Natural
    lip motion lives below ~8 Hz; at 30 fps the band tested is 8-15 Hz.
    ``reversals_per_s``: a reversal is a change of direction after a move of at least
    ``min_step`` (hysteresis; default 2% of the channel's range) so noise-level flicker does
    not count; averaged over channels whose range exceeds ``active_range``.
    """
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2 or a.shape[0] < 4:
        raise ValueError(f"x must be [T] or [T, C] with T >= 4 frames, got shape "
                         f"{np.asarray(x).shape}")
    if fps <= 0 or cutoff_hz <= 0:
        raise ValueError("fps and cutoff_hz must be positive")
    if cutoff_hz >= fps / 2:
        raise ValueError(f"cutoff {cutoff_hz} Hz is not below the Nyquist frequency "
                         f"{fps / 2} Hz of a {fps} fps trajectory")
    if not np.all(np.isfinite(a)):
        raise ValueError("x contains NaN or infinite values")
    T = a.shape[0]
    rng = a.max(0) - a.min(0)
    active = rng > active_range
    if not active.any():
        return JitterResult(0.0, 0.0, cutoff_hz)
    a = a[:, active]
    t = np.arange(T)
    coef = np.polyfit(t, a, 1)
    r = a - (np.outer(t, coef[0]) + coef[1])
    p = np.abs(np.fft.rfft(r * np.hanning(T)[:, None], axis=0)) ** 2
    f = np.fft.rfftfreq(T, 1.0 / fps)
    total = p[f > 0].sum()
    ratio = float(p[f > cutoff_hz].sum() / total) if total > 0 else 0.0
    revs = []
    for c in range(a.shape[1]):
        step = min_step if min_step is not None else 0.02 * rng[active][c]
        revs.append(_reversals(a[:, c], step))
    duration = T / fps
    return JitterResult(ratio, float(np.mean(revs)) / duration, cutoff_hz)


def _reversals(y: np.ndarray, step: float) -> int:
    """Direction changes with hysteresis: the value must retreat ``step`` from the extreme."""
    count, direction = 0, 0
    ext = lo = hi = y[0]
    for v in y[1:]:
        if direction == 0:  # no direction yet: wait for a first move of ``step``
            lo, hi = min(lo, v), max(hi, v)
            if v - lo >= step:
                direction, ext = 1, v
            elif hi - v >= step:
                direction, ext = -1, v
        elif direction == 1:
            if v > ext:
                ext = v
            elif ext - v >= step:
                count, direction, ext = count + 1, -1, v
        else:
            if v < ext:
                ext = v
            elif v - ext >= step:
                count, direction, ext = count + 1, 1, v
    return count
