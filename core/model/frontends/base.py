"""Front-end interface and audio loading shared by the three speech front ends.

A front end turns 16 kHz mono samples into fixed (not learned) per-frame features ``[T, in_dim]``
at the 30 fps motion rate; the learned part (a conv encoder) lives in the stage-2 model. Keeping
the fixed part separate lets training cache features once per corpus item.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

SAMPLE_RATE = 16000
FPS = 30


class FrontEndError(ValueError):
    """Audio or configuration a front end cannot work with."""


def check_samples(samples) -> np.ndarray:
    x = np.asarray(samples)
    if x.ndim != 1:
        raise FrontEndError(f"audio must be mono 1-D samples at 16 kHz, got shape {x.shape}")
    if x.size == 0:
        raise FrontEndError("audio is empty")
    x = x.astype(np.float32, copy=False)
    if not np.isfinite(x).all():
        raise FrontEndError("audio contains NaN or infinite samples")
    return x


def num_frames_for(samples: np.ndarray, fps: float = FPS) -> int:
    return max(1, int(round(len(samples) / SAMPLE_RATE * fps)))


def load_audio_16k(path: str | Path) -> np.ndarray:
    """Mono float32 16 kHz samples of an audio file (``core.audio.load_audio`` when available)."""
    path = Path(path)
    if not path.is_file():
        raise FrontEndError(f"audio file not found: {path}")
    try:
        from ...audio import load_audio   # owned by the core-audio helper
        return np.asarray(load_audio(path).samples, dtype=np.float32)
    except ImportError:
        pass
    import soundfile as sf
    from scipy.signal import resample_poly
    try:
        data, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except RuntimeError as exc:
        raise FrontEndError(f"cannot read audio file {path}: {exc}") from exc
    x = data.mean(axis=1)
    if sr != SAMPLE_RATE:
        from math import gcd
        g = gcd(int(sr), SAMPLE_RATE)
        x = resample_poly(x, SAMPLE_RATE // g, int(sr) // g).astype(np.float32)
    return x


class FrontEnd:
    """Base class: ``features(samples16k, num_frames) -> float32 [num_frames, in_dim]``."""

    kind = "base"
    in_dim = 0

    def features(self, samples16k, num_frames: int | None = None, **kw) -> np.ndarray:
        raise NotImplementedError

    def cache_key(self) -> str:
        """Name of the on-disk feature cache folder (changes when the features would change)."""
        return self.kind


def build_frontend(cfg) -> FrontEnd:
    """Front end for a :class:`FrontEndConfig`; sets ``cfg.in_dim``."""
    if cfg.kind == "phones":
        from .phones import PhoneFrontEnd
        fe = PhoneFrontEnd()
    elif cfg.kind == "posteriors":
        from .posteriors import PosteriorFrontEnd
        fe = PosteriorFrontEnd()
    elif cfg.kind == "logmel":
        from .logmel import LogMelFrontEnd
        fe = LogMelFrontEnd(cfg.n_mels, cfg.sub_frames)
    elif cfg.kind == "hf":
        from .hf import HFFrontEnd
        fe = HFFrontEnd(cfg.hf_dir, cfg.hf_layer)
    else:
        raise FrontEndError(f"unknown front end {cfg.kind!r}; use phones, posteriors, logmel or hf")
    if cfg.in_dim and cfg.in_dim != fe.in_dim:
        raise FrontEndError(f"config says the {cfg.kind} front end has {cfg.in_dim} features but it "
                            f"produces {fe.in_dim}; the checkpoint does not match this front end")
    cfg.in_dim = fe.in_dim
    return fe
