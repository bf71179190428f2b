"""Lip-sync metrics on synthetic signals with known answers (no rig, no shared data)."""
import math

import numpy as np
import pytest

from core.evaluation import (av_lag_ms, bilabial_closure_rate, evaluate_take, format_report,
                             frame_loudness_db, inner_lip_gap_mm, jitter, lip_vertex_error,
                             loudness_aperture_correlation, silent_rest_rate)
from core.phones import PhoneSegment as S

FPS = 30.0


def _segments():
    # 0-0.5 SIL | AA | M | AA | P | AA | SIL 1.5-2.5 | B | AE | SIL
    return [S("SIL", 0.0, 0.5), S("AA", 0.5, 0.7), S("M", 0.7, 0.8), S("AA", 0.8, 1.0),
            S("P", 1.0, 1.1), S("AA", 1.1, 1.5), S("SIL", 1.5, 2.5), S("B", 2.5, 2.6),
            S("AE", 2.6, 2.9), S("SIL", 2.9, 3.5)]


def _gap_following(segments, n, open_mm=12.0, closed_before_burst=True):
    """Gap: open on vowels, shut (0) during bilabials/silence, or open at the bursts."""
    t = (np.arange(n) + 0.5) / FPS
    g = np.zeros(n)
    for s in segments:
        sel = (t >= s.start) & (t < s.end)
        if s.phone in ("AA", "AE"):
            g[sel] = open_mm
        elif s.phone in ("P", "B", "M") and not closed_before_burst:
            g[sel] = 6.0
    return g


def test_closure_all_closed_and_none_closed():
    segs = _segments()
    n = int(3.5 * FPS)
    ok = bilabial_closure_rate(_gap_following(segs, n), segs, FPS)
    assert ok.events == 3 and ok.closed == 3 and ok.rate == 1.0 and float(ok) == 1.0
    assert ok.open_aperture_mm == pytest.approx(12.0)
    assert ok.threshold_mm == pytest.approx(1.2)  # max(1 mm, 10% of 12 mm)
    bad = bilabial_closure_rate(_gap_following(segs, n, closed_before_burst=False), segs, FPS)
    assert bad.rate == 0.0 and len(bad.failures) == 3


def test_closure_window_is_just_before_the_burst():
    segs = [S("SIL", 0, 0.3), S("AA", 0.3, 0.6), S("M", 0.6, 0.8), S("AA", 0.8, 1.1)]
    n = int(1.1 * FPS)
    t = (np.arange(n) + 0.5) / FPS
    g = np.where((t >= 0.3) & (t < 1.1), 10.0, 0.0)
    g[(t >= 0.6) & (t < 0.66)] = 0.0     # closed early in the M, open again before the burst
    assert bilabial_closure_rate(g, segs, FPS).rate == 0.0
    g[(t >= 0.74) & (t <= 0.8)] = 0.5    # sealed in the last 40 ms
    assert bilabial_closure_rate(g, segs, FPS).rate == 1.0


def test_adjacent_bilabials_are_one_event_and_no_bilabial_is_nan():
    segs = [S("AA", 0, 0.2), S("M", 0.2, 0.3), S("B", 0.3, 0.4), S("AA", 0.4, 0.6)]
    g = np.full(18, 10.0)
    g[9:13] = 0.0
    r = bilabial_closure_rate(g, segs, FPS)
    assert r.events == 1 and r.rate == 1.0
    r2 = bilabial_closure_rate(np.ones(18), [S("AA", 0, 0.6)], FPS)
    assert r2.events == 0 and math.isnan(r2.rate)


def test_silent_rest_rate():
    segs = _segments()
    n = int(3.5 * FPS)
    g = _gap_following(segs, n)
    r1 = silent_rest_rate(g, segs, FPS)
    assert r1.rate == 1.0 and r1.frames > 30
    # mouth left open in the 1 s pause (the classic complaint)
    t = (np.arange(n) + 0.5) / FPS
    g2 = g.copy()
    g2[(t >= 1.5) & (t < 2.5)] = 8.0
    r = silent_rest_rate(g2, segs, FPS)
    assert r.frames > 0 and r.rate < 0.6
    # closed but trembling: speed check fails
    g3 = g.copy()
    pause = (t >= 1.5) & (t < 2.5)
    g3[pause] = 1.0 + 0.9 * np.sin(2 * np.pi * 8 * t[pause])  # closed, but moving
    r3 = silent_rest_rate(g3, segs, FPS)
    assert r3.frames == r1.frames and r3.at_rest <= r1.at_rest - 12
    # frame-to-frame flutter (0/1 mm alternating) is motion too, though it averages out
    g4 = g.copy()
    g4[pause] = (np.arange(pause.sum()) % 2).astype(float)
    r4 = silent_rest_rate(g4, segs, FPS)
    assert r4.at_rest <= r1.at_rest - 15


def test_loudness_aperture_correlation_sign():
    t = np.arange(300) / FPS
    env = np.sin(2 * np.pi * 3 * t)
    assert loudness_aperture_correlation(env, 5 + 4 * env) > 0.99
    assert loudness_aperture_correlation(env, 5 - 4 * env) < -0.99
    with pytest.raises(ValueError):
        loudness_aperture_correlation(env, env[:-1])


@pytest.mark.parametrize("shift", [-4, -1, 0, 2, 5])
def test_av_lag_recovers_known_shift(shift):
    rng = np.random.default_rng(0)
    n = 600
    # a syllable-like random envelope (smoothed noise, 2-7 Hz)
    e = np.convolve(rng.standard_normal(n + 40), np.hanning(7), mode="same")[20:20 + n]
    a = np.roll(e, shift)          # motion late by `shift` frames
    lag, peak = av_lag_ms(e, a, FPS, return_peak=True)
    assert abs(lag - shift * 1000 / FPS) <= 1000 / FPS
    assert peak > 0.8
    assert av_lag_ms(e, a, FPS) == lag


def test_jitter_separates_wobble_from_smooth_motion():
    t = np.arange(300) / FPS
    smooth = 0.5 + 0.4 * np.sin(2 * np.pi * 2 * t)
    wobble = smooth + 0.1 * np.sin(2 * np.pi * 12 * t)
    js, jw = jitter(smooth, FPS), jitter(wobble, FPS)
    assert js.hf_energy_ratio < 0.01
    assert jw.hf_energy_ratio > 0.02
    assert js.reversals_per_s == pytest.approx(4.0, abs=0.5)   # 2 Hz sine: 4 extremes/s
    assert jw.reversals_per_s > 15
    w = np.zeros((300, 52))
    assert jitter(w, FPS).reversals_per_s == 0.0


def test_lip_vertex_error_known_offset():
    rng = np.random.default_rng(1)
    ref = rng.normal(size=(10, 20, 3)) * 0.01
    pred = ref.copy()
    lips = np.arange(5)
    pred[:, 3, 1] += 0.002                # 2 mm on one lip vertex
    pred[:, 10, 0] += 0.05                # far off, but not a lip vertex
    assert lip_vertex_error(pred, ref, lips) == pytest.approx(2.0)
    assert lip_vertex_error(pred, ref, lips, squared=True) == pytest.approx(4.0)
    with pytest.raises(ValueError):
        lip_vertex_error(pred[:5], ref, lips)


def test_loudness_db_tracks_a_tone_burst():
    sr = 16000
    x = np.zeros(sr * 2, np.float32)
    x[sr // 2: sr] = 0.5 * np.sin(2 * np.pi * 200 * np.arange(sr // 2) / sr)
    db = frame_loudness_db(x, sr, FPS)
    assert len(db) == 60
    assert db[22] > -12 and db[5] <= -79 and db[45] <= -79


class _TwoVertexRig:
    """Toy linear rig: vertex 0 = upper lip, vertex 1 = lower lip moved by jawOpen (20 mm)."""
    inner_lip_pairs = np.array([[0, 1]])
    lip_idx = np.array([0, 1])

    def apply(self, w):
        w = np.asarray(w)
        v = np.zeros((len(w), 2, 3))
        v[:, 1, 1] = -0.02 * w[:, 17]
        return v


def test_evaluate_take_with_toy_rig():
    segs = _segments()
    n = int(3.5 * FPS)
    w = np.zeros((n, 52), np.float32)
    w[:, 17] = _gap_following(segs, n, open_mm=0.6)     # jawOpen 0.6 on vowels -> 12 mm
    sr = 16000
    t = np.arange(int(3.5 * sr)) / sr
    audio = np.zeros_like(t)
    for s in segs:
        if s.phone in ("AA", "AE"):
            sel = (t >= s.start) & (t < s.end)
            audio[sel] = 0.3 * np.sin(2 * np.pi * 150 * t[sel])
    m = evaluate_take(w, FPS, segs, audio.astype(np.float32), rig=_TwoVertexRig())
    assert m["bilabial_closure_rate"] == 1.0 and m["bilabial_events"] == 3
    assert m["silent_rest_rate"] == 1.0
    assert m["loudness_aperture_r"] > 0.5
    assert abs(m["av_lag_ms"]) <= 1000 / FPS + 1
    text = format_report(m)
    assert "Bilabial closure rate" in text and "100%" in text
    with pytest.raises(ValueError):
        evaluate_take(w[:, :10], FPS, segs, audio, rig=_TwoVertexRig())
    # a loud, voiced M with the lips (correctly) sealed lowers r; outside P/B/M (only the
    # 3-frame smoothing carries some of the M's loudness over) it stays high
    sel = (t >= 0.7) & (t < 0.8)
    loud_m = audio.copy()
    loud_m[sel] = 0.3 * np.sin(2 * np.pi * 150 * t[sel])
    m2 = evaluate_take(w, FPS, segs, loud_m.astype(np.float32), rig=_TwoVertexRig())
    assert m2["loudness_aperture_r"] < m["loudness_aperture_r"] - 0.05
    assert m2["loudness_aperture_r_outside_bilabials"] > 0.7
    assert m2["loudness_aperture_r_outside_bilabials"] > m2["loudness_aperture_r"] + 0.05


def test_inner_lip_gap_shapes_and_errors():
    v = np.zeros((4, 3, 3))
    v[:, 1, 1] = -0.005
    assert inner_lip_gap_mm(v, [[0, 1]]) == pytest.approx([5.0] * 4)
    with pytest.raises(ValueError, match="out of range"):
        inner_lip_gap_mm(v, [[0, 7]])


def test_evaluate_take_on_flame_rig(flame_dir):
    """Real FLAME rig: mouthClose = jawOpen seals the lips; jawOpen alone does not."""
    from core.arkit import INDEX
    from core.rig import FlameRig

    rig = FlameRig.from_ply(flame_dir / "FLAME_template.ply")
    segs = _segments()
    n = int(3.5 * FPS)
    t = (np.arange(n) + 0.5) / FPS
    w = np.zeros((n, 52), np.float32)
    w[:, INDEX["jawOpen"]] = np.where(_gap_following(segs, n) > 0, 0.5, 0.0)
    bil = np.zeros(n, bool)
    for s in segs:
        if s.phone in ("P", "B", "M"):
            bil |= (t >= s.start) & (t < s.end)
    w[bil, INDEX["jawOpen"]] = 0.2
    w[bil, INDEX["mouthClose"]] = 0.2                 # sealed with the jaw dropped
    audio = np.zeros(int(3.5 * 16000), np.float32)
    sealed = evaluate_take(w, FPS, segs, audio, rig=rig)
    assert sealed["gap_method"].startswith("flame-rig")
    assert sealed["bilabial_closure_rate"] == 1.0 and sealed["silent_rest_rate"] == 1.0
    assert sealed["open_aperture_mm"] > 5.0         # jawOpen 0.5 visibly opens the mouth
    w[:, INDEX["mouthClose"]] = 0.0
    gaping = evaluate_take(w, FPS, segs, audio, rig=rig)
    assert gaping["bilabial_closure_rate"] == 0.0
