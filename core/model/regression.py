"""FaceFormer-style regression baseline: same front end, same conditioning, motion regressed
directly with MSE (no codebook).

Like FaceFormer it is a transformer with periodic positional encoding and a period-stepped ALiBi
bias over the audio-encoder features at 30 fps. Unlike FaceFormer it is non-autoregressive
(bidirectional bias, one pass): FaceFormer's own authors train without teacher forcing, i.e. it
is effectively a sequence regressor, and the point of this baseline is the loss/output space
(L2 regression -> mean motion), which this keeps. It exists only to measure the codebook claim
(less over-smoothing), see ``core.model.evaluate``.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from .conditioning import Conditioning
from .config import FrontEndConfig, S2CConfig
from .layers import ConvEncoder, st_clamp01
from .transformer import alibi_slopes, periodic_encoding


class RegressionBaseline(nn.Module):
    def __init__(self, s2c: S2CConfig, fe: FrontEndConfig, n_shapes: int = 52, period_frames: int = 30):
        super().__init__()
        d = s2c.d_model
        self.cfg, self.period = s2c, period_frames
        self.audio_encoder = ConvEncoder(fe.in_dim, fe.hidden, d, fe.layers, fe.kernel, fe.dropout)
        self.cond = Conditioning(d, s2c.n_styles)
        layer = nn.TransformerEncoderLayer(d, s2c.heads, s2c.ffn, s2c.dropout, batch_first=True,
                                           norm_first=True, activation="gelu")
        self.encoder = nn.TransformerEncoder(layer, s2c.layers, enable_nested_tensor=False)
        self.out = nn.Linear(d, n_shapes)
        self.register_buffer("slopes", alibi_slopes(s2c.heads), persistent=False)
        self.register_buffer("motion_mean", torch.zeros(n_shapes))
        self.register_buffer("motion_std", torch.ones(n_shapes))

    def set_normalization(self, mean, std, floor: float = 0.05) -> None:
        """Per-shape output scaling from the corpus (same statistics as stage 1)."""
        self.motion_mean.copy_(torch.as_tensor(mean, dtype=torch.float32))
        self.motion_std.copy_(torch.as_tensor(std, dtype=torch.float32).clamp_min(floor))

    def forward(self, feats, emotion, style):
        """``feats [B, T, in_dim]`` -> motion ``[B, T, 52]`` in 0..1."""
        h = self.audio_encoder(feats)
        b, t, d = h.shape
        h = h + self.cond(emotion, style)[:, None] + periodic_encoding(t, d, self.period).to(h)[None]
        pos = torch.arange(t, device=h.device)
        dist = (pos[:, None] - pos[None]).abs()
        bias = -self.slopes[:, None, None] * torch.div(dist, self.period, rounding_mode="floor")[None]
        mask = bias.to(h).repeat(b, 1, 1)           # [B*heads, T, T]
        return st_clamp01(self.out(self.encoder(h, mask=mask)) * self.motion_std + self.motion_mean)
