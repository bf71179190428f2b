"""DualTalker: lip reading as a jointly trained dual task, plus cross-modal consistency.

DualTalker (Su et al. 2023) publishes no code; this follows its abstract. The primary task maps
audio -> motion through the stage-2 model's audio encoder; the dual task maps motion -> phones
(lip reading). The two tasks share components: a motion encoder ``M`` (used on ground-truth and on
predicted motion) and ONE phone head used by both the audio side (``audio_hidden -> phones``) and
the motion side (``M(motion) -> phones``), so both modalities are pushed into one content space.
The cross-modal consistency loss is a frame-level InfoNCE between the audio-side and motion-side
representations of the same frames (negatives: other frames of the batch), which counters the
over-smoothed, averaged representations that plain regression learns.
Unlike the frozen :class:`LipReader`, everything here is trained jointly with stage 2.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..phones import NUM_PHONES
from .layers import ConvEncoder


class DualTask(nn.Module):
    def __init__(self, audio_dim: int, hidden: int = 128, n_shapes: int = 52):
        super().__init__()
        self.motion_encoder = ConvEncoder(n_shapes, hidden, hidden, 3, kernel=5)
        self.audio_proj = nn.Linear(audio_dim, hidden)
        self.phone_head = nn.Linear(hidden, NUM_PHONES)
        self.temperature = 0.1

    def motion_repr(self, motion):
        return self.motion_encoder(motion)

    def losses(self, audio_hidden, gt_motion, pred_motion, phone_labels, mask=None) -> dict:
        """Returns dual-task CE (GT and predicted motion, audio side) and consistency (InfoNCE)."""
        a = self.audio_proj(audio_hidden)
        m_gt = self.motion_repr(gt_motion)
        m_pred = self.motion_repr(pred_motion)
        if mask is None:
            mask = torch.ones(phone_labels.shape, dtype=torch.bool, device=phone_labels.device)
        lab = phone_labels[mask]

        def ce(h):
            return F.cross_entropy(self.phone_head(h)[mask], lab)

        dual = ce(m_gt) + ce(m_pred) + ce(a)
        za = F.normalize(a[mask], dim=-1)
        zm = F.normalize(m_gt[mask], dim=-1)
        if len(za) > 512:                      # bound the similarity matrix
            pick = torch.randperm(len(za), device=za.device)[:512]
            za, zm = za[pick], zm[pick]
        sim = za @ zm.t() / self.temperature
        target = torch.arange(len(za), device=za.device)
        consistency = 0.5 * (F.cross_entropy(sim, target) + F.cross_entropy(sim.t(), target))
        return {"dual": dual, "consistency": consistency}
