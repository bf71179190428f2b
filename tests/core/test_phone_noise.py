"""Simulated recognition errors (core/model/phone_noise.py) and the ``simulated`` training input."""
from __future__ import annotations

import random

import numpy as np
import pytest

from core.model.phone_noise import PhoneNoise, corrupt_segments
from core.phones import PHONE_TO_VISEME, SILENCE, PhoneSegment, frame_labels, validate_segments

SPEECH = ("AA", "B", "IY", "M", "S", "T", "OW", "P", "EH", "F", "N", "K", "UW", "L")


def _long_sequence(n=3000, seed=0):
    rng = random.Random(seed)
    segs, t = [], 0.0
    for i in range(n):
        d = rng.uniform(0.04, 0.15)
        p = SILENCE if i % 25 == 0 else rng.choice(SPEECH)
        if segs and segs[-1].phone == p:
            p = "AE"
        segs.append(PhoneSegment(p, round(t, 4), round(t + d, 4)))
        t += d
    return segs


def test_no_noise_is_identity_and_span_is_kept():
    segs = _long_sequence(200)
    zero = PhoneNoise(substitute=0.0, delete=0.0, jitter_s=0.0)
    assert corrupt_segments(segs, random.Random(1), zero) == validate_segments(segs)
    out = corrupt_segments(segs, random.Random(1))
    assert out[0].start == segs[0].start and out[-1].end == pytest.approx(segs[-1].end)
    validate_segments(out)                                         # valid and contiguous
    assert all(abs(a.end - b.start) < 1e-9 for a, b in zip(out, out[1:]))
    assert all(a.phone != b.phone for a, b in zip(out, out[1:]))   # equal neighbours merged


def test_gaps_become_silence_and_draws_are_seeded():
    segs = [PhoneSegment("B", 0.1, 0.2), PhoneSegment("AA", 0.3, 0.5)]
    zero = PhoneNoise(substitute=0.0, delete=0.0, jitter_s=0.0)
    assert [s.phone for s in corrupt_segments(segs, random.Random(0), zero)] == ["B", SILENCE, "AA"]
    long = _long_sequence(300)
    assert corrupt_segments(long, random.Random(5)) == corrupt_segments(long, random.Random(5))
    assert corrupt_segments(long, random.Random(5)) != corrupt_segments(long, random.Random(6))


def test_error_rates_match_the_configuration():
    segs = _long_sequence()
    noise = PhoneNoise(substitute=0.10, same_viseme=0.5, delete=0.0, jitter_s=0.0)
    out = corrupt_segments(segs, random.Random(3), noise)
    n = int(round(segs[-1].end * 100))
    ref, hyp = np.array(frame_labels(segs, n, 100)), np.array(frame_labels(out, n, 100))
    speech = ref != frame_labels([], 1, 100)[0]
    err = (ref != hyp)[speech].mean()
    assert 0.07 < err < 0.13                                       # ~10 % of speech frames
    from core.phones import PHONES
    wrong = speech & (ref != hyp)
    same = np.mean([PHONE_TO_VISEME[PHONES[a]] == PHONE_TO_VISEME[PHONES[b]]
                    for a, b in zip(ref[wrong], hyp[wrong])])
    assert 0.35 < same < 0.75                                      # look-alikes favoured
    jittered = corrupt_segments(segs, random.Random(3), PhoneNoise(substitute=0, delete=0, jitter_s=0.015))
    shift = np.array([a.end - b.end for a, b in zip(jittered, validate_segments(segs))])[:-1]
    assert 0.008 < shift.std() < 0.02 and abs(shift.mean()) < 0.003
    deleted = corrupt_segments(segs, random.Random(3), PhoneNoise(substitute=0, delete=0.2, jitter_s=0))
    assert 0.7 * len(segs) < len(deleted) < 0.9 * len(segs)


def test_rates_are_validated():
    with pytest.raises(ValueError, match="substitute"):
        PhoneNoise(substitute=1.5)
    with pytest.raises(ValueError, match="jitter"):
        PhoneNoise(jitter_s=-1)


def test_simulated_windows_redraw_phones_and_keep_prosody(tmp_path):
    """phone_source='simulated': phone columns are corrupted corpus phones, new every epoch;
    prosody columns are the oracle ones; recognized_share=1 uses cached recognised features."""
    from core.model.config import tiny_config
    from core.model.data import (MotionWindows, cached_features, feature_path, load_records,
                                 prepare_features)
    from core.model.frontends.base import build_frontend
    from core.model.frontends.phones import phone_track
    from core.model.synthetic import make_corpus
    from core.phones import NUM_PHONES
    corpus = make_corpus(tmp_path / "c", n_items=4, seed=1, min_dur=2.0, max_dur=3.0)
    cfg = tiny_config()
    fe = build_frontend(cfg.frontend)
    recs = load_records(corpus, "train")
    feats = prepare_features(corpus, fe, recs, "simulated", progress=False)
    oracle = prepare_features(corpus, fe, recs, "oracle", progress=False)
    assert all(np.array_equal(feats[k], oracle[k]) for k in oracle)
    noise = PhoneNoise(substitute=0.5, jitter_s=0.03)
    ds = MotionWindows(corpus, recs, feats, cfg, window=10_000, phone_noise=noise)
    a = ds[0]["feats"].numpy()
    ds.set_epoch(1)
    b = ds[0]["feats"].numpy()
    k = NUM_PHONES + 2
    assert a.shape == oracle[recs[0]["id"]].shape
    assert not np.array_equal(a[:, :k], b[:, :k])                          # redrawn per epoch
    np.testing.assert_array_equal(a[:, k:], oracle[recs[0]["id"]][:, k:])  # prosody untouched
    assert np.allclose(a[:, :NUM_PHONES].sum(1), 1.0, atol=1e-5)           # still a soft one-hot
    clean = MotionWindows(corpus, recs, feats, cfg, window=10_000,
                          phone_noise=PhoneNoise(substitute=0, delete=0, jitter_s=0))[0]["feats"].numpy()
    np.testing.assert_allclose(clean, oracle[recs[0]["id"]], atol=2e-3)   # float16 cache
    # a planted "recognised" cache for one item is used when recognized_share = 1
    rid = recs[0]["id"]
    path = feature_path(corpus, fe, rid, "recognized")
    path.parent.mkdir(parents=True, exist_ok=True)
    planted = oracle[rid].copy()
    planted[:, :k] = phone_track([], len(planted))
    np.save(path, planted.astype(np.float16))
    rec_feats = cached_features(corpus, fe, recs, "recognized")
    assert list(rec_feats) == [rid]
    ds = MotionWindows(corpus, recs, feats, cfg, window=10_000, phone_noise=noise,
                       recognized=rec_feats, recognized_share=1.0)
    np.testing.assert_allclose(ds[0]["feats"].numpy(), planted, atol=2e-3)
    assert not np.allclose(ds[1]["feats"].numpy()[:, :k], phone_track([], len(ds[1]["feats"])))


def test_transcript_features_align_the_text_and_fall_back_to_recognition(tmp_path, monkeypatch):
    """phone_source='transcript' (evaluation of the product's transcript path): the record's text
    is force-aligned; a transcript that cannot be aligned falls back to recognition, with a warning."""
    import core.alignment as alignment
    from core.model.config import tiny_config
    from core.model.data import feature_path, load_records, prepare_features
    from core.model.frontends.base import build_frontend
    from core.model.synthetic import make_corpus
    corpus = make_corpus(tmp_path / "c", n_items=2, seed=2, min_dur=1.5, max_dur=2.0)
    fe = build_frontend(tiny_config().frontend)
    recs = load_records(corpus, "train")[:2]
    seen = []

    def fake_align(samples, text):
        seen.append(text)
        if len(seen) == 2:
            raise alignment.AlignmentError("no path")
        return [PhoneSegment("M", 0.0, 0.5), PhoneSegment("AA", 0.5, 1.0)]

    monkeypatch.setattr(alignment, "align", fake_align)
    fe.recognizer = lambda x: [PhoneSegment("S", 0.0, 1.0)]
    with pytest.warns(UserWarning, match="transcript not aligned"):
        feats = prepare_features(corpus, fe, recs, "transcript", progress=False)
    assert seen == [r["text"] for r in recs]
    assert feature_path(corpus, fe, recs[0]["id"], "transcript").parent.name.endswith("-transcript")
    from core.phones import PHONE_INDEX
    a, b = feats[recs[0]["id"]], feats[recs[1]["id"]]
    assert a[0, PHONE_INDEX["M"]] == 1.0 and a[20, PHONE_INDEX["AA"]] == 1.0
    assert b[0, PHONE_INDEX["S"]] == 1.0                                 # recognised instead
