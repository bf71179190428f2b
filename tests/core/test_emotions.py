"""core.emotions: one way to name an emotion or a blend of them, everywhere Parley takes one."""
from __future__ import annotations

import numpy as np
import pytest

from core.emotions import (check_emotion_mix, condition_vector, emotion_label, emotion_tag,
                           emotion_vector)


@pytest.mark.parametrize("spec, mix", [
    ("happy", "happy"),
    (" Sad ", "sad"),
    ("happy:0.6,surprised:0.4", {"happy": 0.6, "surprised": 0.4}),
    ("surprised:2, HAPPY:3", {"happy": 0.6, "surprised": 0.4}),        # shares, any scale
    ("angry,contempt", {"angry": 0.5, "contempt": 0.5}),                 # no share: equal
    ("happy:1,happy:1", "happy"),                                        # one emotion: its name
    ("happy:0,sad:2", "sad"),                                            # zero shares dropped
    ({"fearful": 1, "disgusted": 3}, {"disgusted": 0.75, "fearful": 0.25}),
])
def test_names_and_blends_are_normalised(spec, mix):
    got = check_emotion_mix(spec)
    assert got == (pytest.approx(mix) if isinstance(mix, dict) else mix)
    if isinstance(mix, dict):
        assert list(got) == list(mix)                                    # largest share first


@pytest.mark.parametrize("spec, msg", [
    ("joy", "unknown emotion 'joy'"),
    ("happy:lots", "share must be a number"),
    ("happy:-1,sad:1", ">= 0"),
    ("happy:0", "above 0"),
    ({}, "above 0"),
    ("happy,,sad", "empty part"),
    ({"happy": float("nan")}, ">= 0"),
])
def test_bad_blends_say_what_is_wrong(spec, msg):
    with pytest.raises(ValueError, match=msg):
        check_emotion_mix(spec)


def test_labels_for_takes_and_names():
    assert emotion_label("happy") == emotion_tag("happy") == "happy"
    assert emotion_label("happy:0.6,surprised:0.4") == "happy 60% + surprised 40%"
    assert emotion_tag({"sad": 1, "angry": 3}) == "angry75+sad25"


def test_a_normalised_blend_gives_the_same_condition_as_its_spec():
    np.testing.assert_allclose(condition_vector(check_emotion_mix("happy:3,sad:1"), 0.8),
                               emotion_vector({"happy": 0.75, "sad": 0.25}, 0.8))
    assert not condition_vector(check_emotion_mix("happy,sad"), 0.0).any()   # 0 = neutral
