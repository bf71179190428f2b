"""The lip seal after the learned model: lips meet on every P/B/M, nothing else moves, no steps."""
from __future__ import annotations

import numpy as np
import pytest

from core.arkit import INDEX, NUM_SHAPES
from core.choreography.mapping import LIP_LOOSENERS, LIP_OPENERS
from core.lip_seal import seal_bilabials, seal_strength
from core.phones import PhoneSegment

SEGS = [PhoneSegment("SIL", 0.0, 0.3), PhoneSegment("AA", 0.3, 0.6), PhoneSegment("M", 0.6, 0.75),
        PhoneSegment("IY", 0.75, 1.0), PhoneSegment("P", 1.0, 1.08), PhoneSegment("AA", 1.08, 1.4),
        PhoneSegment("SIL", 1.4, 2.0)]


def _open_mouth(frames=60, seed=0):
    rng = np.random.default_rng(seed)
    w = rng.uniform(0.0, 0.3, (frames, NUM_SHAPES)).astype(np.float32)
    w[:, INDEX["jawOpen"]] = 0.5
    w[:, INDEX["mouthClose"]] = 0.05
    return w


def test_seal_frames_get_full_closure_and_no_lip_openers():
    w = _open_mouth()
    out = seal_bilabials(w, SEGS, 30.0)
    s = seal_strength(SEGS, 60, 30.0)
    sealed = s == 1.0
    # M (0.6-0.75 s) is sealed throughout; P is sealed in the last 35 ms before its burst
    t = (np.arange(60) + 0.5) / 30
    assert sealed[(t > 0.6) & (t < 0.75)].all() and sealed[np.argmin(abs(t - 1.05))]
    np.testing.assert_allclose(out[sealed, INDEX["mouthClose"]], out[sealed, INDEX["jawOpen"]])
    assert np.all(out[sealed][:, [INDEX[n] for n in LIP_OPENERS]] == 0)
    np.testing.assert_allclose(out[sealed][:, [INDEX[n] for n in LIP_LOOSENERS]],
                               0.5 * w[sealed][:, [INDEX[n] for n in LIP_LOOSENERS]], rtol=1e-6)
    untouched = s == 0
    assert untouched[:15].all() and untouched[50:].all()
    np.testing.assert_array_equal(out[untouched], w[untouched])
    # jaw, smile, brows... are the model's everywhere
    others = [i for i in range(NUM_SHAPES) if i != INDEX["mouthClose"]
              and i not in [INDEX[n] for n in LIP_OPENERS + LIP_LOOSENERS]]
    np.testing.assert_array_equal(out[:, others], w[:, others])
    # the fade: strengths strictly between 0 and 1 next to each seal, no jump above one fade step
    ramp = (s > 0) & (s < 1)
    assert ramp.sum() >= 4 and np.abs(np.diff(s)).max() <= 0.76


def test_no_bilabials_or_no_phones_changes_nothing():
    w = _open_mouth()
    segs = [PhoneSegment("SIL", 0, 0.5), PhoneSegment("AA", 0.5, 1.5), PhoneSegment("SIL", 1.5, 2.0)]
    np.testing.assert_array_equal(seal_bilabials(w, segs, 30.0), w)
    np.testing.assert_array_equal(seal_bilabials(w, [], 30.0), w)
    with pytest.raises(ValueError, match="frames"):
        seal_bilabials(w[:, :10], SEGS, 30.0)


@pytest.mark.parametrize("fps", [24.0, 30.0, 60.0])
def test_every_bilabial_gets_a_sealed_frame_at_any_rate(fps):
    short = [PhoneSegment("SIL", 0, 0.5), PhoneSegment("B", 0.5, 0.52), PhoneSegment("AA", 0.52, 1.0)]
    s = seal_strength(short, int(fps), fps)
    assert (s == 1.0).sum() >= 1


def test_sealed_lips_meet_on_the_flame_rig(flame_dir):
    """Geometry check on Parley's own ARKit rig of the FLAME template: sealed frames measure a
    lip gap within the closure metric's 1 mm, from a wide-open mouth with lip openers on."""
    from core.evaluation.report import mouth_measures
    from core.rig import FlameRig
    rig = FlameRig.from_ply(flame_dir / "FLAME_template.ply")
    w = _open_mouth()
    gap_before, _, _ = mouth_measures(30.0, w, rig=rig)
    out = seal_bilabials(w, SEGS, 30.0)
    gap, _, _ = mouth_measures(30.0, out, rig=rig)
    sealed = seal_strength(SEGS, 60, 30.0) == 1.0
    assert gap_before[sealed].min() > 3.0
    assert gap[sealed].max() <= 1.0, gap[sealed]
