"""Phoneme choreography: seals, visemes, jaw, silence, emotion, idle, determinism, errors."""
from __future__ import annotations

import numpy as np
import pytest

from core.arkit import INDEX, MOUTH_SHAPES, UPPER_FACE_SHAPES
from core.choreography import (ChoreographyOptions, animate, articulation_curves, face_offsets,
                               sample_times, seal_frames)
from core.choreography.mapping import LIP_OPENERS
from core.choreography.visemes import P
from core.emotions import EMOTIONS, emotion_vector
from core.phones import PhoneError, PhoneSegment, validate_segments

FPS_SET = (24.0, 25.0, 29.97, 30.0, 60.0)

# "Bob bought a map of the moon, and Mom made pie": festival-like timings (s), plus one very
# short P (18 ms) and a B right after a pause, the hard cases for sampling.
SENTENCE = [
    ("SIL", 0.00, 0.22), ("B", 0.22, 0.31), ("AA1", 0.31, 0.43), ("B", 0.43, 0.50),
    ("B", 0.50, 0.59), ("AO1", 0.59, 0.76), ("T", 0.76, 0.82), ("AH0", 0.82, 0.86),
    ("M", 0.86, 0.94), ("AE1", 0.94, 1.08), ("P", 1.08, 1.15), ("AH0", 1.15, 1.22),
    ("V", 1.22, 1.27), ("DH", 1.27, 1.30), ("AH0", 1.30, 1.34), ("M", 1.34, 1.45),
    ("UW1", 1.45, 1.64), ("N", 1.64, 1.72), ("SIL", 1.72, 2.10), ("AE1", 2.10, 2.20),
    ("N", 2.20, 2.24), ("D", 2.24, 2.29), ("M", 2.29, 2.36), ("AA1", 2.36, 2.48),
    ("M", 2.48, 2.52), ("EY1", 2.52, 2.66), ("D", 2.66, 2.69), ("P", 2.69, 2.708),
    ("AY1", 2.708, 2.84), ("SIL", 2.84, 3.40),
]


def _sealed(w: np.ndarray) -> np.ndarray:
    """Per frame: lips sealed in ARKit terms (mouthClose == jawOpen, nothing parting the lips)."""
    close_ok = np.abs(w[:, INDEX["mouthClose"]] - w[:, INDEX["jawOpen"]]) <= 1e-6
    openers = w[:, [INDEX[n] for n in LIP_OPENERS]].max(axis=1) <= 1e-6
    return close_ok & openers


def _check_seals(w: np.ndarray, segs, fps: float, hold: float = 0.035) -> None:
    t = sample_times(w.shape[0], fps)
    sealed = _sealed(w)
    for seg in validate_segments(segs):
        if seg.phone in ("P", "B"):
            window = (t >= seg.end - max(hold, 1.0 / fps)) & (t <= seg.end)
            assert sealed[window].any(), f"no sealed frame before the {seg} burst at {fps} fps"
            must = (t >= max(seg.start, seg.end - hold)) & (t <= seg.end)
            assert sealed[must].all(), f"unsealed frame in the last {hold}s of {seg} at {fps} fps"
        elif seg.phone == "M":
            inside = (t >= seg.start) & (t <= seg.end)
            assert sealed[inside].all(), f"{seg} not sealed throughout at {fps} fps"
            near = (t >= seg.start - 1.0 / fps) & (t <= seg.end)
            assert sealed[near].any(), f"no sealed frame for {seg} at {fps} fps"


@pytest.mark.parametrize("fps", FPS_SET)
def test_bilabial_seals_at_any_fps(fps):
    w = animate(SENTENCE, fps=fps)
    _check_seals(w, SENTENCE, fps)
    # and the lips are really open on the vowels between the seals
    t = sample_times(w.shape[0], fps)
    gap = w[:, INDEX["jawOpen"]] - w[:, INDEX["mouthClose"]]
    aa = (t > 0.34) & (t < 0.40)
    assert gap[aa].max() > 0.3


@pytest.mark.parametrize("emotion", EMOTIONS)
def test_seals_survive_every_emotion(emotion):
    for fps in (24.0, 30.0):
        w = animate(SENTENCE, fps=fps, emotion=emotion, intensity=1.0)
        _check_seals(w, SENTENCE, fps)


def test_seal_frames_exist_for_segments_shorter_than_a_frame():
    segs = [("AA", 0.0, 0.2), ("P", 0.2, 0.21), ("AA", 0.21, 0.4)]
    for fps in FPS_SET:
        frames = seal_frames(validate_segments(segs), int(round(0.4 * fps)), fps)
        assert len(frames[1]) >= 1
        assert sample_times(1000, fps)[frames[1][-1]] <= 0.21


def _window(w, fps, a, b):
    t = sample_times(w.shape[0], fps)
    return w[(t >= a) & (t < b)]


def test_labiodentals_tuck_the_lower_lip():
    segs = [("SIL", 0, 0.2), ("AA", 0.2, 0.35), ("F", 0.35, 0.47), ("AA", 0.47, 0.62),
            ("V", 0.62, 0.72), ("IY", 0.72, 0.85), ("SIL", 0.85, 1.2)]
    w = animate(segs, fps=30)
    for a, b in ((0.37, 0.45), (0.64, 0.70)):
        fv = _window(w, 30, a, b)
        assert fv[:, INDEX["mouthRollLower"]].max() > 0.5
        assert fv[:, INDEX["mouthUpperUpLeft"]].max() > 0.1
        assert fv[:, INDEX["jawOpen"]].min() < 0.25  # slight jaw only
        assert (fv[:, INDEX["jawOpen"]] - fv[:, INDEX["mouthClose"]]).max() > 0.05  # not a seal
    vowel = _window(w, 30, 0.20, 0.29)
    assert vowel[:, INDEX["mouthRollLower"]].max() < 0.1


def test_rounded_sounds_funnel_or_pucker_and_spread_ones_do_not():
    segs = [("SIL", 0, 0.2), ("W", 0.2, 0.3), ("UW", 0.3, 0.5), ("T", 0.5, 0.56),
            ("OW", 0.56, 0.8), ("T", 0.8, 0.86), ("IY", 0.86, 1.06), ("SIL", 1.06, 1.4)]
    w = animate(segs, fps=30)
    rnd = w[:, INDEX["mouthPucker"]] + w[:, INDEX["mouthFunnel"]]
    t = sample_times(w.shape[0], 30)
    for a, b in ((0.22, 0.28), (0.34, 0.46), (0.62, 0.76)):
        assert rnd[(t >= a) & (t < b)].max() > 0.5, (a, b)
    iy = (t >= 0.93) & (t < 1.02)
    assert rnd[iy].max() < 0.15
    assert w[iy, INDEX["mouthStretchLeft"]].max() > 0.1


def test_rounding_is_coarticulated_not_looked_up():
    """A /k/ before UW is rounded, before IY it is not: the neighbour's dominance shows through."""
    def k_pucker(vowel):
        w = animate([("SIL", 0, 0.2), ("K", 0.2, 0.28), (vowel, 0.28, 0.5), ("SIL", 0.5, 0.9)])
        return _window(w, 30, 0.2, 0.28)[:, INDEX["mouthPucker"]].mean()
    assert k_pucker("UW") > 0.25 > 0.05 > k_pucker("IY")


def _jaw_peak(vowel, loud_db=None, dur=0.16):
    segs = [("SIL", 0, 0.2), ("D", 0.2, 0.26), (vowel, 0.26, 0.26 + dur), ("D", 0.26 + dur, 0.32 + dur),
            ("SIL", 0.32 + dur, 0.8)]
    T = round(0.8 * 30)
    loud = None if loud_db is None else np.full(T, float(loud_db))
    return animate(segs, 0.8, fps=30, loudness=loud)[:, INDEX["jawOpen"]].max()


def test_jaw_follows_vowel_height():
    order = [("AA",), ("AE",), ("AH", "AO"), ("EH",), ("IH", "UH"), ("IY", "UW")]
    peaks = [[_jaw_peak(v) for v in group] for group in order]
    for hi, lo in zip(peaks, peaks[1:]):
        assert min(hi) > max(lo), (order, peaks)
    assert peaks[0][0] > 0.45 and peaks[-1][0] < 0.25


def test_jaw_follows_loudness():
    quiet, normal, loud = (_jaw_peak("AA", db) for db in (-40, -20, -8))
    assert quiet < normal < loud
    assert loud / quiet > 1.5
    # within one take, the louder syllable opens wider
    segs = [("SIL", 0, 0.2), ("D", 0.2, 0.26), ("AA", 0.26, 0.42), ("D", 0.42, 0.48),
            ("AA", 0.48, 0.64), ("D", 0.64, 0.7), ("SIL", 0.7, 1.0)]
    T = 30
    env = np.full(T, -60.0)
    t = sample_times(T, 30)
    env[(t > 0.2) & (t < 0.45)] = -26.0
    env[(t >= 0.45) & (t < 0.7)] = -14.0
    w = animate(segs, 1.0, fps=30, loudness=env, options={"brows": False})
    assert _window(w, 30, 0.5, 0.62)[:, INDEX["jawOpen"]].max() > \
        1.15 * _window(w, 30, 0.28, 0.40)[:, INDEX["jawOpen"]].max()


def test_silence_is_a_relaxed_closed_mouth():
    segs = [("SIL", 0, 0.5), ("HH", 0.5, 0.56), ("AA", 0.56, 0.76), ("T", 0.76, 0.82),
            ("SIL", 0.82, 1.22), ("S", 1.22, 1.3), ("AE", 1.3, 1.45), ("D", 1.45, 1.5)]
    rest = ChoreographyOptions().rest_jaw
    for emotion in ("neutral", "happy", "disgusted", "surprised"):
        w = animate(segs, 2.2, fps=30, emotion=emotion)
        mouth = [INDEX[n] for n in MOUTH_SHAPES if n not in ("jawOpen", "mouthClose")]
        neutral_face = face_offsets(emotion_vector(emotion, 1.0))
        for a, b in ((0.0, 0.35), (0.97, 1.07), (1.70, 2.2)):  # >150 ms inside pauses >= 250 ms
            rest_frames = _window(w, 30, a, b)
            assert rest_frames[:, INDEX["jawOpen"]].max() <= rest + 0.02, (emotion, a)
            assert np.allclose(rest_frames[:, INDEX["mouthClose"]], rest_frames[:, INDEX["jawOpen"]],
                               atol=1e-3)
            # no articulation: only the emotion's own (lip-closed) expression remains
            art = np.abs(rest_frames[:, mouth] - neutral_face[mouth])
            openers = [INDEX[n] for n in LIP_OPENERS]
            assert rest_frames[:, openers].max() <= 1e-3, emotion
            assert art.max() < 0.05 + neutral_face[mouth].max(), emotion


def test_emotion_acts_on_the_upper_face_and_intensity_zero_is_neutral():
    neutral = animate(SENTENCE, seed=3)
    upper = [INDEX[n] for n in UPPER_FACE_SHAPES]
    for emotion in EMOTIONS[1:]:
        zero = animate(SENTENCE, emotion=emotion, intensity=0.0, seed=3)
        assert np.array_equal(zero, neutral), emotion
        full = animate(SENTENCE, emotion=emotion, intensity=1.0, seed=3)
        half = animate(SENTENCE, emotion=emotion, intensity=0.5, seed=3)
        d_full = np.abs(full[:, upper] - neutral[:, upper]).sum(axis=1).mean()
        d_half = np.abs(half[:, upper] - neutral[:, upper]).sum(axis=1).mean()
        assert d_full > 0.3, emotion
        assert 0.2 * d_full < d_half < 0.8 * d_full, emotion


def test_emotion_modulates_articulation():
    def mean(w, name):
        return w[:, INDEX[name]].mean()
    n = animate(SENTENCE)
    happy = animate(SENTENCE, emotion="happy")
    sad = animate(SENTENCE, emotion="sad")
    surprised = animate(SENTENCE, emotion="surprised")
    angry = animate(SENTENCE, emotion="angry")
    assert mean(happy, "mouthSmileLeft") > mean(n, "mouthSmileLeft") + 0.3
    assert mean(happy, "mouthStretchLeft") > mean(n, "mouthStretchLeft")
    assert n[:, INDEX["jawOpen"]].max() > 1.25 * sad[:, INDEX["jawOpen"]].max()
    assert surprised[:, INDEX["jawOpen"]].max() > 1.15 * n[:, INDEX["jawOpen"]].max()
    assert mean(angry, "mouthPressLeft") > mean(n, "mouthPressLeft") + 0.2
    assert mean(sad, "mouthFrownLeft") > 0.3 and mean(sad, "browInnerUp") > 0.4
    contempt = animate(SENTENCE, emotion="contempt")
    assert mean(contempt, "mouthSmileLeft") > mean(contempt, "mouthSmileRight") + 0.2


def test_emotion_blend_is_linear_in_the_condition():
    a, b = face_offsets(emotion_vector("happy")), face_offsets(emotion_vector("sad"))
    mix = face_offsets(emotion_vector({"happy": 0.5, "sad": 0.5}))
    assert np.allclose(mix, 0.5 * a + 0.5 * b)
    w = animate(SENTENCE, emotion={"happy": 0.7, "surprised": 0.3})
    assert w[:, INDEX["mouthSmileLeft"]].mean() > 0.3 and w[:, INDEX["eyeWideLeft"]].max() > 0.1


def test_weights_shape_range_and_mouthclose_contract():
    for fps in FPS_SET:
        for emotion in EMOTIONS:
            w = animate(SENTENCE, 3.5, fps=fps, emotion=emotion, loudness=None)
            assert w.dtype == np.float32 and w.shape == (round(3.5 * fps), 52)
            assert w.min() >= 0.0 and w.max() <= 1.0
            assert (w[:, INDEX["mouthClose"]] <= w[:, INDEX["jawOpen"]] + 1e-7).all()
    loud = np.linspace(-90, 0, round(3.4 * 30))
    w = animate(SENTENCE, loudness=loud)  # duration defaults to the last segment end
    assert w.shape == (round(3.4 * 30), 52) and w.min() >= 0 and w.max() <= 1


def test_deterministic_given_seed():
    a = animate(SENTENCE, emotion="happy", seed=7)
    assert np.array_equal(a, animate(SENTENCE, emotion="happy", seed=7))
    long = [("SIL", 0, 12.0)]
    assert not np.array_equal(animate(long, seed=1), animate(long, seed=2))


def test_blinks_are_periodic_short_and_fully_closed():
    for fps in (24.0, 30.0, 60.0):
        w = animate([("SIL", 0.0, 30.0)], fps=fps, seed=5)
        b = w[:, INDEX["eyeBlinkLeft"]]
        closed = np.flatnonzero((b > 0.95) & (np.r_[0, b[:-1]] <= 0.95))
        assert 5 <= closed.size <= 11, closed.size
        gaps = np.diff(closed) / fps
        assert gaps.min() > 2.0 and gaps.max() < 6.0
        # each blink lasts ~100-150 ms (frames above half closure)
        runs = np.diff(np.flatnonzero(np.diff(np.r_[0, b > 0.5, 0])))[::2] / fps
        assert runs.max() <= 0.15 + 1.0 / fps


def test_brows_rise_on_the_loud_syllable():
    segs = [("SIL", 0, 0.3)]
    t0 = 0.3
    for _ in range(8):
        segs += [("D", t0, t0 + 0.06), ("AH", t0 + 0.06, t0 + 0.2)]
        t0 += 0.2
    segs.append(("SIL", t0, t0 + 0.6))
    T = round((t0 + 0.6) * 30)
    t = sample_times(T, 30)
    env = np.full(T, -25.0)
    loud_vowel = (1.16, 1.30)
    env[(t >= loud_vowel[0]) & (t < loud_vowel[1])] = -12.0
    w = animate(segs, fps=30, loudness=env, options={"blinks": False, "saccades": False})
    brow = w[:, INDEX["browOuterUpLeft"]]
    peak_t = t[np.argmax(brow)]
    assert brow.max() > 0.1 and abs(peak_t - 1.23) < 0.15
    angry = animate(segs, fps=30, loudness=env, emotion="angry",
                    options={"blinks": False, "saccades": False})
    base = face_offsets(emotion_vector("angry"))[INDEX["browDownLeft"]]
    assert angry[:, INDEX["browDownLeft"]].max() > base + 0.08  # angry beats lower the brows


def test_faster_speech_undershoots_more_but_keeps_seals():
    def take(scale):
        segs, t = [("SIL", 0, 0.3)], 0.3
        for p, d in [("B", 0.08), ("AA", 0.14), ("B", 0.08), ("AA", 0.14), ("M", 0.08),
                     ("AA", 0.14), ("P", 0.08)]:
            segs.append((p, t, t + d * scale))
            t += d * scale
        segs.append(("SIL", t, t + 0.5))
        return segs, animate(segs, fps=60)
    slow_segs, slow = take(1.0)
    fast_segs, fast = take(0.5)
    assert fast[:, INDEX["jawOpen"]].max() < 0.9 * slow[:, INDEX["jawOpen"]].max()
    _check_seals(fast, fast_segs, 60.0)
    _check_seals(slow, slow_segs, 60.0)


def test_curves_are_continuous_in_time_not_per_frame():
    a30 = articulation_curves(SENTENCE, fps=30)
    a60 = articulation_curves(SENTENCE, fps=60)
    # frame k at 30 fps shows time (k+.5)/30, between 60-fps frames 2k and 2k+1
    mid = 0.5 * (a60[0::2][: len(a30)] + a60[1::2][: len(a30)])
    jaw = P["jaw"]
    assert np.abs(mid[:, jaw] - a30[:, jaw]).mean() < 0.02


@pytest.mark.parametrize("segs, fragment", [
    ([("AA", 0, 0.1), ("XX", 0.1, 0.2)], "XX"),
    ([("AA", 0, 0.2), ("B", 0.1, 0.3)], "overlapping"),
    ([("AA", -0.1, 0.2)], "negative"),
    ([("AA", 0.3, 0.2)], "ends before it starts"),
])
def test_bad_phone_sequences_raise_clear_errors(segs, fragment):
    with pytest.raises(PhoneError, match=fragment):
        animate(segs)


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="fps"):
        animate(SENTENCE, fps=0)
    with pytest.raises(ValueError, match="intensity"):
        animate(SENTENCE, intensity=1.5)
    with pytest.raises(ValueError, match="unknown emotion"):
        animate(SENTENCE, emotion="bored")
    with pytest.raises(ValueError, match="loudness has 5 frames"):
        animate(SENTENCE, loudness=np.zeros(5))
    with pytest.raises(PhoneError, match="after the requested duration"):
        animate(SENTENCE, duration=2.0)
    with pytest.raises(PhoneError, match="empty"):
        animate([])
    with pytest.raises(ValueError, match="unknown choreography option"):
        animate(SENTENCE, options={"jaw": 2})
    assert animate([], duration=1.0).shape == (30, 52)
    assert animate([], duration=0.0).shape == (0, 52)
    assert animate([PhoneSegment("AA", 0.0, 0.5)], duration=0.5, fps=24).shape == (12, 52)


def test_style_variation_is_seeded_and_keeps_the_guarantees():
    opts = {"style_variation": 0.2}
    a = animate(SENTENCE, seed=1, options=opts)
    b = animate(SENTENCE, seed=2, options=opts)
    assert np.array_equal(a, animate(SENTENCE, seed=1, options=opts))
    jaw = INDEX["jawOpen"]
    assert abs(a[:, jaw].max() - b[:, jaw].max()) > 0.005
    for w in (a, b):
        _check_seals(w, SENTENCE, 30.0)
    with pytest.raises(ValueError, match="style_variation"):
        animate(SENTENCE, options={"style_variation": 2.0})


def test_pauses_of_250ms_reach_rest():
    rest = ChoreographyOptions().rest_jaw
    for gap in (0.26, 0.4):
        segs = [("SIL", 0, 0.3), ("AA", 0.3, 0.5), ("SIL", 0.5, 0.5 + gap),
                ("AA", 0.5 + gap, 0.7 + gap), ("SIL", 0.7 + gap, 1.2 + gap)]
        w = animate(segs, fps=60)
        mid = _window(w, 60, 0.5 + gap / 2 - 0.01, 0.5 + gap / 2 + 0.01)
        assert (mid[:, INDEX["jawOpen"]] - mid[:, INDEX["mouthClose"]]).max() < 0.01
        assert mid[:, INDEX["jawOpen"]].max() < rest + 0.04
