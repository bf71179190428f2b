"""Audio in: any file or array -> float32 mono 16 kHz ``AudioClip`` with loudness statistics.

Formats: decoding is done by libsndfile through ``soundfile``. Verified here with libsndfile 1.2.2:
WAV (PCM 8/16/24/32-bit, float, double; also WAVEX/RF64/W64), FLAC (16/24-bit), OGG (Vorbis and
Opus), MP3 (needs libsndfile >= 1.1; ``MP3_SUPPORTED`` says whether this install has it), AIFF, CAF.
Containers libsndfile does not read (M4A/AAC, MP4/MOV/MKV/WebM video, WMA, AMR; MP3 without
libsndfile support) are decoded through ffmpeg when it is on PATH (``core.ffmpeg_audio``: first
audio track, channels averaged, then the same checks as a WAV); without ffmpeg they are refused
with a message that says how to convert them.

Input limits: sample rate 8-192 kHz, any number of channels (mono = mean of channels), at most
``MAX_DURATION_S`` (30 minutes) unless ``max_duration`` says otherwise. The length is read from the
header before anything is decoded. Decoding, downmix and resampling run block by block
(``StreamResampler``), so the source-rate signal is never held whole; the 16 kHz result and its
analysis need roughly 20 bytes per output sample (about 0.6 GB peak for 29 minutes).

Resampling: ``scipy.signal.resample_poly`` with the exact rational factor (44.1 -> 16 kHz is
160/441), which keeps pitch, level and timing (tested with sines and clicks).

Errors are ``AudioError`` subclasses (also ``ValueError``) whose messages say what to do.
An all-silent clip is not an error: the clip gets ``silent=True``, a message in ``warnings`` and an
``AudioWarning`` is issued.
"""
from __future__ import annotations

import io
import math
import os
import warnings as _warnings
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np
import soundfile as sf

from . import loudness as _ld
from .loudness import active_mask, loudness_envelope, split_silence  # noqa: F401  (re-exported)

TARGET_RATE = 16000
MIN_RATE = 8000
MAX_RATE = 192000
MAX_DURATION_S = 30 * 60.0
MAX_CHANNELS = 64
MP3_SUPPORTED = "MP3" in sf.available_formats()
SUPPORTED_FORMATS = ("WAV", "FLAC", "OGG (Vorbis/Opus)") + (("MP3",) if MP3_SUPPORTED else ()) + ("AIFF", "CAF")
_UNSUPPORTED_EXT = {".m4a", ".aac", ".mp4", ".m4v", ".mov", ".wma", ".webm", ".mkv", ".avi", ".amr"}
_CONVERT_HINT = "convert it first, e.g. `ffmpeg -i INPUT -ac 1 -ar 16000 output.wav`"


class AudioError(ValueError):
    """Base of every audio input problem (a ValueError, so generic handlers catch it too)."""


class AudioFileNotFound(AudioError, FileNotFoundError):
    pass


class AudioDecodeError(AudioError):
    """The file exists but could not be decoded (corrupt, truncated header, not audio)."""


class AudioUnsupportedFormat(AudioDecodeError):
    pass


class AudioEmptyError(AudioError):
    pass


class AudioTooLongError(AudioError):
    pass


class AudioInvalidSamples(AudioError):
    """NaN/inf samples, wrong array shape or dtype."""


class AudioSampleRateError(AudioError):
    pass


class AudioWarning(UserWarning):
    """Usable but suspicious audio (all-silent, clipped)."""


def _fmt_time(seconds: float) -> str:
    m, s = divmod(seconds, 60.0)
    return f"{int(m)} min {s:.1f} s" if m else f"{s:.2f} s"


@dataclass(frozen=True, eq=False)
class AudioClip:
    """Mono float32 audio at ``sample_rate`` plus where it came from and how loud it is.

    Levels: dBFS re. full scale 1.0 (floored at -100); ``integrated_lufs`` is a BS.1770-style gated
    loudness of this mono signal (see ``core.loudness``); ``active_ratio`` is the fraction of 30 fps
    frames the energy detector calls speech.
    """

    samples: np.ndarray
    sample_rate: int
    source_rate: int
    source_channels: int
    source_format: str
    duration: float
    peak_dbfs: float
    rms_dbfs: float
    integrated_lufs: float
    active_ratio: float
    silent: bool
    warnings: tuple[str, ...] = ()
    source_path: str | None = None

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_array(cls, samples, sample_rate, *, target_rate: int = TARGET_RATE,
                   max_duration: float | None = MAX_DURATION_S, source_format: str | None = None,
                   source_path: str | None = None, name: str = "audio array") -> "AudioClip":
        """Build a clip from in-memory audio: 1-D mono or 2-D ``[frames, channels]`` (soundfile
        layout). Integer PCM (int16/int32/uint8) is scaled to -1..1; float is taken as is."""
        rate = _check_rate(sample_rate, name)
        x = np.asarray(samples)
        if x.dtype == object or not (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
            raise AudioInvalidSamples(f"{name}: samples must be a numeric array, got dtype {x.dtype}")
        if x.ndim == 1:
            x = x[:, None]
        elif x.ndim != 2:
            raise AudioInvalidSamples(f"{name}: expected 1-D mono or 2-D [frames, channels], got shape {x.shape}")
        if x.shape[1] > MAX_CHANNELS:
            raise AudioInvalidSamples(
                f"{name}: {x.shape[1]} channels (shape {x.shape}); the layout is [frames, channels] -- "
                f"if you passed [channels, frames], transpose it (at most {MAX_CHANNELS} channels)")
        if x.shape[1] == 0:
            raise AudioEmptyError(f"{name}: the array has no channels (shape {x.shape})")
        frames, channels = x.shape
        if frames == 0:
            raise AudioEmptyError(f"{name}: contains no samples (zero length); give it at least a "
                                  f"few hundred milliseconds of speech")
        check_length(frames / rate, max_duration, name)
        fmt = source_format or f"array/{x.dtype}"
        return cls._from_mono(_downmix(_to_float(x, name), name, rate), rate, channels, fmt,
                              target_rate, source_path, name)

    @classmethod
    def _from_mono(cls, mono: np.ndarray, rate: int, channels: int, fmt: str, target_rate: int,
                   source_path: str | None, name: str) -> "AudioClip":
        clipped = int(np.count_nonzero(np.abs(mono) >= 0.999))
        return cls._finish(resample(mono, rate, target_rate), target_rate, rate, channels, fmt, clipped,
                           source_path, name)

    @classmethod
    def _finish(cls, out: np.ndarray, target_rate: int, rate: int, channels: int, fmt: str, clipped: int,
                source_path: str | None, name: str) -> "AudioClip":
        """Loudness statistics and warnings on the resampled mono signal."""
        stats = _ld.loudness_stats(out, target_rate)
        notes = []
        if stats["silent"]:
            notes.append(f"{name} is silent (peak {stats['peak_dbfs']:.1f} dBFS, below "
                         f"{_ld.SILENT_PEAK_DBFS:.0f} dBFS): the face will stay at rest; check the "
                         f"track is not muted or empty")
        elif stats["active_ratio"] == 0.0:
            notes.append(f"{name}: no speech-like activity found (peak {stats['peak_dbfs']:.1f} dBFS)")
        if clipped >= 3:
            notes.append(f"{name}: {clipped} samples at or over full scale (clipping); loudness-driven "
                         f"motion may be exaggerated")
        for n in notes:
            _warnings.warn(n, AudioWarning, stacklevel=4)
        return cls(samples=out, sample_rate=int(target_rate), source_rate=int(rate),
                   source_channels=int(channels), source_format=fmt,
                   duration=out.size / float(target_rate), warnings=tuple(notes),
                   source_path=source_path, **stats)

    # -- derived ------------------------------------------------------------------------------
    def num_frames(self, fps: float = 30.0) -> int:
        """Frames of a take covering this clip: ``round(duration * fps)``."""
        return _ld.num_frames_for(self.duration, fps)

    def envelope(self, fps: float = 30.0, **kwargs) -> np.ndarray:
        """Per-frame RMS dBFS (see ``core.loudness.loudness_envelope``)."""
        return _ld.loudness_envelope(self.samples, self.sample_rate, fps, **kwargs)

    def active_mask(self, fps: float = 30.0, **kwargs) -> np.ndarray:
        """Per-frame speech/silence (see ``core.loudness.active_mask``)."""
        return _ld.active_mask(self.samples, self.sample_rate, fps, **kwargs)

    def to_dict(self) -> dict:
        """JSON-ready summary (no samples)."""
        return {"path": self.source_path, "format": self.source_format, "source_rate": self.source_rate,
                "source_channels": self.source_channels, "sample_rate": self.sample_rate,
                "duration": round(self.duration, 4), "peak_dbfs": round(self.peak_dbfs, 2),
                "rms_dbfs": round(self.rms_dbfs, 2), "integrated_lufs": round(self.integrated_lufs, 2),
                "active_ratio": round(self.active_ratio, 4), "silent": self.silent,
                "warnings": list(self.warnings)}


# -- helpers ------------------------------------------------------------------------------------
def _check_rate(rate, name: str) -> int:
    if isinstance(rate, (float, np.floating)) and float(rate).is_integer():
        rate = int(rate)
    if not isinstance(rate, (int, np.integer)) or isinstance(rate, bool):
        raise AudioSampleRateError(f"{name}: sample rate must be a whole number of Hz, got {rate!r}")
    if not MIN_RATE <= rate <= MAX_RATE:
        raise AudioSampleRateError(
            f"{name}: sample rate {rate} Hz is outside the supported {MIN_RATE}-{MAX_RATE} Hz; "
            f"resample it, e.g. `ffmpeg -i INPUT -ar 16000 output.wav`")
    return int(rate)


def check_length(duration: float, max_duration: float | None, name: str) -> None:
    """Raise ``AudioTooLongError`` (saying how to split it) when ``duration`` s is over the limit."""
    if max_duration is not None and duration > max_duration:
        raise AudioTooLongError(
            f"{name} is {_fmt_time(duration)} long; at most {_fmt_time(max_duration)} is supported "
            f"per take -- split it into shorter pieces (or pass a larger max_duration)")


def _to_float(x: np.ndarray, name: str) -> np.ndarray:
    if x.dtype == np.uint8:
        y = (x.astype(np.float32) - 128.0) / 128.0
    elif np.issubdtype(x.dtype, np.signedinteger):
        y = x.astype(np.float32) / float(2 ** (8 * x.dtype.itemsize - 1))
    elif np.issubdtype(x.dtype, np.floating):
        y = x.astype(np.float32, copy=False)
    else:
        raise AudioInvalidSamples(f"{name}: unsupported sample dtype {x.dtype}; use float32 or int16/int32 PCM")
    return y


def _check_finite(x: np.ndarray, name: str, rate: int, offset: int = 0) -> None:
    bad = ~np.isfinite(x)
    if bad.any():
        first = int(np.argmax(bad.any(axis=1) if bad.ndim == 2 else bad)) + offset
        raise AudioInvalidSamples(
            f"{name}: contains {int(bad.sum())} NaN/inf sample values (first at {first / rate:.3f} s); "
            f"the file is damaged or was written from a broken float buffer -- re-export it")


def _downmix(x: np.ndarray, name: str, rate: int) -> np.ndarray:
    _check_finite(x, name, rate)
    return x.mean(axis=1, dtype=np.float64).astype(np.float32) if x.shape[1] > 1 else x[:, 0].copy()


def resample(samples, source_rate: int, target_rate: int = TARGET_RATE) -> np.ndarray:
    """Polyphase resampling by the exact ratio ``target/source`` (float32 in, float32 out)."""
    x = np.asarray(samples, dtype=np.float32)
    ratio = Fraction(int(target_rate), int(source_rate))
    if ratio == 1:
        return x.copy()
    from scipy.signal import resample_poly  # lazy: scipy.signal takes ~1 s to import

    return resample_poly(x, ratio.numerator, ratio.denominator).astype(np.float32, copy=False)


class StreamResampler:
    """``resample`` fed block by block, with the same output (to float rounding).

    Why: a 30-minute 48 kHz file then never sits in memory at its source rate. Each chunk starts at
    a multiple of ``down`` input samples (so its outputs land on the global output grid) and is
    filtered with ``margin`` extra input samples on both sides, more than the filter's reach.
    """

    def __init__(self, source_rate: int, target_rate: int = TARGET_RATE, chunk: int = 1 << 18):
        r = Fraction(int(target_rate), int(source_rate))
        self.up, self.down = r.numerator, r.denominator
        self._parts: list[np.ndarray] = []
        self._buf = np.zeros(0, np.float32)
        self._buf_start = 0   # input index of _buf[0]
        self._next = 0        # input index where the next chunk starts (a multiple of down)
        self.n_in = 0
        if r != 1:
            from scipy.signal import firwin

            max_rate = max(self.up, self.down)
            half = 10 * max_rate  # the filter resample_poly designs by default
            self._h = firwin(2 * half + 1, 1.0 / max_rate, window=("kaiser", 5.0)).astype(np.float32)
            reach = half // self.up + 2
            self.margin = self.down * -(-reach // self.down)
            self.chunk = self.down * max(1, chunk // self.down)

    def push(self, block: np.ndarray) -> None:
        x = np.asarray(block, dtype=np.float32)
        self.n_in += x.size
        if self.up == self.down:
            self._parts.append(x.copy())
            return
        self._buf = np.concatenate([self._buf, x])
        while self.n_in - self._next >= self.chunk + self.margin:
            self._emit(self._next + self.chunk, final=False)

    def _emit(self, end: int, final: bool) -> None:
        start = self._next
        a = max(0, start - self.margin)
        b = self.n_in if final else end + self.margin
        seg = self._buf[a - self._buf_start:b - self._buf_start]
        from scipy.signal import resample_poly

        y = resample_poly(seg, self.up, self.down, window=self._h)
        j0 = (start - a) * self.up // self.down
        j1 = y.size if final else (end - a) * self.up // self.down
        self._parts.append(y[j0:j1].astype(np.float32, copy=False))
        self._next = end
        keep = max(0, end - self.margin)
        self._buf = self._buf[keep - self._buf_start:]
        self._buf_start = keep

    def finish(self) -> np.ndarray:
        if self.up != self.down and self.n_in > self._next:
            self._emit(self.n_in, final=True)
        self._buf = np.zeros(0, np.float32)
        return np.concatenate(self._parts) if self._parts else np.zeros(0, np.float32)


def _decode(handle, name: str, max_duration: float | None, target_rate: int, source_path: str | None) -> AudioClip:
    """Shared body of ``load_audio``/``decode_bytes``: header checks, then block-wise decode."""
    stream, rate = None, 0
    try:
        with sf.SoundFile(handle) as f:
            rate, channels, frames = f.samplerate, f.channels, f.frames
            fmt = f"{f.format}/{f.subtype}"
            rate = _check_rate(rate, name)
            if frames == 0:
                raise AudioEmptyError(f"{name} has no audio samples (zero length); record or export it again")
            check_length(frames / rate, max_duration, name)
            stream = StreamResampler(rate, target_rate)
            clipped = 0
            for block in f.blocks(blocksize=1 << 18, dtype="float32", always_2d=True):
                _check_finite(block, name, rate, offset=stream.n_in)
                mono = block.mean(axis=1) if channels > 1 else block[:, 0]
                clipped += int(np.count_nonzero(np.abs(mono) >= 0.999))
                stream.push(mono)
                if max_duration is not None and stream.n_in > (max_duration + 1.0) * rate:
                    check_length(stream.n_in / rate, max_duration, name)  # header under-reported
    except AudioError:
        raise
    except (sf.LibsndfileError, RuntimeError, EOFError) as exc:
        where = f" after {stream.n_in / rate:.2f} s" if stream is not None and stream.n_in else ""
        raise _decode_error(name, exc, where) from None
    if stream.n_in == 0:
        raise AudioEmptyError(f"{name}: decoded to zero samples (the file may be truncated); export it again")
    out = stream.finish()
    return AudioClip._finish(out, target_rate, rate, channels, fmt, clipped, source_path, name)


def _decode_error(name: str, exc: Exception, where: str = "") -> AudioDecodeError:
    return AudioDecodeError(
        f"{name}: could not decode the audio{where} ({exc}). The file is corrupt, truncated or not an audio "
        f"file. Supported: {', '.join(SUPPORTED_FORMATS)}, and through ffmpeg M4A/AAC, MP4/MOV, WMA; "
        f"otherwise {_CONVERT_HINT}")


def _needs_ffmpeg(path: Path) -> bool:
    ext = path.suffix.lower()
    return ext in _UNSUPPORTED_EXT or (ext == ".mp3" and not MP3_SUPPORTED)


def _decode_with_ffmpeg(p: Path, name: str, max_duration: float | None, target_rate: int) -> AudioClip:
    """A container libsndfile cannot read: its first audio track through ffmpeg, then ``_decode``."""
    import tempfile
    from dataclasses import replace

    from . import ffmpeg_audio as ff

    ext = p.suffix.lower()
    if not ff.available():
        raise AudioUnsupportedFormat(
            f"{name}: '{ext}' files are read through ffmpeg, which is not installed here (without it: "
            f"{', '.join(SUPPORTED_FORMATS)}); install ffmpeg (e.g. `apt-get install ffmpeg`) or "
            f"{_CONVERT_HINT}")
    try:
        track = ff.probe(p)
    except ff.FFmpegError as exc:
        raise AudioDecodeError(f"{name}: ffmpeg could not read it ({exc}); the file is corrupt, truncated "
                               f"or not a media file") from None
    if track is None:
        raise AudioEmptyError(f"{name} has no audio track (a video without sound?); choose the file "
                              f"that holds the dialogue")
    if track.duration is not None:
        check_length(track.duration, max_duration, name)
    with tempfile.TemporaryDirectory(prefix="parley-ffmpeg-") as tmp:
        wav = Path(tmp) / "decoded.wav"
        try:
            ff.decode_to_wav(p, wav, track.channels,
                             None if max_duration is None else max_duration + 1.0)
        except ff.FFmpegError as exc:
            raise AudioDecodeError(f"{name}: ffmpeg could not decode its audio ({exc}); the file is "
                                   f"corrupt or truncated, or {_CONVERT_HINT}") from None
        clip = _decode(str(wav), name, max_duration, target_rate, None)
    return replace(clip, source_path=str(p), source_channels=track.channels or clip.source_channels,
                   source_format=f"{ext[1:].upper()}/{track.codec} (via ffmpeg)")


def load_audio(path, *, target_rate: int = TARGET_RATE, max_duration: float | None = MAX_DURATION_S) -> AudioClip:
    """Read an audio file into a mono ``target_rate`` float32 ``AudioClip`` (see module docstring)."""
    p = Path(os.fspath(path)).expanduser()
    name = f"audio file '{p}'"
    if not p.exists():
        raise AudioFileNotFound(f"{name} does not exist; check the path (working directory: {Path.cwd()})")
    if p.is_dir():
        raise AudioFileNotFound(f"{name} is a folder, not an audio file")
    if p.stat().st_size == 0:
        raise AudioEmptyError(f"{name} is empty (0 bytes); export the audio again")
    try:
        with open(p, "rb"):
            pass
    except OSError as exc:
        raise AudioDecodeError(f"{name} cannot be opened: {exc.strerror}; check its permissions") from None
    if _needs_ffmpeg(p):
        return _decode_with_ffmpeg(p, name, max_duration, target_rate)
    return _decode(str(p), name, max_duration, target_rate, str(p))


def decode_bytes(data: bytes, *, target_rate: int = TARGET_RATE, max_duration: float | None = MAX_DURATION_S,
                 name: str = "audio data") -> AudioClip:
    """Decode a complete audio file held in memory (e.g. a Blender packed sound's ``packed_file.data``)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise AudioInvalidSamples(f"{name}: expected bytes, got {type(data).__name__}")
    if len(data) == 0:
        raise AudioEmptyError(f"{name} is empty (0 bytes)")
    return _decode(io.BytesIO(bytes(data)), name, max_duration, target_rate, None)


def describe(clip: AudioClip) -> str:
    """Human-readable multi-line summary (used by ``python -m core audio-info``)."""
    lines = [
        f"{clip.source_path or 'audio'}",
        f"  format      {clip.source_format}, {clip.source_rate} Hz, {clip.source_channels} ch"
        f" -> mono {clip.sample_rate} Hz",
        f"  duration    {clip.duration:.3f} s ({clip.num_frames(30)} frames at 30 fps)",
        f"  level       peak {clip.peak_dbfs:.1f} dBFS, RMS {clip.rms_dbfs:.1f} dBFS, "
        f"integrated {clip.integrated_lufs:.1f} LUFS (BS.1770-style, mono)",
        f"  activity    {100 * clip.active_ratio:.0f}% of frames speech" + ("  [SILENT]" if clip.silent else ""),
    ]
    lines += [f"  warning     {w}" for w in clip.warnings]
    return "\n".join(lines)


def register_cli(sub) -> None:
    """``audio-info PATH...``: format, rate, channels, duration, loudness and warnings per file."""
    p = sub.add_parser("audio-info", help="describe audio files (format, rate, loudness, warnings)",
                       description=register_cli.__doc__)
    p.add_argument("paths", nargs="+", metavar="PATH", help="audio files (WAV/FLAC/OGG/MP3/...)")
    p.add_argument("--json", action="store_true", help="print one JSON object per line")
    p.add_argument("--max-duration", type=float, default=MAX_DURATION_S, metavar="SECONDS",
                   help=f"refuse longer files (default {MAX_DURATION_S:.0f})")
    p.set_defaults(func=_cli_audio_info)


def _cli_audio_info(args) -> int:
    import json
    import sys
    failed = 0
    for path in args.paths:
        try:
            with _warnings.catch_warnings():
                _warnings.simplefilter("ignore", AudioWarning)  # shown in the report instead
                clip = load_audio(path, max_duration=args.max_duration)
        except AudioError as exc:
            failed += 1
            if args.json:
                print(json.dumps({"path": str(path), "error": str(exc), "kind": type(exc).__name__}))
            print(f"parley audio-info: error: {exc}", file=sys.stderr)
            continue
        print(json.dumps(clip.to_dict()) if args.json else describe(clip))
    return 2 if failed else 0
