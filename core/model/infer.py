"""Inference: audio (16 kHz mono) + emotion + intensity -> ARKit weight curves ``[T, 52]``.

``Parley.from_pretrained(dir)`` loads the front end, stage 2 and the stage-1 decoder of a
checkpoint. Long audio is cut into overlapping windows (default 20 s with 2 s overlap); all
windows are decoded together as one batch by the KV-cached autoregressive decoder, decoded by
the conv VQ decoder, and joined with linear crossfades over the overlaps, so there are no seams
and memory grows only with the window batch, not with the square of the length.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from . import checkpoint as ckpt
from .conditioning import condition_vector
from .config import MOTION_FPS
from .frontends.base import build_frontend, check_samples, load_audio_16k
from .transformer import SpeechToCodes
from .vqvae import MotionVQVAE


def resample_curves(weights: np.ndarray, src_fps: float, dst_fps: float,
                    num_frames: int | None = None) -> np.ndarray:
    """Linear resampling of ``[T, C]`` curves sampled at frame centres ``(i+0.5)/fps``."""
    if src_fps <= 0 or dst_fps <= 0:
        raise ValueError(f"frame rates must be positive, got {src_fps} -> {dst_fps}")
    w = np.asarray(weights, dtype=np.float32)
    if num_frames is None:
        num_frames = int(round(len(w) / src_fps * dst_fps))
    if abs(src_fps - dst_fps) < 1e-9 and num_frames == len(w):
        return w.copy()
    t = (np.arange(num_frames) + 0.5) / dst_fps
    pos = np.clip(t * src_fps - 0.5, 0, len(w) - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, len(w) - 1)
    f = (pos - lo)[:, None].astype(np.float32)
    return w[lo] * (1 - f) + w[hi] * f


def window_starts(total: int, window: int, overlap: int) -> list[int]:
    if total <= window:
        return [0]
    step = window - overlap
    starts = list(range(0, total - window, step)) + [total - window]
    return sorted(set(starts))


def crossfade_join(chunks: list[np.ndarray], starts: list[int], total: int) -> np.ndarray:
    """Overlap-add with linear ramps over each overlap (weights sum to one everywhere)."""
    c = chunks[0].shape[1]
    acc = np.zeros((total, c), np.float32)
    wsum = np.zeros((total, 1), np.float32)
    for i, (x, s) in enumerate(zip(chunks, starts)):
        n = len(x)
        w = np.ones(n, np.float32)
        if i > 0:
            ov = starts[i - 1] + len(chunks[i - 1]) - s
            if ov > 0:
                w[:ov] = np.linspace(0, 1, ov + 2, dtype=np.float32)[1:-1]
        if i + 1 < len(starts):
            ov = s + n - starts[i + 1]
            if ov > 0:
                w[n - ov:] = np.minimum(w[n - ov:], np.linspace(1, 0, ov + 2, dtype=np.float32)[1:-1])
        acc[s:s + n] += x * w[:, None]
        wsum[s:s + n, 0] += w
    return acc / np.maximum(wsum, 1e-6)


class Parley:
    """A loaded speech-to-motion model (front end + stage 2 + stage-1 decoder)."""

    def __init__(self, cfg, frontend, s2c: SpeechToCodes, vq: MotionVQVAE, device="cpu", path=None):
        self.cfg, self.frontend, self.s2c, self.vq = cfg, frontend, s2c.eval(), vq.eval()
        self.device = torch.device(device)
        self.path = path

    @classmethod
    def from_pretrained(cls, path, device: str = "cpu", frontend=None) -> "Parley":
        """Load a checkpoint directory; raises ``CheckpointError`` naming what is wrong."""
        path = Path(path)
        cfg = ckpt.load_config(path)
        fe = frontend or build_frontend(cfg.frontend)
        s2c = SpeechToCodes(cfg.s2c, cfg.vq, cfg.frontend)
        vq = MotionVQVAE(cfg.vq)
        ckpt.load_component(path, "s2c", s2c)
        ckpt.load_component(path, "vqvae", vq)
        return cls(cfg, fe, s2c.to(device), vq.to(device), device, path)

    def style_index(self, style) -> int:
        if style is None or isinstance(style, int):
            idx = style or 0
            if not 0 <= idx < self.cfg.n_styles:
                raise ValueError(f"style index {idx} out of range 0..{self.cfg.n_styles - 1}")
            return idx
        if style not in self.cfg.styles:
            raise ValueError(f"unknown style {style!r}; this model knows {self.cfg.styles} "
                             f"(or leave it empty for the default style)")
        return self.cfg.style_index(style)

    def features(self, samples16k, segments=None) -> np.ndarray:
        x = check_samples(samples16k)
        n = max(1, int(round(len(x) / 16000 * MOTION_FPS)))
        kw = {"segments": segments} if segments is not None else {}
        return self.frontend.features(x, n, **kw)

    @torch.no_grad()
    def motion_from_features(self, feats: np.ndarray, emotion="neutral", intensity: float = 1.0,
                             style=None, window_s: float = 20.0, overlap_s: float = 2.0,
                             max_batch: int = 64, naive: bool = False) -> np.ndarray:
        """30 fps curves ``[T, 52]`` from front-end features ``[T, in_dim]``."""
        s = self.cfg.vq.downsample
        total = len(feats)
        window = max(s, int(window_s * MOTION_FPS) // s * s)
        overlap = min(window // 2, int(overlap_s * MOTION_FPS))
        win = min(window, -(-total // s) * s)
        starts = window_starts(total, win, overlap)
        feats = np.asarray(feats, np.float32)
        if total < win:                                   # pad short clips to a whole latent step
            feats = np.concatenate([feats, np.repeat(feats[-1:], win - total, 0)])
        cond = torch.from_numpy(condition_vector(emotion, intensity))[None].to(self.device)
        sty = torch.tensor([self.style_index(style)], device=self.device)
        chunks = []
        for i in range(0, len(starts), max_batch):
            group = starts[i:i + max_batch]
            f = torch.from_numpy(np.stack([feats[a:a + win] for a in group])).to(self.device)
            b = len(group)
            gen = self.s2c.generate_naive if naive else self.s2c.generate
            codes = gen(f, cond.expand(b, -1), sty.expand(b), self.vq.quantizer)
            m = self.vq.decode_codes(codes, win).cpu().numpy()
            chunks.extend(list(m))
        out = crossfade_join(chunks, starts, max(total, win))[:total]
        return np.clip(out, 0.0, 1.0)

    def generate(self, samples16k, emotion="neutral", intensity: float = 1.0, fps: float = 30.0,
                 style=None, segments=None, **kw) -> np.ndarray:
        """Weight curves ``[round(duration*fps), 52]`` for 16 kHz mono ``samples16k``."""
        x = check_samples(samples16k)
        m30 = self.motion_from_features(self.features(x, segments), emotion, intensity, style, **kw)
        return resample_curves(m30, MOTION_FPS, fps, int(round(len(x) / 16000 * fps)))

    def generate_file(self, audio_path, **kw) -> np.ndarray:
        return self.generate(load_audio_16k(audio_path), **kw)
