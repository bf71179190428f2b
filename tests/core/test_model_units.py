"""Unit tests of the model building blocks: config, quantiser, VQ-VAE, transformer, conditioning."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from core.model.conditioning import Conditioning, condition_vector, parse_emotion_key
from core.model.config import ConfigError, ModelConfig, tiny_config
from core.model.quantizer import SharedCodebookQuantizer
from core.model.transformer import SpeechToCodes, periodic_encoding, recency_bias, alibi_slopes
from core.model.vqvae import MotionVQVAE

torch.set_num_threads(1)


def _cfg(in_dim=46):
    cfg = tiny_config()
    cfg.frontend.in_dim = in_dim
    return cfg


def test_config_json_round_trip(tmp_path):
    cfg = _cfg()
    cfg.styles = ["joe", "slt"]
    cfg.to_json(tmp_path / "c.json")
    back = ModelConfig.from_json(tmp_path / "c.json")
    assert back.to_dict() == cfg.to_dict()
    assert back.style_index("slt") == 2 and back.style_index("nobody") == 0


@pytest.mark.parametrize("edit, msg", [
    (lambda d: d.update(version=99), "version"),
    (lambda d: d.update(bogus=1), "bogus"),
    (lambda d: d["vq"].update(downsample=3), "power of two"),
    (lambda d: d["s2c"].update(heads=3), "divisible"),
    (lambda d: d["frontend"].update(kind="mfcc"), "frontend.kind"),
])
def test_config_rejects_bad_files(tmp_path, edit, msg):
    d = _cfg().to_dict()
    edit(d)
    (tmp_path / "c.json").write_text(json.dumps(d))
    with pytest.raises(ConfigError, match=msg):
        ModelConfig.from_json(tmp_path / "c.json")


def test_quantizer_picks_nearest_shared_code():
    q = SharedCodebookQuantizer(n_codes=8, code_dim=3, groups=2, ema_decay=0.0)
    with torch.no_grad():
        q.embedding.copy_(torch.eye(8, 3) * 5)
    z = torch.tensor([[[4.9, 0.1, 0.0, 0.0, 0.2, 5.2]]])        # group 0 -> code 0, group 1 -> code 2
    assert q.codes(z).tolist() == [[[0, 2]]]
    assert torch.allclose(q.lookup(q.codes(z)), torch.tensor([[[5., 0, 0, 0, 0, 5]]]))


def test_dead_codes_are_restarted_and_stats_reported():
    q = SharedCodebookQuantizer(n_codes=16, code_dim=4, groups=1, ema_decay=0.9, dead_after=3)
    q.train()
    z = torch.randn(2, 10, 4)
    q(z)                                                         # initialises from data
    with torch.no_grad():
        q.embedding[5] = 100.0                                   # a code nobody will pick
    restarted = 0
    for _ in range(4):
        _, _, idx, stats = q(torch.randn(2, 10, 4))
        restarted += q.last_restarts
    assert restarted >= 1 and float(q.embedding[5].abs().max()) < 50
    assert 1.0 <= stats["perplexity"] <= 16 and 0 < stats["usage"] <= 1


def test_vqvae_shapes_range_and_downsampling():
    cfg = _cfg()
    vq = MotionVQVAE(cfg.vq)
    m = torch.rand(2, 37, 52)
    recon, loss, idx, stats = vq(m)
    assert recon.shape == m.shape and idx.shape == (2, vq.latent_len(37), cfg.vq.groups)
    cfg.vq.downsample = 4
    assert MotionVQVAE(cfg.vq)(m)[2].shape == (2, 10, cfg.vq.groups)     # optional downsampling
    assert float(recon.detach().min()) >= 0 and float(recon.detach().max()) <= 1 and loss.item() >= 0
    assert vq.decode_codes(idx, 37).shape == (2, 37, 52)


def test_vqvae_learns_temporal_detail_not_just_the_mean():
    torch.manual_seed(0)
    cfg = _cfg()
    vq = MotionVQVAE(cfg.vq)
    t = torch.linspace(0, 6.28, 32)
    m = torch.zeros(4, 32, 52)
    for i in range(4):
        m[i, :, 17] = 0.3 + 0.25 * torch.sin(t * (i + 1))          # jaw: a different rhythm each
        m[i, :, 23] = 0.2 * i                                        # smile: a different level each
    vq.set_normalization(m.mean((0, 1)), m.std((0, 1)))
    opt = torch.optim.Adam(vq.parameters(), lr=3e-3)
    for step in range(80):
        recon, vql, _, _ = vq(m, quantize=step >= 20)               # autoencoder warm-up first
        loss = (recon - m).abs().mean() + vql
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step == 19:
            vq.quantizer.init_kmeans(vq.encode(m))
    vq.eval()
    r = vq(m)[0].detach()
    assert np.corrcoef(r[..., 17].flatten(), m[..., 17].flatten())[0, 1] > 0.9
    assert torch.allclose(r[..., 23].mean(1), m[..., 23].mean(1), atol=0.05)
    assert (r[..., 17].std(1) > 0.5 * m[..., 17].std(1)).all()       # not the over-smoothed mean


def test_recency_bias_is_causal_and_period_stepped():
    pos = torch.arange(10)
    b = recency_bias(pos, pos, alibi_slopes(4), period=3)
    assert torch.isinf(b[:, 2, 5]).all() and (b[:, 5, 5] == 0).all()
    assert (b[:, 5, 3] == 0).all() and (b[:, 5, 2] < 0).all()        # same period -> no penalty
    assert torch.allclose(b[0, 9, 0], torch.tensor(-3 * 2.0 ** -2))
    pe = periodic_encoding(20, 16, 5)
    assert torch.allclose(pe[0], pe[5]) and torch.allclose(pe[3], pe[18])


@pytest.mark.parametrize("batch, frames", [(1, 29), (2, 40)])
def test_cached_decode_equals_naive_full_prefix_decode(batch, frames):
    torch.manual_seed(1)
    cfg = _cfg(in_dim=12)
    vq = MotionVQVAE(cfg.vq).eval()
    s2c = SpeechToCodes(cfg.s2c, cfg.vq, cfg.frontend).eval()
    with torch.no_grad():                         # make codes depend strongly on inputs
        s2c.head.weight.mul_(20)
    feats = torch.randn(batch, frames, 12)
    emo = torch.from_numpy(np.stack([condition_vector("happy", 0.7)] * batch))
    sty = torch.zeros(batch, dtype=torch.long)
    fast = s2c.generate(feats, emo, sty, vq.quantizer)
    slow = s2c.generate_naive(feats, emo, sty, vq.quantizer)
    assert torch.equal(fast, slow)
    assert len(torch.unique(fast)) > 1
    # and the teacher-forced forward on the generated codes reproduces every step's choice
    logits, _ = s2c(feats, vq.quantizer.lookup(fast), emo, sty)
    assert torch.equal(logits.argmax(-1), fast)


def test_intensity_zero_is_exactly_neutral_and_blends_are_linear():
    torch.manual_seed(2)
    cfg = _cfg(in_dim=12)
    cond = Conditioning(16, 3)
    sty = torch.tensor([1])
    e = lambda v: cond(torch.from_numpy(v)[None], sty)  # noqa: E731
    for name in ("happy", "angry", "contempt"):
        assert torch.equal(e(condition_vector(name, 0.0)), e(condition_vector("neutral")))
    blend = condition_vector({"happy": 0.5, "sad": 0.5}, 1.0)
    mid = 0.5 * (e(condition_vector("happy")) + e(condition_vector("sad")))
    assert torch.allclose(e(blend), mid, atol=1e-6)
    assert np.allclose(parse_emotion_key("happy@0.50"), condition_vector("happy", 0.5))
    with pytest.raises(ValueError, match="style index"):
        cond(torch.zeros(1, 8), torch.tensor([3]))
    # whole model: intensity 0 gives the same codes as neutral
    vq = MotionVQVAE(cfg.vq).eval()
    s2c = SpeechToCodes(cfg.s2c, cfg.vq, cfg.frontend).eval()
    feats = torch.randn(1, 24, 12)
    z = torch.zeros(1, dtype=torch.long)
    a = s2c.generate(feats, torch.from_numpy(condition_vector("surprised", 0.0))[None], z, vq.quantizer)
    b = s2c.generate(feats, torch.zeros(1, 8), z, vq.quantizer)
    assert torch.equal(a, b)


def test_bad_inputs_raise_clear_errors():
    cfg = _cfg()
    vq = MotionVQVAE(cfg.vq)
    with pytest.raises(ValueError, match="motion must be"):
        vq.encode(torch.rand(2, 10, 51))
    with pytest.raises(ValueError, match="intensity"):
        condition_vector("happy", 1.5)
    with pytest.raises(ValueError, match="unknown emotion"):
        condition_vector("bored")
    bad = tiny_config()
    with pytest.raises(ValueError, match="in_dim"):
        SpeechToCodes(bad.s2c, bad.vq, bad.frontend)
