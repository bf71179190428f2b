"""Seeded audio augmentation that keeps the phone timings true (16 kHz mono float32).

Covers what real recordings throw at the model: vocal effort from whisper to shout (level, a
crude whisper by noise excitation, a bright spectral tilt for shouting, soft clipping), speaking
rate (sox ``tempo``: pitch kept, segment times scaled), pitch (sox ``pitch``: duration kept),
room reverb (exponentially decaying noise impulse response), coloured background noise at a set
SNR, and inserted silent or noise-only stretches labelled ``SIL`` (the face must rest there).
Every parameter drawn is returned so the manifest can record it.
"""
from __future__ import annotations

import shutil
import subprocess

import numpy as np
from scipy.signal import fftconvolve, istft, stft

from ..phones import PhoneSegment

SR = 16000
EFFORTS = ("whisper", "soft", "normal", "loud", "shout")
_EFFORT_P = (0.12, 0.2, 0.43, 0.15, 0.1)
#: target active-speech level range in dBFS for each vocal effort
EFFORT_LEVEL_DB = {"whisper": (-42.0, -32.0), "soft": (-34.0, -26.0), "normal": (-26.0, -18.0),
                   "loud": (-18.0, -12.0), "shout": (-14.0, -7.0)}
NOISE_COLOURS = {"white": 0.0, "pink": 1.0, "brown": 2.0}


# ------------------------------------------------------------------ measurements
def active_rms(x: np.ndarray, sr: int = SR, gate_db: float = -35.0) -> float:
    """RMS over 20 ms frames within ``gate_db`` of the loudest frame (speech, not pauses)."""
    hop = sr // 50
    n = len(x) // hop
    if n == 0:
        return float(np.sqrt(np.mean(x ** 2) + 1e-20))
    p = np.mean(x[: n * hop].reshape(n, hop) ** 2, axis=1) + 1e-20
    keep = p > p.max() * 10 ** (gate_db / 10)
    return float(np.sqrt(p[keep].mean()))


def level_dbfs(x: np.ndarray, sr: int = SR) -> float:
    return 20.0 * np.log10(active_rms(x, sr) + 1e-12)


# ------------------------------------------------------------------ single effects
def apply_gain_db(x: np.ndarray, gain_db: float) -> np.ndarray:
    return (x * 10 ** (gain_db / 20.0)).astype(np.float32)


def soft_limit(x: np.ndarray, ceiling: float = 0.99) -> np.ndarray:
    """Clipping-safe: samples above ~0.7 of the ceiling are bent by tanh, never past it."""
    knee = 0.7 * ceiling
    y = x.astype(np.float32).copy()
    over = np.abs(y) > knee
    if over.any():
        s = np.sign(y[over])
        excess = np.abs(y[over]) - knee
        y[over] = s * (knee + (ceiling - knee) * np.tanh(excess / (ceiling - knee)))
    return y


def whisperize(x: np.ndarray, rng: np.random.Generator, sr: int = SR) -> np.ndarray:
    """Crude whisper: keep the smoothed spectral envelope, replace the excitation with noise.

    The magnitude is smoothed across ~250 Hz so pitch harmonics disappear; random phase
    removes periodicity. Timing and formants survive, voicing does not.
    """
    nper = 512
    _, _, X = stft(x, fs=sr, nperseg=nper, noverlap=nper * 3 // 4)
    mag = np.abs(X)
    width = max(3, int(250 / (sr / nper)))
    kernel = np.ones(width) / width
    smooth = np.apply_along_axis(lambda c: np.convolve(c, kernel, mode="same"), 0, mag)
    phase = np.exp(2j * np.pi * rng.random(X.shape))
    _, y = istft(smooth * phase, fs=sr, nperseg=nper, noverlap=nper * 3 // 4)
    y = y[: len(x)]
    if len(y) < len(x):
        y = np.pad(y, (0, len(x) - len(y)))
    return y.astype(np.float32)


def tilt(x: np.ndarray, amount: float) -> np.ndarray:
    """Brighter spectrum (pre-emphasis mix) as in loud/shouted speech; amount 0..1."""
    emph = np.append(x[0], x[1:] - 0.95 * x[:-1])
    y = (1 - amount) * x + amount * 2.5 * emph
    return y.astype(np.float32)


def sox_tempo_pitch(x: np.ndarray, tempo: float, semitones: float, sr: int = SR) -> np.ndarray:
    """Speaking rate ``tempo`` (1.1 = 10% faster, pitch kept) and pitch shift (duration kept)."""
    if abs(tempo - 1.0) < 1e-6 and abs(semitones) < 1e-6:
        return x.astype(np.float32)
    if shutil.which("sox") is None:
        raise RuntimeError("speed/pitch augmentation needs sox (apt-get install sox)")
    effects = []
    if abs(tempo - 1.0) >= 1e-6:
        effects += ["tempo", "-s", f"{tempo:.5f}"]
    if abs(semitones) >= 1e-6:
        effects += ["pitch", f"{100.0 * semitones:.2f}"]
    fmt = ["-t", "f32", "-r", str(sr), "-c", "1"]
    proc = subprocess.run(["sox", "-D", *fmt, "-", *fmt, "-", *effects],
                          input=x.astype("<f4").tobytes(), capture_output=True, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"sox failed: {proc.stderr.decode(errors='replace')[:300]}")
    return np.frombuffer(proc.stdout, dtype="<f4").astype(np.float32)


def scale_segments(segments, factor: float) -> list[PhoneSegment]:
    """Multiply all times by ``factor`` (new_duration / old_duration)."""
    return [PhoneSegment(s.phone, s.start * factor, s.end * factor) for s in segments]


def room_impulse(rt60: float, rng: np.random.Generator, sr: int = SR) -> np.ndarray:
    """Synthetic room: direct sound plus exponentially decaying noise (60 dB down at rt60)."""
    n = max(1, int(rt60 * sr))
    t = np.arange(n) / sr
    ir = rng.standard_normal(n) * np.exp(-6.9078 * t / rt60)
    ir[: int(0.003 * sr)] = 0.0           # 3 ms gap before the reflections
    ir *= 0.5 / (np.sqrt(np.sum(ir ** 2)) + 1e-12)
    ir[0] = 1.0
    return ir.astype(np.float32)


def reverb(x: np.ndarray, rt60: float, wet: float, rng: np.random.Generator) -> np.ndarray:
    """Convolve with :func:`room_impulse`, mix ``wet`` (0..1), keep length and level."""
    y = fftconvolve(x, room_impulse(rt60, rng))[: len(x)]
    y = (1 - wet) * x + wet * y
    return (y * active_rms(x) / (active_rms(y) + 1e-12)).astype(np.float32)


def coloured_noise(n: int, colour: str, rng: np.random.Generator) -> np.ndarray:
    """Unit-RMS noise with power spectrum ~ 1/f^alpha (white 0, pink 1, brown 2)."""
    if colour not in NOISE_COLOURS:
        raise ValueError(f"unknown noise colour {colour!r}; use {', '.join(NOISE_COLOURS)}")
    spec = rng.standard_normal(n // 2 + 1) + 1j * rng.standard_normal(n // 2 + 1)
    f = np.fft.rfftfreq(n, 1 / SR)
    f[0] = f[1] if n > 1 else 1.0
    spec *= f ** (-NOISE_COLOURS[colour] / 2)
    spec[0] = 0
    y = np.fft.irfft(spec, n)
    return (y / (np.sqrt(np.mean(y ** 2)) + 1e-12)).astype(np.float32)


def add_noise(x: np.ndarray, snr_db: float, colour: str, rng: np.random.Generator,
              speech_rms: float | None = None) -> np.ndarray:
    """Add noise so that active-speech power / noise power = ``snr_db``."""
    ref = active_rms(x) if speech_rms is None else speech_rms
    noise = coloured_noise(len(x), colour, rng) * ref * 10 ** (-snr_db / 20)
    return (x + noise).astype(np.float32)


def insert_stretch(x: np.ndarray, segments, at: float, duration: float, kind: str,
                   rng: np.random.Generator, noise_dbfs: float = -35.0,
                   colour: str = "pink") -> tuple[np.ndarray, list[PhoneSegment]]:
    """Insert ``duration`` s of silence (``kind='silence'``) or noise only (``'noise'``) at
    time ``at``; later segments shift, the stretch is one ``SIL`` segment."""
    if kind not in ("silence", "noise"):
        raise ValueError(f"stretch kind must be 'silence' or 'noise', got {kind!r}")
    i = int(round(at * SR))
    n = int(round(duration * SR))
    at, duration = i / SR, n / SR
    if kind == "silence":
        fill = np.zeros(n, np.float32)
    else:
        fill = coloured_noise(n, colour, rng) * 10 ** (noise_dbfs / 20)
        ramp = min(n // 2, int(0.02 * SR))     # 20 ms fades: no clicks
        if ramp:
            fill[:ramp] *= np.linspace(0, 1, ramp)
            fill[-ramp:] *= np.linspace(1, 0, ramp)
    y = np.concatenate([x[:i], fill, x[i:]]).astype(np.float32)
    out: list[PhoneSegment] = []
    for s in segments:
        if s.end <= at + 1e-9:
            out.append(s)
        elif s.start >= at - 1e-9:
            out.append(PhoneSegment(s.phone, s.start + duration, s.end + duration))
        else:                                 # split a segment that straddles the point
            out.append(PhoneSegment(s.phone, s.start, at))
            out.append(PhoneSegment(s.phone, at + duration, s.end + duration))
    out.append(PhoneSegment("SIL", at, at + duration))
    out.sort(key=lambda s: s.start)
    return y, merge_silences(out)


def merge_silences(segments) -> list[PhoneSegment]:
    out: list[PhoneSegment] = []
    for s in segments:
        if out and s.phone == "SIL" and out[-1].phone == "SIL" and s.start <= out[-1].end + 1e-6:
            out[-1] = PhoneSegment("SIL", out[-1].start, max(out[-1].end, s.end))
        else:
            out.append(s)
    return out


def fill_silence(segments, duration: float) -> list[PhoneSegment]:
    """Cover 0..duration exactly: gaps become SIL, the last segment is clipped."""
    out: list[PhoneSegment] = []
    t = 0.0
    for s in segments:
        a, b = max(s.start, t), min(s.end, duration)
        if a > t + 1e-6:
            out.append(PhoneSegment("SIL", t, a))
        if b > a + 1e-6:
            out.append(PhoneSegment(s.phone, a, b))
            t = b
    if t < duration - 1e-6:
        out.append(PhoneSegment("SIL", t, duration))
    return merge_silences(out)


# ------------------------------------------------------------------ the random recipe
def sample_params(rng: np.random.Generator, strength: float = 1.0) -> dict:
    """Draw one augmentation recipe; ``strength=0`` gives the identity (normal level only)."""
    effort = str(rng.choice(EFFORTS, p=_EFFORT_P))
    lo, hi = EFFORT_LEVEL_DB[effort]
    p = {"effort": effort, "level_dbfs": float(rng.uniform(lo, hi)),
         "tempo": 1.0, "pitch_semitones": 0.0, "reverb": None, "noise": None, "stretches": []}
    if strength <= 0:
        p["effort"], p["level_dbfs"] = "normal", -22.0
        return p
    if rng.random() < 0.7:
        p["tempo"] = float(rng.uniform(0.8, 1.25))
    if rng.random() < 0.6:
        p["pitch_semitones"] = float(rng.uniform(-3.0, 3.0))
    if rng.random() < 0.35:
        p["reverb"] = {"rt60": float(rng.uniform(0.15, 0.9)), "wet": float(rng.uniform(0.2, 0.7))}
    if rng.random() < 0.5:
        p["noise"] = {"snr_db": float(rng.uniform(5.0, 30.0)),
                      "colour": str(rng.choice(list(NOISE_COLOURS)))}
    if rng.random() < 0.4:
        for _ in range(int(rng.integers(1, 3))):
            p["stretches"].append({
                "where": str(rng.choice(["start", "end", "pause"])),
                "duration": float(rng.uniform(0.3, 1.5)),
                "kind": str(rng.choice(["silence", "noise"])),
                "noise_dbfs": float(rng.uniform(-45.0, -25.0)),
                "colour": str(rng.choice(list(NOISE_COLOURS)))})
    return p


def apply(x: np.ndarray, segments, params: dict, rng: np.random.Generator):
    """Apply a recipe from :func:`sample_params` to 16 kHz audio with its phone segments.

    Returns ``(audio, segments, clean_speech)``: ``clean_speech`` is the same timeline without
    background noise or noise-only stretches (what the talker did; the loudness that drives the
    face is measured on it).
    """
    x = np.asarray(x, dtype=np.float32)
    segs = fill_silence(segments, len(x) / SR)
    n0 = len(x)
    x = sox_tempo_pitch(x, params["tempo"], params["pitch_semitones"])
    if len(x) != n0:
        segs = fill_silence(scale_segments(segs, len(x) / n0), len(x) / SR)
    effort = params["effort"]
    if effort == "whisper":
        x = whisperize(x, rng)
    elif effort in ("loud", "shout"):
        x = tilt(x, 0.35 if effort == "loud" else 0.6)
    if params.get("reverb"):
        x = reverb(x, params["reverb"]["rt60"], params["reverb"]["wet"], rng)
    x = apply_gain_db(x, params["level_dbfs"] - level_dbfs(x))
    speech_rms = active_rms(x)
    clean = x.copy()
    for st in params.get("stretches", []):
        dur = len(x) / SR
        if st["where"] == "start":
            at = 0.0
        elif st["where"] == "end":
            at = dur
        else:   # middle of the longest internal pause, else between two words near the middle
            inner = [s for s in segs if s.phone == "SIL" and s.start > 0.05 and s.end < dur - 0.05]
            if inner:
                s = max(inner, key=lambda s: s.duration)
                at = 0.5 * (s.start + s.end)
            else:
                at = min((s.start for s in segs[1:]), key=lambda t: abs(t - dur / 2), default=0.0)
        x, new_segs = insert_stretch(x, segs, at, st["duration"], st["kind"], rng,
                                     st["noise_dbfs"], st["colour"])
        clean, _ = insert_stretch(clean, segs, at, st["duration"], "silence", rng)
        segs = new_segs
    if params.get("noise"):
        x = add_noise(x, params["noise"]["snr_db"], params["noise"]["colour"], rng,
                      speech_rms=speech_rms)
    x = soft_limit(x)
    return x, fill_silence(segs, len(x) / SR), clean
