"""Long-recording word recognition in chunks cut at pauses, spread over helper processes."""
import logging

import numpy as np
import pytest

from core.alignment import AlignmentError, phone_overlap_accuracy, recognize_phones
from core.alignment import chunked, sphinx, workers
from core.phones import validate_segments
from tests.conftest import festival_say

pytest.importorskip("pocketsphinx")

SENTENCES = ["Bob made a big map of the harbour.", "Pam bought it for a penny.",
             "The puppy sleeps by the warm stove."]


@pytest.fixture(scope="module")
def long_speech(tmp_path_factory):
    """~10 s: three festival sentences with 0.6 s pauses, at 16 kHz."""
    from scipy.signal import resample_poly
    parts = []
    for i, text in enumerate(SENTENCES):
        x, sr = festival_say(text, tmp_path_factory.mktemp(f"tts{i}"))
        if sr != 16000:
            x = resample_poly(x, 16000, sr).astype(np.float32)
        parts += [x, np.zeros(int(0.6 * 16000), np.float32)]
    return np.concatenate(parts[:-1])


def _tiles(segs, duration):
    validate_segments(segs)
    assert segs[0].start == 0.0 and segs[-1].end == pytest.approx(duration)


def test_chunk_bounds_cut_in_pauses(long_speech):
    x16 = (long_speech * 32767).astype(np.int16)
    d = len(x16) / 16000
    bounds = chunked.chunk_bounds(x16, d, 5.0)
    assert len(bounds) >= 2 and bounds[0][0] == 0.0 and bounds[-1][1] == pytest.approx(d)
    for (a, b), (c, _) in zip(bounds[:-1], bounds[1:]):
        assert b == c and b - a <= 5.0 + 1e-9
        quiet = np.abs(x16[int(b * 16000) - 800:int(b * 16000) + 800]).max()
        assert quiet < 300, f"cut at {b:.2f} s is not in a pause"


def test_decoding_does_not_depend_on_what_came_before(long_speech):
    """PocketSphinx carries state between utterances unless reset (``sphinx._run``)."""
    a, b = long_speech[:48000], long_speech[-48000:]
    first = sphinx.recognize_chunk(a, "words", None)
    sphinx.recognize_chunk(b, "words", None)
    assert sphinx.recognize_chunk(a, "words", None) == first


def test_chunked_is_the_same_with_any_number_of_processes(long_speech):
    d = len(long_speech) / 16000
    seen = []
    here = recognize_phones(long_speech, chunk_s=5.0, workers=1,
                            progress=lambda i, n: seen.append((i, n)))
    _tiles(here, d)
    assert seen[-1][0] == seen[-1][1] >= 2
    spread = recognize_phones(long_speech, chunk_s=5.0, workers=2)
    assert spread == here
    assert len(workers.pool()._workers) == 2 and all(w.alive() for w in workers.pool()._workers)
    whole = recognize_phones(long_speech, chunk_s=None)
    assert phone_overlap_accuracy(whole, here, level="viseme") > 0.8


def test_cancel_stops_the_helpers_and_the_next_run_works(long_speech):
    class Stop(Exception):
        pass

    def cancel(done, total):
        raise Stop

    with pytest.raises(Stop):
        recognize_phones(long_speech, chunk_s=5.0, workers=2, progress=cancel)
    assert workers.pool()._workers == []
    assert len(recognize_phones(long_speech, chunk_s=5.0, workers=2)) > 10


def test_helpers_that_cannot_start_fall_back_to_this_process(long_speech, monkeypatch, caplog):
    workers.pool().close()
    monkeypatch.setattr(workers, "_BOOTSTRAP", "import sys; sys.exit(3)  # {parent}")
    with caplog.at_level(logging.WARNING):
        segs = recognize_phones(long_speech, chunk_s=5.0, workers=2)
    assert "recognising in this process instead" in caplog.text
    assert segs == recognize_phones(long_speech, chunk_s=5.0, workers=1)
    workers.pool().close()


def test_a_failed_chunk_is_kept_silent_and_all_failed_is_an_error(long_speech, monkeypatch,
                                                                   caplog):
    real = sphinx.recognize_chunk
    calls = []

    def flaky(**job):
        calls.append(1)
        if len(calls) == 1:
            raise AlignmentError("decoder broke")
        return real(**job)

    monkeypatch.setattr(chunked, "recognize_chunk", flaky)
    with caplog.at_level(logging.WARNING):
        segs = recognize_phones(long_speech, chunk_s=5.0, workers=1)
    assert "could not be recognised (decoder broke); kept silent" in caplog.text
    first_cut = chunked.chunk_bounds((long_speech * 32767).astype(np.int16),
                                     len(long_speech) / 16000, 5.0)[0][1]
    assert segs[0].phone == "SIL" and segs[0].end >= first_cut - 1e-6

    def broken(**job):
        raise AlignmentError("decoder broke")

    monkeypatch.setattr(chunked, "recognize_chunk", broken)
    with pytest.raises(AlignmentError, match="could not recognise any of the"):
        recognize_phones(long_speech, chunk_s=5.0, workers=1)


def test_bad_chunk_length_is_a_clear_error(long_speech):
    with pytest.raises(ValueError, match="chunk_s must be at least 5 seconds"):
        recognize_phones(long_speech, chunk_s=1.0)


def test_generate_take_reports_parts_and_cancels_between_them(long_speech):
    from core.engine import Cancelled, generate_take
    from core.engine import PHONE_CACHE
    x = np.concatenate([long_speech, long_speech])          # ~20 s: past CHUNK_S
    assert len(x) / 16000 > sphinx.CHUNK_S
    messages = []
    with pytest.raises(Cancelled):
        generate_take(x, fps=24, engine="choreography",
                      progress=lambda f, m: messages.append(m),
                      should_cancel=lambda: any("parts)" in m for m in messages))
    assert any(m.startswith("recognising phones (") for m in messages)
    assert PHONE_CACHE.get(PHONE_CACHE.key(x, None, "words")) is None
