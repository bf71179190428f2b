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


# torch-free curve helpers shared with the numpy runtime (one implementation for both)
from .numpy_runtime import (ModelInputs, crossfade_join, resample_curves,  # noqa: E402,F401
                            window_starts)


class Parley(ModelInputs):
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
