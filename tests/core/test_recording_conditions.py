"""A noisy recording gets a note saying that recognised phones will miss closures, and what to
do (core.alignment.conditions); clean recordings and continuous speech get none."""
from math import gcd

import numpy as np
import pytest

from core.alignment.conditions import NOISY_BELOW_DB, background_gap_db, noisy_recording_note
from core.phones import PhoneSegment
from tests.conftest import festival_say

SR = 16000


def _vowelish(seconds, f0=120.0, level=0.3):
    t = np.arange(int(seconds * SR)) / SR
    tone = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 12))
    env = 0.6 + 0.4 * np.sin(2 * np.pi * 4.0 * t) ** 2           # syllable-rate modulation
    return (level * env * tone / np.abs(tone).max()).astype(np.float32)


def _with_pauses(floor_rms):
    """speech 1.2 s / pause 0.6 s / speech 1.2 s / pause 0.6 s, background ``floor_rms``."""
    rng = np.random.default_rng(0)
    parts = [_vowelish(1.2), np.zeros(int(0.6 * SR), np.float32), _vowelish(1.2, 140.0),
             np.zeros(int(0.6 * SR), np.float32)]
    x = np.concatenate(parts)
    x = x + floor_rms * rng.standard_normal(x.size).astype(np.float32)
    segs = [PhoneSegment("AA", 0.0, 1.2), PhoneSegment("SIL", 1.2, 1.8),
            PhoneSegment("IY", 1.8, 3.0), PhoneSegment("SIL", 3.0, 3.6)]
    return x, segs


def test_gap_is_the_distance_from_speech_to_the_pauses():
    rms = float(np.sqrt(np.mean(_vowelish(1.2) ** 2)))
    for snr in (10.0, 20.0, 40.0):
        x, segs = _with_pauses(rms * 10 ** (-snr / 20))
        gap = background_gap_db(x, segs)
        # the 90th percentile of the speech sits a few dB above its RMS
        assert snr <= gap <= snr + 6, (snr, gap)


def test_note_only_for_a_noisy_recording():
    rms = float(np.sqrt(np.mean(_vowelish(1.2) ** 2)))
    clean, segs = _with_pauses(rms * 10 ** (-50 / 20))
    assert noisy_recording_note(clean, segs) is None
    noisy, segs = _with_pauses(rms * 10 ** (-18 / 20))
    note = noisy_recording_note(noisy, segs)
    assert note is not None and "noisy" in note and "Transcript" in note
    gap = background_gap_db(noisy, segs)
    assert gap < NOISY_BELOW_DB and f"{gap:.0f} dB" in note
    # a front end's (phone, start, end) tuples read the same
    assert background_gap_db(noisy, [(s.phone, s.start, s.end) for s in segs]) == gap


def test_continuous_speech_is_not_judged():
    """No pause to read the background in (a tightly trimmed line): no verdict, no note, even
    though its quiet consonants lie well within 30 dB of its vowels."""
    x = np.concatenate([_vowelish(1.5), 0.003 * _vowelish(0.1, 300.0), _vowelish(1.5)])
    segs = [PhoneSegment("AA", 0.0, 1.5), PhoneSegment("SIL", 1.5, 1.6),
            PhoneSegment("IY", 1.6, 3.1)]
    assert background_gap_db(x, segs) is None
    assert noisy_recording_note(x, segs) is None


@pytest.fixture(scope="module")
def sentence(tmp_path_factory):
    from scipy.signal import resample_poly
    x, sr = festival_say("Bob made a big map of the old harbour, and Pam bought it. Then the "
                         "children painted the boat blue.", tmp_path_factory.mktemp("tts"))
    if sr != SR:
        g = gcd(sr, SR)
        x = resample_poly(x, SR // g, sr // g).astype(np.float32)
    pad = np.zeros(int(0.8 * SR), np.float32)
    return np.concatenate([pad, x / np.abs(x).max() * 0.7, pad]).astype(np.float32)


def test_engine_notes_a_noisy_recording_unless_the_transcript_is_given(sentence):
    pytest.importorskip("pocketsphinx")
    from core.engine import generate_take
    text = "Bob made a big map of the old harbour, and Pam bought it. Then the children painted the boat blue."
    clean = generate_take(sentence, fps=24, engine="choreography")
    assert not any("noisy" in n for n in clean.notes)
    rng = np.random.default_rng(1)
    speech_rms = float(np.sqrt(np.mean(sentence[np.abs(sentence) > 0.02] ** 2)))
    noisy = (sentence + speech_rms * 10 ** (-18 / 20)
             * rng.standard_normal(sentence.size)).astype(np.float32)
    recognised = generate_take(noisy, fps=24, engine="choreography")
    assert any("noisy" in n and "Transcript" in n for n in recognised.notes), recognised.notes
    given = generate_take(noisy, fps=24, engine="choreography", transcript=text)
    assert not any("noisy" in n for n in given.notes)
