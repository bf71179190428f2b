"""EMOTE-style conditioning: emotion x intensity and speaker style -> one embedding added to every
stage-2 token.

The emotion condition is ``core.emotions.emotion_vector`` (8 values, neutral slot 0, one-hot x
intensity, or a weighted blend of two emotions). It enters through a *bias-free* linear layer, so
intensity 0 of any emotion gives exactly the same embedding as neutral (the zero vector), and a
blend of emotions is the same blend of their embeddings by construction. Styles are learned per
training voice; index 0 is the "default style" (trained by randomly dropping the voice label) and
is what artists get unless they pick a voice.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn

from ..emotions import NUM_EMOTIONS, condition_vector, emotion_vector  # noqa: F401


def parse_emotion_key(key: str) -> np.ndarray:
    """Corpus motion key ``"happy@0.50"`` (or ``"happy+sad@0.50"``) -> condition vector."""
    try:
        name, inten = key.split("@")
        intensity = float(inten)
    except ValueError as exc:
        raise ValueError(f"motion key {key!r} is not of the form '<emotion>@<intensity>'") from exc
    if "+" in name:
        parts = name.split("+")
        return emotion_vector({p: 1.0 / len(parts) for p in parts}, intensity)
    return emotion_vector(name, intensity)


class Conditioning(nn.Module):
    def __init__(self, d_model: int, n_styles: int):
        super().__init__()
        self.emotion = nn.Linear(NUM_EMOTIONS, d_model, bias=False)
        self.style = nn.Embedding(max(1, n_styles), d_model)
        nn.init.normal_(self.emotion.weight, std=0.5)
        nn.init.normal_(self.style.weight, std=0.02)

    def forward(self, emotion: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        """``emotion [B, 8]``, ``style [B]`` (long) -> ``[B, d_model]``."""
        if emotion.dim() != 2 or emotion.shape[1] != NUM_EMOTIONS:
            raise ValueError(f"emotion must be [batch, {NUM_EMOTIONS}], got {tuple(emotion.shape)}")
        if (style < 0).any() or (style >= self.style.num_embeddings).any():
            raise ValueError(f"style index out of range 0..{self.style.num_embeddings - 1}")
        return self.emotion(emotion) + self.style(style)
