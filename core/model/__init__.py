"""Parley's learned speech-to-motion model: CodeTalker (motion codebook + autoregressive
speech-to-codes transformer) with EMOTE conditioning/losses and DualTalker dual learning.

Heavy modules (torch) load lazily, so ``import core.model`` stays cheap; see ``docs/model.md``.
"""
from __future__ import annotations

__all__ = ["Parley", "ModelConfig", "CheckpointError", "ConfigError", "register_cli"]


def __getattr__(name):
    if name == "Parley":
        from .infer import Parley
        return Parley
    if name in ("ModelConfig", "ConfigError"):
        from . import config
        return getattr(config, name)
    if name == "CheckpointError":
        from .config import CheckpointError
        return CheckpointError
    raise AttributeError(f"module 'core.model' has no attribute {name!r}")


def register_cli(sub):
    from .cli import register_cli as reg
    reg(sub)
