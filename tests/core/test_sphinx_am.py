"""PocketSphinx's acoustic model scored in numpy (``sphinx_am``) and the ``posteriors`` front end.

The model files ship inside the pocketsphinx wheel; tests that need them skip without it. The
reference for "is this right" is PocketSphinx's own forced alignment of a festival sentence:
frame posteriors must agree with it far above chance, and silence must read as silence.
"""
from __future__ import annotations

import numpy as np
import pytest

from core.model.config import FrontEndConfig
from core.model.frontends import sphinx_am as S
from core.model.frontends.base import build_frontend
from core.phones import NUM_PHONES, PHONE_INDEX, VISEMES, frame_labels
from tests.conftest import festival_say

pytest.importorskip("pocketsphinx")
SENTENCE = "Bob made a big map of the moon, and Pam bought it for five pounds."


@pytest.fixture(scope="module")
def am():
    return S.acoustic_model()


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    from scipy.signal import resample_poly
    x, sr = festival_say(SENTENCE, tmp_path_factory.mktemp("am"))
    if sr != 16000:
        x = resample_poly(x, 16000, sr).astype(np.float32)
    return np.concatenate([np.zeros(8000, np.float32), x, np.zeros(8000, np.float32)])


def test_model_files_parse_into_consistent_mixtures(am):
    assert len(am.ciphones) == 42 and "SIL" in am.ciphones and "ZH" in am.ciphones
    assert (am.n_feat, am.n_mgau, am.n_density, am.veclen) == (3, 42, 128, 13)
    # 8-bit weights truncate -log w, so each mixture sums to a little under one (~0.95)
    sums = am.mixw.sum(axis=2)
    assert np.all((sums > 0.9) & (sums < 1.001))


def test_state_likelihoods_equal_a_direct_gaussian_mixture(am):
    """The matrix-product form equals log sum_k w_k N(x; m_k, v_k) computed term by term."""
    d = S.default_model_dir()
    means = S._read_s3_gauden(d / "means")
    var = np.maximum(S._read_s3_gauden(d / "variances"), S.VAR_FLOOR)
    rng = np.random.default_rng(0)
    x = rng.normal(0, 8, (3, 39)).astype(np.float32)
    ll = am.state_loglik(x)
    for state in (0, 50, 95):
        p = state // 3
        ref = np.zeros(3)
        for f in range(3):
            xf = x[:, f * 13:(f + 1) * 13].astype(np.float64)
            m, v = means[p, f].astype(np.float64), var[p, f].astype(np.float64)
            logn = -0.5 * (((xf[:, None] - m[None]) ** 2 / v[None]).sum(-1)
                           + np.log(2 * np.pi * v).sum(-1)[None])
            w = am.mixw[f, p, :, state % 3].astype(np.float64)
            ref += np.log(np.exp(logn) @ w)
        np.testing.assert_allclose(ll[:, state], ref, rtol=1e-4, atol=1e-2)


def test_features_have_the_model_layout():
    x = np.random.default_rng(1).normal(0, 0.1, 16000).astype(np.float32)
    f = S.sphinx_features(x)
    assert f.shape == (1 + (16000 - S.FRAME_LENGTH) // S.FRAME_SHIFT, 39) and f.dtype == np.float32
    np.testing.assert_allclose(f[:, :13].mean(0), 0, atol=1e-3)          # CMN
    # scale invariance: CMN removes any gain (up to the log floor)
    np.testing.assert_allclose(S.sphinx_features(x * 4), f, atol=2e-2)


def test_posteriors_agree_with_forced_alignment(speech):
    from core.alignment import align
    ref = align(speech, SENTENCE)
    n = int(round(len(speech) / 16000 * 30))
    post = S.posteriors_at_fps(speech, n)
    assert post.shape == (n, NUM_PHONES)
    np.testing.assert_allclose(post.sum(1), 1.0, atol=1e-4)
    lab = np.asarray(frame_labels(ref, n, 30.0))
    pred = post.argmax(1)
    sil = lab == PHONE_INDEX["SIL"]
    assert (pred[sil] == PHONE_INDEX["SIL"]).mean() > 0.8                  # silence reads as silence
    speech_frames = ~sil
    acc = (pred[speech_frames] == lab[speech_frames]).mean()
    assert acc > 0.2, acc                                                 # chance is 1/39
    bil = [PHONE_INDEX[p] for p in VISEMES["bilabial"]]
    on_bilabials = post[np.isin(lab, bil)][:, bil].sum(1).mean()
    elsewhere = post[speech_frames & ~np.isin(lab, bil)][:, bil].sum(1).mean()
    # weak on this diphone voice (measured 0.093 vs 0.070), but there
    assert on_bilabials > 1.1 * elsewhere


def test_posterior_front_end(speech):
    fe = build_frontend(FrontEndConfig(kind="posteriors"))
    n = int(round(len(speech) / 16000 * 30))
    f = fe.features(speech)
    assert f.shape == (n, fe.in_dim) == (n, NUM_PHONES + 4) and f.dtype == np.float32
    assert f[:, :NUM_PHONES].min() >= 0 and f[:, :NUM_PHONES].max() <= 1
    assert fe.features(speech, n + 7).shape == (n + 7, fe.in_dim)         # padded to the request
    assert np.isfinite(fe.features(np.zeros(4000, np.float32))).all()      # digital silence


def test_missing_model_files_are_a_clear_error(tmp_path):
    with pytest.raises(S.AcousticModelError, match="missing"):
        S.SphinxAcousticModel.load(tmp_path)
    for f in ("means", "variances", "sendump", "mdef"):
        (tmp_path / f).write_bytes(b"garbage")
    with pytest.raises(S.AcousticModelError):
        S.SphinxAcousticModel.load(tmp_path)
