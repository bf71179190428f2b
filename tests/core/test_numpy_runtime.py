"""The torch-free numpy runtime reproduces the torch model: same code indices, same curves.

Random-initialised tiny torch models are written with the project's checkpoint writer, loaded by
both ``core.model.infer.Parley`` and ``core.model.numpy_runtime.NumpyParley``, and compared on
short audio, long audio spanning several batched windows, emotion blends, intensity 0, styles,
downsampled latents and the log-mel front end. One test runs the runtime with torch blocked.
"""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

from core.model import checkpoint as ckpt
from core.model.config import tiny_config
from core.model.infer import Parley
from core.model.numpy_runtime import (CheckpointError, NumpyParley, condition_anchors,
                                      expected_tensors)
from core.model.transformer import SpeechToCodes
from core.model.vqvae import MotionVQVAE

torch.set_num_threads(1)
REPO = Path(__file__).resolve().parents[2]
SEGS = [("SIL", 0, 0.3), ("AA", 0.3, 0.9), ("M", 0.9, 1.1), ("IY", 1.1, 1.6), ("F", 1.6, 1.8),
        ("OW", 1.8, 2.4), ("SIL", 2.4, 3.0)]


def _audio(seconds, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(int(16000 * seconds)) / 16000
    env = 0.5 + 0.5 * np.sin(2 * np.pi * 1.7 * t)
    x = 0.1 * env * np.sin(2 * np.pi * (140 + 30 * np.sin(2 * np.pi * 0.5 * t)) * t)
    return (x + 0.01 * rng.standard_normal(t.size)).astype(np.float32)


def _long_segs(seconds):
    """SEGS repeated to cover ``seconds`` (the phone front end then needs no PocketSphinx)."""
    out, off = [], 0.0
    while off < seconds - 1e-6:
        for p, a, b in SEGS:
            if off + a >= seconds:
                break
            out.append((p, off + a, min(off + b, seconds)))
        off += 3.0
    return out


def _make_checkpoint(path, seed=0, styles=(), **edits):
    """Tiny random model (strong enough head weights that codes vary) saved as a checkpoint."""
    torch.manual_seed(seed)
    cfg = tiny_config(kind=edits.pop("kind", "phones"))
    cfg.frontend.in_dim = 46 if cfg.frontend.kind == "phones" else cfg.frontend.n_mels * cfg.frontend.sub_frames
    cfg.styles = list(styles)
    cfg.s2c.n_styles = cfg.n_styles                               # as train.py does
    for k, v in edits.items():
        sec, name = k.split("__")
        setattr(getattr(cfg, sec), name, v)
    cfg.validate()
    vq, s2c = MotionVQVAE(cfg.vq).eval(), SpeechToCodes(cfg.s2c, cfg.vq, cfg.frontend).eval()
    with torch.no_grad():
        s2c.head.weight.mul_(20)
        s2c.start.normal_()
        s2c.code_in.bias.normal_(std=0.1)
        s2c.cond.style.weight.normal_(std=0.5)
        vq.quantizer.embedding.normal_()
        vq.set_normalization(torch.rand(52) * 0.3, torch.rand(52) * 0.4 + 0.05)
    ckpt.save_config(path, cfg)
    ckpt.save_component(path, "s2c", s2c)
    ckpt.save_component(path, "vqvae", vq)
    return Path(path)


@pytest.fixture(scope="module")
def phones_ckpt(tmp_path_factory):
    return _make_checkpoint(tmp_path_factory.mktemp("np_phones"), seed=3, styles=("joe", "slt"))


@pytest.fixture(scope="module")
def models(phones_ckpt):
    return Parley.from_pretrained(phones_ckpt), NumpyParley.from_pretrained(phones_ckpt)


def _torch_codes(tm, feats, cond, style=0):
    f = torch.from_numpy(np.asarray(feats, np.float32))
    c = torch.from_numpy(np.repeat(cond[None], len(f), 0))
    s = torch.full((len(f),), style, dtype=torch.long)
    return tm.s2c.generate(f, c, s, tm.vq.quantizer).numpy()


def test_short_audio_codes_and_curves_match_torch(models):
    tm, nm = models
    x = _audio(3.0)
    feats = nm.features(x, SEGS)
    assert np.array_equal(feats, tm.features(x, SEGS))
    cond = np.eye(8, dtype=np.float32)[1] * 0.8
    codes_t = _torch_codes(tm, feats[None], cond)
    codes_n = nm.generate_codes(feats[None], cond)
    assert codes_n.shape == (1, 90, 2) and np.array_equal(codes_n, codes_t)
    assert len(np.unique(codes_n)) > 5                            # a non-degenerate decode
    for fps in (30, 24, 60):
        a = tm.generate(x, "happy", 0.8, fps=fps, segments=SEGS)
        b = nm.generate(x, "happy", 0.8, fps=fps, segments=SEGS)
        assert b.shape == a.shape == (int(round(3.0 * fps)), 52) and b.dtype == np.float32
        np.testing.assert_allclose(b, a, atol=1e-4)
    assert b.min() >= 0 and b.max() <= 1 and b.std() > 0.01


def test_long_audio_several_batched_windows_match_torch(models):
    tm, nm = models
    seconds = 13.0
    x = _audio(seconds, seed=1)
    segs = _long_segs(seconds)
    feats = nm.features(x, segs)                                  # 390 frames
    kw = dict(window_s=3.0, overlap_s=0.6, max_batch=2)           # 5 windows in batches of 2, 2, 1
    a = tm.motion_from_features(feats, "sad", 0.6, **kw)
    b = nm.motion_from_features(feats, "sad", 0.6, **kw)
    assert b.shape == a.shape == (390, 52)
    np.testing.assert_allclose(b, a, atol=1e-4)
    win = np.stack([feats[s:s + 90] for s in (0, 72, 144, 216, 300)])
    cond = np.eye(8, dtype=np.float32)[2] * 0.6
    assert np.array_equal(nm.generate_codes(win, cond), _torch_codes(tm, win, cond))
    # sad @ 0.6 is two trained conditions (sad 0.5 and 1.0), their windows batched together
    # (10 rows in batches of 2): the same as decoding each condition on its own
    one = {lv: nm.motion_from_features(feats, "sad", lv, **kw) for lv in (0.5, 1.0)}
    np.testing.assert_allclose(b, np.clip(0.8 * one[0.5] + 0.2 * one[1.0], 0, 1), atol=1e-6)
    # one condition per row decodes each row as if alone
    rows = np.stack([np.eye(8, dtype=np.float32)[k] for k in (1, 2, 3, 0, 6)])
    per_row = nm.generate_codes(win, rows)
    for i in range(len(win)):
        assert np.array_equal(per_row[i], nm.generate_codes(win[i:i + 1], rows[i])[0])
    # default 20 s windows: 45 s of audio is three windows decoded as one batch
    x = _audio(45.0, seed=2)
    segs = _long_segs(45.0)
    a = tm.generate(x, "angry", 1.0, fps=24, segments=segs)
    b = nm.generate(x, "angry", 1.0, fps=24, segments=segs)
    assert b.shape == (1080, 52)
    np.testing.assert_allclose(b, a, atol=1e-4)


def test_emotion_blends_intensity_zero_and_styles_match_torch(models):
    tm, nm = models
    x = _audio(2.0, seed=4)
    segs = [(p, a, min(b, 2.0)) for p, a, b in SEGS if a < 2.0]
    blend = {"happy": 0.6, "surprised": 0.4}
    for emo, inten, style in ((blend, 0.9, None), ("contempt", 0.3, "slt"), ("fearful", 1.0, 1),
                              (np.array([0, 0, .5, 0, 0, 0, .5, 0], np.float32), 0.7, None)):
        a = tm.generate(x, emo, inten, style=style, segments=segs)
        b = nm.generate(x, emo, inten, style=style, segments=segs)
        np.testing.assert_allclose(b, a, atol=1e-4)
    zero = nm.generate(x, "disgusted", 0.0, segments=segs)
    assert np.array_equal(zero, nm.generate(x, "neutral", 1.0, segments=segs))
    np.testing.assert_allclose(zero, tm.generate(x, "disgusted", 0.0, segments=segs), atol=1e-4)
    assert not np.allclose(zero, nm.generate(x, "angry", 1.0, segments=segs), atol=1e-3)
    with pytest.raises(ValueError, match="unknown style"):
        nm.generate(x, style="nobody", segments=segs)
    with pytest.raises(ValueError, match="out of range"):
        nm.generate(x, style=3, segments=segs)


def test_condition_anchors_bracket_the_trained_intensities():
    def table(emotion, intensity, levels=(0.5, 1.0)):
        return sorted((round(w, 6), tuple(np.round(c, 6))) for w, c in
                      condition_anchors(emotion, intensity, levels))
    e = np.eye(8)
    assert table("happy", 1.0) == [(1.0, tuple(e[1]))]                   # a trained condition
    assert table("happy", 0.0) == [(1.0, (0.0,) * 8)] == table("neutral", 0.7)
    assert table("happy", 0.75) == [(0.5, tuple(e[1] * 0.5)), (0.5, tuple(e[1]))]
    assert table("sad", 0.2) == [(0.4, tuple(e[2] * 0.5)), (0.6, (0.0,) * 8)]
    assert table("sad", 0.2, levels=(1.0,)) == [(0.2, tuple(e[2])), (0.8, (0.0,) * 8)]
    # a blend at a level between: neutral shared by both, each emotion at 0.5 by its share
    assert table({"happy": 0.5, "sad": 0.5}, 0.25) == [
        (0.25, tuple(e[2] * 0.5)), (0.25, tuple(e[1] * 0.5)), (0.5, (0.0,) * 8)]
    assert sum(w for w, _ in condition_anchors({"angry": 0.3, "fearful": 0.7}, 0.9)) == \
        pytest.approx(1.0)


def test_intensity_and_blends_mix_the_motion_of_trained_conditions(models):
    """Between trained conditions the network's output moves in codebook steps; the runtime
    decodes the bracketing trained conditions and mixes their curves, in both runtimes."""
    tm, nm = models
    x = _audio(2.0, seed=6)
    segs = [(p, a, min(b, 2.0)) for p, a, b in SEGS if a < 2.0]
    f = nm.features(x, segs)
    at = {v: nm.motion_from_features(f, "happy", v) for v in (0.5, 1.0)}
    np.testing.assert_allclose(nm.motion_from_features(f, "happy", 0.75),
                               0.5 * at[0.5] + 0.5 * at[1.0], atol=1e-6)
    np.testing.assert_allclose(tm.motion_from_features(f, "happy", 0.75),
                               nm.motion_from_features(f, "happy", 0.75), atol=1e-4)
    sad = nm.motion_from_features(f, "sad", 1.0)
    np.testing.assert_allclose(nm.motion_from_features(f, {"happy": 0.7, "sad": 0.3}, 1.0),
                               0.7 * at[1.0] + 0.3 * sad, atol=1e-6)
    neutral = nm.motion_from_features(f, "neutral", 0.0)
    np.testing.assert_allclose(nm.motion_from_features(f, "happy", 0.2),
                               0.6 * neutral + 0.4 * at[0.5], atol=1e-6)
    # the network's own response to an in-between condition is still available
    raw = nm.motion_from_features(f, "happy", 0.75, mix="condition")
    np.testing.assert_allclose(tm.motion_from_features(f, "happy", 0.75, mix="condition"), raw,
                               atol=1e-4)
    with pytest.raises(ValueError, match="mix must be"):
        nm.motion_from_features(f, "happy", 0.5, mix="average")


def test_levels_decoded_in_one_pass_equal_each_level_alone(models):
    """An animated Intensity needs the motion at several levels: decoded together (one pass,
    shared conditions) they equal each level decoded on its own, in both runtimes."""
    tm, nm = models
    x = _audio(2.0, seed=7)
    segs = [(p, a, min(b, 2.0)) for p, a, b in SEGS if a < 2.0]
    f = nm.features(x, segs)
    blend = {"happy": 0.6, "sad": 0.4}
    for model in (nm, tm):
        runs = model.motion_at_levels(f, blend, (0.0, 0.5, 0.75, 1.0))
        assert sorted(runs) == [0.0, 0.5, 0.75, 1.0]
        for v, m in runs.items():
            np.testing.assert_allclose(m, model.motion_from_features(f, blend, v), atol=1e-5)
    curves = nm.generate_levels(x, "happy", (0.0, 1.0), fps=24, segments=segs)
    np.testing.assert_allclose(curves[1.0], nm.generate(x, "happy", 1.0, fps=24, segments=segs),
                               atol=1e-6)


def test_trained_intensities_come_from_the_config(tmp_path):
    from core.model.config import ConfigError, ModelConfig
    assert ModelConfig().intensities == [0.5, 1.0]       # checkpoints saved before the field
    cfg = tiny_config()
    cfg.intensities = [1.0]
    cfg.validate()
    for bad in ([], [0.0, 1.0], [1.0, 0.5], [0.5, 1.5]):
        cfg.intensities = bad
        with pytest.raises(ConfigError, match="intensities"):
            cfg.validate()


def test_downsampled_latent_and_logmel_front_end_match_torch(tmp_path):
    path = _make_checkpoint(tmp_path, seed=5, kind="logmel", vq__downsample=2, frontend__kernel=3)
    tm, nm = Parley.from_pretrained(path), NumpyParley.from_pretrained(path)
    x = _audio(7.05, seed=5)                                      # 212 frames: odd latent padding
    a = tm.generate(x, "surprised", 0.5, fps=25, window_s=3.0, overlap_s=0.5)
    b = nm.generate(x, "surprised", 0.5, fps=25, window_s=3.0, overlap_s=0.5)
    assert b.shape == a.shape == (176, 52)
    np.testing.assert_allclose(b, a, atol=1e-4)
    feats = nm.features(x)[None, :61]                             # odd length -> padded latent
    cond = np.eye(8, dtype=np.float32)[3] * 0.5
    assert np.array_equal(nm.generate_codes(feats, cond), _torch_codes(tm, feats, cond))


@pytest.mark.parametrize("edit", [{}, {"vq__downsample": 4, "vq__res_blocks": 2},
                                  {"vq__ema_decay": 0.0, "s2c__layers": 3, "frontend__layers": 4}])
def test_expected_tensor_table_matches_the_torch_modules(edit):
    cfg = tiny_config()
    cfg.frontend.in_dim = 46
    cfg.styles = ["a", "b"]
    cfg.s2c.n_styles = 3
    for k, v in edit.items():
        sec, name = k.split("__")
        setattr(getattr(cfg, sec), name, v)
    for name, module in (("s2c", SpeechToCodes(cfg.s2c, cfg.vq, cfg.frontend)), ("vqvae", MotionVQVAE(cfg.vq))):
        want = {k: tuple(v.shape) for k, v in module.state_dict().items()}
        assert expected_tensors(cfg, name) == want


def test_runs_with_torch_blocked(phones_ckpt, models, tmp_path):
    """A fresh interpreter where importing torch fails loads the checkpoint, reads a WAV file and
    generates the torch model's curves. The blocker is an import hook rather than
    ``sys.modules['torch'] = None``: scipy probes ``sys.modules['torch'].Tensor`` and would crash on
    the ``None``, which says nothing about this runtime (Blender simply has no torch)."""
    import soundfile as sf
    out, wav = tmp_path / "w.npy", tmp_path / "x.wav"
    code = textwrap.dedent(f"""
        import importlib.abc, sys
        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] == "torch":
                    raise ImportError("torch is blocked in this test")
        sys.meta_path.insert(0, Block())
        import numpy as np
        from core.model.numpy_runtime import NumpyParley
        m = NumpyParley.from_pretrained({str(phones_ckpt)!r})
        segs = [tuple(s) for s in {[list(s) for s in SEGS]!r}]
        np.save({str(out)!r}, m.generate_file({str(wav)!r}, emotion="happy", intensity=0.8, fps=24,
                                              segments=segs))
        assert not [k for k in sys.modules if k.split(".")[0] == "torch"], "torch was imported"
    """)
    x = _audio(3.0)
    sf.write(wav, x, 16000, subtype="FLOAT")
    res = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    want = models[0].generate(sf.read(wav, dtype="float32")[0], "happy", 0.8, fps=24, segments=SEGS)
    np.testing.assert_allclose(np.load(out), want, atol=1e-4)


def test_missing_corrupt_and_mismatched_checkpoints_fail_clearly(phones_ckpt, tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        NumpyParley.from_pretrained(tmp_path / "nope")
    d = tmp_path / "c"
    d.mkdir()
    with pytest.raises(CheckpointError, match="config"):
        NumpyParley.from_pretrained(d)
    for f in ("config.json", "s2c.safetensors", "vqvae.safetensors"):
        (d / f).write_bytes((phones_ckpt / f).read_bytes())
    NumpyParley.from_pretrained(d)
    s2c_bytes = (phones_ckpt / "s2c.safetensors").read_bytes()
    vq_bytes = (phones_ckpt / "vqvae.safetensors").read_bytes()
    (d / "vqvae.safetensors").write_bytes(vq_bytes[: len(vq_bytes) // 2])
    with pytest.raises(CheckpointError, match="corrupt"):
        NumpyParley.from_pretrained(d)
    (d / "vqvae.safetensors").write_bytes(b"\x00garbage" * 10)
    with pytest.raises(CheckpointError, match="corrupt"):
        NumpyParley.from_pretrained(d)
    (d / "vqvae.safetensors").unlink()
    with pytest.raises(CheckpointError, match="vqvae.safetensors is missing"):
        NumpyParley.from_pretrained(d)
    (d / "vqvae.safetensors").write_bytes(s2c_bytes)
    with pytest.raises(CheckpointError, match="holds component 's2c'"):
        NumpyParley.from_pretrained(d)
    (d / "vqvae.safetensors").write_bytes(vq_bytes)
    cfg = json.loads((phones_ckpt / "config.json").read_text())
    cfg["vq"]["n_codes"] = 64
    (d / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError, match="shape"):
        NumpyParley.from_pretrained(d)
    cfg["vq"]["n_codes"], cfg["s2c"]["layers"] = 32, 3
    (d / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError, match="missing"):
        NumpyParley.from_pretrained(d)
    cfg["s2c"]["layers"], cfg["version"] = 2, 99
    (d / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError, match="version"):
        NumpyParley.from_pretrained(d)
    cfg["version"], cfg["frontend"]["kind"], cfg["frontend"]["hf_dir"] = 1, "hf", "/x"
    (d / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError, match="needs\\s+PyTorch"):
        NumpyParley.from_pretrained(d)
    cfg["frontend"]["kind"], cfg["frontend"]["in_dim"] = "phones", 40
    (d / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError, match="46"):
        NumpyParley.from_pretrained(d)


def test_bad_inputs_raise_clear_errors(models):
    _, nm = models
    with pytest.raises(ValueError, match="mono"):
        nm.generate(np.zeros((2, 100), np.float32))
    with pytest.raises(ValueError, match="empty"):
        nm.generate(np.zeros(0, np.float32))
    with pytest.raises(ValueError, match="features must be"):
        nm.motion_from_features(np.zeros((10, 45), np.float32))
    with pytest.raises(ValueError, match="KV cache only"):
        nm.motion_from_features(np.zeros((10, 46), np.float32), naive=True)
    with pytest.raises(ValueError, match="unknown emotion"):
        nm.generate(_audio(1.0), "bored", segments=[("AA", 0, 1)])
    with pytest.raises(ValueError, match="positive"):
        nm.generate(_audio(1.0), fps=0, segments=[("AA", 0, 1)])


def test_retakes_of_the_same_clip_reuse_the_front_end_features(phones_ckpt, monkeypatch):
    """Another emotion on the same audio + phones only runs the network; new audio or new phone
    timings compute the features again, and the cached features give identical curves."""
    nm = NumpyParley.from_pretrained(phones_ckpt)
    calls = []
    real = nm.frontend.features
    monkeypatch.setattr(nm.frontend, "features", lambda *a, **k: calls.append(1) or real(*a, **k))
    x = _audio(3.0)
    a = nm.generate(x, "happy", 0.8, segments=SEGS)
    b = nm.generate(x, "sad", 0.3, segments=SEGS)
    assert len(calls) == 1 and not np.array_equal(a, b)
    np.testing.assert_array_equal(nm.generate(x, "happy", 0.8, segments=SEGS), a)
    nm.generate(x, "happy", 0.8, segments=SEGS[:-1] + [("SIL", 2.4, 2.9)])
    nm.generate(_audio(3.0, seed=5), "happy", 0.8, segments=SEGS)
    assert len(calls) == 3
    # a hit restores the phones the front end reports for this clip, not the last computed one
    nm.generate(x, "angry", 1.0, segments=SEGS)
    assert len(calls) == 3 and [tuple(s) for s in nm.frontend.last_segments] == [tuple(s) for s in SEGS]
