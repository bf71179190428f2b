"""Parley's speech-to-motion engine. Never imports bpy; usable from plain Python and a CLI.

The small public API lives here; heavy pieces (scipy, torch, pocketsphinx) load only when used::

    import core
    clip = core.load_audio("line.wav")                       # float32 mono 16 kHz + loudness
    take = core.generate_take(clip.samples, fps=24, emotion="happy", intensity=0.7)
    rig = core.FlameRig.from_ply("head.ply")                  # ARKit shapes for a FLAME head
    verts = rig.apply(take.weights)

Command line: ``python -m core --help``.
"""
from __future__ import annotations

from importlib import import_module

from .arkit import ARKIT_NAMES, NUM_SHAPES
from .emotions import EMOTIONS, emotion_vector
from .phones import PHONES, PhoneSegment, validate_segments

# name -> submodule that defines it (loaded on first access, PEP 562)
_LAZY = {
    "load_audio": "audio", "AudioClip": "audio", "AudioError": "audio",
    "loudness_envelope": "loudness", "active_mask": "loudness",
    "FlameRig": "rig", "load_ply": "rig", "TopologyError": "rig",
    "animate": "choreography",
    "align": "alignment", "recognize_phones": "alignment",
    "evaluate_take": "evaluation", "format_report": "evaluation",
    "generate_take": "engine", "EngineError": "engine",
}

__all__ = ["ARKIT_NAMES", "NUM_SHAPES", "EMOTIONS", "emotion_vector", "PHONES", "PhoneSegment",
           "validate_segments", *_LAZY]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'core' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
