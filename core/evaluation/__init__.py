"""Lip-sync quality metrics that need no captured 3D ground truth (plus LVE when there is one).

Metric functions take per-frame arrays (inner-lip gap in mm, loudness in dB, weights) so they
are testable without a rig; ``evaluate_take`` measures those on a mesh and runs them all.
Definitions are in each function's docstring and in docs/baseline_metrics.md.
"""
from .geometry import inner_lip_gap_mm, lip_speed_mm_s, rig_lip_tables
from .jitter import JitterResult, jitter
from .lips import (ClosureResult, RestResult, bilabial_closure_rate, open_vowel_aperture,
                   silent_rest_rate)
from .lve import lip_vertex_error
from .report import evaluate_take, format_report, mouth_measures
from .signals import (audio_silence_mask, frame_loudness_db, segment_silence_mask,
                      speech_mask)
from .sync import av_lag_ms, loudness_aperture_correlation

__all__ = ["bilabial_closure_rate", "silent_rest_rate", "loudness_aperture_correlation",
           "av_lag_ms", "jitter", "lip_vertex_error", "evaluate_take", "format_report",
           "mouth_measures", "inner_lip_gap_mm", "lip_speed_mm_s", "rig_lip_tables", "frame_loudness_db",
           "audio_silence_mask", "segment_silence_mask", "speech_mask", "open_vowel_aperture",
           "ClosureResult", "RestResult", "JitterResult"]


def register_cli(sub) -> None:
    """Subcommand ``score`` (see ``core.evaluation.cli``)."""
    from .cli import register_cli as _register
    _register(sub)
