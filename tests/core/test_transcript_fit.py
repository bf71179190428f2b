"""A transcript that lacks words is reported (core.alignment.fit), through the engine too."""
from math import gcd

import numpy as np
import pytest

from core.alignment import align_long
from core.alignment.fit import transcript_warnings, uncovered_speech
from tests.conftest import festival_say

pytest.importorskip("pocketsphinx")

FIRST = "Bob made a big map of the old harbour, and Pam bought it."
SECOND = "Then the children painted the long wooden boat blue and green all afternoon."


@pytest.fixture(scope="module")
def two_sentences(tmp_path_factory):
    from scipy.signal import resample_poly
    x, sr = festival_say(f"{FIRST} {SECOND}", tmp_path_factory.mktemp("tts"))
    if sr != 16000:
        g = gcd(sr, 16000)
        x = resample_poly(x, 16000 // g, sr // g).astype(np.float32)
    return x


def test_full_transcript_covers_the_speech(two_sentences):
    phones = align_long(two_sentences, f"{FIRST} {SECOND}").phones
    assert uncovered_speech(two_sentences, phones) == []
    assert transcript_warnings(two_sentences, phones) == []


def test_missing_sentence_is_found_where_it_is_spoken(two_sentences):
    full = align_long(two_sentences, f"{FIRST} {SECOND}")
    second_start = next(w.start for w in full.words if w.word.lower() == "then")
    phones = align_long(two_sentences, FIRST).phones
    gaps = uncovered_speech(two_sentences, phones)
    assert gaps, "half of the speech had no words and was not reported"
    longest = max(gaps, key=lambda g: g.voiced_s)
    assert longest.voiced_s > 1.0 and longest.level_db > -10
    # the stretch is the second sentence (from the end of the first one's words), not the first
    assert second_start - 1.0 <= longest.start <= second_start + 0.1
    assert longest.end >= full.words[-1].end - 0.3
    (msg,) = transcript_warnings(two_sentences, phones)
    assert "missing words" in msg and f"{longest.start:.1f}" in msg


def test_unvoiced_noise_outside_the_words_is_not_speech(two_sentences):
    rng = np.random.default_rng(0)
    noise = (0.05 * rng.standard_normal(16000 * 2)).astype(np.float32)  # 2 s of hiss after it
    x = np.concatenate([two_sentences, noise])
    phones = align_long(x, f"{FIRST} {SECOND}").phones
    assert uncovered_speech(x, phones) == []


def test_engine_reports_it_with_the_take(two_sentences):
    from core.engine import generate_take
    half = generate_take(two_sentences, fps=24, engine="choreography", transcript=FIRST)
    assert half.phone_source == "transcript"
    assert len(half.notes) == 1 and "missing words" in half.notes[0]
    full = generate_take(two_sentences, fps=24, engine="choreography",
                         transcript=f"{FIRST} {SECOND}")
    assert full.notes == []
    recognised = generate_take(two_sentences, fps=24, engine="choreography")
    assert recognised.notes == [] and recognised.phone_source == "recognised (words)"


def test_quiet_recording_gets_a_note_from_the_choreography(two_sentences):
    """The choreography reads level as vocal effort; a take recorded 30 dB too low says so."""
    from core.choreography.prosody import QUIET_NOTE_GAIN, level_gain
    from core.engine import generate_take
    text = f"{FIRST} {SECOND}"
    x = two_sentences / np.abs(two_sentences).max() * 0.7     # a normal peak level
    normal = generate_take(x, fps=24, engine="choreography", transcript=text)
    assert normal.notes == []
    quiet = generate_take(x * 10 ** (-30 / 20), fps=24, engine="choreography", transcript=text)
    (note,) = quiet.notes
    assert "quiet speech" in note and "raise the strip's volume" in note
    assert level_gain(-20.0) == 1.0 and level_gain(-50.0) < QUIET_NOTE_GAIN
    # a quiet median under a near-full-scale peak is a dynamic recording, not a gain problem
    from core.choreography.prosody import quiet_take_note
    loud = np.full(90, -45.0)
    phones = normal.segments
    assert quiet_take_note(loud, phones, 30.0, peak_dbfs=-1.0) is None
    assert quiet_take_note(loud, phones, 30.0, peak_dbfs=-20.0) is not None
    # the note states what the jaw actually got: the quiet take opens less
    jaw = normal.names.index("jawOpen")
    assert quiet.weights[:, jaw].max() < 0.8 * normal.weights[:, jaw].max()


def test_transcript_that_cannot_be_aligned_falls_back_to_recognition(two_sentences):
    """A wrong transcript (or a recording too degraded to align) still gives a take: the phones
    are recognised, and the take says why and how."""
    from core.alignment import AlignmentError
    from core.engine import generate_take
    wrong = ("seven quick zebras jumped over the lazy fox yesterday morning while the rain fell "
             "on the roof of the old farmhouse and the children slept soundly in their beds "
             "until the rooster crowed three times at dawn")
    with pytest.raises(AlignmentError):
        align_long(two_sentences, wrong)
    take = generate_take(two_sentences, fps=24, engine="choreography", transcript=wrong)
    recognised = generate_take(two_sentences, fps=24, engine="choreography")
    assert take.phone_source == "recognised (words)"
    (note,) = take.notes
    assert "could not be aligned" in note and "recognised from the audio instead" in note
    assert (take.weights == recognised.weights).all()          # exactly the recognised take
    # nothing but punctuation: the same, not an error
    dots = generate_take(two_sentences, fps=24, engine="choreography", transcript=" ... !")
    assert dots.phone_source == "recognised (words)" and "could not be aligned" in dots.notes[0]
