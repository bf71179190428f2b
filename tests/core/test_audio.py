"""core.audio / core.loudness: formats, rates, channels, every error path, resampling, envelope timing."""
from __future__ import annotations

import functools
import time

import numpy as np
import pytest
import soundfile as sf

from core import audio as A
from core import loudness as L

SR = 16000


def tone(freq=440.0, dur=1.0, rate=SR, amp=0.5, phase=0.0):
    t = np.arange(int(round(dur * rate))) / rate
    return (amp * np.sin(2 * np.pi * freq * t + phase)).astype(np.float32)


def speechlike(rate=SR, dur=2.0, seed=0):
    """Syllable-like bursts (150 Hz harmonics, 4 Hz amplitude modulation) with pauses."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(dur * rate)) / rate
    voice = sum(np.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 6))
    env = np.clip(np.sin(2 * np.pi * 4 * t), 0, None)
    return (0.2 * voice * env + 1e-4 * rng.standard_normal(t.size)).astype(np.float32)


def dominant_freq(x, rate):
    spec = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    return np.fft.rfftfreq(x.size, 1 / rate)[np.argmax(spec)]


# ---------------------------------------------------------------------------------- formats
@pytest.mark.parametrize("fmt,subtype,ext", [
    ("WAV", "PCM_16", "wav"), ("WAV", "PCM_24", "wav"), ("WAV", "FLOAT", "wav"), ("WAV", "PCM_U8", "wav"),
    ("FLAC", "PCM_16", "flac"), ("FLAC", "PCM_24", "flac"), ("OGG", "VORBIS", "ogg"), ("OGG", "OPUS", "opus"),
    ("AIFF", "PCM_16", "aiff"), ("RF64", "PCM_16", "wav"), ("CAF", "PCM_16", "caf"),
])
def test_container_formats_roundtrip(tmp_path, fmt, subtype, ext):
    rate = 48000 if subtype == "OPUS" else 44100  # Opus only allows 8/12/16/24/48 kHz
    x = tone(440, 1.0, rate, amp=0.5)
    p = tmp_path / f"t.{ext}"
    sf.write(p, x, rate, format=fmt, subtype=subtype)
    clip = A.load_audio(p)
    assert clip.source_format == f"{fmt}/{subtype}"
    assert clip.sample_rate == 16000 and clip.source_rate == rate and clip.source_channels == 1
    assert clip.samples.dtype == np.float32 and clip.samples.ndim == 1
    assert clip.duration == pytest.approx(1.0, abs=1e-3)
    assert dominant_freq(clip.samples, 16000) == pytest.approx(440, abs=2)
    assert clip.peak_dbfs == pytest.approx(20 * np.log10(0.5), abs=0.6)
    assert not clip.silent and clip.warnings == ()


@pytest.mark.skipif(not A.MP3_SUPPORTED, reason="this libsndfile has no MP3 support")
def test_mp3(tmp_path):
    p = tmp_path / "t.mp3"
    sf.write(p, tone(440, 1.5, 44100), 44100, format="MP3", subtype="MPEG_LAYER_III")
    clip = A.load_audio(p)
    assert clip.source_format.startswith("MP3/")
    assert clip.duration == pytest.approx(1.5, abs=0.1)  # encoder padding
    assert dominant_freq(clip.samples, 16000) == pytest.approx(440, abs=2)
    assert "MP3" in A.SUPPORTED_FORMATS


def test_decode_bytes_matches_file(tmp_path):
    p = tmp_path / "t.flac"
    sf.write(p, speechlike(22050), 22050, format="FLAC")
    a = A.load_audio(p)
    b = A.decode_bytes(p.read_bytes())
    np.testing.assert_array_equal(a.samples, b.samples)
    assert b.source_path is None and b.source_format == "FLAC/PCM_16"


# ---------------------------------------------------------------------------------- rates/channels
@pytest.mark.parametrize("rate", [8000, 11025, 16000, 22050, 44100, 48000, 96000, 192000])
def test_rates_preserve_pitch_level_timing(tmp_path, rate):
    x = tone(1000, 1.0, rate, amp=0.25)
    p = tmp_path / "r.wav"
    sf.write(p, x, rate, subtype="FLOAT")
    clip = A.load_audio(p)
    assert clip.source_rate == rate and clip.samples.size == 16000
    y = clip.samples[1000:-1000]
    assert dominant_freq(y, 16000) == pytest.approx(1000, abs=1.5)
    assert np.sqrt(np.mean(y ** 2)) == pytest.approx(0.25 / np.sqrt(2), rel=0.01)
    # timing: the resampled sine has the same phase as the ideal 16 kHz sine
    ideal = tone(1000, 1.0, 16000, amp=0.25)[1000:-1000]
    assert np.max(np.abs(y - ideal)) < 0.01


@pytest.mark.parametrize("rate", [8000, 44100, 96000])
def test_resampling_keeps_click_position(rate):
    x = np.zeros(rate, np.float32)
    x[int(0.5 * rate)] = 1.0
    y = A.resample(x, rate, 16000)
    assert y.size == 16000
    assert abs(int(np.argmax(np.abs(y))) - 8000) <= 1


def test_resample_ratio_is_exact():
    y = A.resample(np.zeros(44100, np.float32), 44100, 16000)
    assert y.size == 16000 and y.dtype == np.float32


@pytest.mark.parametrize("channels", [1, 2, 6])
def test_channel_downmix_is_mean(tmp_path, channels):
    base = tone(300, 0.5, 16000, amp=0.6)
    data = np.stack([base * (c + 1) / channels for c in range(channels)], axis=1)
    p = tmp_path / "c.wav"
    sf.write(p, data, 16000, subtype="FLOAT")
    clip = A.load_audio(p)
    assert clip.source_channels == channels
    np.testing.assert_allclose(clip.samples, data.mean(axis=1), atol=1e-6)


def test_opposite_phase_stereo_is_silent_with_warning():
    x = tone(300, 0.5)
    with pytest.warns(A.AudioWarning, match="silent"):
        clip = A.AudioClip.from_array(np.stack([x, -x], axis=1), 16000)
    assert clip.silent


@pytest.mark.parametrize("rate", [4000, 7999, 192001, 384000])
def test_rate_out_of_range(tmp_path, rate):
    with pytest.raises(A.AudioSampleRateError, match="8000-192000 Hz"):
        A.AudioClip.from_array(np.zeros(100, np.float32), rate)
    if rate == 4000:  # also from a file header
        p = tmp_path / "lo.wav"
        sf.write(p, np.zeros(4000, np.float32), rate)
        with pytest.raises(A.AudioSampleRateError, match="4000 Hz"):
            A.load_audio(p)


def test_from_array_integer_pcm_and_layout():
    x16 = (tone(440, 0.5) * 32767).astype(np.int16)
    clip = A.AudioClip.from_array(x16, 16000)
    np.testing.assert_allclose(clip.samples, tone(440, 0.5), atol=1e-4)
    assert clip.source_format == "array/int16"
    with pytest.raises(A.AudioInvalidSamples, match="transpose"):
        A.AudioClip.from_array(np.zeros((2, 16000), np.float32), 16000)
    with pytest.raises(A.AudioInvalidSamples, match="shape"):
        A.AudioClip.from_array(np.zeros((2, 2, 2), np.float32), 16000)
    with pytest.raises(A.AudioInvalidSamples, match="numeric"):
        A.AudioClip.from_array(np.array(["a", "b"]), 16000)
    with pytest.raises(A.AudioSampleRateError, match="whole number"):
        A.AudioClip.from_array(np.zeros(100, np.float32), 16000.5)
    assert A.AudioClip.from_array(tone(440, 0.1), np.float32(16000)).sample_rate == 16000


# ---------------------------------------------------------------------------------- errors
def test_missing_file(tmp_path):
    with pytest.raises(A.AudioFileNotFound, match="does not exist") as ei:
        A.load_audio(tmp_path / "nope.wav")
    assert isinstance(ei.value, FileNotFoundError) and isinstance(ei.value, ValueError)
    with pytest.raises(A.AudioFileNotFound, match="folder"):
        A.load_audio(tmp_path)


def test_zero_byte_and_zero_length(tmp_path):
    p = tmp_path / "empty.wav"
    p.write_bytes(b"")
    with pytest.raises(A.AudioEmptyError, match="0 bytes"):
        A.load_audio(p)
    q = tmp_path / "nosamples.wav"
    sf.write(q, np.zeros(0, np.float32), 16000)
    assert q.stat().st_size > 0
    with pytest.raises(A.AudioEmptyError, match="zero length"):
        A.load_audio(q)
    with pytest.raises(A.AudioEmptyError):
        A.AudioClip.from_array(np.zeros(0, np.float32), 16000)
    with pytest.raises(A.AudioEmptyError):
        A.decode_bytes(b"")


def test_corrupt_and_unsupported(tmp_path):
    p = tmp_path / "garbage.wav"
    p.write_bytes(np.random.default_rng(0).integers(0, 255, 5000, dtype=np.uint8).tobytes())
    with pytest.raises(A.AudioDecodeError, match="corrupt"):
        A.load_audio(p)
    m = tmp_path / "song.m4a"          # M4A goes through ffmpeg (tests/core/test_ffmpeg_audio.py)
    m.write_bytes(b"\x00\x00\x00\x20ftypM4A " + b"\x00" * 100)
    with pytest.raises(A.AudioDecodeError, match="ffmpeg"):
        A.load_audio(m)
    with pytest.raises(A.AudioDecodeError, match="Supported: WAV, FLAC"):
        A.decode_bytes(b"definitely not audio" * 10)


def test_truncated_flac_is_a_decode_error(tmp_path):
    p = tmp_path / "cut.flac"
    sf.write(p, speechlike(dur=2.0) + tone(300, 2.0, amp=0.1), 16000, format="FLAC")
    raw = p.read_bytes()
    p.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(A.AudioDecodeError, match=r"truncated"):
        A.load_audio(p)


def test_truncated_file_still_loads_what_is_there(tmp_path):
    p = tmp_path / "cut.wav"
    sf.write(p, tone(440, 1.0), 16000, subtype="PCM_16")
    raw = p.read_bytes()
    p.write_bytes(raw[: len(raw) // 2])
    clip = A.load_audio(p)
    assert 0.4 < clip.duration < 0.6


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_inf_samples(tmp_path, bad):
    x = tone(440, 1.0)
    x[8000] = bad
    with pytest.raises(A.AudioInvalidSamples, match=r"NaN/inf.*0\.500 s"):
        A.AudioClip.from_array(x, 16000)
    p = tmp_path / "nan.wav"
    sf.write(p, np.stack([x, x], 1), 16000, subtype="FLOAT")
    with pytest.raises(A.AudioInvalidSamples, match="re-export"):
        A.load_audio(p)


def test_all_silent_is_a_warning_not_an_error(tmp_path):
    p = tmp_path / "silence.wav"
    sf.write(p, np.zeros(16000, np.float32), 16000)
    with pytest.warns(A.AudioWarning, match="silent"):
        clip = A.load_audio(p)
    assert clip.silent and clip.active_ratio == 0.0 and clip.peak_dbfs == L.DB_FLOOR
    assert any("silent" in w for w in clip.warnings)
    assert not clip.active_mask().any()


def test_clipping_warning():
    x = np.clip(tone(200, 1.0, amp=1.5), -1, 1)
    with pytest.warns(A.AudioWarning, match="clipping"):
        clip = A.AudioClip.from_array(x, 16000)
    assert not clip.silent


def test_too_long_is_refused_from_the_header(tmp_path, monkeypatch):
    p = tmp_path / "long.flac"
    sf.write(p, np.zeros(3 * 8000, np.int16), 8000, format="FLAC")

    def no_decoding(*a, **k):
        raise AssertionError("audio was decoded before the length check")

    monkeypatch.setattr(sf.SoundFile, "blocks", no_decoding)
    monkeypatch.setattr(sf.SoundFile, "read", no_decoding)
    with pytest.raises(A.AudioTooLongError, match=r"3\.00 s long; at most 1\.00 s"):
        A.load_audio(p, max_duration=1.0)


def test_default_limit_31_minutes_rejected_fast(tmp_path):
    p = tmp_path / "31min.flac"
    sf.write(p, np.zeros(31 * 60 * 8000, np.int16), 8000, format="FLAC")  # zeros: a tiny file
    t0 = time.perf_counter()
    with pytest.raises(A.AudioTooLongError, match="31 min 0.0 s long; at most 30 min 0.0 s"):
        A.load_audio(p)
    assert time.perf_counter() - t0 < 1.0  # header only (a full decode + resample takes seconds)
    with pytest.raises(A.AudioTooLongError):
        A.AudioClip.from_array(np.zeros(10, np.float32), 8000, max_duration=0.001)


# ---------------------------------------------------------------------------------- loudness
def test_levels_of_known_signals():
    x = tone(997, 2.0, 48000, amp=1.0)
    assert L.peak_dbfs(x) == pytest.approx(0.0, abs=0.01)
    assert L.rms_dbfs(x) == pytest.approx(-3.01, abs=0.01)
    assert L.rms_dbfs(np.zeros(10)) == L.DB_FLOOR


def test_k_weighting_matches_bs1770_48k_coefficients():
    sos = L.k_weighting_sos(48000)
    np.testing.assert_allclose(sos[0], [1.53512485958697, -2.69169618940638, 1.19839281085285,
                                        1.0, -1.69065929318241, 0.73248077421585], atol=1e-9)
    np.testing.assert_allclose(sos[1], [1.0, -2.0, 1.0, 1.0, -1.99004745483398, 0.99007225036621], atol=1e-9)


@pytest.mark.parametrize("rate", [16000, 48000])
def test_integrated_loudness_reference_sine(rate):
    # BS.1770: a 0 dBFS 997 Hz sine in one channel reads -3.01 LKFS; -20 dBFS reads -23.01.
    assert L.integrated_loudness(tone(997, 3.0, rate, amp=1.0), rate) == pytest.approx(-3.01, abs=0.1)
    assert L.integrated_loudness(tone(997, 3.0, rate, amp=0.1), rate) == pytest.approx(-23.01, abs=0.1)


def test_integrated_loudness_gating_ignores_silence():
    x = tone(997, 2.0, 16000, amp=0.1)
    padded = np.concatenate([np.zeros(32000, np.float32), x, np.zeros(64000, np.float32)])
    # 6 s of silence around 2 s of tone: ungated power would drop 6 dB; the gates keep all but the
    # blocks that straddle the tone's edges (which the standard keeps too), so < 1 dB difference.
    assert L.integrated_loudness(padded, 16000) == pytest.approx(L.integrated_loudness(x, 16000), abs=1.0)
    assert L.rms_dbfs(padded) < L.rms_dbfs(x) - 5.5
    assert L.integrated_loudness(np.zeros(16000), 16000) == L.DB_FLOOR
    assert np.isfinite(L.integrated_loudness(tone(997, 0.1), 16000))  # shorter than one block


def test_envelope_frame_count_and_timing():
    fps = 30
    x = np.zeros(16000 * 2, np.float32)
    x[int(0.5 * 16000):int(1.0 * 16000)] = 0.5  # a DC step from 0.5 s to 1.0 s (frames 15..29)
    env = L.loudness_envelope(x, 16000, fps)
    assert env.shape == (60,) and env.dtype == np.float32
    on = np.flatnonzero(env > -50)
    assert on[0] == 15 and on[-1] == 29
    assert env[20] == pytest.approx(20 * np.log10(0.5), abs=0.01)
    assert env[0] == L.DB_FLOOR
    env25 = L.loudness_envelope(x, 16000, 25, num_frames=100)
    assert env25.shape == (100,) and env25[60] == L.DB_FLOOR  # past the end


def test_envelope_follows_onset_without_lag():
    # a 1 kHz burst starting at 0.7 s: frame 21 (0.7-0.733 s) must be the first loud frame at 30 fps
    x = np.concatenate([np.zeros(int(0.7 * 16000), np.float32), tone(1000, 0.5)])
    env = L.loudness_envelope(x, 16000, 30)
    assert int(np.argmax(env > -40)) == 21
    env_w = L.loudness_envelope(x, 16000, 30, window=0.1)
    assert int(np.argmax(env_w > -40)) == 20  # wider centred window sees it 1.5 frames early


def test_envelope_bad_args():
    with pytest.raises(ValueError, match="1-D"):
        L.loudness_envelope(np.zeros((10, 2)), 16000)
    with pytest.raises(ValueError, match="sample_rate"):
        L.loudness_envelope(np.zeros(10), 0)
    with pytest.raises(ValueError, match="window"):
        L.loudness_envelope(np.zeros(10), 16000, window=0)


def _bursts(spans, dur, noise_db=None, level=0.3, seed=1):
    rng = np.random.default_rng(seed)
    x = np.zeros(int(dur * SR), np.float32)
    for a, b in spans:
        seg = tone(220, b - a, amp=level) * (1 + 0.3 * np.sin(np.linspace(0, 20, int(round((b - a) * SR)))))
        x[int(a * SR):int(a * SR) + seg.size] = seg
    if noise_db is not None:
        x += (10 ** (noise_db / 20) * rng.standard_normal(x.size)).astype(np.float32)
    return x


@pytest.mark.parametrize("noise_db", [None, -70, -45])
def test_active_mask_finds_speech_spans(noise_db):
    spans = [(0.5, 1.3), (1.9, 2.6), (3.0, 3.4)]
    x = _bursts(spans, 4.0, noise_db)
    fps = 30
    mask = L.active_mask(x, SR, fps)
    assert mask.shape == (120,)
    got = L.mask_to_intervals(mask, fps)
    assert len(got) == 3
    for (a, b), (ga, gb) in zip(spans, got):
        assert abs(ga - a) <= 1.0 / fps and abs(gb - b) <= 1.0 / fps


def test_active_mask_bridges_short_gaps_and_drops_clicks():
    x = _bursts([(0.5, 1.0), (1.1, 1.6)], 2.5)  # 100 ms gap (a stop closure)
    x[int(2.2 * SR):int(2.2 * SR) + 16] = 0.9  # a 1 ms click
    got = L.split_silence(x, SR, 30)
    assert len(got) == 1 and got[0][0] == pytest.approx(0.5, abs=0.05) and got[0][1] == pytest.approx(1.6, abs=0.05)
    assert len(L.split_silence(x, SR, 30, min_silence=0.0)) == 2  # without bridging: two spans


def test_hysteresis_and_clean_mask_units():
    env = np.array([-80, -50, -45, -20, -45, -55, -80, -45, -80], float)
    m = L.hysteresis_mask(env, on_db=-30, off_db=-50)
    assert m.tolist() == [False, True, True, True, True, False, False, False, False]
    with pytest.raises(ValueError, match="must not exceed"):
        L.hysteresis_mask(env, -50, -30)
    m = np.array([0, 1, 1, 0, 1, 1, 0, 0, 0, 0, 1, 0], bool)
    out = L.clean_mask(m, fps=10, min_silence=0.2, min_speech=0.2)
    assert out.tolist() == [0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
    padded = L.clean_mask(out, fps=10, min_silence=0, min_speech=0, pad=0.1)
    assert padded.tolist() == [1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0]


def test_quiet_speech_still_detected_and_clip_stats():
    spans = [(0.3, 1.0), (1.6, 2.2)]
    x = _bursts(spans, 3.0, noise_db=-90, level=0.01)  # peaks near -37 dBFS: quiet but real
    clip = A.AudioClip.from_array(x, 16000)
    assert not clip.silent and clip.active_ratio == pytest.approx(1.3 / 3.0, abs=0.05)
    assert clip.num_frames(30) == 90 and clip.envelope().shape == (90,)
    d = clip.to_dict()
    assert set(d) >= {"format", "source_rate", "duration", "peak_dbfs", "integrated_lufs", "silent", "warnings"}


# ---------------------------------------------------------------------------------- real recordings
@functools.lru_cache(maxsize=None)
def _load_real(path: str) -> A.AudioClip:
    return A.load_audio(path)  # the 6-minute reading is decoded once for both tests


def test_real_recordings_load(speech_dir):
    files = sorted(p for p in speech_dir.iterdir() if p.suffix in (".wav", ".ogg", ".flac", ".mp3"))
    assert any(p.name.startswith("cs_female") for p in files)
    for p in files:
        clip = _load_real(str(p))
        assert clip.sample_rate == 16000 and not clip.silent, p.name
        assert 0.5 < clip.active_ratio < 1.0, p.name
        assert -40 < clip.integrated_lufs < -5, p.name


def test_bundled_demo_clip(repo_root):
    p = repo_root / "assets" / "demo" / "demo_en.flac"
    assert p.stat().st_size < 300_000
    clip = A.load_audio(p)
    assert 4.0 <= clip.duration <= 6.0 and 16000 <= clip.source_rate <= 22050
    spans = L.mask_to_intervals(clip.active_mask(), 30)
    assert len(spans) == 2  # two sentences with a pause between them
    assert spans[0][1] < 2.0 < spans[1][0]


def test_active_mask_has_no_timing_bias():
    # burst from 0.71 s (inside frame 21) to 1.29 s (inside frame 38) at 30 fps
    x = _bursts([(0.71, 1.29)], 2.0, noise_db=-80)
    idx = np.flatnonzero(L.active_mask(x, SR, 30))
    assert idx[0] == 21 and idx[-1] == 38 and idx.size == 18


@pytest.mark.parametrize("src,dst,chunk", [(44100, 16000, 5000), (48000, 16000, 3000), (8000, 16000, 777),
                                           (192000, 16000, 20000), (22050, 16000, 441), (16000, 16000, 100)])
def test_stream_resampler_equals_whole_signal(src, dst, chunk):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(int(src * 0.73)).astype(np.float32) * 0.1
    whole = A.resample(x, src, dst)
    st = A.StreamResampler(src, dst, chunk=chunk)
    i = 0
    while i < x.size:  # ragged blocks
        n = int(rng.integers(1, 3 * chunk))
        st.push(x[i:i + n])
        i += n
    out = st.finish()
    assert out.shape == whole.shape
    np.testing.assert_allclose(out, whole, atol=2e-6)


def test_real_reading_pauses_are_found(speech_dir):
    """LibriVox reading, 20-40 s: eight phrases separated by clear pauses (checked on a plot)."""
    clip = _load_real(str(speech_dir / "threelittlekittens_01_rountreesmith.ogg"))
    part = clip.samples[20 * 16000:40 * 16000]
    spans = L.split_silence(part, 16000, 30)
    assert 6 <= len(spans) <= 10
    assert 0.6 < sum(b - a for a, b in spans) / 20.0 < 0.9
    ct = _load_real(str(speech_dir / "codetalker_man.wav"))
    assert len(L.mask_to_intervals(ct.active_mask(), 30)) >= 3  # "balance, right? ... balance. and ..."
