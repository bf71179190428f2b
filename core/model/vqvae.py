"""Stage 1 (CodeTalker): a motion VQ-VAE over ARKit weight sequences.

``[B, T, 52]`` motion -> conv encoder with ``downsample``x temporal striding -> latent
``[B, T/s, groups*code_dim]`` -> face-component quantisation against one shared codebook ->
conv decoder with nearest-neighbour upsampling -> weights clamped to 0..1 (straight-through). Convolutions only (no
normalisation over time, no global attention), so decoding is local: long takes can be decoded in
overlapping windows, and the cost is linear in length. Trained by self-reconstruction.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .config import VQConfig
from .layers import ChannelNorm, ResConv, st_clamp01
from .quantizer import SharedCodebookQuantizer


class MotionVQVAE(nn.Module):
    def __init__(self, cfg: VQConfig):
        super().__init__()
        self.cfg = cfg
        h, levels = cfg.hidden, int(math.log2(cfg.downsample))
        self.levels = levels
        enc = [nn.Conv1d(cfg.n_shapes, h, 3, padding=1, padding_mode="replicate")]
        enc += [ResConv(h, 3, dilation=2 ** i, dropout=cfg.dropout) for i in range(cfg.res_blocks)]
        for _ in range(levels):
            enc.append(nn.Conv1d(h, h, 4, stride=2, padding=1, padding_mode="replicate"))
            enc += [ResConv(h, 3, dilation=2 ** i, dropout=cfg.dropout) for i in range(cfg.res_blocks)]
        enc += [ChannelNorm(h), nn.Conv1d(h, cfg.groups * cfg.code_dim, 1)]
        self.encoder = nn.Sequential(*enc)
        self.quantizer = SharedCodebookQuantizer(cfg.n_codes, cfg.code_dim, cfg.groups, cfg.beta,
                                                 cfg.ema_decay, cfg.dead_after)
        dec = [nn.Conv1d(cfg.groups * cfg.code_dim, h, 3, padding=1, padding_mode="replicate")]
        dec += [ResConv(h, 3, dilation=2 ** i, dropout=cfg.dropout) for i in range(cfg.res_blocks)]
        for _ in range(levels):
            dec += [nn.Upsample(scale_factor=2, mode="nearest"),
                    nn.Conv1d(h, h, 3, padding=1, padding_mode="replicate")]
            dec += [ResConv(h, 3, dilation=2 ** i, dropout=cfg.dropout) for i in range(cfg.res_blocks)]
        dec += [ChannelNorm(h), nn.Conv1d(h, cfg.n_shapes, 1)]
        self.decoder = nn.Sequential(*dec)
        # per-shape standardisation (set from the corpus before training): ARKit weights are small
        # and mostly zero, and without it the nets sit in the "predict the mean" minimum for long
        self.register_buffer("motion_mean", torch.zeros(cfg.n_shapes))
        self.register_buffer("motion_std", torch.ones(cfg.n_shapes))

    def set_normalization(self, mean, std, floor: float = 0.05) -> None:
        self.motion_mean.copy_(torch.as_tensor(mean, dtype=torch.float32))
        self.motion_std.copy_(torch.as_tensor(std, dtype=torch.float32).clamp_min(floor))

    @property
    def latent_dim(self) -> int:
        return self.cfg.groups * self.cfg.code_dim

    def latent_len(self, frames: int) -> int:
        return -(-frames // self.cfg.downsample)

    def _pad(self, motion):
        t = motion.shape[1]
        pad = self.latent_len(t) * self.cfg.downsample - t
        if pad:
            motion = torch.cat([motion, motion[:, -1:].expand(-1, pad, -1)], 1)
        return motion

    def encode(self, motion: torch.Tensor) -> torch.Tensor:
        """``[B, T, 52] -> [B, ceil(T/s), groups*code_dim]`` continuous latent (before quantising)."""
        if motion.dim() != 3 or motion.shape[-1] != self.cfg.n_shapes:
            raise ValueError(f"motion must be [batch, frames, {self.cfg.n_shapes}], got {tuple(motion.shape)}")
        x = (self._pad(motion) - self.motion_mean) / self.motion_std
        return self.encoder(x.transpose(1, 2)).transpose(1, 2)

    def decode(self, zq: torch.Tensor, frames: int | None = None) -> torch.Tensor:
        """Quantised latent ``[B, T', groups*code_dim] -> [B, T'*s, 52]`` (cropped to ``frames``)."""
        raw = self.decoder(zq.transpose(1, 2)).transpose(1, 2)
        out = st_clamp01(raw * self.motion_std + self.motion_mean)
        return out if frames is None else out[:, :frames]

    def encode_codes(self, motion: torch.Tensor) -> torch.Tensor:
        return self.quantizer.codes(self.encode(motion))

    def decode_codes(self, idx: torch.Tensor, frames: int | None = None) -> torch.Tensor:
        return self.decode(self.quantizer.lookup(idx), frames)

    def forward(self, motion: torch.Tensor, quantize: bool = True):
        """Self-reconstruction: returns (recon [B,T,52], vq loss, code indices, codebook stats).

        ``quantize=False`` bypasses the codebook (plain autoencoder warm-up of stage 1).
        """
        z = self.encode(motion)
        if not quantize:
            return self.decode(z, motion.shape[1]), z.new_zeros(()), None, {"z": z.detach()}
        zq, vq_loss, idx, stats = self.quantizer(z)
        return self.decode(zq, motion.shape[1]), vq_loss, idx, stats
