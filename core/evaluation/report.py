"""One call that scores a take with every lip-sync metric, and a plain-text report of it."""
from __future__ import annotations

import math

import numpy as np

from ..arkit import MOUTH_SHAPES, NUM_SHAPES, index_of
from .geometry import inner_lip_gap_mm, lip_speed_mm_s, rig_lip_tables
from .jitter import jitter
from .lips import bilabial_closure_rate, silent_rest_rate
from .lve import lip_vertex_error
from .signals import frame_loudness_db, speech_mask
from .sync import av_lag_ms, loudness_aperture_correlation


def _mouth_vertices(rig, weights: np.ndarray, idx: np.ndarray, chunk: int = 512) -> np.ndarray:
    """Vertices ``idx`` of ``rig.apply(weights)``, chunked so long takes stay small in memory."""
    out = [np.asarray(rig.apply(weights[i:i + chunk]))[:, idx] for i in range(0, len(weights), chunk)]
    return np.concatenate(out, axis=0)


def evaluate_take(weights, fps: float, segments, audio_samples, rig=None,
                  sample_rate: int = 16000, verts=None, reference_verts=None,
                  inner_lip_pairs=None, lip_idx=None, scale: float = 1000.0) -> dict:
    """All metrics for one take: weights ``[T, 52]`` (+ rig) or vertices ``[T, V, 3]``.

    ``segments``: the phone timings of the audio (forced alignment or recognition);
    ``audio_samples``: mono samples at ``sample_rate``. Gap and speed are measured on the
    mesh (``rig.apply(weights)``, or ``verts``); pass ``reference_verts`` for LVE.
    Returns a flat dict of numbers (NaN where a metric has nothing to score) plus
    ``bilabial_failures`` [(phones, burst s, min gap mm)].
    """
    w = None
    if weights is not None:
        w = np.asarray(weights, dtype=np.float32)
        if w.ndim != 2 or w.shape[1] != NUM_SHAPES:
            raise ValueError(f"weights must be [frames, {NUM_SHAPES}] (ARKIT_NAMES order), got "
                             f"{w.shape}")
    if inner_lip_pairs is None or lip_idx is None:
        p, l = rig_lip_tables(rig)
        inner_lip_pairs = p if inner_lip_pairs is None else inner_lip_pairs
        lip_idx = l if lip_idx is None else lip_idx
    pairs = np.asarray(inner_lip_pairs, dtype=np.int64)
    lips = np.asarray(lip_idx, dtype=np.int64)
    need = np.unique(np.concatenate([pairs.ravel(), lips]))
    remap = {int(v): i for i, v in enumerate(need)}
    if verts is not None:
        sub = np.asarray(verts)[:, need]
    elif rig is not None and w is not None:
        sub = _mouth_vertices(rig, w, need)
    else:
        raise ValueError("pass weights with a rig, or vertices, to evaluate a take")
    sub_pairs = np.vectorize(remap.get)(pairs)
    sub_lips = np.array([remap[int(i)] for i in lips])
    T = len(sub)
    neutral_gap = 0.0
    if rig is not None:
        neutral = np.asarray(rig.apply(np.zeros((1, NUM_SHAPES), np.float32)))[:, need]
        neutral_gap = float(inner_lip_gap_mm(neutral, sub_pairs, scale)[0])

    gap = inner_lip_gap_mm(sub, sub_pairs, scale)
    speed = lip_speed_mm_s(sub, sub_lips, fps, scale)
    loud = frame_loudness_db(audio_samples, sample_rate, fps, num_frames=T)
    speech = speech_mask(segments, T, fps)

    closure = bilabial_closure_rate(gap, segments, fps)
    rest = silent_rest_rate(gap, segments, fps, lip_speed_mm_s=speed, loudness_db=loud,
                            neutral_gap_mm=neutral_gap)
    r = loudness_aperture_correlation(loud, gap, mask=speech)
    lag, peak = av_lag_ms(loud, gap, fps)
    jit_gap = jitter(gap, fps)
    out = {
        "frames": T, "duration_s": T / fps, "fps": fps,
        "bilabial_closure_rate": closure.rate, "bilabial_events": closure.events,
        "closure_threshold_mm": closure.threshold_mm, "open_aperture_mm": closure.open_aperture_mm,
        "silent_rest_rate": rest.rate, "silent_frames": rest.frames,
        "neutral_gap_mm": neutral_gap,
        "loudness_aperture_r": r, "av_lag_ms": lag, "av_lag_peak": peak,
        "jitter_hf_ratio_gap": jit_gap.hf_energy_ratio,
        "reversals_per_s_gap": jit_gap.reversals_per_s,
        "bilabial_failures": closure.failures,
    }
    if w is not None:
        jm = jitter(w[:T, index_of(MOUTH_SHAPES)], fps)
        out["jitter_hf_ratio_mouth"] = jm.hf_energy_ratio
        out["reversals_per_s_mouth"] = jm.reversals_per_s
    if reference_verts is not None:
        ref = np.asarray(reference_verts)[:, need]
        out["lve_mm"] = lip_vertex_error(sub, ref, sub_lips, scale)
    return out


_LABELS = [
    ("bilabial_closure_rate", "Bilabial closure rate", "{:.0%}"),
    ("bilabial_events", "  bilabial events", "{:d}"),
    ("closure_threshold_mm", "  closure threshold (mm)", "{:.2f}"),
    ("silent_rest_rate", "Silent rest rate", "{:.0%}"),
    ("silent_frames", "  silent frames scored", "{:d}"),
    ("loudness_aperture_r", "Loudness-aperture r", "{:.2f}"),
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
