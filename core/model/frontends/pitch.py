"""YIN fundamental-frequency tracker (de Cheveigne & Kawahara 2002), vectorised with numpy FFTs.

Used by the phone front end: the *relative* pitch contour (log f0 against the clip's median) and
the voicing flag carry stress and prosody in a speaker-independent way, so they transfer from the
synthetic training voices to real recordings.
"""
from __future__ import annotations

import numpy as np


def yin(samples: np.ndarray, sample_rate: int = 16000, fps: float = 30.0,
        num_frames: int | None = None, fmin: float = 60.0, fmax: float = 400.0,
        window: float = 0.032, threshold: float = 0.15,
        block: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame ``(f0_hz, voiced)`` at ``fps`` (frame centres ``(i+0.5)/fps``); f0 = 0 when unvoiced."""
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"yin expects mono 1-D samples, got shape {x.shape}")
    if not 0 < fmin < fmax < sample_rate / 2:
        raise ValueError(f"need 0 < fmin < fmax < Nyquist, got fmin={fmin}, fmax={fmax}")
    if num_frames is None:
        num_frames = int(round(len(x) / sample_rate * fps))
    w = int(window * sample_rate)
    tau_max = int(np.ceil(sample_rate / fmin))
    tau_min = max(2, int(sample_rate / fmax))
    span = w + tau_max
    centres = np.round((np.arange(num_frames) + 0.5) / fps * sample_rate).astype(np.int64)
    starts = centres - span // 2
    tail = max(span + 1, int(centres.max(initial=0)) + span - len(x) + 1)   # frames past the end
    xp = np.pad(x, (span, tail))
    f0 = np.zeros(num_frames, dtype=np.float32)
    voiced = np.zeros(num_frames, dtype=bool)
    for lo in range(0, num_frames, block):       # bounded memory: [block, span] arrays at a time
        hi = min(num_frames, lo + block)
        f0[lo:hi], voiced[lo:hi] = _yin_frames(xp, starts[lo:hi] + span, sample_rate, w, tau_min,
                                               tau_max, threshold)
    return f0, voiced


def _yin_frames(xp, starts, sample_rate, w, tau_min, tau_max, threshold):
    """YIN for the frames whose analysis spans start at ``starts`` in the padded signal ``xp``."""
    n = len(starts)
    span = w + tau_max
    frames = xp[starts[:, None] + np.arange(span)[None]]        # [n, span]
    nfft = 1 << int(np.ceil(np.log2(span + w)))
    a = np.fft.rfft(frames[:, :w], nfft)
    b = np.fft.rfft(frames, nfft)
    corr = np.fft.irfft(np.conj(a) * b, nfft)[:, :tau_max + 1]  # r(tau) = sum x[j] x[j+tau]
    sq = np.concatenate([np.zeros((n, 1)), np.cumsum(frames ** 2, axis=1)], axis=1)
    e0 = sq[:, w][:, None]
    taus = np.arange(tau_max + 1)
    etau = sq[:, taus + w] - sq[:, taus]
    d = np.maximum(e0 + etau - 2 * corr, 0.0)
    cum = np.cumsum(d[:, 1:], axis=1) / np.arange(1, tau_max + 1)
    cmnd = np.ones_like(d)
    cmnd[:, 1:] = d[:, 1:] / np.maximum(cum, 1e-12)
    f0 = np.zeros(n, dtype=np.float32)
    voiced = np.zeros(n, dtype=bool)
    energy = e0[:, 0] / w
    sub = cmnd[:, tau_min:tau_max + 1]
    below = sub < threshold
    has = below.any(axis=1) & (energy > 1e-7)
    first = np.argmax(below, axis=1)
    for i in np.nonzero(has)[0]:
        t = first[i]
        while t + 1 < sub.shape[1] and sub[i, t + 1] < sub[i, t]:   # walk to the local minimum
            t += 1
        tau = t + tau_min
        if 1 <= tau < tau_max:                                       # parabolic refinement
            y0, y1, y2 = cmnd[i, tau - 1], cmnd[i, tau], cmnd[i, tau + 1]
            den = y0 - 2 * y1 + y2
            tau = tau + (0.5 * (y0 - y2) / den if abs(den) > 1e-12 else 0.0)
        f0[i] = sample_rate / tau
        voiced[i] = True
    return f0, voiced
