"""Face-component vector quantiser with one shared codebook (CodeTalker), EMA updates and
dead-code restarts.

A latent step of width ``groups * code_dim`` is split into ``groups`` components; every component
is snapped to its nearest row of the same ``[n_codes, code_dim]`` codebook. The codebook follows
the encoder by exponential moving averages (VQ-VAE-2 style), which is stabler than learning it by
gradient on small data; codes that nobody picked for ``dead_after`` steps are re-seeded from
recent encoder outputs so the codebook stays in use. Usage and perplexity are tracked for reports.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


class SharedCodebookQuantizer(nn.Module):
    def __init__(self, n_codes: int, code_dim: int, groups: int, beta: float = 0.25,
                 ema_decay: float = 0.99, dead_after: int = 200):
        super().__init__()
        self.n_codes, self.code_dim, self.groups = n_codes, code_dim, groups
        self.beta, self.decay, self.dead_after = beta, ema_decay, dead_after
        embed = torch.randn(n_codes, code_dim) * 0.1
        if ema_decay > 0:
            self.register_buffer("embedding", embed)
            self.register_buffer("ema_count", torch.ones(n_codes))
            self.register_buffer("ema_sum", embed.clone())
        else:
            self.embedding = nn.Parameter(embed)
        self.register_buffer("idle_steps", torch.zeros(n_codes, dtype=torch.long))
        self.register_buffer("initialised", torch.zeros((), dtype=torch.bool))

    # -- lookup -----------------------------------------------------------------------------
    def codes(self, z: torch.Tensor) -> torch.Tensor:
        """Nearest code index per component: ``z [..., groups*code_dim] -> [..., groups]``."""
        flat = z.reshape(-1, self.code_dim)
        e = self.embedding
        d = flat.pow(2).sum(1, keepdim=True) - 2 * flat @ e.t() + e.pow(2).sum(1)[None]
        return d.argmin(1).reshape(*z.shape[:-1], self.groups)

    def lookup(self, idx: torch.Tensor) -> torch.Tensor:
        """Code indices ``[..., groups]`` -> quantised latent ``[..., groups*code_dim]``."""
        return F.embedding(idx, self.embedding).flatten(-2)

    def soft_lookup(self, probs: torch.Tensor) -> torch.Tensor:
        """Code probabilities ``[..., groups, n_codes]`` -> expected latent (differentiable)."""
        return (probs @ self.embedding).flatten(-2)

    # -- training forward -------------------------------------------------------------------
    def forward(self, z: torch.Tensor):
        """Quantise ``z [B, T, groups*code_dim]``; returns (z_q straight-through, loss, idx, stats)."""
        if self.training and not bool(self.initialised):
            self._init_from(z)
        idx = self.codes(z)
        zq = self.lookup(idx)
        commit = F.mse_loss(z, zq.detach())
        if isinstance(self.embedding, nn.Parameter):
            loss = self.beta * commit + F.mse_loss(zq, z.detach())
        else:
            loss = self.beta * commit
            if self.training:
                self._ema_update(z.detach(), idx)
        zq = z + (zq - z).detach()
        return zq, loss, idx, self.stats(idx)

    def stats(self, idx: torch.Tensor) -> dict:
        counts = torch.bincount(idx.reshape(-1), minlength=self.n_codes).float()
        p = counts / counts.sum().clamp_min(1)
        perplexity = torch.exp(-(p * torch.log(p.clamp_min(1e-10))).sum())
        return {"perplexity": float(perplexity), "usage": float((counts > 0).float().mean())}

    @torch.no_grad()
    def init_kmeans(self, z: torch.Tensor, iters: int = 10) -> None:
        """Seed the codebook by k-means on encoder outputs ``[..., groups*code_dim]``.

        Used at the end of the stage-1 autoencoder warm-up: codes start where the data is, which
        avoids the collapse onto a few codes that a random initialisation invites.
        """
        flat = z.detach().reshape(-1, self.code_dim)
        if len(flat) > 20000:
            flat = flat[torch.randperm(len(flat), device=flat.device)[:20000]]
        cent = flat[torch.randint(len(flat), (self.n_codes,), device=flat.device)].clone()
        for _ in range(iters):
            d = flat.pow(2).sum(1, keepdim=True) - 2 * flat @ cent.t() + cent.pow(2).sum(1)[None]
            assign = d.argmin(1)
            counts = torch.bincount(assign, minlength=self.n_codes).float()
            sums = torch.zeros_like(cent).index_add_(0, assign, flat)
            empty = counts == 0
            cent = torch.where(empty[:, None], flat[torch.randint(len(flat), (self.n_codes,),
                                                                  device=flat.device)], sums / counts.clamp_min(1)[:, None])
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            torch.distributed.broadcast(cent, 0)
        self.embedding.data.copy_(cent)
        if hasattr(self, "ema_sum"):
            self.ema_sum.copy_(cent)
            self.ema_count.fill_(1.0)
        self.idle_steps.zero_()
        self.initialised.fill_(True)

    @torch.no_grad()
    def _init_from(self, z):
        flat = z.detach().reshape(-1, self.code_dim)
        pick = flat[torch.randint(len(flat), (self.n_codes,), device=flat.device)]
        pick = pick + 1e-3 * torch.randn_like(pick)
        self.embedding.data.copy_(pick)
        if hasattr(self, "ema_sum"):
            self.ema_sum.copy_(pick)
            self.ema_count.fill_(1.0)
        self.initialised.fill_(True)

    @torch.no_grad()
    def _ema_update(self, z, idx):
        flat = z.reshape(-1, self.code_dim)
        onehot = F.one_hot(idx.reshape(-1), self.n_codes).type_as(flat)
        count = onehot.sum(0)
        total = onehot.t() @ flat
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            torch.distributed.all_reduce(count)
            torch.distributed.all_reduce(total)
        self.ema_count.mul_(self.decay).add_(count, alpha=1 - self.decay)
        self.ema_sum.mul_(self.decay).add_(total, alpha=1 - self.decay)
        n = self.ema_count.sum()
        smoothed = (self.ema_count + 1e-5) / (n + self.n_codes * 1e-5) * n
        self.embedding.copy_(self.ema_sum / smoothed[:, None])
        # dead-code restart: re-seed long-idle codes from this batch's encoder outputs
        self.idle_steps.add_(1)
        self.idle_steps[count > 0] = 0
        dead = self.idle_steps >= self.dead_after
        n_dead = int(dead.sum())
        if n_dead:
            src = flat[torch.randint(len(flat), (n_dead,), device=flat.device)]
            if torch.distributed.is_available() and torch.distributed.is_initialized():
                torch.distributed.broadcast(src, 0)
            self.embedding[dead] = src
            self.ema_sum[dead] = src
            self.ema_count[dead] = 1.0
            self.idle_steps[dead] = 0
        self.last_restarts = n_dead
