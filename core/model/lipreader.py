"""Lip reader: per-frame phone (and viseme) recognition from mouth-region motion.

Input is only the mouth/jaw columns of a take (``core.arkit.MOUTH_SHAPES``), so it can only
succeed if the lips really articulate the phones. Trained on ground-truth corpus motion against
the corpus phone labels, then frozen and applied to *predicted* motion as EMOTE's lip-reading
loss: a prediction whose mouth does not read as the spoken phones is penalised, whatever the
emotion condition asks the rest of the face to do.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from ..arkit import MOUTH_SHAPES, index_of
from ..phones import NUM_PHONES, PHONE_TO_VISEME, PHONES, VISEME_NAMES
from .layers import ConvEncoder

MOUTH_INDEX = index_of(MOUTH_SHAPES)
PHONE_TO_VISEME_INDEX = torch.tensor([VISEME_NAMES.index(PHONE_TO_VISEME[p]) for p in PHONES])


class LipReader(nn.Module):
    def __init__(self, hidden: int = 96, layers: int = 3):
        super().__init__()
        self.register_buffer("mouth", torch.tensor(MOUTH_INDEX), persistent=False)
        self.net = ConvEncoder(len(MOUTH_INDEX), hidden, hidden, layers, kernel=5)
        self.phone_head = nn.Linear(hidden, NUM_PHONES)
        self.viseme_head = nn.Linear(hidden, len(VISEME_NAMES))

    def features(self, motion: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.net(motion[..., self.mouth]))

    def forward(self, motion: torch.Tensor):
        """``[B, T, 52]`` -> (phone logits ``[B, T, 40]``, viseme logits ``[B, T, 10]``)."""
        h = self.features(motion)
        return self.phone_head(h), self.viseme_head(h)


def visemes_of(phone_labels: torch.Tensor) -> torch.Tensor:
    return PHONE_TO_VISEME_INDEX.to(phone_labels.device)[phone_labels]
