"""MEAD's eight emotions and the conditioning vector used everywhere (EMOTE-style control).

An emotion condition is a length-8 non-negative vector: a one-hot emotion scaled by intensity
(0..1), or a blend of two emotions. Neutral is the zero vector, so intensity 0 of any emotion is
exactly neutral.
"""
from __future__ import annotations

import numpy as np

EMOTIONS: tuple[str, ...] = ("neutral", "happy", "sad", "surprised", "fearful", "disgusted",
                             "angry", "contempt")
EMOTION_INDEX = {e: i for i, e in enumerate(EMOTIONS)}
NUM_EMOTIONS = len(EMOTIONS)


def check_emotion(name: str) -> str:
    key = name.strip().lower()
    if key not in EMOTION_INDEX:
        raise ValueError(f"unknown emotion {name!r}; choose one of {', '.join(EMOTIONS)}")
    return key


def emotion_vector(emotion: str | dict[str, float], intensity: float = 1.0) -> np.ndarray:
    """Condition vector for one emotion at ``intensity`` or a blend ``{"happy": .6, "sad": .4}``.

    The neutral slot is always 0: neutral is the absence of expression.
    """
    if not 0.0 <= float(intensity) <= 1.0:
        raise ValueError(f"intensity must be within 0..1, got {intensity}")
    vec = np.zeros(NUM_EMOTIONS, dtype=np.float32)
    if isinstance(emotion, str):
        vec[EMOTION_INDEX[check_emotion(emotion)]] = intensity
    else:
        for name, w in emotion.items():
            if w < 0:
                raise ValueError(f"blend weight for {name} must be >= 0, got {w}")
            vec[EMOTION_INDEX[check_emotion(name)]] += float(w) * intensity
        if vec.sum() > 1.0 + 1e-6:
            vec /= vec.sum()
    vec[EMOTION_INDEX["neutral"]] = 0.0
    return vec


def condition_vector(emotion: "str | dict[str, float] | np.ndarray" = "neutral",
                     intensity: float = 1.0) -> np.ndarray:
    """Length-8 float32 condition for an emotion name, a blend dict, or a ready vector.

    A ready vector (e.g. from an emotion slider rig) is only checked and scaled by ``intensity``.
    """
    if isinstance(emotion, (np.ndarray, list, tuple)):
        vec = np.asarray(emotion, dtype=np.float32)
        if vec.shape != (NUM_EMOTIONS,) or (vec < 0).any():
            raise ValueError(f"an emotion vector must have {NUM_EMOTIONS} non-negative values, "
                             f"got shape {vec.shape}")
        return vec * float(intensity)
    return emotion_vector(emotion, intensity)
