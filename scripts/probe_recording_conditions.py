"""Does a take survive ordinary recording conditions? Each clip is degraded the way real
recordings are (room noise, hum, reverberation, a telephone band, clipping, a low sample rate)
and the product's engine (``core.engine.generate_take``, default settings, no transcript) is run
on the clean and every degraded copy. Every take is scored against the forced alignment of the
*clean* clip's transcript, with the clean audio for loudness, so the figures say what the
degradation cost the user, not how well the engine agrees with itself.

Degradations are fixed and seeded (no tuning knob): they stand for conditions, not for any clip.

    PYTHONPATH=. .venv/bin/python scripts/probe_recording_conditions.py ../shared/speech \
        --seconds 60 --out /tmp/conditions.json
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from scipy import signal

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from core.alignment import align_long, phone_overlap_accuracy  # noqa: E402
from core.audio import load_audio  # noqa: E402
from core.engine import generate_take  # noqa: E402
from core.evaluation import evaluate_take  # noqa: E402
from core.model.evaluate import read_transcripts  # noqa: E402

SR = 16000
KEYS = ("bilabial_closure_rate", "bilabial_events", "silent_rest_rate", "loudness_aperture_r",
        "av_lag_ms")


def _rms(x):
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)) + 1e-20))


def _noise(x, snr_db, colour, rng):
    n = rng.standard_normal(len(x))
    if colour == "pink":            # 1/f power: filter white noise by 1/sqrt(f)
        spec = np.fft.rfft(n)
        f = np.fft.rfftfreq(len(n), 1 / SR)
        spec /= np.sqrt(np.maximum(f, 20.0))
        n = np.fft.irfft(spec, len(n))
    return x + n * (_rms(x) / _rms(n)) * 10 ** (-snr_db / 20)


def _reverb(x, rt60, drr_db, rng):
    """A room: the direct sound plus a diffuse tail (exponentially decaying noise, ``rt60`` s)
    whose energy is ``drr_db`` below the direct sound's (a close microphone: DRR > 0)."""
    t = np.arange(1, int(rt60 * SR)) / SR
    tail = rng.standard_normal(len(t)) * np.exp(-6.9 * t / rt60)
    tail *= np.sqrt(10 ** (-drr_db / 10) / np.sum(tail ** 2))
    rir = np.concatenate([[1.0], tail])
    y = signal.fftconvolve(x, rir)[: len(x)]
    return y * (np.abs(x).max() / max(np.abs(y).max(), 1e-9))


def _telephone(x):
    b, a = signal.butter(4, [300, 3400], btype="band", fs=SR)
    y = signal.lfilter(b, a, x)
    return signal.resample_poly(signal.resample_poly(y, 1, 2), 2, 1)


def _clip(x, gain_db):
    return np.clip(x * 10 ** (gain_db / 20) / max(np.abs(x).max(), 1e-9), -1.0, 1.0)


def _hum(x, rng):
    t = np.arange(len(x)) / SR
    hum = sum(np.sin(2 * np.pi * 50 * k * t) / k for k in (1, 2, 3))
    return x + hum * _rms(x) * 10 ** (-15 / 20) / _rms(hum) + 0.05 * np.abs(x).max()


def conditions(x, seed=0):
    """``{name: degraded copy}``; the same seed gives the same copies."""
    rng = lambda k: np.random.default_rng(seed * 100 + k)  # noqa: E731
    out = {
        "clean": x,
        "white noise 20 dB SNR": _noise(x, 20, "white", rng(1)),
        "white noise 10 dB SNR": _noise(x, 10, "white", rng(2)),
        "pink noise 15 dB SNR": _noise(x, 15, "pink", rng(3)),
        "mains hum -15 dB + DC": _hum(x, rng(4)),
        "room reverb RT60 0.5 s, DRR +3 dB": _reverb(x, 0.5, 3.0, rng(5)),
        "far microphone RT60 0.5 s, DRR -6 dB": _reverb(x, 0.5, -6.0, rng(6)),
        "telephone band 300-3400 Hz": _telephone(x),
        "clipped (+12 dB into full scale)": _clip(x, 12),
    }
    return {k: np.clip(v, -1, 1).astype(np.float32) for k, v in out.items()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("speech_dir")
    ap.add_argument("--seconds", type=float, default=60.0, help="first N seconds of each clip")
    ap.add_argument("--template", default=str(REPO.parent / "shared/flame/FLAME_template.ply"))
    ap.add_argument("--engine", default="auto")
    ap.add_argument("--only", nargs="*", help="conditions whose name starts with one of these")
    ap.add_argument("--transcript", action="store_true",
                    help="give the engine the clip's transcript (the sidebar's Transcript field)")
    ap.add_argument("--out")
    args = ap.parse_args(argv)
    from core.rig import FlameRig
    rig = FlameRig.from_ply(args.template)
    res = {}
    for name, text in read_transcripts(args.speech_dir).items():
        x = load_audio(Path(args.speech_dir) / name).samples
        full = align_long(x, text)
        if len(x) > args.seconds * SR:   # cut after the last word that ends before N s
            words = [w for w in full.words if w.end <= args.seconds]
            later = [w.start for w in full.words if w.end > args.seconds]
            cut = min(words[-1].end + 0.3, later[0] if later else len(x) / SR)
            x, text = x[: int(cut * SR)], " ".join(w.word for w in words)
            ref = [s for s in full.phones if s.end <= cut]
        else:
            ref = full.phones
        clean_rec = None
        for cond, y in conditions(x).items():
            if args.only and cond != "clean" and not any(cond.startswith(o) for o in args.only):
                continue
            t = time.perf_counter()
            take = generate_take(y, fps=30.0, engine=args.engine,
                                 transcript=text if args.transcript else None)
            dt = time.perf_counter() - t
            n = min(len(take.weights30), int(len(x) / SR * 30))
            m = evaluate_take(take.weights30[:n], 30.0, ref, x, rig=rig)
            row = {k: float(m[k]) for k in KEYS}
            row["seconds_to_take"] = dt
            row["noisy_note"] = any("noisy" in note for note in take.notes)
            if clean_rec is None:
                clean_rec = take.segments
            row["phone_agreement_with_clean"] = float(phone_overlap_accuracy(clean_rec,
                                                                            take.segments))
            res.setdefault(name, {})[cond] = row
            print(f"{name[:34]:34s} {cond:34s} closure {row['bilabial_closure_rate']:.2f} "
                  f"({row['bilabial_events']:.0f}) rest {row['silent_rest_rate']:.2f} "
                  f"r {row['loudness_aperture_r']:.2f} lag {row['av_lag_ms']:+.0f} ms "
                  f"agree {row['phone_agreement_with_clean']:.2f} note {'y' if row['noisy_note'] else '-'} "
                  f"({dt:.1f} s)", flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
