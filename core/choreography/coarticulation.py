"""Dominance-model coarticulation (Cohen & Massaro 1993): timed phones -> parameter curves.

Every phone becomes one articulation event (two for diphthongs) with, per articulatory
parameter, a target and a dominance function ``alpha * exp(-dist / tau)``, where ``dist`` is the
time to the event's core interval. A parameter's value at time ``t`` is the dominance-weighted
average of all targets, so neighbouring phones blend continuously (no per-frame lookup), strong
phones (bilabial closure, F/V tuck) win over weak ones, and close phones undershoot.

Speaking rate: time constants shrink with the local phone rate, but only by the square root
(``rate_adapt``), so faster speech is crisper *and* undershoots more, as real speech does.
Bilabial seals are then guaranteed on the sampled frames by :func:`seal_frames` (a seal is a
visual event that must not be lost to undershoot at any frame rate).
"""
from __future__ import annotations

import numpy as np

from ..phones import LABIODENTALS, SILENCE, VOWELS, PhoneSegment
from .visemes import NUM_PARAMS, P, PARAMS, TAU, Events, phone_spec, spec_arrays

#: Phone duration (s) at which time constants are used unscaled (~11-12 phones/s).
REFERENCE_PHONE_DURATION = 0.085
#: Pauses shorter than this only partly relax the mouth; longer ones reach the rest pose.
FULL_REST_PAUSE = 0.25
#: Silence reaches its full dominance this long after speech ends (and before it resumes).
SILENCE_MARGIN = 0.10
#: Part of a vowel spent moving in and out of its target; only longer vowels hold it.
VOWEL_TRANSITION = 0.07
_DIPHTHONGS = ("AY", "AW", "EY", "OW", "OY")

_TAU_BEFORE = np.array([TAU[n][0] for n in PARAMS])
_TAU_AFTER = np.array([TAU[n][1] for n in PARAMS])


def sample_times(num_frames: int, fps: float) -> np.ndarray:
    """Time (s) each output frame shows: frame centres, as in :func:`core.phones.frame_labels`."""
    return (np.arange(num_frames) + 0.5) / float(fps)


def fill_silence(segments: list[PhoneSegment], duration: float) -> list[PhoneSegment]:
    """Cover [-1 s, duration + 1 s] with the segments: gaps, lead-in and tail become SIL.

    The padding lets the first phone be anticipated from rest and the last one relax to it.
    """
    out: list[PhoneSegment] = []
    t = -1.0
    for seg in segments:
        if seg.start > t + 1e-6:
            out.append(PhoneSegment(SILENCE, t, seg.start))
        out.append(seg)
        t = seg.end
    end = max(duration, t) + 1.0
    out.append(PhoneSegment(SILENCE, t, end))
    # merge consecutive silences (a SIL segment followed by a gap, etc.)
    merged: list[PhoneSegment] = []
    for seg in out:
        if merged and seg.phone == SILENCE and merged[-1].phone == SILENCE:
            merged[-1] = PhoneSegment(SILENCE, merged[-1].start, seg.end)
        else:
            merged.append(seg)
    return merged


def _local_phone_duration(segs: list[PhoneSegment], i: int, radius: int = 2) -> float:
    """Mean duration of the speech phones around segment ``i`` (silences excluded)."""
    durs = [s.duration for s in segs[max(0, i - radius): i + radius + 1] if s.phone != SILENCE]
    return float(np.mean(durs)) if durs else REFERENCE_PHONE_DURATION


def build_events(segments: list[PhoneSegment], duration: float, rest_jaw: float = 0.03,
                 rate_adapt: float = 0.5) -> Events:
    """Articulation events for validated, canonical segments covering ``duration`` seconds."""
    segs = fill_silence(segments, duration)
    phones, seg_idx, c0, c1, tg, al, tb, ta = [], [], [], [], [], [], [], []
    for i, seg in enumerate(segs):
        d = seg.duration
        if seg.phone == SILENCE:
            scale = 1.0
        else:
            rate = _local_phone_duration(segs, i) / REFERENCE_PHONE_DURATION
            scale = min(max(rate ** rate_adapt, 0.5), 1.6)
        t = seg.start
        for share, spec in phone_spec(seg.phone, rest_jaw):
            a, b = t, t + share * d
            t = b
            target, alpha = spec_arrays(spec)
            span = b - a
            if seg.phone == SILENCE:
                m = min(SILENCE_MARGIN, span / 2)
                lo, hi = a + m, b - m
                alpha = alpha * min(max(span / FULL_REST_PAUSE, 0.25), 1.0)
            elif seg.phone in ("P", "B"):
                # closure builds through the segment; full dominance late, right before the burst
                lo, hi = a + 0.15 * span, b - 0.02 * span
            elif seg.phone == "M":
                lo, hi = a + 0.10 * span, b - 0.10 * span
            else:
                # vowels hold their target for what exceeds ~70 ms (fast vowels only touch it);
                # consonants for a quarter of their span, F/V (a held frication) for half
                if seg.phone in VOWELS or seg.phone in _DIPHTHONGS:
                    width = max(0.0, span - VOWEL_TRANSITION)
                else:
                    width = (0.5 if seg.phone in LABIODENTALS else 0.25) * span
                mid = 0.5 * (a + b)
                lo, hi = mid - 0.5 * width, mid + 0.5 * width
            phones.append(seg.phone)
            seg_idx.append(i)
            c0.append(lo)
            c1.append(hi)
            tg.append(target)
            al.append(alpha)
            tb.append(_TAU_BEFORE * scale)
            ta.append(_TAU_AFTER * scale)
    return Events(phones, np.array(seg_idx), np.array(c0), np.array(c1), np.array(tg),
                  np.array(al), np.array(tb), np.array(ta))


def blend(events: Events, times: np.ndarray, cutoff: float = 14.0) -> np.ndarray:
    """Dominance-weighted parameter values ``[len(times), NUM_PARAMS]`` at arbitrary times.

    Each event only contributes within ``cutoff`` time constants of its core (beyond that its
    weight is < 1e-6 of its peak), which keeps long takes linear in length.
    """
    times = np.asarray(times, dtype=np.float64)
    num = np.zeros((times.size, NUM_PARAMS))
    den = np.zeros((times.size, NUM_PARAMS))
    order = np.argsort(times)
    ts = times[order]
    reach_b = cutoff * events.tau_before.max(axis=1)
    reach_a = cutoff * events.tau_after.max(axis=1)
    for e in range(len(events.phone)):
        i0 = np.searchsorted(ts, events.core_start[e] - reach_b[e], side="left")
        i1 = np.searchsorted(ts, events.core_end[e] + reach_a[e], side="right")
        if i1 <= i0:
            continue
        t = ts[i0:i1, None]
        before = np.maximum(events.core_start[e] - t, 0.0) / events.tau_before[e]
        after = np.maximum(t - events.core_end[e], 0.0) / events.tau_after[e]
        w = events.alpha[e] * np.exp(-(before + after))
        num[order[i0:i1]] += w * events.target[e]
        den[order[i0:i1]] += w
    return num / np.maximum(den, 1e-30)


def seal_intervals(segments: list[PhoneSegment], hold: float = 0.035) -> list[tuple[int, float, float]]:
    """(segment index, start, end) of the times the lips must be sealed.

    P/B: the last ``hold`` seconds before the burst (the whole segment when shorter); M: the
    whole segment.
    """
    out = []
    for i, seg in enumerate(segments):
        if seg.phone in ("P", "B"):
            out.append((i, max(seg.start, seg.end - hold), seg.end))
        elif seg.phone == "M":
            out.append((i, seg.start, seg.end))
    return out


def seal_frames(segments: list[PhoneSegment], num_frames: int, fps: float,
                hold: float = 0.035) -> dict[int, np.ndarray]:
    """Frames that must show sealed lips, per bilabial segment index, at this frame rate.

    Every frame whose time falls in the seal interval; when none does (a segment shorter than a
    frame), the last frame before the burst, so that every P/B/M gets at least one sealed frame.
    """
    times = sample_times(num_frames, fps)
    out: dict[int, np.ndarray] = {}
    for i, a, b in seal_intervals(segments, hold):
        idx = np.nonzero((times >= a - 1e-9) & (times <= b + 1e-9))[0]
        if idx.size == 0:
            k = int(np.searchsorted(times, b, side="right")) - 1
            if k < 0 or k >= num_frames:
                continue  # the segment lies entirely outside the sampled span
            idx = np.array([k])
        out[i] = idx
    return out


def apply_seals(params: np.ndarray, frames: dict[int, np.ndarray]) -> np.ndarray:
    """Force full lip closure (and no lip-opening articulation) on the seal frames."""
    params = params.copy()
    for idx in frames.values():
        params[idx, P["closure"]] = 1.0
        for name in ("funnel", "tuck", "upper", "lower", "tongue"):
            params[idx, P[name]] = 0.0
    return params
