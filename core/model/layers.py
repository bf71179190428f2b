"""Small shared building blocks (time-local convolutions only: no normalisation over time, so a
window of a long sequence computes the same values as the full sequence away from its edges)."""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


def st_clamp01(x: torch.Tensor) -> torch.Tensor:
    """Clamp to 0..1 in the forward pass, identity gradient in the backward pass.

    ARKit weights sit exactly at 0 for most shapes most of the time; a sigmoid never reaches 0
    (every shape would carry a small offset that the lip reader/emotion classifier read as
    noise), while a plain clamp kills the gradient of out-of-range outputs.
    """
    return x + (x.clamp(0.0, 1.0) - x).detach()


class ChannelNorm(nn.Module):
    """LayerNorm over channels of a ``[B, C, T]`` tensor (per frame, never across time)."""

    def __init__(self, channels: int):
        super().__init__()
        self.norm = nn.LayerNorm(channels)

    def forward(self, x):
        return self.norm(x.transpose(1, 2)).transpose(1, 2)


class ResConv(nn.Module):
    """Pre-norm residual block of two same-length 1-D convolutions (``[B, C, T]``)."""

    def __init__(self, channels: int, kernel: int = 3, dilation: int = 1, dropout: float = 0.0):
        super().__init__()
        pad = dilation * (kernel - 1) // 2
        self.norm = ChannelNorm(channels)
        self.conv1 = nn.Conv1d(channels, channels, kernel, padding=pad, dilation=dilation,
                               padding_mode="replicate")
        self.conv2 = nn.Conv1d(channels, channels, 1)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        return x + self.conv2(self.drop(F.gelu(self.conv1(self.norm(x)))))


class ConvEncoder(nn.Module):
    """Per-frame features ``[B, T, in_dim] -> [B, T, out_dim]`` with a bidirectional conv stack."""

    def __init__(self, in_dim: int, hidden: int, out_dim: int, layers: int = 3, kernel: int = 5,
                 dropout: float = 0.0):
        super().__init__()
        self.inp = nn.Conv1d(in_dim, hidden, 1)
        self.blocks = nn.Sequential(*[ResConv(hidden, kernel, dilation=2 ** (i % 3), dropout=dropout)
                                      for i in range(layers)])
        self.norm = ChannelNorm(hidden)
        self.out = nn.Conv1d(hidden, out_dim, 1)

    def forward(self, x):
        h = self.blocks(self.inp(x.transpose(1, 2)))
        return self.out(self.norm(h)).transpose(1, 2)

    @property
    def receptive_field(self) -> int:
        rf = 1
        for b in self.blocks:
            rf += (b.conv1.kernel_size[0] - 1) * b.conv1.dilation[0]
        return rf
