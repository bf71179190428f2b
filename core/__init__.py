"""Parley's speech-to-motion engine. Never imports bpy; usable from plain Python.

Public API is re-exported here as modules land (audio, rig, choreography, evaluation, model).
"""
from .arkit import ARKIT_NAMES, NUM_SHAPES
from .emotions import EMOTIONS, emotion_vector
from .phones import PHONES, PhoneSegment, validate_segments

__all__ = ["ARKIT_NAMES", "NUM_SHAPES", "EMOTIONS", "emotion_vector", "PHONES", "PhoneSegment",
           "validate_segments"]
