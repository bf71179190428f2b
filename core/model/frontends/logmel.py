"""Log-mel front end: the fixed half of a learned log-mel encoder (the conv encoder is in stage 2).

Mel spectra are taken every 1/(30*sub_frames) s (120 Hz by default) with a 25 ms Hann window and
stacked ``sub_frames`` at a time, so one row per 30 fps motion frame keeps sub-frame timing.
Each band has its clip mean removed (cepstral-mean-style normalisation) to reduce the channel and
level differences between TTS audio and real recordings; whether that is enough is measured, not
assumed (docs/model.md).
"""
from __future__ import annotations

import numpy as np

from .base import FPS, SAMPLE_RATE, FrontEnd, check_samples, num_frames_for


def mel_filterbank(n_mels: int, n_fft: int, sample_rate: int = SAMPLE_RATE, fmin: float = 60.0,
                   fmax: float | None = None) -> np.ndarray:
    """Triangular HTK-mel filters ``[n_mels, n_fft//2+1]``."""
    fmax = fmax or sample_rate / 2

    def hz2mel(f):
        return 2595.0 * np.log10(1.0 + np.asarray(f) / 700.0)

    def mel2hz(m):
        return 700.0 * (10 ** (np.asarray(m) / 2595.0) - 1.0)

    edges = mel2hz(np.linspace(hz2mel(fmin), hz2mel(fmax), n_mels + 2))
    freqs = np.linspace(0, sample_rate / 2, n_fft // 2 + 1)
    fb = np.zeros((n_mels, freqs.size), dtype=np.float32)
    for m in range(n_mels):
        l, c, r = edges[m], edges[m + 1], edges[m + 2]
        fb[m] = np.clip(np.minimum((freqs - l) / (c - l), (r - freqs) / (r - c)), 0, None)
    return fb


class LogMelFrontEnd(FrontEnd):
    kind = "logmel"

    def __init__(self, n_mels: int = 40, sub_frames: int = 4, n_fft: int = 512, win: float = 0.025):
        self.n_mels, self.sub, self.n_fft = n_mels, sub_frames, n_fft
        self.win = int(win * SAMPLE_RATE)
        self.window = np.hanning(self.win).astype(np.float32)
        self.fb = mel_filterbank(n_mels, n_fft)
        self.in_dim = n_mels * sub_frames

    def cache_key(self) -> str:
        return f"logmel{self.n_mels}x{self.sub}"

    def features(self, samples16k, num_frames: int | None = None, **kw) -> np.ndarray:
        x = check_samples(samples16k)
        n = num_frames or num_frames_for(x)
        rate = FPS * self.sub
        centres = np.round((np.arange(n * self.sub) + 0.5) / rate * SAMPLE_RATE).astype(np.int64)
        half = self.win // 2
        xp = np.pad(x, (half, half + self.win))
        frames = xp[centres[:, None] + np.arange(self.win)[None]] * self.window
        spec = np.abs(np.fft.rfft(frames, self.n_fft)) ** 2
        mel = np.log(spec @ self.fb.T + 1e-8)
        mel -= mel.mean(axis=0, keepdims=True)
        return (mel / 5.0).reshape(n, self.sub * self.n_mels).astype(np.float32)
