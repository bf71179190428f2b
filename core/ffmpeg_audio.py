"""Audio in containers libsndfile cannot read (M4A/AAC, MP4/MOV video, WMA, ...), via ffmpeg.

Phone recordings (.m4a) and video references (.mov, .mp4) are common sources of dialogue. When
the ``ffmpeg`` and ``ffprobe`` programs are on PATH (Parley's setup installs them on Debian), the
first audio track is decoded to a temporary mono float WAV at its own sample rate. The caller
(``core.audio.load_audio``) then reads that WAV like any other, so the rate, length, silence and
clipping checks and the resampler are the same as for a WAV file. The channels are averaged with
exact gains (``pan``), as ``core.audio`` downmixes. ffmpeg's own default downmix would weight
them differently.

Nothing here is needed for WAV, FLAC, OGG, MP3, AIFF or CAF; without ffmpeg those still load.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

#: Seconds allowed for probing a file / decoding its audio (30 minutes of AAC takes a few seconds).
PROBE_TIMEOUT_S = 60
DECODE_TIMEOUT_S = 600


class FFmpegError(RuntimeError):
    """ffmpeg or ffprobe refused the file; the message is their own last line of complaint."""


@dataclass(frozen=True)
class AudioTrack:
    """The first audio stream of a media file, as ffprobe describes it."""

    codec: str
    channels: int
    sample_rate: int
    duration: float | None


def available() -> bool:
    """Whether both ``ffmpeg`` and ``ffprobe`` are on PATH."""
    return bool(shutil.which("ffmpeg") and shutil.which("ffprobe"))


def _run(cmd: list[str], timeout: float) -> subprocess.CompletedProcess:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise FFmpegError(f"{Path(cmd[0]).name} did not finish within {timeout:.0f} s") from None
    except OSError as exc:
        raise FFmpegError(f"could not run {cmd[0]}: {exc.strerror}") from None
    if done.returncode != 0:
        lines = [ln.strip() for ln in (done.stderr or "").splitlines() if ln.strip()]
        raise FFmpegError(lines[-1] if lines else f"{Path(cmd[0]).name} exit status {done.returncode}")
    return done


def probe(path: str | Path) -> AudioTrack | None:
    """The file's first audio track, or None when it has none (a video without sound)."""
    done = _run([shutil.which("ffprobe") or "ffprobe", "-v", "error", "-select_streams", "a:0",
                 "-show_entries", "stream=codec_name,channels,sample_rate,duration:format=duration",
                 "-of", "json", str(path)], PROBE_TIMEOUT_S)
    try:
        info = json.loads(done.stdout or "{}")
    except json.JSONDecodeError as exc:
        raise FFmpegError(f"ffprobe printed something that is not JSON ({exc})") from None
    streams = info.get("streams") or []
    if not streams:
        return None
    s = streams[0]
    duration = s.get("duration") or (info.get("format") or {}).get("duration")
    try:
        seconds = float(duration) if duration not in (None, "", "N/A") else None
    except ValueError:
        seconds = None
    return AudioTrack(codec=str(s.get("codec_name") or "unknown"),
                      channels=int(s.get("channels") or 0),
                      sample_rate=int(s.get("sample_rate") or 0), duration=seconds)


def decode_to_wav(path: str | Path, out_wav: str | Path, channels: int,
                  max_seconds: float | None = None) -> None:
    """Write the first audio track of ``path`` as a mono 32-bit float WAV at its own rate.

    ``channels``: the track's channel count (from :func:`probe`), averaged with equal gains.
    ``max_seconds``: decode at most this much (a guard when the container gives no duration).
    """
    cmd = [shutil.which("ffmpeg") or "ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-y",
           "-i", str(path), "-map", "0:a:0", "-vn", "-sn", "-dn"]
    if channels > 1:
        gain = f"{1.0 / channels:.9f}"
        cmd += ["-af", "pan=mono|c0=" + "+".join(f"{gain}*c{i}" for i in range(channels))]
    else:
        cmd += ["-ac", "1"]
    if max_seconds is not None:
        cmd += ["-t", f"{max_seconds:.3f}"]
    cmd += ["-c:a", "pcm_f32le", "-f", "wav", str(out_wav)]
    _run(cmd, DECODE_TIMEOUT_S)
