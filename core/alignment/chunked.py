"""Word recognition of long recordings in chunks cut at pauses, on every core.

Decoding one utterance of minutes is slower per second of audio than decoding it in pieces
(PocketSphinx's search keeps the whole utterance's history), and one process uses one core. So
a long recording is cut in the middle of its quiet pauses into chunks of at most ``chunk_s``
seconds (the cuts depend only on the audio, never on how many processes run), each chunk is
recognised as a whole (word search, forced alignment of its words) by a helper process
(``workers``), and the phones are put back on the recording's time line. A chunk whose
recognition fails is kept as ``SIL`` with a warning (as ``align_long`` does); helpers that
cannot be started or die fall back to this process. Measured in ``BENCHMARKS.md``.
"""
from __future__ import annotations

import logging
from typing import Callable, Optional

import numpy as np

from ..phones import PhoneSegment
from .long import _cut_points, _pause_segments
from .sphinx import SAMPLE_RATE, AlignmentError, recognize_chunk, tile_segments

log = logging.getLogger(__name__)

#: Pauses at least this long (s) are candidate cuts.
MIN_PAUSE_S = 0.2


def chunk_bounds(x16: np.ndarray, duration: float, chunk_s: float) -> list[tuple[float, float]]:
    """``(start, end)`` seconds of each chunk, cut in pauses (or between quiet frames)."""
    cuts = _cut_points(_pause_segments(x16, MIN_PAUSE_S), duration, chunk_s, MIN_PAUSE_S,
                       force=True)
    edges = [0.0] + [float(c) for c in cuts] + [duration]
    return list(zip(edges[:-1], edges[1:]))


def recognize_chunked(x16: np.ndarray, duration: float, method: str,
                      bilabial_rescue: Optional[float], chunk_s: float,
                      workers: Optional[int] = None,
                      progress: Optional[Callable[[int, int], None]] = None) -> list[PhoneSegment]:
    """Phones of a long int16 16 kHz recording; see the module docstring."""
    from .workers import WorkerError, can_spawn, default_workers, pool

    bounds = chunk_bounds(x16, duration, chunk_s)
    jobs = [dict(samples16k=x16[int(round(a * SAMPLE_RATE)):int(round(b * SAMPLE_RATE))],
                 method=method, bilabial_rescue=bilabial_rescue) for a, b in bounds]
    n = default_workers() if workers is None else max(1, int(workers))
    n = min(n, len(jobs))
    results = None
    if n > 1 and can_spawn():
        try:
            results = pool().run("recognize_chunk", jobs, n, progress)
        except WorkerError as exc:
            log.warning("recognize_phones: helper processes failed (%s); recognising in this "
                        "process instead", exc)
    if results is None:
        results = []
        for i, job in enumerate(jobs):
            try:
                results.append((True, recognize_chunk(**job)))
            except AlignmentError as exc:
                results.append((False, str(exc)))
            if progress is not None:
                progress(i + 1, len(jobs))
    raw: list[tuple[str, float, float]] = []
    failed = 0
    for (a, b), (ok, res) in zip(bounds, results):
        if not ok:
            failed += 1
            log.warning("recognize_phones: %.1f-%.1f s could not be recognised (%s); kept "
                        "silent", a, b, res)
            continue
        raw += [(p, a + s, a + e) for p, s, e in res if p != "SIL"]
    if failed == len(jobs):
        raise AlignmentError(f"PocketSphinx could not recognise any of the {len(jobs)} chunks "
                             f"of this {duration:.0f} s recording (first: {results[0][1]})")
    return tile_segments(raw, duration)
