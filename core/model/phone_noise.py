"""Simulated phone-recognition errors: training input for the phone front end.

Why this exists: PocketSphinx recognises the corpus's synthetic voices far worse than real
speech (per-frame phone accuracy 36-48 % on the eSpeak voices and ~60 % on the Festival/Piper
ones, bilabial recall 14-54 %, against ~85 % on real recordings; docs/model_results.md). Trained on
those recognised phones, stage 2 learns that a /p b m/ in its input is mostly absent when the
lips close, so it distrusts the phones exactly where real speech would have given it good ones.
Instead, the corpus's exact phone timings are corrupted on the fly by a generic recogniser error
model (boundary jitter, substitutions that favour look-alike phones, deletions), re-drawn every
time a window is sampled, so the model learns to trust phones that are *usually* right.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from ..phones import PHONE_TO_VISEME, PHONES, SILENCE, VISEMES, PhoneSegment, validate_segments

_SPEECH_PHONES = tuple(p for p in PHONES if p != SILENCE)


@dataclass(frozen=True)
class PhoneNoise:
    """Error rates of the simulated recogniser (per speech segment; jitter per boundary)."""
    substitute: float = 0.10     # a speech phone is replaced ...
    same_viseme: float = 0.5     # ... by one of its viseme class with this probability, else any phone
    delete: float = 0.03         # a speech phone is absorbed by its left neighbour
    jitter_s: float = 0.015      # std of the boundary shift (seconds)
    min_dur_s: float = 0.01      # no segment is made shorter than this

    def __post_init__(self):
        for name in ("substitute", "same_viseme", "delete"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"PhoneNoise.{name} must be in [0, 1], got {v}")
        if self.jitter_s < 0 or self.min_dur_s <= 0:
            raise ValueError("PhoneNoise.jitter_s must be >= 0 and min_dur_s > 0")

    def __call__(self, segments, rng: random.Random) -> list[PhoneSegment]:
        return corrupt_segments(segments, rng, self)


def _substitute(phone: str, rng: random.Random, same_viseme: float) -> str:
    if rng.random() < same_viseme:
        group = [p for p in VISEMES[PHONE_TO_VISEME[phone]] if p != phone]
        if group:
            return rng.choice(group)
    return rng.choice([p for p in _SPEECH_PHONES if p != phone])


def corrupt_segments(segments, rng: random.Random, noise: PhoneNoise = PhoneNoise()) -> list[PhoneSegment]:
    """A plausible recogniser output for ``segments``: same span, perturbed phones and boundaries."""
    segs = []
    for s in validate_segments(segments):             # gaps count as silence (as in phone_track)
        if segs and s.start - segs[-1].end > 1e-6:
            segs.append(PhoneSegment(SILENCE, segs[-1].end, s.start))
        segs.append(s)
    if not segs:
        return []
    phones = [s.phone for s in segs]
    bounds = [segs[0].start] + [s.end for s in segs]
    # boundaries: jitter the interior ones, keeping order and a minimum duration
    for i in range(1, len(bounds) - 1):
        lo, hi = bounds[i - 1] + noise.min_dur_s, bounds[i + 1] - noise.min_dur_s
        if lo < hi:
            bounds[i] = min(hi, max(lo, bounds[i] + rng.gauss(0.0, noise.jitter_s)))
    out: list[list] = []
    for i, p in enumerate(phones):
        a, b = bounds[i], bounds[i + 1]
        if p != SILENCE:
            if out and rng.random() < noise.delete:
                out[-1][2] = b                      # deleted: the left neighbour absorbs it
                continue
            if rng.random() < noise.substitute:
                p = _substitute(p, rng, noise.same_viseme)
        if out and out[-1][0] == p:
            out[-1][2] = b                          # merge equal neighbours, as a recogniser would
        else:
            out.append([p, a, b])
    return [PhoneSegment(p, a, b) for p, a, b in out]
