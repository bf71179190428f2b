"""Versioned configuration dataclasses for Parley's speech-to-motion models (JSON round trip).

One :class:`ModelConfig` describes everything needed to rebuild a checkpoint's modules: the speech
front end, the stage-1 motion codebook (VQ-VAE), the stage-2 speech-to-codes transformer, the
conditioning, the auxiliary lip reader / emotion classifier / dual-task heads and the regression
baseline. Checkpoints store it as ``config.json``; loading checks ``version`` and unknown keys so
a mismatched file fails loudly instead of building the wrong network.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

CONFIG_VERSION = 1
MOTION_FPS = 30


class ConfigError(ValueError):
    """A configuration that cannot describe a valid model (bad value, unknown key, wrong version)."""


@dataclass
class FrontEndConfig:
    """Speech front end: fixed feature extraction + a small learned encoder at the motion rate."""
    kind: str = "phones"          # "phones" (PocketSphinx phones + loudness + pitch) | "posteriors" | "logmel" | "hf"
    hf_dir: str = ""              # local directory of a transformers Wav2Vec2/HuBERT model ("hf" only)
    hf_layer: int = -1            # hidden layer of the HF model used as features (-1 = last)
    n_mels: int = 40              # "logmel": mel bands
    sub_frames: int = 4           # "logmel": mel frames stacked per motion frame (4 -> 120 Hz)
    in_dim: int = 0               # filled by the front end (feature width); 0 = not yet known
    hidden: int = 128             # learned encoder width
    layers: int = 3               # learned encoder conv layers
    kernel: int = 5
    dropout: float = 0.1


@dataclass
class VQConfig:
    """Stage 1 (CodeTalker): motion VQ-VAE with face-component quantisation."""
    n_shapes: int = 52
    hidden: int = 128
    res_blocks: int = 2           # residual conv blocks per resolution
    downsample: int = 1           # temporal downsampling factor (power of two; 1 = none, see docs/model.md)
    groups: int = 4               # H face components per latent step, one shared codebook
    code_dim: int = 32            # width of each component (latent = groups * code_dim)
    n_codes: int = 256
    beta: float = 0.25            # commitment weight
    ema_decay: float = 0.99       # EMA codebook update (0 = codebook learned by gradient)
    dead_after: int = 100         # restart a code unused for this many training steps
    dropout: float = 0.0


@dataclass
class S2CConfig:
    """Stage 2 (CodeTalker): autoregressive transformer predicting code indices from speech."""
    d_model: int = 128
    layers: int = 3
    heads: int = 4
    ffn: int = 256
    dropout: float = 0.1
    period: int = 30              # PPE / recency-bias period in latent steps (30 = 1 s at 30 fps)
    cross_window: int = 4         # latent step t attends audio memory steps t-w .. t+w
    n_styles: int = 1             # speaker styles; index 0 is the "default style"
    token_dropout: float = 0.2    # training: share of previous-code tokens hidden (forces use of audio)


@dataclass
class AuxConfig:
    """Lip reader, emotion classifiers and the DualTalker dual-task module."""
    lip_hidden: int = 96
    lip_layers: int = 3
    emo_hidden: int = 96
    dual_hidden: int = 128


@dataclass
class LossConfig:
    """Stage-2 loss weights (0 switches a term off; the ablations use this)."""
    code_ce: float = 1.0
    motion: float = 1.0           # L1 on decoded motion vs ground truth
    velocity: float = 0.5
    lip: float = 0.2              # frozen lip reader on predictions (EMOTE)
    emotion: float = 0.1          # frozen emotion classifier on predictions (EMOTE)
    exchange: float = 1.0         # content-emotion exchange half of the batch
    dual: float = 0.2             # DualTalker: jointly trained lip reading (dual task)
    consistency: float = 0.1      # DualTalker: cross-modal consistency (InfoNCE)
    lip_gap: float = 0.05         # inner-lip gap-vector error, per mm (stages 1 and 2; needs --lip-mesh)


@dataclass
class ModelConfig:
    version: int = CONFIG_VERSION
    fps: int = MOTION_FPS
    frontend: FrontEndConfig = field(default_factory=FrontEndConfig)
    vq: VQConfig = field(default_factory=VQConfig)
    s2c: S2CConfig = field(default_factory=S2CConfig)
    aux: AuxConfig = field(default_factory=AuxConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    styles: list = field(default_factory=list)   # voice names; style index = position + 1
    #: emotion intensities the model was trained on besides 0 (the corpus's motion keys);
    #: inference mixes the motion of the two around a requested intensity (numpy_runtime)
    intensities: list = field(default_factory=lambda: [0.5, 1.0])

    def validate(self) -> "ModelConfig":
        fe, vq, s2 = self.frontend, self.vq, self.s2c
        if fe.kind not in ("phones", "posteriors", "logmel", "hf"):
            raise ConfigError(f"frontend.kind must be phones, posteriors, logmel or hf, got {fe.kind!r}")
        if fe.kind == "hf" and not fe.hf_dir:
            raise ConfigError("frontend.kind='hf' needs frontend.hf_dir (a local model directory)")
        d = vq.downsample
        if d < 1 or d & (d - 1):
            raise ConfigError(f"vq.downsample must be a power of two >= 1, got {d}")
        if vq.groups < 1 or vq.code_dim < 1 or vq.n_codes < 2:
            raise ConfigError("vq.groups, vq.code_dim must be >= 1 and vq.n_codes >= 2")
        if s2.d_model % s2.heads:
            raise ConfigError(f"s2c.d_model ({s2.d_model}) must be divisible by s2c.heads ({s2.heads})")
        if s2.period < 1 or s2.cross_window < 0:
            raise ConfigError("s2c.period must be >= 1 and s2c.cross_window >= 0")
        levels = list(self.intensities)
        if not levels or any(not 0.0 < float(v) <= 1.0 for v in levels) or levels != sorted(set(levels)):
            raise ConfigError(f"intensities must be increasing values in (0, 1], got {levels}")
        if self.fps != MOTION_FPS:
            raise ConfigError(f"models run at {MOTION_FPS} fps, config says {self.fps}")
        return self

    @property
    def n_styles(self) -> int:
        return len(self.styles) + 1

    def style_index(self, voice: str | None) -> int:
        """Style index of a training voice; unknown or ``None`` -> 0 (default style)."""
        if voice is None or voice not in self.styles:
            return 0
        return self.styles.index(voice) + 1

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n")

    @classmethod
    def from_dict(cls, data: dict) -> "ModelConfig":
        if not isinstance(data, dict):
            raise ConfigError(f"model config must be a JSON object, got {type(data).__name__}")
        version = data.get("version")
        if version != CONFIG_VERSION:
            raise ConfigError(f"model config version {version!r} is not supported (this Parley reads "
                              f"version {CONFIG_VERSION}); retrain or convert the checkpoint")
        subs = {"frontend": FrontEndConfig, "vq": VQConfig, "s2c": S2CConfig, "aux": AuxConfig,
                "loss": LossConfig}
        kwargs = {}
        known = {f.name for f in fields(cls)}
        for key, value in data.items():
            if key not in known:
                raise ConfigError(f"unknown model config key {key!r}")
            if key in subs:
                kwargs[key] = _build(subs[key], value, key)
            else:
                kwargs[key] = value
        return cls(**kwargs).validate()

    @classmethod
    def from_json(cls, path: str | Path) -> "ModelConfig":
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"model config not found: {path}")
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise ConfigError(f"model config {path} is not valid JSON: {exc}") from exc
        return cls.from_dict(data)


def _build(klass, value, name):
    if not isinstance(value, dict):
        raise ConfigError(f"config section {name!r} must be an object")
    known = {f.name for f in fields(klass)}
    bad = sorted(set(value) - known)
    if bad:
        raise ConfigError(f"unknown key(s) {bad} in config section {name!r}")
    return klass(**value)


def tiny_config(**frontend) -> ModelConfig:
    """A very small model used by tests and smoke runs (seconds to train on CPU)."""
    cfg = ModelConfig()
    cfg.frontend.hidden, cfg.frontend.layers = 32, 2
    for k, v in frontend.items():
        setattr(cfg.frontend, k, v)
    cfg.vq.hidden, cfg.vq.res_blocks, cfg.vq.groups, cfg.vq.code_dim, cfg.vq.n_codes = 32, 1, 2, 8, 32
    cfg.s2c.d_model, cfg.s2c.layers, cfg.s2c.heads, cfg.s2c.ffn = 32, 2, 2, 64
    cfg.aux.lip_hidden = cfg.aux.emo_hidden = cfg.aux.dual_hidden = 32
    cfg.aux.lip_layers = 2
    cfg.vq.dead_after = 20
    return cfg.validate()


class CheckpointError(ValueError):
    """A checkpoint that cannot be loaded (missing, corrupt, foreign or mismatched). One class for
    the torch loader (``checkpoint.py``) and the torch-free numpy runtime."""


def check_component_tensors(path, name: str, meta: dict, found: dict, expected: dict) -> None:
    """The checks every component loader shares (torch and numpy): the file says it holds
    component ``name`` for this config version, and its tensor names and shapes (``found``,
    name -> shape) are exactly the ones the config's model has (``expected``)."""
    if meta.get("parley_component") != name:
        raise CheckpointError(f"{path} holds component {meta.get('parley_component')!r}, not {name!r}")
    if meta.get("config_version") != str(CONFIG_VERSION):
        raise CheckpointError(f"{path} was written for config version {meta.get('config_version')}, "
                              f"this Parley reads version {CONFIG_VERSION}")
    missing = sorted(set(expected) - set(found))
    unexpected = sorted(set(found) - set(expected))
    if missing or unexpected:
        raise CheckpointError(f"{path} does not match the model built from config.json: "
                              f"missing {missing[:5]}{'...' if len(missing) > 5 else ''}, "
                              f"unexpected {unexpected[:5]}{'...' if len(unexpected) > 5 else ''}")
    for k, shape in expected.items():
        if tuple(found[k]) != tuple(shape):
            raise CheckpointError(f"{path}: tensor {k} has shape {tuple(found[k])}, the model "
                                  f"built from config.json expects {tuple(shape)}")


def load_config(ckpt_dir) -> "ModelConfig":
    """``<ckpt_dir>/config.json`` as a :class:`ModelConfig` (torch-free)."""
    d = Path(ckpt_dir)
    if not d.is_dir():
        raise CheckpointError(f"checkpoint directory not found: {d}")
    try:
        return ModelConfig.from_json(d / "config.json")
    except ConfigError as exc:
        raise CheckpointError(f"{d}: {exc}") from exc
