"""Stage 2 (CodeTalker): speech features -> motion code indices, autoregressively.

A decoder-only transformer with cross-attention. Token ``t`` (one per latent step, i.e. every
``vq.downsample`` motion frames) is the embedding of the previous step's quantised latent (a learned
start token at ``t = 0``) plus the emotion/style condition plus a periodic positional encoding
(FaceFormer PPE). Self-attention is causal with an ALiBi-style recency bias that grows by one
step every ``period`` tokens (FaceFormer/CodeTalker ``init_biased_mask``); cross-attention reads
the speech memory only within ``cross_window`` latent steps of the token (the alignment bias; the
memory itself already has context from the bidirectional front-end encoder). Heads output logits
for ``groups`` code indices per step.

Because every bias depends on positions only and dropout is off at inference, earlier outputs
never change when tokens are appended: :meth:`SpeechToCodes.generate` keeps a key/value cache of
the self-attention and precomputes the memory keys/values once, and is exactly equal (up to float
rounding) to :meth:`SpeechToCodes.generate_naive`, which re-runs the whole prefix every step.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .conditioning import Conditioning
from .config import FrontEndConfig, S2CConfig, VQConfig
from .layers import ConvEncoder


def periodic_encoding(length: int, d_model: int, period: int, offset: int = 0) -> torch.Tensor:
    """FaceFormer PPE: sinusoidal encoding of ``position mod period`` -> ``[length, d_model]``."""
    pos = (torch.arange(offset, offset + length) % period).float()[:, None]
    div = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
    pe = torch.zeros(length, d_model)
    pe[:, 0::2] = torch.sin(pos * div)
    pe[:, 1::2] = torch.cos(pos * div[: d_model // 2])
    return pe


def alibi_slopes(heads: int) -> torch.Tensor:
    return torch.tensor([2.0 ** (-8.0 * (h + 1) / heads) for h in range(heads)])


def recency_bias(q_pos: torch.Tensor, k_pos: torch.Tensor, slopes: torch.Tensor,
                 period: int) -> torch.Tensor:
    """Causal, period-stepped ALiBi bias ``[heads, Q, K]``: ``-slope*floor((i-j)/period)``, -inf for j>i."""
    diff = q_pos[:, None] - k_pos[None, :]
    bias = -slopes[:, None, None] * torch.div(diff.clamp_min(0), period, rounding_mode="floor")[None].float()
    return bias.masked_fill((diff < 0)[None], float("-inf"))


def window_mask(q_len: int, k_len: int, window: int, q_offset: int = 0) -> torch.Tensor:
    """Cross-attention alignment bias ``[Q, K]``: 0 where ``|i-j| <= window``, -inf elsewhere."""
    qi = torch.arange(q_offset, q_offset + q_len)[:, None]
    kj = torch.arange(k_len)[None, :]
    return torch.zeros(q_len, k_len).masked_fill((qi - kj).abs() > window, float("-inf"))


class Attention(nn.Module):
    def __init__(self, d_model: int, heads: int, dropout: float):
        super().__init__()
        self.heads, self.dh = heads, d_model // heads
        self.q = nn.Linear(d_model, d_model)
        self.kv = nn.Linear(d_model, 2 * d_model)
        self.out = nn.Linear(d_model, d_model)
        self.dropout = dropout

    def split(self, x):
        b, t, _ = x.shape
        return x.view(b, t, self.heads, self.dh).transpose(1, 2)

    def keys_values(self, x):
        k, v = self.kv(x).chunk(2, dim=-1)
        return self.split(k), self.split(v)

    def attend(self, x, k, v, bias):
        q = self.split(self.q(x))
        drop = self.dropout if self.training else 0.0
        o = F.scaled_dot_product_attention(q, k, v, attn_mask=bias, dropout_p=drop)
        b, h, t, dh = o.shape
        return self.out(o.transpose(1, 2).reshape(b, t, h * dh))


class DecoderLayer(nn.Module):
    def __init__(self, cfg: S2CConfig):
        super().__init__()
        d = cfg.d_model
        self.norm1, self.norm2, self.norm3 = nn.LayerNorm(d), nn.LayerNorm(d), nn.LayerNorm(d)
        self.self_attn = Attention(d, cfg.heads, cfg.dropout)
        self.cross_attn = Attention(d, cfg.heads, cfg.dropout)
        self.ffn = nn.Sequential(nn.Linear(d, cfg.ffn), nn.GELU(), nn.Dropout(cfg.dropout),
                                 nn.Linear(cfg.ffn, d))
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x, mem_k, mem_v, self_bias, cross_bias):
        h = self.norm1(x)
        k, v = self.self_attn.keys_values(h)
        x = x + self.drop(self.self_attn.attend(h, k, v, self_bias))
        x = x + self.drop(self.cross_attn.attend(self.norm2(x), mem_k, mem_v, cross_bias))
        return x + self.drop(self.ffn(self.norm3(x)))


class KVCache:
    """Preallocated self-attention keys/values for incremental decoding."""

    def __init__(self, layers: int, batch: int, heads: int, max_len: int, dh: int, device, dtype):
        self.k = torch.empty(layers, batch, heads, max_len, dh, device=device, dtype=dtype)
        self.v = torch.empty_like(self.k)
        self.length = 0


class SpeechToCodes(nn.Module):
    def __init__(self, s2c: S2CConfig, vq: VQConfig, fe: FrontEndConfig):
        super().__init__()
        if fe.in_dim <= 0:
            raise ValueError("frontend.in_dim is unknown; build the front end first (it sets in_dim)")
        self.cfg, self.vq_cfg = s2c, vq
        d = s2c.d_model
        self.audio_encoder = ConvEncoder(fe.in_dim, fe.hidden, d, fe.layers, fe.kernel, fe.dropout)
        s = vq.downsample
        self.audio_down = nn.Conv1d(d, d, kernel_size=s, stride=s) if s > 1 else nn.Identity()
        self.mem_norm = nn.LayerNorm(d)
        self.cond = Conditioning(d, s2c.n_styles)
        self.code_in = nn.Linear(vq.groups * vq.code_dim, d)
        self.start = nn.Parameter(torch.zeros(d))
        self.layers = nn.ModuleList(DecoderLayer(s2c) for _ in range(s2c.layers))
        self.norm_out = nn.LayerNorm(d)
        self.head = nn.Linear(d, vq.groups * vq.n_codes)
        nn.init.zeros_(self.code_in.bias)
        self.register_buffer("slopes", alibi_slopes(s2c.heads), persistent=False)

    # -- audio side ---------------------------------------------------------------------------
    def encode_audio(self, feats: torch.Tensor) -> torch.Tensor:
        """Front-end features ``[B, T, in_dim]`` (30 fps) -> audio hidden ``[B, T, d]`` (30 fps)."""
        return self.audio_encoder(feats)

    def memory(self, audio_hidden: torch.Tensor) -> torch.Tensor:
        """30 fps audio hidden -> latent-rate memory ``[B, ceil(T/s), d]``."""
        s = self.vq_cfg.downsample
        t = audio_hidden.shape[1]
        pad = -(-t // s) * s - t
        if pad:
            audio_hidden = torch.cat([audio_hidden, audio_hidden[:, -1:].expand(-1, pad, -1)], 1)
        if s > 1:
            audio_hidden = self.audio_down(audio_hidden.transpose(1, 2)).transpose(1, 2)
        return self.mem_norm(audio_hidden)

    # -- tokens -------------------------------------------------------------------------------
    def tokens(self, prev_latent: torch.Tensor | None, cond: torch.Tensor, offset: int,
               length: int) -> torch.Tensor:
        """Input tokens for positions ``offset..offset+length-1``.

        ``prev_latent [B, length, L]`` holds the quantised latent of the step *before* each
        position; position 0 uses the learned start token instead.
        """
        b = cond.shape[0]
        x = self.code_in(prev_latent) if prev_latent is not None else \
            self.start.expand(b, length, -1).clone()
        if offset == 0:
            x[:, 0] = self.start
        pe = periodic_encoding(length, self.cfg.d_model, self.cfg.period, offset).to(x)
        return x + cond[:, None] + pe[None]

    def _pe(self, length, like):
        return periodic_encoding(length, self.cfg.d_model, self.cfg.period).to(like)[None]

    def _logits(self, h):
        b, t, _ = h.shape
        return self.head(self.norm_out(h)).view(b, t, self.vq_cfg.groups, self.vq_cfg.n_codes)

    # -- teacher-forced forward -----------------------------------------------------------------
    def forward(self, feats, target_latent, emotion, style, audio_hidden=None):
        """Teacher forcing. ``target_latent [B, T', L]`` is the quantised GT latent; the input at
        step t is the latent of step t-1. Returns (logits ``[B, T', groups, n_codes]``, audio hidden)."""
        if audio_hidden is None:
            audio_hidden = self.encode_audio(feats)
        mem = self.memory(audio_hidden)
        tl = target_latent.shape[1]
        if mem.shape[1] != tl:
            raise ValueError(f"audio gives {mem.shape[1]} latent steps but the motion latent has {tl}")
        cond = self.cond(emotion, style)
        prev = torch.cat([torch.zeros_like(target_latent[:, :1]), target_latent[:, :-1]], 1)
        x = self.tokens(prev, cond, 0, tl)
        if self.training and self.cfg.token_dropout > 0:
            # hide some previous-code tokens (replaced by the start token) so the model cannot
            # lean on copying its own past and must read the speech (exposure-bias remedy)
            hide = torch.rand(x.shape[:2], device=x.device) < self.cfg.token_dropout
            x = torch.where(hide[..., None], (self.start + cond)[:, None] + self._pe(tl, x), x)
        x = self._decode(x, mem)
        return self._logits(x), audio_hidden

    def _decode(self, x, mem):
        """Run the layers over tokens ``x [B, L, d]`` (positions 0..L-1) against ``mem [B, S, d]``."""
        length, steps = x.shape[1], mem.shape[1]
        pos = torch.arange(length, device=x.device)
        self_bias = recency_bias(pos, pos, self.slopes, self.cfg.period).to(x)
        cross_bias = window_mask(length, steps, self.cfg.cross_window).to(x)
        for layer in self.layers:
            mk, mv = layer.cross_attn.keys_values(mem)
            x = layer(x, mk, mv, self_bias, cross_bias)
        return x

    # -- inference ----------------------------------------------------------------------------
    @torch.no_grad()
    def generate(self, feats, emotion, style, quantizer, audio_hidden=None) -> torch.Tensor:
        """Greedy autoregressive decoding with a KV cache -> code indices ``[B, T', groups]``."""
        if audio_hidden is None:
            audio_hidden = self.encode_audio(feats)
        mem = self.memory(audio_hidden)
        b, steps, d = mem.shape
        cond = self.cond(emotion, style)
        w = self.cfg.cross_window
        mem_kv = [layer.cross_attn.keys_values(mem) for layer in self.layers]
        cache = KVCache(len(self.layers), b, self.cfg.heads, steps, d // self.cfg.heads,
                        mem.device, mem.dtype)
        pe = periodic_encoding(steps, d, self.cfg.period).to(mem)
        out = torch.empty(b, steps, self.vq_cfg.groups, dtype=torch.long, device=mem.device)
        x = (self.start + cond + pe[0])[:, None]
        for t in range(steps):
            lo, hi = max(0, t - w), min(steps, t + w + 1)
            kpos = torch.arange(t + 1, device=mem.device)
            bias = recency_bias(kpos[-1:], kpos, self.slopes, self.cfg.period).to(mem)
            for li, layer in enumerate(self.layers):
                h = layer.norm1(x)
                k, v = layer.self_attn.keys_values(h)
                cache.k[li, :, :, t:t + 1] = k
                cache.v[li, :, :, t:t + 1] = v
                x = x + layer.self_attn.attend(h, cache.k[li, :, :, :t + 1],
                                               cache.v[li, :, :, :t + 1], bias)
                mk, mv = mem_kv[li]
                x = x + layer.cross_attn.attend(layer.norm2(x), mk[:, :, lo:hi], mv[:, :, lo:hi], None)
                x = x + layer.ffn(layer.norm3(x))
            idx = self._logits(x).argmax(-1)            # [B, 1, groups]
            out[:, t] = idx[:, 0]
            if t + 1 < steps:
                x = self.code_in(quantizer.lookup(idx)) + cond[:, None] + pe[t + 1]
        return out

    @torch.no_grad()
    def generate_naive(self, feats, emotion, style, quantizer, audio_hidden=None) -> torch.Tensor:
        """Reference decoder: re-runs the whole prefix through :meth:`forward` every step (O(T^2))."""
        if audio_hidden is None:
            audio_hidden = self.encode_audio(feats)
        mem = self.memory(audio_hidden)
        b, steps, _ = mem.shape
        cond = self.cond(emotion, style)
        lat = torch.zeros(b, steps, self.vq_cfg.groups * self.vq_cfg.code_dim, device=mem.device)
        out = torch.empty(b, steps, self.vq_cfg.groups, dtype=torch.long, device=mem.device)
        for t in range(steps):
            prev = torch.cat([lat[:, :1], lat[:, :t]], 1)     # slot 0 is replaced by the start token
            h = self._decode(self.tokens(prev, cond, 0, t + 1), mem)
            out[:, t] = self._logits(h[:, -1:])[:, 0].argmax(-1)
            lat[:, t] = quantizer.lookup(out[:, t])
        return out
