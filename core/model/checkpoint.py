"""Checkpoint directory I/O: ``config.json`` + one safetensors file per component + model card.

Layout of a checkpoint directory::

    config.json              ModelConfig (versioned)
    vqvae.safetensors        stage 1 (the encoder is kept so stage 2 can be retrained)
    s2c.safetensors          stage 2 speech-to-codes
    lipreader.safetensors    frozen lip reader (training loss + evaluation)
    emotion.safetensors      frozen emotion classifier (training loss)
    emotion_eval.safetensors held-out emotion classifier (evaluation only)
    dual.safetensors         DualTalker dual-task module (training only)
    regression.safetensors   regression baseline (comparison only)
    model_card.md            provenance, licences, metrics
    train_state/<stage>.pt   optimiser/step state for resuming (never shipped)

Loading is strict: a missing, truncated or foreign file, a missing/unexpected tensor name or a
shape mismatch raises :class:`CheckpointError` saying which file and which tensor.
"""
from __future__ import annotations

import json
from pathlib import Path

import torch

from .config import (CONFIG_VERSION, CheckpointError, ConfigError, ModelConfig,  # noqa: F401
                     check_component_tensors, load_config)

COMPONENTS = ("vqvae", "s2c", "lipreader", "emotion", "emotion_eval", "dual", "regression")


def _path(ckpt_dir, name) -> Path:
    if name not in COMPONENTS:
        raise CheckpointError(f"unknown checkpoint component {name!r}; expected one of {COMPONENTS}")
    return Path(ckpt_dir) / f"{name}.safetensors"


def save_config(ckpt_dir, cfg: ModelConfig) -> None:
    Path(ckpt_dir).mkdir(parents=True, exist_ok=True)
    cfg.validate().to_json(Path(ckpt_dir) / "config.json")


def save_component(ckpt_dir, name: str, module: torch.nn.Module, meta: dict | None = None) -> Path:
    from safetensors.torch import save_file
    path = _path(ckpt_dir, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}
    info = {"parley_component": name, "config_version": str(CONFIG_VERSION)}
    info.update({k: str(v) for k, v in (meta or {}).items()})
    tmp = path.with_suffix(".tmp")
    save_file(state, str(tmp), metadata=info)
    tmp.replace(path)          # atomic: an interrupted save never leaves a half-written file
    return path


def has_component(ckpt_dir, name: str) -> bool:
    return _path(ckpt_dir, name).is_file()


def component_meta(ckpt_dir, name: str) -> dict:
    from safetensors import safe_open
    with safe_open(str(_path(ckpt_dir, name)), framework="pt") as f:
        return dict(f.metadata() or {})


def load_component(ckpt_dir, name: str, module: torch.nn.Module, device="cpu") -> dict:
    """Load ``name`` into ``module`` strictly; returns the file's metadata."""
    from safetensors import SafetensorError, safe_open
    path = _path(ckpt_dir, name)
    if not path.is_file():
        raise CheckpointError(f"{path.name} is missing from {path.parent}; train that stage first "
                              f"or point to a complete checkpoint")
    try:
        with safe_open(str(path), framework="pt", device=str(device)) as f:
            meta = dict(f.metadata() or {})
            state = {k: f.get_tensor(k) for k in f.keys()}
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{path} is corrupt or not a safetensors file: {exc}") from exc
    check_component_tensors(path, name, meta, {k: tuple(v.shape) for k, v in state.items()},
                            {k: tuple(v.shape) for k, v in module.state_dict().items()})
    module.load_state_dict(state, strict=True)
    return meta


def write_model_card(ckpt_dir, cfg: ModelConfig, provenance: dict, metrics: dict | None = None) -> Path:
    """A short markdown model card: what data, which licences, which measured numbers."""
    d = Path(ckpt_dir)
    lines = ["# Parley speech-to-motion checkpoint", "",
             f"- config version: {cfg.version}; front end: `{cfg.frontend.kind}`; motion rate {cfg.fps} fps",
             f"- stage 1: VQ-VAE, downsample x{cfg.vq.downsample}, {cfg.vq.groups} face components, "
             f"{cfg.vq.n_codes} shared codes of {cfg.vq.code_dim} dims",
             f"- stage 2: transformer d={cfg.s2c.d_model}, {cfg.s2c.layers} layers, {cfg.s2c.heads} heads",
             f"- styles (training voices): {', '.join(cfg.styles) or '(default only)'}", "",
             "## Data provenance and licences", ""]
    for k, v in provenance.items():
        lines.append(f"- **{k}**: {v}")
    lines += ["", "## Metrics", ""]
    if metrics:
        lines.append("```json")
        lines.append(json.dumps(metrics, indent=2, sort_keys=True))
        lines.append("```")
    else:
        lines.append("(not evaluated yet: run `python -m core evaluate --checkpoint <dir>`)")
    path = d / "model_card.md"
    path.write_text("\n".join(lines) + "\n")
    return path
