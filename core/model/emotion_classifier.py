"""Sequence-level emotion classifier on motion (EMOTE's emotion loss, and an independent judge).

Predicts the soft emotion distribution of a take: ``p[e] = emotion_vector[e]`` for the expressed
emotions and ``p[neutral] = 1 - sum`` (so "happy at 0.5" is half neutral, half happy), which makes
intensity and blends learnable targets. One instance is frozen and used as a stage-2 loss; a
second one, trained with another seed on other data (the validation split), is used only for
evaluation, so the model is never graded by the network it was trained against.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..emotions import NUM_EMOTIONS
from .layers import ConvEncoder


def emotion_target(cond: torch.Tensor) -> torch.Tensor:
    """Condition vectors ``[B, 8]`` -> soft class targets ``[B, 8]`` (neutral = 1 - sum)."""
    t = cond.clone()
    t[:, 0] = (1.0 - cond[:, 1:].sum(1)).clamp_min(0.0)
    return t / t.sum(1, keepdim=True).clamp_min(1e-6)


class EmotionClassifier(nn.Module):
    def __init__(self, n_shapes: int = 52, hidden: int = 96, layers: int = 3):
        super().__init__()
        self.net = ConvEncoder(n_shapes, hidden, hidden, layers, kernel=5)
        self.head = nn.Linear(2 * hidden, NUM_EMOTIONS)

    def forward(self, motion: torch.Tensor) -> torch.Tensor:
        """``[B, T, 52]`` -> emotion logits ``[B, 8]`` (mean and max pooled over time)."""
        h = torch.relu(self.net(motion))
        return self.head(torch.cat([h.mean(1), h.amax(1)], dim=-1))


def soft_cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return -(target * F.log_softmax(logits, -1)).sum(-1).mean()
