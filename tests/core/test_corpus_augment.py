"""Augmentation keeps timings true: gain, tempo, SNR, inserted silence, limits."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from core.corpus import augment
from core.phones import PhoneSegment

SR = 16000


def _tone_speech(seconds=2.0, seed=0):
    """Speech-like test signal: 150 Hz harmonics with a syllabic 4 Hz envelope."""
    t = np.arange(int(seconds * SR)) / SR
    x = sum(np.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 8))
    env = 0.5 + 0.5 * np.sin(2 * np.pi * 4 * t) ** 2
    return (0.1 * x * env).astype(np.float32)


def test_gain_in_db():
    x = _tone_speech()
    y = augment.apply_gain_db(x, -12.0)
    assert augment.level_dbfs(y) - augment.level_dbfs(x) == pytest.approx(-12.0, abs=0.01)


def test_soft_limit_never_exceeds_ceiling_and_keeps_quiet_samples():
    x = np.linspace(-3, 3, 1001).astype(np.float32)
    y = augment.soft_limit(x, 0.99)
    assert np.abs(y).max() <= 0.99
    quiet = np.abs(x) < 0.6
    assert np.array_equal(y[quiet], x[quiet])
    assert np.all(np.diff(y) >= 0)            # monotonic: no fold-over distortion


@pytest.mark.skipif(shutil.which("sox") is None, reason="sox not installed")
def test_tempo_changes_duration_and_scales_segments():
    x = _tone_speech(2.0)
    segs = [PhoneSegment("SIL", 0, 0.5), PhoneSegment("AA", 0.5, 1.5), PhoneSegment("SIL", 1.5, 2.0)]
    p = {"effort": "normal", "level_dbfs": -20.0, "tempo": 1.25, "pitch_semitones": 0.0,
         "reverb": None, "noise": None, "stretches": []}
    y, out, _ = augment.apply(x, segs, p, np.random.default_rng(0))
    assert len(y) / SR == pytest.approx(2.0 / 1.25, rel=0.02)
    aa = [s for s in out if s.phone == "AA"][0]
    assert aa.start == pytest.approx(0.5 / 1.25, rel=0.03)
    assert aa.end == pytest.approx(1.5 / 1.25, rel=0.03)
    assert out[-1].end == pytest.approx(len(y) / SR)


@pytest.mark.skipif(shutil.which("sox") is None, reason="sox not installed")
def test_pitch_shift_keeps_duration():
    x = _tone_speech(1.0)
    y = augment.sox_tempo_pitch(x, 1.0, 3.0)
    assert abs(len(y) - len(x)) <= 0.01 * SR
    f = np.fft.rfftfreq(len(y), 1 / SR)
    peak = f[np.argmax(np.abs(np.fft.rfft(y)))]
    assert peak == pytest.approx(150 * 2 ** (3 / 12), rel=0.05)


@pytest.mark.parametrize("colour", ["white", "pink", "brown"])
@pytest.mark.parametrize("snr", [5.0, 20.0])
def test_noise_snr_within_tolerance(colour, snr):
    x = _tone_speech(3.0)
    rng = np.random.default_rng(1)
    y = augment.add_noise(x, snr, colour, rng)
    noise = y - x
    measured = 20 * np.log10(augment.active_rms(x) / np.sqrt(np.mean(noise ** 2)))
    assert measured == pytest.approx(snr, abs=0.3)


def test_inserted_stretch_is_sil_and_shifts_later_segments():
    x = _tone_speech(1.0)
    segs = [PhoneSegment("M", 0.0, 0.4), PhoneSegment("AA", 0.4, 1.0)]
    rng = np.random.default_rng(0)
    y, out = augment.insert_stretch(x, segs, 0.4, 0.5, "silence", rng)
    assert len(y) == len(x) + SR // 2
    assert out == [PhoneSegment("M", 0.0, 0.4), PhoneSegment("SIL", 0.4, 0.9),
                   PhoneSegment("AA", 0.9, 1.5)]
    assert np.all(y[int(0.4 * SR):int(0.9 * SR)] == 0)
    y2, out2 = augment.insert_stretch(x, segs, 0.4, 0.5, "noise", rng, noise_dbfs=-30)
    stretch = y2[int(0.45 * SR):int(0.85 * SR)]
    assert 20 * np.log10(np.sqrt(np.mean(stretch ** 2))) == pytest.approx(-30, abs=1.5)
    assert [s.phone for s in out2] == ["M", "SIL", "AA"]
    with pytest.raises(ValueError, match="stretch kind"):
        augment.insert_stretch(x, segs, 0.4, 0.5, "music", rng)


def test_apply_whisper_hits_level_and_covers_timeline():
    x = _tone_speech(1.5)
    segs = [PhoneSegment("SIL", 0, 0.2), PhoneSegment("AA", 0.2, 1.3)]
    p = {"effort": "whisper", "level_dbfs": -38.0, "tempo": 1.0, "pitch_semitones": 0.0,
         "reverb": {"rt60": 0.4, "wet": 0.5}, "noise": None,
         "stretches": [{"where": "start", "duration": 0.5, "kind": "silence",
                        "noise_dbfs": -40.0, "colour": "pink"}]}
    y, out, clean = augment.apply(x, segs, p, np.random.default_rng(3))
    assert len(y) == len(x) + SR // 2 and len(clean) == len(y)
    assert augment.level_dbfs(y) == pytest.approx(-38.0, abs=1.0)
    assert out[0] == PhoneSegment("SIL", 0.0, 0.7)      # inserted + original leading silence
    assert out[-1].end == pytest.approx(len(y) / SR)
    # whisper: periodicity gone -- the 150 Hz harmonic no longer dominates the spectrum
    spec = np.abs(np.fft.rfft(y))
    f = np.fft.rfftfreq(len(y), 1 / SR)
    assert spec[np.argmin(np.abs(f - 150))] < 0.3 * spec.max()


def test_sample_params_is_seeded_and_covers_efforts():
    a = [augment.sample_params(np.random.default_rng(s)) for s in range(200)]
    b = [augment.sample_params(np.random.default_rng(s)) for s in range(200)]
    assert a == b
    assert {p["effort"] for p in a} == set(augment.EFFORTS)
    snrs = [p["noise"]["snr_db"] for p in a if p["noise"]]
    assert min(snrs) >= 5 and max(snrs) <= 30
    assert any(p["stretches"] for p in a)
