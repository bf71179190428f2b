"""Tunable knobs of the choreography (defaults are what the docs renders use)."""
from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class ChoreographyOptions:
    articulation: float = 1.0       # mouth motion strength (scales every mouth parameter's motion)
    rest_jaw: float = 0.03          # relaxed jaw drop at rest (lips stay closed via mouthClose)
    seal_hold: float = 0.035        # s of sealed lips before a P/B burst
    rate_adapt: float = 0.5         # 0: fixed time constants; 1: fully proportional to phone rate
    loudness_ref_db: float = -20.0  # speech level (dBFS RMS) that gives the neutral aperture
    loudness_relative: float = 0.35  # jaw gain change per 10 dB within the take
    loudness_absolute: float = 0.25  # jaw gain change per 10 dB of the take's level vs ref
    blinks: bool = True
    brows: bool = True              # brow emphasis on stressed syllables
    brow_strength: float = 1.0
    saccades: bool = True
    style_variation: float = 0.0    # 0: none; e.g. 0.15: seeded per-take jaw/rounding/spread gains
                                    # and timing lead within +-15 % / +-15 ms (corpus variety)

    @classmethod
    def from_any(cls, options) -> "ChoreographyOptions":
        """Accept None, an instance, or a dict of field values (unknown keys are an error)."""
        if options is None:
            return cls()
        if isinstance(options, cls):
            return options
        if isinstance(options, dict):
            known = {f.name for f in fields(cls)}
            bad = sorted(set(options) - known)
            if bad:
                raise ValueError(f"unknown choreography option(s) {bad}; known: {sorted(known)}")
            return cls(**options)
        raise TypeError(f"options must be a dict or ChoreographyOptions, got {type(options).__name__}")

    def __post_init__(self):
        for name in ("articulation", "rest_jaw", "seal_hold", "rate_adapt", "brow_strength",
                     "loudness_relative", "loudness_absolute", "style_variation"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and v >= 0 and v == v and v != float("inf")):
                raise ValueError(f"option {name} must be a finite number >= 0, got {v!r}")
        if self.style_variation > 0.5:
            raise ValueError(f"option style_variation={self.style_variation} is too large; use <= 0.5")
        if self.rest_jaw > 0.2:
            raise ValueError(f"option rest_jaw={self.rest_jaw} is not a relaxed mouth; use <= 0.2")
