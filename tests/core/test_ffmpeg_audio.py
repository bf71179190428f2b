"""core.ffmpeg_audio through core.audio.load_audio: phone recordings (M4A) and video references
(MOV/MP4/WebM) load like a WAV, keep their timing, and fail with clear errors."""
from __future__ import annotations

import subprocess

import numpy as np
import pytest
import soundfile as sf

from core import audio as A
from core import ffmpeg_audio as ff

needs_ffmpeg = pytest.mark.skipif(not ff.available(),
                                  reason="ffmpeg/ffprobe not on PATH (scripts/setup.sh installs them)")
RATE = 48000


def ffmpeg(*args):
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *map(str, args)], check=True)


def click_wav(path, rate=RATE, dur=2.0, at=0.75, channels=1):
    """Low noise with one 1 ms click at ``at`` s in the first channel; returns the samples."""
    x = 1e-3 * np.random.default_rng(0).standard_normal((int(dur * rate), channels)).astype(np.float32)
    x[int(at * rate):int(at * rate) + rate // 1000, 0] = 0.8
    sf.write(path, x, rate, subtype="FLOAT")
    return x


def video(path, wav, **codecs):
    ffmpeg("-f", "lavfi", "-i", "color=c=black:s=32x32:d=2", "-i", wav, "-shortest",
           "-c:v", "mpeg4", "-c:a", codecs.get("audio", "aac"), path)


@needs_ffmpeg
@pytest.mark.parametrize("ext,audio_codec", [("m4a", "aac"), ("mov", "aac"), ("mp4", "aac"),
                                             ("mkv", "libopus")])
def test_containers_load_with_their_timing(tmp_path, ext, audio_codec):
    wav = tmp_path / "click.wav"
    click_wav(wav)
    out = tmp_path / f"line.{ext}"
    if ext == "m4a":
        ffmpeg("-i", wav, "-c:a", audio_codec, out)
    else:
        video(out, wav, audio=audio_codec)
    clip = A.load_audio(out)
    assert clip.sample_rate == 16000 and clip.source_rate == RATE and clip.source_channels == 1
    assert clip.source_format.startswith(ext.upper() + "/") and "ffmpeg" in clip.source_format
    assert clip.source_path == str(out)
    assert abs(clip.duration - 2.0) < 0.03
    # encoder priming is trimmed: the click is where it was (lip sync depends on it)
    assert abs(np.argmax(np.abs(clip.samples)) / 16000 - 0.75) < 0.003


@needs_ffmpeg
@pytest.mark.filterwarnings("ignore::core.audio.AudioWarning")   # a click is not speech
def test_channels_are_averaged_like_a_wav(tmp_path):
    wav = tmp_path / "stereo.wav"
    x = click_wav(wav, channels=2)
    x[:, 1] = 0.0
    sf.write(wav, x, RATE, subtype="FLOAT")
    m4a = tmp_path / "stereo.m4a"
    ffmpeg("-i", wav, "-c:a", "aac", "-b:a", "256k", m4a)
    decoded = tmp_path / "decoded_stereo.wav"           # the same AAC, kept in two channels
    ffmpeg("-i", m4a, "-c:a", "pcm_f32le", decoded)
    clip, ref = A.load_audio(m4a), A.load_audio(decoded)
    assert clip.source_channels == 2 and ref.source_channels == 2
    n = min(clip.samples.size, ref.samples.size)
    np.testing.assert_allclose(clip.samples[:n], ref.samples[:n], atol=1e-4)
    assert 0.3 < np.abs(clip.samples).max() < 0.5        # the left-only click at half level


@needs_ffmpeg
def test_video_without_sound_and_broken_files(tmp_path):
    silent_video = tmp_path / "reference.mp4"
    ffmpeg("-f", "lavfi", "-i", "color=c=black:s=32x32:d=1", "-c:v", "mpeg4", silent_video)
    with pytest.raises(A.AudioEmptyError, match="no audio track"):
        A.load_audio(silent_video)
    fake = tmp_path / "song.m4a"
    fake.write_bytes(b"\x00\x00\x00\x20ftypM4A " + b"\x00" * 100)
    with pytest.raises(A.AudioDecodeError, match="ffmpeg could not read it.*corrupt"):
        A.load_audio(fake)
    wav = tmp_path / "click.wav"
    click_wav(wav)
    good = tmp_path / "good.m4a"
    ffmpeg("-i", wav, "-c:a", "aac", good)
    cut = tmp_path / "cut.m4a"
    cut.write_bytes(good.read_bytes()[:400])
    with pytest.raises(A.AudioDecodeError, match="ffmpeg"):
        A.load_audio(cut)


@needs_ffmpeg
def test_length_is_checked_before_decoding(tmp_path, monkeypatch):
    wav = tmp_path / "long.wav"
    click_wav(wav, dur=5.0)
    m4a = tmp_path / "long.m4a"
    ffmpeg("-i", wav, "-c:a", "aac", m4a)
    called = []
    monkeypatch.setattr(ff, "decode_to_wav", lambda *a, **k: called.append(a))
    with pytest.raises(A.AudioTooLongError, match="at most"):
        A.load_audio(m4a, max_duration=3.0)
    assert called == []


def test_without_ffmpeg_the_error_says_how_to_convert(tmp_path, monkeypatch):
    monkeypatch.setattr(ff, "available", lambda: False)
    m = tmp_path / "phone_memo.m4a"
    m.write_bytes(b"\x00\x00\x00\x20ftypM4A " + b"\x00" * 100)
    with pytest.raises(A.AudioUnsupportedFormat, match=r"install ffmpeg.*ffmpeg -i INPUT"):
        A.load_audio(m)
    wav = tmp_path / "fine.wav"
    click_wav(wav)
    assert A.load_audio(wav).source_format == "WAV/FLOAT"     # libsndfile formats need no ffmpeg
