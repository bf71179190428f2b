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
from .frontends.base import build_frontend
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
    def decode_windows(self, windows, conds, style, naive=False) -> np.ndarray:
        """Feature windows ``[B, win, in_dim]`` under conditions ``[K, 8]`` -> motion
        ``[K, B, win, 52]`` (KV-cached or naive); the audio is encoded once for all K."""
        (b, win), k = windows.shape[:2], len(conds)
        f = torch.from_numpy(np.asarray(windows, np.float32)).to(self.device)
        c = torch.from_numpy(np.repeat(np.asarray(conds, np.float32), b, axis=0)).to(self.device)
        sty = torch.full((k * b,), int(style), dtype=torch.long, device=self.device)
        hidden = self.s2c.encode_audio(f).repeat(k, 1, 1)
        gen = self.s2c.generate_naive if naive else self.s2c.generate
        codes = gen(None, c, sty, self.vq.quantizer, audio_hidden=hidden)
        return self.vq.decode_codes(codes, win).cpu().numpy().reshape(k, b, win, -1)
