"""Speech front ends: shapes, rates, pitch accuracy, and the local-only HF loader."""
from __future__ import annotations

import numpy as np
import pytest

from core.model.config import FrontEndConfig
from core.model.frontends.base import FrontEndError, build_frontend, check_samples
from core.model.frontends.logmel import LogMelFrontEnd
from core.model.frontends.phones import PHONE_FEATURES, PhoneFrontEnd, phone_track
from core.model.frontends.pitch import yin
from core.phones import PHONE_INDEX

SR = 16000


def _tone(f0, seconds=1.0, silence=0.25):
    t = np.arange(int(SR * seconds)) / SR
    x = (0.3 * np.sin(2 * np.pi * f0 * t) + 0.1 * np.sin(2 * np.pi * 2 * f0 * t)).astype(np.float32)
    x[: int(silence * SR)] = 0
    return x


@pytest.mark.parametrize("f0", [95.0, 180.0, 310.0])
def test_yin_tracks_pitch_and_voicing(f0):
    hz, voiced = yin(_tone(f0), SR, 30)
    assert len(hz) == 30
    assert not voiced[:6].any()                              # leading silence is unvoiced
    assert voiced[10:28].all()
    assert np.allclose(hz[10:28], f0, rtol=0.01)


def test_phone_track_covers_frames_and_marks_phones():
    segs = [("SIL", 0, 0.1), ("HH", 0.1, 0.15), ("AH", 0.15, 0.45), ("SIL", 0.45, 0.5)]
    tr = phone_track(segs, 15, 30)
    assert tr.shape == (15, 42)
    assert np.allclose(tr[:, :40].sum(1), 1.0, atol=1e-5)     # soft one-hot sums to one per frame
    assert tr[9, PHONE_INDEX["AH"]] == pytest.approx(1.0)
    assert tr[4, PHONE_INDEX["HH"]] == pytest.approx(0.5, abs=0.01)   # frame straddles HH|AH
    assert 0 <= tr[:, 40].min() and tr[:, 40].max() < 1


def test_phone_frontend_uses_recognizer_and_prosody():
    calls = []

    def fake_recognizer(x):
        calls.append(len(x))
        return [("SIL", 0, 0.25), ("AA", 0.25, 1.0)]

    fe = PhoneFrontEnd(recognizer=fake_recognizer)
    f = fe.features(_tone(150), None)
    assert f.shape == (30, PHONE_FEATURES) and calls == [SR]
    assert f[20, PHONE_INDEX["AA"]] == 1.0 and f[20, 44] == 1.0    # voiced
    assert f[2, 42] < f[20, 42]                                    # quieter in the silence
    oracle = fe.features(_tone(150), 30, segments=[("SIL", 0, 1.0)])
    assert oracle[20, PHONE_INDEX["SIL"]] == 1.0 and len(calls) == 1


def test_logmel_frontend_rate_and_width():
    fe = LogMelFrontEnd(n_mels=20, sub_frames=4)
    f = fe.features(_tone(200, 2.0), None)
    assert f.shape == (60, 80) and np.isfinite(f).all()
    assert f[30].std() > 0


def test_frontend_errors_are_specific():
    with pytest.raises(FrontEndError, match="mono"):
        check_samples(np.zeros((10, 2)))
    with pytest.raises(FrontEndError, match="empty"):
        check_samples(np.zeros(0))
    with pytest.raises(FrontEndError, match="NaN"):
        check_samples(np.array([0.0, np.nan]))
    with pytest.raises(FrontEndError, match="produces"):
        build_frontend(FrontEndConfig(kind="phones", in_dim=7))
    with pytest.raises(FrontEndError, match="config.json"):
        build_frontend(FrontEndConfig(kind="hf", hf_dir="/nonexistent/dir"))


def test_hf_frontend_loads_a_local_tiny_wav2vec2(tmp_path):
    transformers = pytest.importorskip("transformers")
    cfg = transformers.Wav2Vec2Config(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                      intermediate_size=64, conv_dim=(16,) * 7,
                                      num_conv_pos_embeddings=8, num_conv_pos_embedding_groups=2)
    transformers.Wav2Vec2Model(cfg).save_pretrained(tmp_path / "w2v")
    fc = FrontEndConfig(kind="hf", hf_dir=str(tmp_path / "w2v"))
    fe = build_frontend(fc)
    assert fc.in_dim == 32
    f = fe.features(_tone(120, 1.5), None)
    assert f.shape == (45, 32) and np.isfinite(f).all()
    assert not np.allclose(f[5], f[30])


def test_yin_in_blocks_equals_one_pass():
    """Long audio is tracked in frame blocks (bounded memory); the result does not depend on it."""
    from core.model.frontends.pitch import yin
    rng = np.random.default_rng(1)
    t = np.arange(16000 * 3) / 16000
    x = (0.3 * np.sin(2 * np.pi * (120 + 40 * t) * t) + 0.01 * rng.standard_normal(t.size)).astype(np.float32)
    f_one, v_one = yin(x, block=10 ** 6)
    f_blk, v_blk = yin(x, block=7)
    np.testing.assert_array_equal(v_one, v_blk)
    np.testing.assert_array_equal(f_one, f_blk)
    assert v_one.mean() > 0.9
