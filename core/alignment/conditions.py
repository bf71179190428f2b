"""Is a recording clean enough for phone recognition? A note for the user when it is not.

Measured with ``scripts/probe_recording_conditions.py`` (docs/model_results.md, "Recording
conditions"): background noise 20 dB below the speech took a real chapter's lip closures from
85 % to 57 % when the phones were recognised, and left them at 100 % when the transcript was
given; a Wiener noise filter or WPE dereverberation in front of the recogniser raised its phone
agreement but not the closures, so the product says so instead of filtering.

The background level is read where the recogniser heard pauses (so continuous speech, whose
quiet consonants are not background, is never called noisy) and compared with the level of the
speech around them.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from ..phones import PhoneSegment

#: A recording whose pauses are less than this far below its speech is noisy (dB). The clean
#: real recordings measured 39-68 dB; white or pink noise 20 / 15 dB below the speech, 24 / 20.
NOISY_BELOW_DB = 30.0
#: Pauses at least this long are read, this far in from their edges (s).
MIN_PAUSE_S = 0.3
EDGE_S = 0.08
#: Frame rate of the level measurement (Hz) and its window (s).
RATE = 100.0
WINDOW_S = 0.025


def background_gap_db(samples16k, segments: Sequence["PhoneSegment | tuple"],
                      sample_rate: int = 16000) -> Optional[float]:
    """How far (dB) the pauses in ``segments`` lie below the speech: the loud end of the speech
    frames' level (90th percentile) minus the median level inside the pauses. None when there
    is too little pause or speech to say."""
    from ..evaluation.signals import frame_loudness_db

    db = frame_loudness_db(samples16k, sample_rate, RATE, window_s=WINDOW_S)
    t = (np.arange(db.size) + 0.5) / RATE
    pause = np.zeros(db.size, bool)
    speech = np.zeros(db.size, bool)
    for seg in segments:           # PhoneSegment or (phone, start, end)
        phone, a, b = (seg.phone, seg.start, seg.end) if hasattr(seg, "phone") else seg
        inside = (t >= a) & (t < b)
        if phone != "SIL":
            speech |= inside
        elif b - a >= MIN_PAUSE_S:
            pause |= (t >= a + EDGE_S) & (t < b - EDGE_S)
    if pause.sum() < 0.2 * RATE or speech.sum() < 0.5 * RATE:
        return None
    return float(np.percentile(db[speech], 90) - np.median(db[pause]))


def noisy_recording_note(samples16k, segments: Sequence["PhoneSegment | tuple"],
                         sample_rate: int = 16000) -> Optional[str]:
    """A user-facing note when the recording's background is loud enough to cost recognised
    phones (see the module docstring); None otherwise."""
    gap = background_gap_db(samples16k, segments, sample_rate)
    if gap is None or gap >= NOISY_BELOW_DB:
        return None
    return (f"the recording is noisy: its pauses are only {gap:.0f} dB below the speech (clean "
            f"recordings: {NOISY_BELOW_DB:.0f} dB or more), and phones recognised in noise miss "
            f"lip closures; give the spoken words as a transcript (the sidebar's Transcript "
            f"field, or --transcript in batch and on the command line) for exact lip sync, or "
            f"use a cleaner recording")
