"""wav2vec2 / HuBERT front end through ``transformers``, loaded only from a local directory.

Follows CodeTalker's VOCASET recipe: clip-normalised audio -> the model's CNN feature extractor
(50 Hz) -> linear interpolation to the 30 fps motion rate -> feature projection -> transformer
encoder; the chosen hidden layer is the frozen feature. No hub download ever happens
(``local_files_only=True``); Parley ships no such weights, so this front end is for users who
have a model directory (or for tests with a tiny randomly initialised config).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .base import FrontEnd, FrontEndError, check_samples, num_frames_for


class HFFrontEnd(FrontEnd):
    kind = "hf"

    def __init__(self, model_dir: str, layer: int = -1):
        d = Path(model_dir)
        if not (d / "config.json").is_file():
            raise FrontEndError(f"no transformers model in {d} (config.json missing); the hf front "
                                f"end only loads local directories")
        import torch
        try:
            from transformers import AutoConfig, HubertModel, Wav2Vec2Model
        except ImportError as exc:
            raise FrontEndError(f"the hf front end needs the transformers package: {exc}") from exc
        cfg = AutoConfig.from_pretrained(str(d), local_files_only=True)
        klass = {"wav2vec2": Wav2Vec2Model, "hubert": HubertModel}.get(cfg.model_type)
        if klass is None:
            raise FrontEndError(f"model type {cfg.model_type!r} in {d} is not wav2vec2 or hubert")
        self.model = klass.from_pretrained(str(d), local_files_only=True).eval()
        self.layer = layer
        self.in_dim = int(cfg.hidden_size)
        self.name = d.name
        self.torch = torch

    def cache_key(self) -> str:
        return f"hf-{self.name}-L{self.layer}"

    def features(self, samples16k, num_frames: int | None = None, **kw) -> np.ndarray:
        torch = self.torch
        x = check_samples(samples16k)
        n = num_frames or num_frames_for(x)
        x = (x - x.mean()) / (x.std() + 1e-7)
        m = self.model
        with torch.no_grad():
            wav = torch.from_numpy(x)[None]
            conv = m.feature_extractor(wav)                          # [1, C, N50]
            conv = torch.nn.functional.interpolate(conv, size=n, mode="linear", align_corners=True)
            proj = m.feature_projection(conv.transpose(1, 2))
            hidden = proj[0] if isinstance(proj, tuple) else proj
            enc = m.encoder(hidden, output_hidden_states=True)
            states = enc.hidden_states if enc.hidden_states is not None else (enc.last_hidden_state,)
            out = states[self.layer]
        return out[0].numpy().astype(np.float32)
