"""Lip seal: make a take's lips meet on every known /p b m/, after the learned model.

Unsealed bilabials are the first thing animators and viewers notice (shared notes: "p/b/m are
the highest-priority shapes"), and a learned model decoding its own codes can undershoot a
closure that its phone input announces (the default checkpoint seals 89-97 % of held-out
bilabials given exact phones). This pass enforces the closure the phone timings ask for, the
way the choreography does: on the frames of each seal interval (the last ``hold`` seconds
before a P/B burst, the whole of an M; ``core.choreography.seal_frames``) the ARKit lip closure
``mouthClose`` is raised to ``jawOpen`` (lips meet with the jaw where it is) and every lip-parting
shape is faded out; the change fades in and out over ``ramp_frames`` frames on either side, so
the curves have no steps. Everything else (jaw, smile, brows, the emotion) is the model's.

It can only seal bilabials it is told about: with recognised phones, a P/B/M the recogniser
missed stays as the model made it. Purely a function of weights and timings, with no rig.
"""
from __future__ import annotations

import numpy as np

from .arkit import INDEX, NUM_SHAPES
from .choreography.coarticulation import seal_frames
from .choreography.mapping import LIP_LOOSENERS, LIP_OPENERS
from .phones import validate_segments

DEFAULT_HOLD = 0.035     # s sealed before a P/B burst (as the choreography)
DEFAULT_RAMP = 2         # frames of fade on each side of a seal


def seal_strength(segments, num_frames: int, fps: float, hold: float = DEFAULT_HOLD,
                  ramp_frames: int = DEFAULT_RAMP) -> np.ndarray:
    """``[num_frames]`` in 0..1: 1 on seal frames, a raised-cosine fade over ``ramp_frames``."""
    segs = validate_segments(segments)
    s = np.zeros(num_frames, dtype=np.float64)
    frames = seal_frames(segs, num_frames, fps, hold)
    if not frames:
        return s.astype(np.float32)
    core = np.zeros(num_frames, dtype=bool)
    for idx in frames.values():
        core[idx] = True
    s[core] = 1.0
    if ramp_frames > 0:
        on = np.nonzero(core)[0]
        for k in range(1, ramp_frames + 1):
            v = 0.5 * (1.0 + np.cos(np.pi * k / (ramp_frames + 1)))
            for j in (on - k, on + k):
                j = j[(j >= 0) & (j < num_frames)]
                s[j] = np.maximum(s[j], v)
    return s.astype(np.float32)


def seal_bilabials(weights, segments, fps: float, hold: float = DEFAULT_HOLD,
                   ramp_frames: int = DEFAULT_RAMP) -> np.ndarray:
    """Copy of ``weights`` ``[T, 52]`` (ARKit order, frame ``i`` at ``(i+0.5)/fps``) with sealed lips
    on every P/B/M of ``segments``; frames away from a bilabial are returned unchanged."""
    w = np.array(weights, dtype=np.float32, copy=True)
    if w.ndim != 2 or w.shape[1] != NUM_SHAPES:
        raise ValueError(f"weights must be [frames, {NUM_SHAPES}], got {w.shape}")
    if not fps > 0:
        raise ValueError(f"fps must be positive, got {fps}")
    s = seal_strength(segments, len(w), fps, hold, ramp_frames)
    if not s.any():
        return w
    jaw = w[:, INDEX["jawOpen"]]
    close = w[:, INDEX["mouthClose"]]
    w[:, INDEX["mouthClose"]] = close + s * (np.minimum(jaw, 1.0) - close)
    keep = (1.0 - s)[:, None]
    w[:, [INDEX[n] for n in LIP_OPENERS]] *= keep
    w[:, [INDEX[n] for n in LIP_LOOSENERS]] *= 0.5 + 0.5 * keep
    return np.clip(w, 0.0, 1.0)
