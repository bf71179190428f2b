"""One call that scores a take with every lip-sync metric, and a plain-text report of it."""
from __future__ import annotations

import math

import numpy as np

from ..arkit import MOUTH_SHAPES, NUM_SHAPES, index_of
from .geometry import inner_lip_gap_mm, lip_speed_mm_s, rig_lip_tables
from .jitter import jitter
from .lips import bilabial_closure_rate, silent_rest_rate
from .lve import lip_vertex_error
from ..phones import BILABIALS
from .signals import frame_loudness_db, phone_frames, speech_mask
from .sync import av_lag_ms, loudness_aperture_correlation


def mouth_measures(fps: float, weights=None, rig=None, verts=None, neutral_verts=None,
                   inner_lip_pairs=None, lip_idx=None, scale: float = 1000.0,
                   chunk: int = 512) -> tuple[np.ndarray, np.ndarray, str]:
    """Per-frame inner-lip gap (mm) and max lip-vertex speed (mm/s) of a take.

    With a FLAME rig (``core.rig.FlameRig``, which has ``inner_lip_gap``) the gap is the rig's
    signed gap along the head's up axis relative to its closed neutral mouth, taking the
    largest pair (``core.rig.lip_aperture``): 0 = sealed as at rest. Vertices of a 5023-vertex
    head without a rig use the same measure (relative to ``neutral_verts`` when given). Any
    other mesh needs ``inner_lip_pairs`` and falls back to the mean Euclidean pair distance.
    Frames are processed in chunks so a minutes-long take never holds all vertices at once.
    Returns ``(gap_mm, speed_mm_s, method)``.
    """
    if verts is None and (rig is None or weights is None):
        raise ValueError("pass weights with a rig, or vertices, to measure the mouth")
    T = len(weights) if verts is None else len(verts)
    flame_gap = None
    if rig is not None and hasattr(rig, "inner_lip_gap"):
        flame_gap = lambda v: np.max(rig.inner_lip_gap(v), axis=-1)  # noqa: E731
    elif inner_lip_pairs is None and verts is not None and np.shape(verts)[1] == 5023:
        from ..rig import lip_aperture
        flame_gap = lambda v: lip_aperture(v, rest=neutral_verts)  # noqa: E731
    if flame_gap is None or lip_idx is None:
        p, l = rig_lip_tables(rig) if (inner_lip_pairs is None or lip_idx is None) else (None, None)
        inner_lip_pairs = p if inner_lip_pairs is None else inner_lip_pairs
        lip_idx = l if lip_idx is None else lip_idx
    lips = np.asarray(lip_idx, dtype=np.int64)
    gaps, lip_pos = [], []
    for i in range(0, T, chunk):
        v = np.asarray(verts[i:i + chunk]) if verts is not None else \
            np.asarray(rig.apply(np.asarray(weights[i:i + chunk], np.float32)))
        gaps.append(flame_gap(v) if flame_gap is not None else
                    inner_lip_gap_mm(v, inner_lip_pairs, scale))
        lip_pos.append(v[:, lips].astype(np.float32))
    gap = np.concatenate(gaps).astype(np.float64)
    all_lips = np.concatenate(lip_pos)
    speed = lip_speed_mm_s(all_lips, np.arange(all_lips.shape[1]), fps, scale)
    return gap, speed, ("flame-rig max pair gap vs rest" if flame_gap is not None
                        else "mean inner-lip pair distance")


def evaluate_take(weights, fps: float, segments, audio_samples, rig=None,
                  sample_rate: int = 16000, verts=None, reference_verts=None,
                  neutral_verts=None, inner_lip_pairs=None, lip_idx=None,
                  scale: float = 1000.0) -> dict:
    """All metrics for one take: weights ``[T, 52]`` with a rig, or vertices ``[T, V, 3]``.

    ``segments``: phone timings of the audio (forced alignment or recognition);
    ``audio_samples``: mono samples at ``sample_rate``. The inner-lip gap and lip speed come
    from ``mouth_measures``; pass ``reference_verts`` (same frames) for LVE.
    Returns a flat dict of numbers (NaN where a metric has nothing to score) plus
    ``bilabial_failures`` [(phones, burst s, min gap mm)] and the per-frame ``gap_mm``.
    """
    w = None
    if weights is not None:
        w = np.asarray(weights, dtype=np.float32)
        if w.ndim != 2 or w.shape[1] != NUM_SHAPES:
            raise ValueError(f"weights must be [frames, {NUM_SHAPES}] (ARKIT_NAMES order), got "
                             f"{w.shape}")
    gap, speed, method = mouth_measures(fps, w, rig, verts, neutral_verts, inner_lip_pairs,
                                        lip_idx, scale)
    T = len(gap)
    neutral_gap = 0.0
    if method == "mean inner-lip pair distance" and rig is not None:
        p = inner_lip_pairs if inner_lip_pairs is not None else rig_lip_tables(rig)[0]
        neutral = np.asarray(rig.apply(np.zeros((1, NUM_SHAPES), np.float32)))
        neutral_gap = float(inner_lip_gap_mm(neutral, p, scale)[0])
    loud = frame_loudness_db(audio_samples, sample_rate, fps, num_frames=T)
    speech = speech_mask(segments, T, fps)

    closure = bilabial_closure_rate(gap, segments, fps)
    rest = silent_rest_rate(gap, segments, fps, lip_speed_mm_s=speed, loudness_db=loud,
                            neutral_gap_mm=neutral_gap)
    r = loudness_aperture_correlation(loud, gap, mask=speech)
    # diagnostic: the same r outside P/B/M, where a sealed mouth is correct however loud the
    # voice (a voiced M is loud); says how much of a low r the closures themselves explain
    open_speech = speech & ~phone_frames(segments, BILABIALS, T, fps)
    r_open = loudness_aperture_correlation(loud, gap, mask=open_speech)
    lag, peak = av_lag_ms(loud, gap, fps, return_peak=True)
    jit_gap = jitter(gap, fps)
    out = {
        "frames": T, "duration_s": T / fps, "fps": fps, "gap_method": method,
        "bilabial_closure_rate": closure.rate, "bilabial_events": closure.events,
        "closure_threshold_mm": closure.threshold_mm, "open_aperture_mm": closure.open_aperture_mm,
        "silent_rest_rate": rest.rate, "silent_frames": rest.frames,
        "neutral_gap_mm": neutral_gap,
        "loudness_aperture_r": r, "loudness_aperture_r_outside_bilabials": r_open,
        "av_lag_ms": lag, "av_lag_peak": peak,
        "jitter_hf_ratio_gap": jit_gap.hf_energy_ratio,
        "reversals_per_s_gap": jit_gap.reversals_per_s,
        "bilabial_failures": closure.failures,
        "gap_mm": gap,
    }
    if w is not None:
        jm = jitter(w[:T, index_of(MOUTH_SHAPES)], fps)
        out["jitter_hf_ratio_mouth"] = jm.hf_energy_ratio
        out["reversals_per_s_mouth"] = jm.reversals_per_s
    if reference_verts is not None:
        if verts is None:
            raise ValueError("LVE needs the predicted vertices too: pass verts=")
        idx = lip_idx if lip_idx is not None else rig_lip_tables(rig)[1]
        out["lve_mm"] = lip_vertex_error(verts, reference_verts, idx, scale)
    return out


_LABELS = [
    ("bilabial_closure_rate", "Bilabial closure rate", "{:.0%}"),
    ("bilabial_events", "  bilabial events", "{:d}"),
    ("closure_threshold_mm", "  closure threshold (mm)", "{:.2f}"),
    ("silent_rest_rate", "Silent rest rate", "{:.0%}"),
    ("silent_frames", "  silent frames scored", "{:d}"),
    ("loudness_aperture_r", "Loudness-aperture r", "{:.2f}"),
    ("loudness_aperture_r_outside_bilabials", "  same, outside P/B/M", "{:.2f}"),
    ("av_lag_ms", "A/V lag (ms, + = motion late)", "{:+.0f}"),
    ("jitter_hf_ratio_gap", "Jitter: lip-gap energy > 8 Hz", "{:.1%}"),
    ("reversals_per_s_gap", "Jitter: lip-gap reversals/s", "{:.2f}"),
    ("jitter_hf_ratio_mouth", "Jitter: mouth-weight energy > 8 Hz", "{:.1%}"),
    ("reversals_per_s_mouth", "Jitter: mouth-weight reversals/s", "{:.2f}"),
    ("lve_mm", "Lip vertex error (mm)", "{:.2f}"),
]


def format_report(metrics: dict) -> str:
    """Human-readable lines for an ``evaluate_take`` dict (n/a for NaN, skips absent keys)."""
    lines = []
    for key, label, fmt in _LABELS:
        if key not in metrics:
            continue
        v = metrics[key]
        text = "n/a" if isinstance(v, float) and math.isnan(v) else fmt.format(v)
        lines.append(f"{label:<38} {text}")
    fails = metrics.get("bilabial_failures") or []
    if fails:
        shown = ", ".join(f"{p}@{t:.2f}s ({g:.1f} mm)" for p, t, g in fails[:8])
        lines.append(f"{'  open bilabials':<38} {shown}" + (" ..." if len(fails) > 8 else ""))
    return "\n".join(lines)
