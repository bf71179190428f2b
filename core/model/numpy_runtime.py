"""Torch-free inference runtime for Parley's learned model (numpy + safetensors only).

Why: the Blender extension cannot bundle PyTorch, but it does bundle numpy, scipy, soundfile,
safetensors and pocketsphinx. :class:`NumpyParley` reads the same checkpoint directory as
``core.model.infer.Parley`` (``config.json`` + ``s2c.safetensors`` + ``vqvae.safetensors``) and
reproduces ``Parley.generate`` step for step: front end -> conv audio encoder -> memory ->
greedy autoregressive decoding with a self-attention KV cache and precomputed cross-attention
keys/values -> codebook lookup -> stage-1 conv decoder -> denormalise, clamp 0..1 -> crossfaded
overlapping windows -> linear resampling to the requested fps. Tests check that it gives the
torch model's code indices exactly and its curves to float rounding.

Use::

    from core.model.numpy_runtime import NumpyParley
    model = NumpyParley.from_pretrained("core/model/default")
    weights = model.generate(samples16k, emotion="happy", intensity=0.7, fps=24)   # [T, 52]

Inside Blender (no torch) ``core/engine.py`` can load this class instead of ``Parley``; on a
CPU it is also the faster of the two for the model part (measured ~2-3x on 60 s of audio).

Not covered: the ``hf`` (wav2vec2/HuBERT) front end needs torch + transformers; loading such a
checkpoint raises :class:`CheckpointError` saying so; ``phones`` and ``logmel`` are the project's
numpy front ends, reused as they are. The window helpers, the condition vector and the
checkpoint checks repeat small torch-free pieces of ``infer.py``/``conditioning.py``/
``checkpoint.py`` (those modules import torch at the top, so they cannot be imported here).
This module must never import torch (a test runs it with torch blocked).
"""
from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np

from ..emotions import NUM_EMOTIONS, condition_vector, emotion_vector, level_weights  # noqa: F401
from .config import (CONFIG_VERSION, MOTION_FPS, CheckpointError, ConfigError,  # noqa: F401
                     ModelConfig, check_component_tensors, load_config)
from .frontends.base import FrontEndError, build_frontend, check_samples, load_audio_16k
from ..clip_cache import ClipCache

INFERENCE_COMPONENTS = ("s2c", "vqvae")


# --------------------------------------------------------------------------------------------
# expected tensors (mirrors the torch modules' state_dict names and shapes)
# --------------------------------------------------------------------------------------------
def _linear(p, dout, din, bias=True):
    out = {f"{p}.weight": (dout, din)}
    if bias:
        out[f"{p}.bias"] = (dout,)
    return out


def _conv(p, cout, cin, k):
    return {f"{p}.weight": (cout, cin, k), f"{p}.bias": (cout,)}


def _norm(p, c):
    return {f"{p}.weight": (c,), f"{p}.bias": (c,)}


def _res_shapes(p, c, k):
    return {**_norm(f"{p}.norm.norm", c), **_conv(f"{p}.conv1", c, c, k), **_conv(f"{p}.conv2", c, c, 1)}


def _vq_layout(vq):
    """``(encoder, decoder)`` layer lists ``(kind, index, params)`` of ``MotionVQVAE``'s Sequentials."""
    levels = int(math.log2(vq.downsample))
    lat = vq.groups * vq.code_dim
    enc = [("conv", 3, 1, 1)] + [("res", 2 ** i) for i in range(vq.res_blocks)]
    for _ in range(levels):
        enc += [("conv", 4, 2, 1)] + [("res", 2 ** i) for i in range(vq.res_blocks)]
    enc += [("norm",), ("conv", 1, 1, 0)]
    dec = [("conv", 3, 1, 1)] + [("res", 2 ** i) for i in range(vq.res_blocks)]
    for _ in range(levels):
        dec += [("up",), ("conv", 3, 1, 1)] + [("res", 2 ** i) for i in range(vq.res_blocks)]
    dec += [("norm",), ("conv", 1, 1, 0)]
    return enc, dec, lat


def expected_tensors(cfg: ModelConfig, component: str) -> dict:
    """Tensor name -> shape that ``component`` ("s2c" | "vqvae") of ``cfg`` must contain."""
    if component == "s2c":
        fe, s2, vq = cfg.frontend, cfg.s2c, cfg.vq
        d, h = s2.d_model, fe.hidden
        t = {**_conv("audio_encoder.inp", h, fe.in_dim, 1)}
        for i in range(fe.layers):
            t.update(_res_shapes(f"audio_encoder.blocks.{i}", h, fe.kernel))
        t.update(_norm("audio_encoder.norm.norm", h))
        t.update(_conv("audio_encoder.out", d, h, 1))
        if vq.downsample > 1:
            t.update(_conv("audio_down", d, d, vq.downsample))
        t.update(_norm("mem_norm", d))
        t["cond.emotion.weight"] = (d, NUM_EMOTIONS)
        t["cond.style.weight"] = (max(1, s2.n_styles), d)
        t.update(_linear("code_in", d, vq.groups * vq.code_dim))
        t["start"] = (d,)
        for i in range(s2.layers):
            p = f"layers.{i}"
            for n in ("norm1", "norm2", "norm3"):
                t.update(_norm(f"{p}.{n}", d))
            for a in ("self_attn", "cross_attn"):
                t.update(_linear(f"{p}.{a}.q", d, d))
                t.update(_linear(f"{p}.{a}.kv", 2 * d, d))
                t.update(_linear(f"{p}.{a}.out", d, d))
            t.update(_linear(f"{p}.ffn.0", s2.ffn, d))
            t.update(_linear(f"{p}.ffn.3", d, s2.ffn))
        t.update(_norm("norm_out", d))
        t.update(_linear("head", vq.groups * vq.n_codes, d))
        return t
    if component == "vqvae":
        vq = cfg.vq
        enc, dec, lat = _vq_layout(vq)
        t = {}
        for name, layout, cin, cout in (("encoder", enc, vq.n_shapes, lat), ("decoder", dec, lat, vq.n_shapes)):
            c = cin
            for i, layer in enumerate(layout):
                p = f"{name}.{i}"
                if layer[0] == "conv":
                    last = i == len(layout) - 1
                    o = cout if last else vq.hidden
                    t.update(_conv(p, o, c, layer[1]))
                    c = o
                elif layer[0] == "res":
                    t.update(_res_shapes(p, c, 3))
                elif layer[0] == "norm":
                    t.update(_norm(f"{p}.norm", c))
        q = "quantizer"
        t[f"{q}.embedding"] = (vq.n_codes, vq.code_dim)
        if vq.ema_decay > 0:
            t[f"{q}.ema_count"] = (vq.n_codes,)
            t[f"{q}.ema_sum"] = (vq.n_codes, vq.code_dim)
        t[f"{q}.idle_steps"] = (vq.n_codes,)
        t[f"{q}.initialised"] = ()
        t["motion_mean"] = (vq.n_shapes,)
        t["motion_std"] = (vq.n_shapes,)
        return t
    raise CheckpointError(f"the numpy runtime loads only {INFERENCE_COMPONENTS}, not {component!r}")


def load_component(ckpt_dir, name: str, cfg: ModelConfig) -> dict:
    """Strictly load ``<name>.safetensors`` as float32/int numpy arrays (same checks as checkpoint.py)."""
    from safetensors import SafetensorError, safe_open
    from safetensors.numpy import load_file
    path = Path(ckpt_dir) / f"{name}.safetensors"
    if not path.is_file():
        raise CheckpointError(f"{path.name} is missing from {path.parent}; train that stage first "
                              f"or point to a complete checkpoint")
    try:
        with safe_open(str(path), framework="np") as f:
            meta = dict(f.metadata() or {})
        state = load_file(str(path))
    except (SafetensorError, OSError, ValueError, TypeError, RuntimeError) as exc:
        raise CheckpointError(f"{path} is corrupt or not a safetensors file numpy can read "
                              f"(bfloat16 is not supported): {exc}") from exc
    expected = expected_tensors(cfg, name)
    check_component_tensors(path, name, meta, {k: v.shape for k, v in state.items()}, expected)
    for k in expected:
        if state[k].dtype.kind == "f":
            state[k] = np.ascontiguousarray(state[k], dtype=np.float32)
            if not np.isfinite(state[k]).all():
                raise CheckpointError(f"{path}: tensor {k} contains NaN or infinite values")
    return state


# --------------------------------------------------------------------------------------------
# numpy layers (time-major: [B, T, C])
# --------------------------------------------------------------------------------------------
def gelu(x):
    """Exact (erf) GELU, as ``torch.nn.GELU()`` (scipy is bundled with the extension)."""
    from scipy.special import erf
    return (0.5 * x * (1.0 + erf(x * np.float32(1.0 / math.sqrt(2.0))))).astype(np.float32, copy=False)


def layer_norm(x, w, b, eps=1e-5):
    """``torch.nn.LayerNorm`` over the last axis (biased variance)."""
    inv = np.float32(1.0 / x.shape[-1])
    xc = x - x.sum(-1, keepdims=True) * inv
    var = (xc * xc).sum(-1, keepdims=True) * inv
    return xc / np.sqrt(var + np.float32(eps)) * w + b


def conv1d(x, w, b, stride=1, padding=0, dilation=1):
    """``x [B, T, Cin]``, torch weight ``[Cout, Cin, K]`` -> ``[B, T', Cout]``; replicate padding."""
    k = w.shape[2]
    if padding:
        x = np.concatenate([np.repeat(x[:, :1], padding, 1), x, np.repeat(x[:, -1:], padding, 1)], 1)
    n = (x.shape[1] - dilation * (k - 1) - 1) // stride + 1
    out = np.zeros((x.shape[0], n, w.shape[0]), np.float32) + b
    for j in range(k):
        a = j * dilation
        out += x[:, a:a + stride * (n - 1) + 1:stride] @ w[:, :, j].T
    return out


class _Params:
    """Prefix view of a state dict: ``p["conv1.weight"]`` reads ``<prefix>.conv1.weight``."""

    def __init__(self, state, prefix=""):
        self.state, self.prefix = state, prefix

    def __getitem__(self, k):
        return self.state[self.prefix + k]

    def sub(self, p):
        return _Params(self.state, f"{self.prefix}{p}.")


def _resconv(p: _Params, x, kernel, dilation):
    pad = dilation * (kernel - 1) // 2
    h = layer_norm(x, p["norm.norm.weight"], p["norm.norm.bias"])
    h = gelu(conv1d(h, p["conv1.weight"], p["conv1.bias"], padding=pad, dilation=dilation))
    return x + conv1d(h, p["conv2.weight"], p["conv2.bias"])


def periodic_encoding(length: int, d_model: int, period: int) -> np.ndarray:
    """FaceFormer PPE of ``position mod period`` -> ``[length, d_model]`` (as transformer.py)."""
    pos = (np.arange(length) % period).astype(np.float32)[:, None]
    div = np.exp(np.arange(0, d_model, 2, dtype=np.float32) * np.float32(-math.log(10000.0) / d_model))
    pe = np.zeros((length, d_model), np.float32)
    pe[:, 0::2] = np.sin(pos * div)
    pe[:, 1::2] = np.cos(pos * div[: d_model // 2])
    return pe


def alibi_slopes(heads: int) -> np.ndarray:
    return np.array([2.0 ** (-8.0 * (h + 1) / heads) for h in range(heads)], np.float32)


def _softmax(s):
    s = s - s.max(-1, keepdims=True)
    e = np.exp(s)
    return e / e.sum(-1, keepdims=True)


# --------------------------------------------------------------------------------------------
# windows, crossfade, resampling, condition (torch-free copies of infer.py / conditioning.py)
# --------------------------------------------------------------------------------------------
def resample_curves(weights, src_fps: float, dst_fps: float, num_frames: int | None = None) -> np.ndarray:
    """Linear resampling of ``[T, C]`` curves sampled at frame centres ``(i+0.5)/fps``."""
    if src_fps <= 0 or dst_fps <= 0:
        raise ValueError(f"frame rates must be positive, got {src_fps} -> {dst_fps}")
    w = np.asarray(weights, dtype=np.float32)
    if num_frames is None:
        num_frames = int(round(len(w) / src_fps * dst_fps))
    if abs(src_fps - dst_fps) < 1e-9 and num_frames == len(w):
        return w.copy()
    t = (np.arange(num_frames) + 0.5) / dst_fps
    pos = np.clip(t * src_fps - 0.5, 0, len(w) - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, len(w) - 1)
    f = (pos - lo)[:, None].astype(np.float32)
    return w[lo] * (1 - f) + w[hi] * f


def window_starts(total: int, window: int, overlap: int) -> list[int]:
    if total <= window:
        return [0]
    step = window - overlap
    return sorted(set(list(range(0, total - window, step)) + [total - window]))


def crossfade_join(chunks, starts, total: int) -> np.ndarray:
    """Overlap-add with linear ramps over each overlap (weights sum to one everywhere)."""
    acc = np.zeros((total, chunks[0].shape[1]), np.float32)
    wsum = np.zeros((total, 1), np.float32)
    for i, (x, s) in enumerate(zip(chunks, starts)):
        n = len(x)
        w = np.ones(n, np.float32)
        if i > 0:
            ov = starts[i - 1] + len(chunks[i - 1]) - s
            if ov > 0:
                w[:ov] = np.linspace(0, 1, ov + 2, dtype=np.float32)[1:-1]
        if i + 1 < len(starts):
            ov = s + n - starts[i + 1]
            if ov > 0:
                w[n - ov:] = np.minimum(w[n - ov:], np.linspace(1, 0, ov + 2, dtype=np.float32)[1:-1])
        acc[s:s + n] += x * w[:, None]
        wsum[s:s + n, 0] += w
    return acc / np.maximum(wsum, 1e-6)


# --------------------------------------------------------------------------------------------
# the runtime
# --------------------------------------------------------------------------------------------
FEATURE_CACHE = ClipCache(size=4)


def condition_anchors(emotion="neutral", intensity: float = 1.0,
                      levels=(0.5, 1.0)) -> list[tuple[float, np.ndarray]]:
    """The requested emotion as a weighted sum of conditions the model was trained on.

    Why: the decoder emits discrete codebook entries, so between the intensities it was trained
    on (0 = neutral and ``levels``, the corpus's, e.g. 0.5 and 1) its motion moves in steps, not
    smoothly (measured on the held-out split, docs/emotion_control.json: intensity 0.2 decodes
    as neutral, 0.4-0.7 near 0.5, 0.8 near 1), and a 50/50 blend of two emotions comes out
    23-65 % of the way from one to the other. Decoding the bracketing trained
    conditions and mixing their motion by the requested shares makes Intensity and Mix act
    linearly, keeps intensity 0 exactly neutral and the lips on the same phones (every anchor
    is decoded from the same audio). Returns ``[(weight, condition vector)]``, weights summing
    to 1, one entry when the request is itself a trained condition.
    """
    vec = condition_vector(emotion, intensity).astype(np.float64)
    total = float(vec.sum())
    if total <= 1e-9:
        return [(1.0, np.zeros(NUM_EMOTIONS, np.float32))]
    out: dict[tuple, float] = {}
    for level, w in level_weights(np.array([total]), levels).items():
        for k in np.flatnonzero(vec > 0):
            cond = np.zeros(NUM_EMOTIONS, np.float32)
            cond[k] = level
            key = tuple(np.round(cond, 6))
            out[key] = out.get(key, 0.0) + vec[k] / total * float(w[0])
    return [(w, np.asarray(key, np.float32)) for key, w in out.items()]


class ModelInputs:
    """Torch-free input handling shared by ``NumpyParley`` and the torch ``infer.Parley``
    (both set ``self.cfg`` and ``self.frontend``)."""

    def style_index(self, style) -> int:
        if style is None or isinstance(style, int):
            idx = style or 0
            if not 0 <= idx < self.cfg.n_styles:
                raise ValueError(f"style index {idx} out of range 0..{self.cfg.n_styles - 1}")
            return idx
        if style not in self.cfg.styles:
            raise ValueError(f"unknown style {style!r}; this model knows {self.cfg.styles} "
                             f"(or leave it empty for the default style)")
        return self.cfg.style_index(style)

    def features(self, samples16k, segments=None) -> np.ndarray:
        """Front-end features, kept for the last few clips (``FEATURE_CACHE``): a re-take of the
        same audio and phone timings with another emotion only runs the network."""
        x = check_samples(samples16k)
        n = max(1, int(round(len(x) / 16000 * MOTION_FPS)))
        seg_key = None if segments is None else hashlib.sha1(repr(list(segments)).encode()).hexdigest()
        key = FEATURE_CACHE.key(x, self.frontend.cache_key(), self.frontend.in_dim, n, seg_key)
        hit = FEATURE_CACHE.get(key)
        if hit is not None:       # the front end's record of its phones must match this clip too
            feats, last = hit
            if hasattr(self.frontend, "last_segments"):
                self.frontend.last_segments = last
            return feats
        kw = {"segments": segments} if segments is not None else {}
        feats = self.frontend.features(x, n, **kw)
        FEATURE_CACHE.put(key, (feats, getattr(self.frontend, "last_segments", None)))
        return feats

    def decode_windows(self, windows: np.ndarray, conds: np.ndarray, style: int,
                       naive: bool = False) -> np.ndarray:
        """Feature windows ``[B, win, in_dim]`` under conditions ``[K, 8]`` -> motion
        ``[K, B, win, 52]`` (each runtime's own). The audio is encoded once for all K."""
        raise NotImplementedError

    def motion_from_features(self, feats: np.ndarray, emotion="neutral", intensity: float = 1.0,
                             style=None, window_s: float = 20.0, overlap_s: float = 2.0,
                             max_batch: int = 64, naive: bool = False,
                             mix: str = "motion") -> np.ndarray:
        """30 fps curves ``[T, 52]`` from front-end features ``[T, in_dim]``: overlapping windows
        decoded ``max_batch`` at a time, joined with linear crossfades (no seams).

        ``mix="motion"`` (default): intensities and blends between the trained conditions are
        decoded at those conditions and mixed (:func:`condition_anchors`); ``"condition"``: the
        blended condition vector goes into the network as it is (EMOTE's form; steps between
        trained levels). The anchors' windows share one batch, so a blend costs less than
        decoding each condition on its own."""
        if mix not in ("motion", "condition"):
            raise ValueError(f"mix must be 'motion' or 'condition', got {mix!r}")
        if mix == "motion":
            anchors = condition_anchors(emotion, intensity, getattr(self.cfg, "intensities",
                                                                    (0.5, 1.0)))
        else:
            anchors = [(1.0, condition_vector(emotion, intensity))]
        parts = self._motion_at([c for _w, c in anchors], feats, style, window_s, overlap_s,
                                max_batch, naive)
        out = sum(w * part for (w, _c), part in zip(anchors, parts))
        return np.clip(out, 0.0, 1.0).astype(np.float32)

    def motion_at_levels(self, feats: np.ndarray, emotion="neutral", levels=(0.0, 1.0),
                         style=None, window_s: float = 20.0, overlap_s: float = 2.0,
                         max_batch: int = 64) -> dict:
        """``{intensity: curves [T, 52]}`` for each of ``levels``, equal to
        ``motion_from_features`` at that intensity, with every condition they need decoded in
        one pass over the audio (an animated Intensity mixes these per frame)."""
        trained = getattr(self.cfg, "intensities", (0.5, 1.0))
        per_level = {float(v): condition_anchors(emotion, float(v), trained) for v in levels}
        conds: dict[tuple, np.ndarray] = {}
        for anchors in per_level.values():
            for _w, c in anchors:
                conds.setdefault(tuple(np.round(c, 6)), c)
        keys = list(conds)
        parts = dict(zip(keys, self._motion_at([conds[k] for k in keys], feats, style,
                                               window_s, overlap_s, max_batch, False)))
        return {v: np.clip(sum(w * parts[tuple(np.round(c, 6))] for w, c in anchors), 0.0,
                           1.0).astype(np.float32)
                for v, anchors in per_level.items()}

    def _motion_at(self, conds, feats, style, window_s, overlap_s, max_batch,
                   naive) -> list[np.ndarray]:
        """Curves for each condition vector in ``conds`` (see :meth:`motion_from_features`):
        each window's audio is encoded once and decoded under every condition in one batch."""
        feats = np.asarray(feats, np.float32)
        if feats.ndim != 2 or feats.shape[1] != self.cfg.frontend.in_dim or len(feats) == 0:
            raise ValueError(f"features must be [frames>0, {self.cfg.frontend.in_dim}], got {feats.shape}")
        s = self.cfg.vq.downsample
        total = len(feats)
        window = max(s, int(window_s * MOTION_FPS) // s * s)
        overlap = min(window // 2, int(overlap_s * MOTION_FPS))
        win = min(window, -(-total // s) * s)
        starts = window_starts(total, win, overlap)
        if total < win:                                   # pad short clips to a whole latent step
            feats = np.concatenate([feats, np.repeat(feats[-1:], win - total, 0)])
        sty = self.style_index(style)
        conds = np.stack([np.asarray(c, np.float32) for c in conds])
        per = max(1, max_batch // len(conds))            # windows per batch: K*per rows decoded
        chunks: list[list[np.ndarray]] = [[] for _ in conds]
        for i in range(0, len(starts), per):
            batch = np.stack([feats[a:a + win] for a in starts[i:i + per]])
            for k, motion in enumerate(self.decode_windows(batch, conds, sty, naive)):
                chunks[k].extend(list(motion))
        return [np.clip(crossfade_join(c, starts, max(total, win))[:total], 0.0, 1.0)
                for c in chunks]

    def generate(self, samples16k, emotion="neutral", intensity: float = 1.0, fps: float = 30.0,
                 style=None, segments=None, **kw) -> np.ndarray:
        """Weight curves ``[round(duration*fps), 52]`` for 16 kHz mono ``samples16k``."""
        x = check_samples(samples16k)
        m30 = self.motion_from_features(self.features(x, segments), emotion, intensity, style, **kw)
        return resample_curves(m30, MOTION_FPS, fps, int(round(len(x) / 16000 * fps)))

    def generate_levels(self, samples16k, emotion="neutral", levels=(0.0, 1.0),
                        fps: float = 30.0, style=None, segments=None) -> dict:
        """``{intensity: curves}`` as :meth:`generate` gives at each of ``levels``, decoded in
        one pass (:meth:`motion_at_levels`)."""
        x = check_samples(samples16k)
        n = int(round(len(x) / 16000 * fps))
        return {v: resample_curves(m, MOTION_FPS, fps, n) for v, m in self.motion_at_levels(
            self.features(x, segments), emotion, levels, style).items()}

    def generate_file(self, audio_path, **kw) -> np.ndarray:
        return self.generate(load_audio_16k(audio_path), **kw)


class NumpyParley(ModelInputs):
    """A loaded speech-to-motion checkpoint running on numpy (same API as ``infer.Parley``)."""

    device = "cpu"

    def __init__(self, cfg: ModelConfig, frontend, s2c: dict, vq: dict, path=None):
        self.cfg, self.frontend, self.path = cfg, frontend, path
        self.s2c, self.vq = _Params(s2c), _Params(vq)
        s2 = cfg.s2c
        self.heads, self.dh = s2.heads, s2.d_model // s2.heads
        self.slopes = alibi_slopes(s2.heads)
        self.codebook = vq["quantizer.embedding"]
        self.mean, self.std = vq["motion_mean"], vq["motion_std"]

    @classmethod
    def from_pretrained(cls, path, frontend=None) -> "NumpyParley":
        """Load a checkpoint directory; raises :class:`CheckpointError` naming what is wrong."""
        path = Path(path)
        cfg = load_config(path)
        if frontend is None:
            if cfg.frontend.kind == "hf":
                raise CheckpointError(f"{path} uses the 'hf' (wav2vec2/HuBERT) front end, which needs "
                                      f"PyTorch + transformers; the numpy runtime runs the 'phones' and "
                                      f"'logmel' front ends only (use core.model.Parley with torch)")
            try:
                frontend = build_frontend(cfg.frontend)
            except FrontEndError as exc:
                raise CheckpointError(f"{path}: {exc}") from exc
        elif cfg.frontend.in_dim and getattr(frontend, "in_dim", cfg.frontend.in_dim) != cfg.frontend.in_dim:
            raise CheckpointError(f"{path}: the given front end has {frontend.in_dim} features, the "
                                  f"checkpoint expects {cfg.frontend.in_dim}")
        if cfg.frontend.in_dim <= 0:
            raise CheckpointError(f"{path}/config.json does not record frontend.in_dim")
        s2c = load_component(path, "s2c", cfg)
        vq = load_component(path, "vqvae", cfg)
        return cls(cfg, frontend, s2c, vq, path)


    # -- network pieces ----------------------------------------------------------------------------
    def encode_audio(self, feats: np.ndarray) -> np.ndarray:
        """``[B, T, in_dim]`` features -> ``[B, T, d]`` audio hidden (ConvEncoder)."""
        p, fe = self.s2c.sub("audio_encoder"), self.cfg.frontend
        h = conv1d(feats, p["inp.weight"], p["inp.bias"])
        for i in range(fe.layers):
            h = _resconv(p.sub(f"blocks.{i}"), h, fe.kernel, 2 ** (i % 3))
        h = layer_norm(h, p["norm.norm.weight"], p["norm.norm.bias"])
        return conv1d(h, p["out.weight"], p["out.bias"])

    def memory(self, audio_hidden: np.ndarray) -> np.ndarray:
        s, p = self.cfg.vq.downsample, self.s2c
        t = audio_hidden.shape[1]
        pad = -(-t // s) * s - t
        if pad:
            audio_hidden = np.concatenate([audio_hidden, np.repeat(audio_hidden[:, -1:], pad, 1)], 1)
        if s > 1:
            audio_hidden = conv1d(audio_hidden, p["audio_down.weight"], p["audio_down.bias"], stride=s)
        return layer_norm(audio_hidden, p["mem_norm.weight"], p["mem_norm.bias"])

    def condition(self, cond: np.ndarray, style: int) -> np.ndarray:
        if not 0 <= style < self.s2c["cond.style.weight"].shape[0]:
            raise ValueError(f"style index out of range 0..{self.s2c['cond.style.weight'].shape[0] - 1}")
        return cond @ self.s2c["cond.emotion.weight"].T + self.s2c["cond.style.weight"][style]

    def lookup(self, idx: np.ndarray) -> np.ndarray:
        """Code indices ``[..., groups]`` -> quantised latent ``[..., groups*code_dim]``."""
        e = self.codebook[idx]
        return e.reshape(*idx.shape[:-1], -1)

    def generate_codes(self, feats: np.ndarray, cond: np.ndarray, style: int = 0,
                       audio_hidden: np.ndarray | None = None) -> np.ndarray:
        """Greedy KV-cached decoding: features ``[B, T, in_dim]`` -> codes ``[B, T', groups]``.

        ``cond`` is the length-8 emotion condition shared by the batch, or one per row ``[B, 8]``.
        """
        p, s2, vqc = self.s2c, self.cfg.s2c, self.cfg.vq
        if audio_hidden is None:
            audio_hidden = self.encode_audio(np.asarray(feats, np.float32))
        mem = self.memory(audio_hidden)
        b, steps, d = mem.shape
        hh, dh, w = self.heads, self.dh, s2.cross_window
        scale = np.float32(1.0 / math.sqrt(dh))
        c = self.condition(np.asarray(cond, np.float32), style).astype(np.float32)   # [d] | [B, d]
        c = np.broadcast_to(c, (b, d))
        pe = periodic_encoding(steps, d, s2.period)
        layers = []
        for li in range(s2.layers):
            lp = p.sub(f"layers.{li}")
            kv = mem @ lp["cross_attn.kv.weight"].T + lp["cross_attn.kv.bias"]      # [B, S, 2d]
            mk = kv[..., :d].reshape(b, steps, hh, dh).transpose(0, 2, 1, 3)         # [B, H, S, dh]
            mv = kv[..., d:].reshape(b, steps, hh, dh).transpose(0, 2, 1, 3)
            layers.append({
                "n1": (lp["norm1.weight"], lp["norm1.bias"]), "n2": (lp["norm2.weight"], lp["norm2.bias"]),
                "n3": (lp["norm3.weight"], lp["norm3.bias"]),
                # self-attention q and k/v projections fused into one [d, 3d] matmul
                "sqkv": (np.concatenate([lp["self_attn.q.weight"], lp["self_attn.kv.weight"]]).T.copy(),
                         np.concatenate([lp["self_attn.q.bias"], lp["self_attn.kv.bias"]])),
                "so": (lp["self_attn.out.weight"].T.copy(), lp["self_attn.out.bias"]),
                "cq": (lp["cross_attn.q.weight"].T.copy(), lp["cross_attn.q.bias"]),
                "co": (lp["cross_attn.out.weight"].T.copy(), lp["cross_attn.out.bias"]),
                "f1": (lp["ffn.0.weight"].T.copy(), lp["ffn.0.bias"]),
                "f2": (lp["ffn.3.weight"].T.copy(), lp["ffn.3.bias"]),
                "mk": np.ascontiguousarray(mk), "mv": np.ascontiguousarray(mv),
                "k": np.empty((b, hh, steps, dh), np.float32), "v": np.empty((b, hh, steps, dh), np.float32),
            })
        head_w, head_b = p["head.weight"].T.copy(), p["head.bias"]
        nout = (p["norm_out.weight"], p["norm_out.bias"])
        # code_in(lookup(idx)) = sum over groups of (codebook @ W_g^T)[idx_g]: one table per group
        g, cd = vqc.groups, vqc.code_dim
        code_tab = np.stack([self.codebook @ p["code_in.weight"][:, i * cd:(i + 1) * cd].T for i in range(g)])
        step_add = (c + p["code_in.bias"])[:, None] + pe[None]                         # [B, steps, d]
        gsel = np.arange(g)[None]
        # self-attention recency bias of query t against keys 0..t: -slope*floor((t-j)/period)
        dist = np.arange(steps)
        rec = -self.slopes[:, None] * (dist // s2.period).astype(np.float32)[None]   # [H, steps] by t-j
        out = np.empty((b, steps, vqc.groups), np.int64)
        x = np.broadcast_to(p["start"] + c + pe[0], (b, d)).astype(np.float32)
        for t in range(steps):
            lo, hi = max(0, t - w), min(steps, t + w + 1)
            bias = rec[:, t::-1][None]                                                # [1, H, t+1]
            for L in layers:
                qkv = layer_norm(x, *L["n1"]) @ L["sqkv"][0] + L["sqkv"][1]
                L["k"][:, :, t] = qkv[:, d:2 * d].reshape(b, hh, dh)
                L["v"][:, :, t] = qkv[:, 2 * d:].reshape(b, hh, dh)
                q = qkv[:, :d].reshape(b, hh, 1, dh)
                sc = (q @ L["k"][:, :, :t + 1].transpose(0, 1, 3, 2))[:, :, 0] * scale + bias
                o = (_softmax(sc)[:, :, None] @ L["v"][:, :, :t + 1])[:, :, 0].reshape(b, d)
                x = x + (o @ L["so"][0] + L["so"][1])
                h = layer_norm(x, *L["n2"])
                q = (h @ L["cq"][0] + L["cq"][1]).reshape(b, hh, 1, dh)
                sc = (q @ L["mk"][:, :, lo:hi].transpose(0, 1, 3, 2))[:, :, 0] * scale
                o = (_softmax(sc)[:, :, None] @ L["mv"][:, :, lo:hi])[:, :, 0].reshape(b, d)
                x = x + (o @ L["co"][0] + L["co"][1])
                h = gelu(layer_norm(x, *L["n3"]) @ L["f1"][0] + L["f1"][1])
                x = x + (h @ L["f2"][0] + L["f2"][1])
            logits = (layer_norm(x, *nout) @ head_w + head_b).reshape(b, vqc.groups, vqc.n_codes)
            idx = logits.argmax(-1)
            out[:, t] = idx
            if t + 1 < steps:
                x = code_tab[gsel, idx].sum(1) + step_add[:, t + 1]
        return out

    def decode_codes(self, idx: np.ndarray, frames: int | None = None) -> np.ndarray:
        """Codes ``[B, T', groups]`` -> weights ``[B, T'*s, 52]`` clamped 0..1 (stage-1 decoder)."""
        _, dec, _ = _vq_layout(self.cfg.vq)
        x = self.lookup(idx).astype(np.float32)
        for i, layer in enumerate(dec):
            p = self.vq.sub(f"decoder.{i}")
            if layer[0] == "conv":
                x = conv1d(x, p["weight"], p["bias"], stride=layer[2], padding=layer[3])
            elif layer[0] == "res":
                x = _resconv(p, x, 3, layer[1])
            elif layer[0] == "norm":
                x = layer_norm(x, p["norm.weight"], p["norm.bias"])
            elif layer[0] == "up":
                x = np.repeat(x, 2, axis=1)
        out = np.clip(x * self.std + self.mean, 0.0, 1.0)
        return out if frames is None else out[:, :frames]

    # -- the runtime's part of the shared pipeline (ModelInputs) ------------------------------
    def decode_windows(self, windows, conds, style, naive=False) -> np.ndarray:
        if naive:
            raise ValueError("the numpy runtime decodes with a KV cache only (naive=True is a torch "
                             "reference path: use core.model.Parley)")
        k, (b, win) = len(conds), windows.shape[:2]
        hidden = self.encode_audio(np.asarray(windows, np.float32))
        codes = self.generate_codes(None, np.repeat(conds, b, axis=0), style,
                                    audio_hidden=np.concatenate([hidden] * k))
        return self.decode_codes(codes, win).reshape(k, b, win, -1)
