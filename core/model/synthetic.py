"""A tiny synthetic corpus in the real corpus format, for tests, smoke runs and benchmarks.

Not training data: phones are random, the "audio" is tones/noise per phone and the motion is a
simple hand-made mapping (vowels open the jaw, P/B/M seal the lips, rounded phones pucker,
emotions add smile/frown/brow offsets scaled by intensity). It is learnable on purpose, so tests
can check that training really reduces the losses and that the machinery (features, windows,
exchange pairs, checkpoints) works without TTS, PocketSphinx or ../shared.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..arkit import INDEX
from ..emotions import EMOTIONS
from ..phones import BILABIALS, CONSONANTS, OPEN_VOWELS, PHONES, ROUNDED, VOWELS

SR = 16000
FPS = 30
EMOTION_OFFSETS = {
    "happy": {"mouthSmileLeft": .6, "mouthSmileRight": .6, "cheekSquintLeft": .4, "cheekSquintRight": .4},
    "sad": {"mouthFrownLeft": .5, "mouthFrownRight": .5, "browInnerUp": .6},
    "surprised": {"browOuterUpLeft": .7, "browOuterUpRight": .7, "eyeWideLeft": .6, "eyeWideRight": .6},
    "fearful": {"browInnerUp": .7, "eyeWideLeft": .5, "eyeWideRight": .5, "mouthStretchLeft": .3,
                "mouthStretchRight": .3},
    "disgusted": {"noseSneerLeft": .6, "noseSneerRight": .6, "mouthUpperUpLeft": .3, "mouthUpperUpRight": .3},
    "angry": {"browDownLeft": .7, "browDownRight": .7, "mouthPressLeft": .3, "mouthPressRight": .3},
    "contempt": {"mouthSmileLeft": .5, "mouthDimpleLeft": .3},
}


def random_segments(rng, duration):
    segs, t = [("SIL", 0.0, 0.2)], 0.2
    while t < duration - 0.3:
        if rng.random() < 0.08:
            d = rng.uniform(0.1, 0.25)
            segs.append(("SIL", t, t + d))
        else:
            p = str(rng.choice(VOWELS if len(segs) % 2 else CONSONANTS))
            d = rng.uniform(0.06, 0.16)
            segs.append((p, t, t + d))
        t += d
    segs.append(("SIL", t, duration))
    return segs


def motion_for(segs, n, emotion="neutral", intensity=0.0):
    m = np.zeros((n, 52), np.float32)
    t = (np.arange(n) + 0.5) / FPS
    for p, a, b in segs:
        sel = (t >= a) & (t < b)
        if p in VOWELS:
            m[sel, INDEX["jawOpen"]] = 0.55 if p in OPEN_VOWELS else 0.3
        if p in BILABIALS:
            m[sel, INDEX["mouthClose"]] = m[sel, INDEX["jawOpen"]] = 0.1
            m[sel, INDEX["mouthPressLeft"]] = m[sel, INDEX["mouthPressRight"]] = 0.4
        if p in ROUNDED:
            m[sel, INDEX["mouthPucker"]] = 0.5
            m[sel, INDEX["mouthFunnel"]] = 0.3
    k = np.exp(-0.5 * (np.arange(-3, 4) / 1.2) ** 2)
    k /= k.sum()
    for c in range(52):
        m[:, c] = np.convolve(np.pad(m[:, c], 3, mode="edge"), k, mode="valid")
    for name, v in EMOTION_OFFSETS.get(emotion, {}).items():
        m[:, INDEX[name]] = np.clip(m[:, INDEX[name]] + v * intensity, 0, 1)
    return np.clip(m, 0, 1)


def audio_for(segs, duration, rng):
    x = np.zeros(int(round(duration * SR)), np.float32)
    for p, a, b in segs:
        i0, i1 = int(a * SR), int(b * SR)
        tt = np.arange(i1 - i0) / SR
        if p in VOWELS:
            f = 200 + 60 * VOWELS.index(p)
            x[i0:i1] = 0.3 * np.sin(2 * np.pi * 140 * tt) + 0.2 * np.sin(2 * np.pi * f * 3 * tt)
        elif p != "SIL":
            x[i0:i1] = 0.05 * rng.standard_normal(i1 - i0) * (1 + PHONES.index(p) / 40)
    return x


def make_corpus(out_dir, n_items: int = 12, seed: int = 0, min_dur: float = 2.0,
                max_dur: float = 4.0, voices=("synth_a", "synth_b"), intensities=(0.5, 1.0)) -> Path:
    """Write a synthetic corpus (every emotion at every intensity) and return its directory."""
    import soundfile as sf
    out = Path(out_dir)
    for sub in ("audio", "phones", "motion"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    lines = []
    for i in range(n_items):
        rid = f"syn{i:04d}"
        dur = round(float(rng.uniform(min_dur, max_dur)), 3)
        n = int(round(dur * FPS))
        segs = random_segments(rng, dur)
        sf.write(out / "audio" / f"{rid}.wav", audio_for(segs, dur, rng), SR)
        (out / "phones" / f"{rid}.json").write_text(json.dumps({"segments": segs, "source": "synthetic"}))
        motion = {"neutral@0.00": motion_for(segs, n)}
        for e in EMOTIONS[1:]:
            for it in intensities:
                motion[f"{e}@{it:.2f}"] = motion_for(segs, n, e, it)
        np.savez(out / "motion" / f"{rid}.npz", **motion)
        split = "test" if i % 6 == 5 else ("val" if i % 6 == 4 else "train")
        lines.append(json.dumps({"id": rid, "text": "synthetic", "voice": voices[i % len(voices)],
                                 "split": split, "audio": f"audio/{rid}.wav",
                                 "phones": f"phones/{rid}.json", "motion": f"motion/{rid}.npz",
                                 "duration": dur, "fps": FPS, "augment": {}}))
    (out / "manifest.jsonl").write_text("\n".join(lines) + "\n")
    return out
