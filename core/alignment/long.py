"""Forced alignment of long recordings (minutes): align words once, then phones per chunk.

A single phone-level pass over minutes of audio is slow and one bad stretch (a transcript
error, a cough) can drag every later phone. ``align_long`` first runs the cheap word-level
alignment over the whole file, cuts it into chunks of at most ``max_chunk_s`` at pauses the
aligner found between words, and then aligns each chunk separately (its own cepstral
normalisation, its own two passes). A chunk that fails is kept as ``SIL`` with a warning
instead of failing the whole recording.
"""
from __future__ import annotations

import logging
import time

import numpy as np

from ..phones import PhoneSegment
from .sphinx import (SAMPLE_RATE, AlignmentError, AlignResult, align_detailed, tile_segments,
                     to_pcm16, word_pass)

log = logging.getLogger(__name__)


def _cut_points(segs, duration: float, max_chunk_s: float, min_pause_s: float) -> list[float]:
    """Times (s) in the middle of pauses so that no chunk is longer than ``max_chunk_s``."""
    pauses = [((a + b) / 2, b - a) for w, a, b in segs if w is None and b - a >= min_pause_s]
    cuts: list[float] = []
    start = 0.0
    while duration - start > max_chunk_s:
        window = [(t, d) for t, d in pauses if start + 0.25 * max_chunk_s < t <= start + max_chunk_s]
        if not window:  # no pause: cut between words instead
            window = [(b, 0.0) for w, a, b in segs
                      if w is not None and start + 0.25 * max_chunk_s < b <= start + max_chunk_s]
        if not window:
            raise AlignmentError(f"no word boundary found between {start:.1f} s and "
                                 f"{start + max_chunk_s:.1f} s; increase max_chunk_s")
        # the longest pause in the last half of the window is the safest cut
        late = [p for p in window if p[0] > start + 0.5 * max_chunk_s] or window
        t = max(late, key=lambda p: p[1])[0]
        cuts.append(t)
        start = t
    return cuts


def align_long(samples16k, transcript: str, sample_rate: int = SAMPLE_RATE,
               max_chunk_s: float = 30.0, min_pause_s: float = 0.15) -> AlignResult:
    """Align a long recording with its transcript; same output as ``align_detailed``.

    Short clips (<= ``max_chunk_s``) are aligned directly. ``AlignResult.seconds`` reports the
    compute time (the LibriVox test chapter, 6 min, is in docs/baseline_metrics.md).
    """
    t0 = time.perf_counter()
    pcm, duration = to_pcm16(samples16k, sample_rate)
    x = np.frombuffer(pcm, dtype="<i2")
    if duration <= max_chunk_s:
        return align_detailed(x, transcript)
    segs, guessed = word_pass(x, transcript)
    cuts = _cut_points(segs, duration, max_chunk_s, min_pause_s)
    bounds = [0.0] + cuts + [duration]
    raw: list[tuple[str, float, float]] = []
    words = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        chunk_words = [w for w, s, e in segs if w is not None and a <= (s + e) / 2 < b]
        if not chunk_words:
            continue
        i0, i1 = int(round(a * SAMPLE_RATE)), int(round(b * SAMPLE_RATE))
        try:
            res = align_detailed(x[i0:i1], " ".join(chunk_words))
        except AlignmentError as exc:
            log.warning("align_long: chunk %.1f-%.1f s failed (%s); using the whole-file "
                        "word timings there, phones left as SIL", a, b, exc)
            continue
        raw.extend((p.phone, p.start + a, p.end + a) for p in res.phones if p.phone != "SIL")
        words.extend(type(w)(w.word, w.start + a, w.end + a) for w in res.words)
        guessed.update(res.guessed)
    if not words:
        raise AlignmentError("every chunk of the recording failed to align; check that the "
                             "transcript matches the audio")
    return AlignResult(tile_segments(raw, duration), words, duration, guessed,
                       time.perf_counter() - t0)
