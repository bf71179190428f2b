"""Agreement between two phone timings (e.g. recognised vs forced-aligned), frame by frame."""
from __future__ import annotations

import numpy as np

from ..phones import PHONE_INDEX, PHONE_TO_VISEME, VISEME_NAMES, frame_labels, normalize_phone


def phone_overlap_accuracy(reference, hypothesis, step: float = 0.01,
                           level: str = "phone", speech_only: bool = True) -> float:
    """Fraction of ``step``-second frames whose label agrees in both sequences.

    ``level="phone"`` compares ARPAbet phones, ``"viseme"`` compares viseme classes (what the
    lips can show). ``speech_only`` scores only frames that are speech in the reference.
    """
    if level not in ("phone", "viseme"):
        raise ValueError(f"level must be 'phone' or 'viseme', got {level!r}")
    if not reference:
        raise ValueError("reference phone sequence is empty")
    end = max(s.end for s in reference)
    n = max(1, int(round(end / step)))
    ref = frame_labels(reference, n, 1.0 / step)
    hyp = frame_labels(hypothesis, n, 1.0 / step)
    if level == "viseme":
        vmap = np.array([VISEME_NAMES.index(PHONE_TO_VISEME[p]) for p in PHONE_INDEX])
        ref, hyp = vmap[ref], vmap[hyp]
        sil = VISEME_NAMES.index(PHONE_TO_VISEME[normalize_phone("SIL")])
    else:
        sil = PHONE_INDEX["SIL"]
    mask = ref != sil if speech_only else np.ones(n, dtype=bool)
    if not mask.any():
        raise ValueError("reference has no speech frames to compare")
    return float(np.mean(ref[mask] == hyp[mask]))
