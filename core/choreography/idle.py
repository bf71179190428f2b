"""Life around the mouth: blinks, brow emphasis on stressed syllables, small eye saccades.

All of it is seeded (``numpy.random.default_rng([seed, stream])``), so a take is reproducible,
and none of it depends on the emotion's random draws, so intensity 0 stays exactly neutral.
- Blinks every ~2.8-5 s, 100-150 ms long, drawn towards pauses (people blink at phrase breaks);
  the closed instant is snapped to a frame so every blink is fully visible at any fps.
- Brow raises (~0.2) peak on prominent syllables at least 0.7 s apart; an angry/disgusted
  condition turns them into brow-lowering beats, a sad one keeps only the inner brow.
- Saccades: gaze fixations every 0.6-2.2 s, a few degrees around centre, 40 ms jumps.
"""
from __future__ import annotations

import numpy as np

from ..arkit import INDEX, NUM_SHAPES
from ..emotions import EMOTION_INDEX
from .coarticulation import sample_times

BLINK_STREAM, BROW_STREAM, GAZE_STREAM = 1, 2, 3


def _rise(x: np.ndarray) -> np.ndarray:
    """Smooth 0->1 step on [0, 1] (cosine ease)."""
    return 0.5 - 0.5 * np.cos(np.pi * np.clip(x, 0.0, 1.0))


def blink_curve(num_frames: int, fps: float, duration: float, pause_starts: list[float],
                seed: int) -> np.ndarray:
    """Eyelid closure 0..1 per frame."""
    rng = np.random.default_rng([seed, BLINK_STREAM])
    t_frames = sample_times(num_frames, fps)
    out = np.zeros(num_frames)
    t = rng.uniform(0.4, 2.2)
    pauses = np.asarray(sorted(pause_starts))
    while t < duration:
        if pauses.size:
            near = pauses[np.abs(pauses - t) < 0.7]
            if near.size:
                t = float(near[0]) + 0.05
        d = rng.uniform(0.10, 0.15)
        peak = t + 0.4 * d
        k = int(round(peak * fps - 0.5))
        peak = (min(max(k, 0), max(num_frames - 1, 0)) + 0.5) / fps  # closed on a sampled frame
        close = _rise((t_frames - (peak - 0.4 * d)) / (0.4 * d))
        reopen = 1.0 - _rise((t_frames - peak) / (0.6 * d))
        shape = np.where(t_frames <= peak, close, reopen)
        out = np.maximum(out, shape)
        t = peak + rng.uniform(2.8, 5.0)
    return out


def brow_curve(num_frames: int, fps: float, prominences: list[tuple[float, float]],
               seed: int, min_gap: float = 0.7, threshold: float = 0.35) -> np.ndarray:
    """Brow emphasis 0..~0.3 per frame from (time, strength) prominences."""
    rng = np.random.default_rng([seed, BROW_STREAM])
    t_frames = sample_times(num_frames, fps)
    out = np.zeros(num_frames)
    chosen: list[tuple[float, float]] = []
    for tc, s in sorted(prominences, key=lambda x: -x[1]):
        if s < threshold or any(abs(tc - c) < min_gap for c, _ in chosen):
            continue
        chosen.append((tc, s))
    for tc, s in sorted(chosen):
        amp = 0.22 * (0.6 + 0.4 * s) * rng.uniform(0.8, 1.2)
        up = _rise((t_frames - (tc - 0.18)) / 0.18)
        down = 1.0 - _rise((t_frames - (tc + 0.06)) / 0.45)
        out = np.maximum(out, amp * np.where(t_frames <= tc + 0.06, up, down))
    return out


def gaze_curves(num_frames: int, fps: float, duration: float, seed: int,
                spread: float = 0.07) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal (+ = character's left) and vertical (+ = up) gaze per frame, ~-0.15..0.15."""
    rng = np.random.default_rng([seed, GAZE_STREAM])
    t_frames = sample_times(num_frames, fps)
    x = np.zeros(num_frames)
    y = np.zeros(num_frames)
    t, px, py = rng.uniform(0.3, 1.5), 0.0, 0.0
    while t < duration:
        nx = float(np.clip(rng.normal(0, spread), -0.15, 0.15))
        ny = float(np.clip(rng.normal(0, spread * 0.5), -0.08, 0.08))
        step = _rise((t_frames - t) / 0.04)
        x = x + (nx - px) * step
        y = y + (ny - py) * step
        px, py = nx, ny
        t += rng.uniform(0.6, 2.2)
    return x, y


def idle_layer(num_frames: int, fps: float, duration: float, pause_starts: list[float],
               prominences: list[tuple[float, float]], cond: np.ndarray, seed: int,
               blinks: bool = True, brows: bool = True, saccades: bool = True,
               brow_strength: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """(``[T, 52]`` additive offsets, ``[T]`` blink curve) for the upper face."""
    w = np.zeros((num_frames, NUM_SHAPES))
    blink = np.zeros(num_frames)
    if num_frames == 0:
        return w, blink
    if blinks:
        blink = blink_curve(num_frames, fps, duration, pause_starts, seed)
        w[:, INDEX["eyeBlinkLeft"]] = blink
        w[:, INDEX["eyeBlinkRight"]] = blink
    if brows:
        b = brow_curve(num_frames, fps, prominences, seed) * brow_strength
        angry = float(cond[EMOTION_INDEX["angry"]] + 0.6 * cond[EMOTION_INDEX["disgusted"]])
        sad = float(cond[EMOTION_INDEX["sad"]])
        raise_share = max(0.0, 1.0 - angry)
        w[:, INDEX["browInnerUp"]] += 0.8 * raise_share * b
        for side in ("Left", "Right"):
            w[:, INDEX["browOuterUp" + side]] += raise_share * max(0.0, 1.0 - sad) * b
            w[:, INDEX["browDown" + side]] += 0.7 * min(angry, 1.0) * b
    if saccades:
        x, y = gaze_curves(num_frames, fps, duration, seed)
        w[:, INDEX["eyeLookOutLeft"]] += np.maximum(x, 0)
        w[:, INDEX["eyeLookInRight"]] += np.maximum(x, 0)
        w[:, INDEX["eyeLookInLeft"]] += np.maximum(-x, 0)
        w[:, INDEX["eyeLookOutRight"]] += np.maximum(-x, 0)
        for side in ("Left", "Right"):
            w[:, INDEX["eyeLookUp" + side]] += np.maximum(y, 0)
            w[:, INDEX["eyeLookDown" + side]] += np.maximum(-y, 0)
    return w, blink
