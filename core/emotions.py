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
    """One of :data:`EMOTIONS` (case and spaces ignored), else a ValueError listing them."""
    key = name.strip().lower()
    if key not in EMOTION_INDEX:
        raise ValueError(f"unknown emotion {name!r}; choose one of {', '.join(EMOTIONS)}")
    return key


def check_emotion_mix(emotion: "str | dict[str, float]") -> "str | dict[str, float]":
    """An emotion name, or a blend, in the one form every part of Parley records.

    Accepts a name (``"happy"``), a blend spec (``"happy:0.6,surprised:0.4"``; a part without a
    weight counts 1) or a dict. Blend weights are shares: they are scaled to sum to 1, parts of
    weight 0 are dropped, and a blend left with one emotion collapses to its name. Returns the
    name or a dict ordered by falling share (ties by MEAD order); raises ValueError naming the
    bad part.
    """
    if isinstance(emotion, str):
        if ":" not in emotion and "," not in emotion:
            return check_emotion(emotion)
        parts: dict[str, float] = {}
        for part in emotion.split(","):
            name, sep, w = part.partition(":")
            if not name.strip():
                raise ValueError(f"bad emotion blend {emotion!r}: empty part; use name:share, "
                                 f"e.g. happy:0.6,surprised:0.4")
            try:
                share = float(w) if sep else 1.0
            except ValueError:
                raise ValueError(f"bad emotion blend part {part.strip()!r}: the share must be a "
                                 f"number, e.g. happy:0.6") from None
            key = check_emotion(name)
            parts[key] = parts.get(key, 0.0) + share
        emotion = parts
    mix: dict[str, float] = {}
    for name, w in dict(emotion).items():
        key = check_emotion(str(name))
        w = float(w)
        if not np.isfinite(w) or w < 0:
            raise ValueError(f"the share of {key} in an emotion blend must be a number >= 0, "
                             f"got {w}")
        mix[key] = mix.get(key, 0.0) + w
    total = sum(mix.values())
    if not mix or total <= 0:
        raise ValueError("an emotion blend needs at least one emotion with a share above 0")
    mix = {k: v / total for k, v in mix.items() if v > 0}
    if len(mix) == 1:
        return next(iter(mix))
    return dict(sorted(mix.items(), key=lambda kv: (-kv[1], EMOTION_INDEX[kv[0]])))


def emotion_label(emotion: "str | dict[str, float]") -> str:
    """How a take's emotion is shown: ``happy`` or ``happy 60% + surprised 40%``."""
    mix = check_emotion_mix(emotion)
    if isinstance(mix, str):
        return mix
    return " + ".join(f"{k} {round(100 * v)}%" for k, v in mix.items())


def emotion_tag(emotion: "str | dict[str, float]") -> str:
    """Short form for names (take actions): ``happy`` or ``happy60+surprised40``."""
    mix = check_emotion_mix(emotion)
    if isinstance(mix, str):
        return mix
    return "+".join(f"{k}{round(100 * v)}" for k, v in mix.items())


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


def level_weights(curve: np.ndarray, levels) -> dict[float, np.ndarray]:
    """Weights of the intensity ``levels`` (0 is always one) that interpolate each value of
    ``curve`` linearly between the two levels around it; only levels in use are returned.

    Shared by a fixed in-between intensity (the learned model's ``condition_anchors``) and an
    animated one (``core.engine``): both play the motion of trained levels mixed by these."""
    grid = np.asarray(sorted({0.0, *(float(v) for v in levels)}), dtype=np.float64)
    c = np.clip(np.asarray(curve, dtype=np.float64), 0.0, grid[-1])
    hi = np.clip(np.searchsorted(grid, c, side="left"), 1, len(grid) - 1)
    lo = hi - 1
    frac = (c - grid[lo]) / (grid[hi] - grid[lo])
    out: dict[float, np.ndarray] = {}
    for idx, w in ((lo, 1.0 - frac), (hi, frac)):
        for k in np.unique(idx):
            sel = (idx == k) & (w > 1e-9)
            if sel.any():
                acc = out.setdefault(float(grid[k]), np.zeros(len(c)))
                acc[sel] += w[sel]
    return {lv: w.astype(np.float32) for lv, w in sorted(out.items())}
