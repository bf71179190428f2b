"""Phone-aware lip checks: bilabial closure before the burst, and a resting mouth in silence.

Both work on a per-frame inner-lip gap in millimetres, so they can be tested without a rig;
``evaluate_take`` measures the gap on a mesh. Frame ``i`` shows time ``(i + 0.5) / fps``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..phones import BILABIALS, OPEN_VOWELS, normalize_phone
from .signals import (audio_silence_mask, frame_times, phone_frames, segment_silence_mask,
                      speech_mask)

CLOSURE_ABS_MM = 1.0
CLOSURE_REL = 0.10
CLOSURE_WINDOW_S = 0.04
OPEN_PERCENTILE = 90.0


def _gap(gap_mm) -> np.ndarray:
    g = np.asarray(gap_mm, dtype=np.float64)
    if g.ndim != 1 or g.size == 0:
        raise ValueError(f"gap_mm must be a non-empty 1-D array (one value per frame), "
                         f"got shape {g.shape}")
    if not np.all(np.isfinite(g)):
        raise ValueError("gap_mm contains NaN or infinite values")
    return g


def open_vowel_aperture(gap_mm, segments, fps: float, percentile: float = OPEN_PERCENTILE):
    """90th percentile of the gap over open-vowel frames (AA AE AO AW AY).

    Falls back to all speech frames, then all frames, when the clip has no open vowel.
    Returns ``(aperture_mm, source)``.
    """
    g = _gap(gap_mm)
    for name, mask in (("open vowels", phone_frames(segments, OPEN_VOWELS, len(g), fps)),
                       ("speech", speech_mask(segments, len(g), fps)),
                       ("all frames", np.ones(len(g), dtype=bool))):
        if mask.any():
            return float(np.percentile(g[mask], percentile)), name
    raise AssertionError("unreachable")


@dataclass
class ClosureResult:
    """Bilabial closure: ``rate`` = closed / events (NaN when the clip has no bilabial)."""
    rate: float
    events: int
    closed: int
    threshold_mm: float
    open_aperture_mm: float
    failures: list = field(default_factory=list)  # (phone, burst time s, min gap mm)

    def __float__(self) -> float:
        return float(self.rate)


def bilabial_closure_rate(gap_mm, segments, fps: float, window_s: float = CLOSURE_WINDOW_S,
                          abs_mm: float = CLOSURE_ABS_MM, rel: float = CLOSURE_REL,
                          open_aperture_mm: float | None = None) -> ClosureResult:
    """Fraction of /p b m/ events whose lips seal just before the burst.

    Definition: consecutive P/B/M segments form one event (one closure); its burst is the end
    of the last one. The event is *closed* when the minimum gap over the frames whose time
    ``(i + 0.5) / fps`` lies in ``[max(start, burst - window_s) - 0.5 / fps, burst + 0.5 / fps]``
    (the last 40 ms, widened by half a frame so at least one frame is always tested) is at
    most ``max(abs_mm, rel * open-vowel aperture)``, the aperture being the 90th percentile
    of the gap over open-vowel frames (``open_vowel_aperture``).
    """
    g = _gap(gap_mm)
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    if open_aperture_mm is None:
        open_aperture_mm, _ = open_vowel_aperture(g, segments, fps)
    thr = max(abs_mm, rel * open_aperture_mm)
    events: list[tuple[str, float, float]] = []
    for s in segments:
        p = normalize_phone(s.phone)
        if p not in BILABIALS:
            continue
        if events and abs(events[-1][2] - s.start) < 1e-6:
            events[-1] = (events[-1][0] + p, events[-1][1], s.end)
        else:
            events.append((p, s.start, s.end))
    t = frame_times(len(g), fps)
    closed = 0
    failures = []
    for p, start, burst in events:
        a = max(start, burst - window_s) - 0.5 / fps
        sel = (t >= a) & (t <= burst + 0.5 / fps)
        if not sel.any():  # event beyond the take: nearest frame
            sel = np.zeros(len(g), dtype=bool)
            sel[min(len(g) - 1, max(0, int(burst * fps)))] = True
        m = float(g[sel].min())
        if m <= thr:
            closed += 1
        else:
            failures.append((p, round(burst, 3), round(m, 2)))
    rate = closed / len(events) if events else float("nan")
    return ClosureResult(rate, len(events), closed, thr, float(open_aperture_mm), failures)


def lip_speed_from_gap(gap_mm, fps: float) -> np.ndarray:
    """|d gap / dt| in mm/s (larger adjacent step): the motion measure when no mesh is given."""
    from .geometry import step_speed
    return step_speed(_gap(gap_mm)[:, None], fps)


@dataclass
class RestResult:
    """Silent rest: ``rate`` = resting frames / evaluated silent frames (NaN if none)."""
    rate: float
    frames: int
    at_rest: int
    gap_threshold_mm: float
    speed_threshold_mm_s: float

    def __float__(self) -> float:
        return float(self.rate)


def silent_rest_rate(gap_mm, segments, fps: float, lip_speed_mm_s=None, loudness_db=None,
                     min_silence_s: float = 0.2, margin_s: float = 0.15,
                     rest_gap_mm: float = 2.0, neutral_gap_mm: float = 0.0,
                     max_speed_mm_s: float = 15.0) -> RestResult:
    """Fraction of silent frames where the mouth rests (closed and still).

    Silent frames: inside ``SIL`` segments lasting at least ``min_silence_s`` (200 ms), more
    than ``margin_s`` (150 ms) from neighbouring speech (release/anticipation are allowed),
    and, when ``loudness_db`` is given, also quiet by ``audio_silence_mask``.
    At rest: gap <= ``max(rest_gap_mm, neutral_gap_mm + 1)`` (the rig's own rest gap plus
    1 mm, for heads whose neutral mouth is parted) AND lip speed <= ``max_speed_mm_s``
    (default 15 mm/s = 0.5 mm per frame at 30 fps). ``lip_speed_mm_s`` is the per-frame max
    lip-vertex speed from the mesh; without it the gap's rate of change is used.
    """
    g = _gap(gap_mm)
    mask = segment_silence_mask(segments, len(g), fps, min_silence_s, margin_s)
    if loudness_db is not None:
        db = np.asarray(loudness_db, dtype=np.float64)
        if db.shape != g.shape:
            raise ValueError(f"loudness_db has {db.shape} values, gap_mm {g.shape}; both "
                             f"must be per-frame at the same fps")
        mask &= audio_silence_mask(db)
    speed = lip_speed_from_gap(g, fps) if lip_speed_mm_s is None else \
        np.asarray(lip_speed_mm_s, dtype=np.float64)
    if speed.shape != g.shape:
        raise ValueError(f"lip_speed_mm_s has shape {speed.shape}, expected {g.shape}")
    gthr = max(rest_gap_mm, neutral_gap_mm + 1.0)
    rest = (g <= gthr) & (speed <= max_speed_mm_s)
    n = int(mask.sum())
    k = int((rest & mask).sum())
    return RestResult(k / n if n else float("nan"), n, k, gthr, max_speed_mm_s)
