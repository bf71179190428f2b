"""Choreography on a real rigged FLAME head: seals and rest are closed in millimetres, not just in
weights, under every emotion (needs ../shared/flame; skipped without it)."""
from __future__ import annotations

import numpy as np
import pytest

from core.choreography import animate, sample_times, seal_frames
from core.emotions import EMOTIONS
from core.phones import SILENCE, validate_segments

from .test_choreography import SENTENCE

rig_mod = pytest.importorskip("core.rig")


@pytest.fixture(scope="module")
def rig(flame_dir):
    return rig_mod.FlameRig.from_ply(flame_dir / "FLAME_sample.ply")


@pytest.mark.parametrize("fps", (24.0, 30.0))
def test_seals_and_rest_are_closed_on_the_mesh(rig, fps):
    segs = validate_segments(SENTENCE)
    T = int(round(segs[-1].end * fps))
    seal_idx = np.unique(np.concatenate(list(seal_frames(segs, T, fps).values())))
    t = sample_times(T, fps)
    rest = np.zeros(T, bool)
    for s in segs:
        if s.phone == SILENCE and s.duration >= 0.3:
            rest |= (t >= s.start + 0.15) & (t <= s.end - 0.1)
    assert rest.sum() >= 5 and seal_idx.size >= 8
    for emotion in EMOTIONS:
        w = animate(segs, fps=fps, emotion=emotion, intensity=1.0)
        gap = rig.inner_lip_gap(rig.apply(w))           # [T, pairs] mm, 0 = closed as at rest
        aperture = gap.max(axis=1)
        assert aperture[seal_idx].max() < 0.5, (emotion, aperture[seal_idx].max())
        assert aperture[rest].max() < 0.5, (emotion, aperture[rest].max())
        assert np.percentile(aperture, 90) > 3.0, emotion     # and it does open to speak
        assert -gap.min() < 1.0, emotion                        # lips never cross
