"""Forced alignment of long recordings (minutes): align words once, then phones per chunk.

A single phone-level pass over minutes of audio is slow and one bad stretch (a transcript
error, a cough) can drag every later phone. ``align_long`` first runs the cheap word-level
alignment over the whole file, cuts it into chunks of at most ``max_chunk_s`` at pauses the
aligner found between words, and then aligns each chunk separately (its own cepstral
normalisation, its own two passes). A chunk that fails is kept as ``SIL`` with a warning
instead of failing the whole recording.

When even the whole-file word pass fails (a transcript that drifts from the recording), the
fallback cuts the audio at quiet pauses, recognises each chunk with a language model built from
the transcript itself, matches the recognised words to the transcript (difflib) and gives each
chunk the transcript words whose matched/interpolated times fall inside it.
"""
from __future__ import annotations

import logging
import time

import numpy as np

from .sphinx import (FRAME_RATE, SAMPLE_RATE, AlignmentError, AlignResult, _clean_word,
                     _decoder, _lock, _prepare_words, _words_of, align_detailed,
                     tile_segments, to_pcm16, word_pass)

log = logging.getLogger(__name__)


def _cut_points(segs, duration: float, max_chunk_s: float, min_pause_s: float,
                force: bool = False) -> list[float]:
    """Times (s) in the middle of pauses so that no chunk is longer than ``max_chunk_s``.

    Without a pause or word boundary in reach: cut at ``max_chunk_s`` when ``force``, else raise.
    """
    pauses = [((a + b) / 2, b - a) for w, a, b in segs if w is None and b - a >= min_pause_s]
    cuts: list[float] = []
    start = 0.0
    while duration - start > max_chunk_s:
        window = [(t, d) for t, d in pauses if start + 0.25 * max_chunk_s < t <= start + max_chunk_s]
        if not window:  # no pause: cut between words instead
            window = [(b, 0.0) for w, a, b in segs
                      if w is not None and start + 0.25 * max_chunk_s < b <= start + max_chunk_s]
        if not window and force:
            window = [(start + max_chunk_s, 0.0)]
        if not window:
            raise AlignmentError(f"no word boundary found between {start:.1f} s and "
                                 f"{start + max_chunk_s:.1f} s; increase max_chunk_s")
        # the longest pause in the last half of the window is the safest cut
        late = [p for p in window if p[0] > start + 0.5 * max_chunk_s] or window
        t = max(late, key=lambda p: p[1])[0]
        cuts.append(t)
        start = t
    return cuts


def align_long(samples16k, transcript: str, sample_rate: int = SAMPLE_RATE,
               max_chunk_s: float = 30.0, min_pause_s: float = 0.15) -> AlignResult:
    """Align a long recording with its transcript; same output as ``align_detailed``.

    Short clips (<= ``max_chunk_s``) are aligned directly. ``AlignResult.seconds`` reports the
    compute time (the LibriVox test chapter, 6 min, is in docs/baseline_metrics.md).
    """
    t0 = time.perf_counter()
    pcm, duration = to_pcm16(samples16k, sample_rate)
    x = np.frombuffer(pcm, dtype="<i2")
    if duration <= max_chunk_s:
        return align_detailed(x, transcript)
    try:
        segs, guessed = word_pass(x, transcript)
        method = "word pass"
    except AlignmentError as exc:
        log.warning("align_long: whole-file word alignment failed (%s); falling back to "
                    "transcript-LM recognition anchors", exc)
        segs, guessed = anchor_words(x, _words_of(transcript), max_chunk_s)
        method = "anchors"
    cuts = _cut_points(segs, duration, max_chunk_s, min_pause_s)
    bounds = [0.0] + cuts + [duration]
    raw: list[tuple[str, float, float]] = []
    words = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        chunk_words = [w for w, s, e in segs if w is not None and a <= (s + e) / 2 < b]
        if not chunk_words:
            continue
        i0, i1 = int(round(a * SAMPLE_RATE)), int(round(b * SAMPLE_RATE))
        try:
            res = align_detailed(x[i0:i1], " ".join(chunk_words))
        except AlignmentError as exc:
            log.warning("align_long: chunk %.1f-%.1f s failed (%s); using the whole-file "
                        "word timings there, phones left as SIL", a, b, exc)
            continue
        raw.extend((p.phone, p.start + a, p.end + a) for p in res.phones if p.phone != "SIL")
        words.extend(type(w)(w.word, w.start + a, w.end + a) for w in res.words)
        guessed.update(res.guessed)
    if not words:
        raise AlignmentError("every chunk of the recording failed to align; check that the "
                             "transcript matches the audio")
    log.info("align_long: %d chunks via %s", len(bounds) - 1, method)
    return AlignResult(tile_segments(raw, duration), words, duration, guessed,
                       time.perf_counter() - t0)


def _pause_segments(x: np.ndarray, min_pause_s: float = 0.2):
    """Quiet stretches of the audio as ``(None, start, end)`` (energy gate, 10 ms frames)."""
    from ..evaluation.signals import audio_silence_mask, frame_loudness_db

    db = frame_loudness_db(x.astype(np.float32) / 32768.0, SAMPLE_RATE, FRAME_RATE)
    quiet = np.concatenate([[False], audio_silence_mask(db), [False]])
    edges = np.flatnonzero(np.diff(quiet.astype(np.int8)))
    out = []
    for a, b in zip(edges[::2], edges[1::2]):
        if (b - a) / FRAME_RATE >= min_pause_s:
            out.append((None, a / FRAME_RATE, b / FRAME_RATE))
    return out


def anchor_words(x: np.ndarray, words: list[str], max_chunk_s: float):
    """Approximate word times without a forced path: see the module docstring.

    Returns ``([(word | None, start, end)], guessed)`` like ``word_pass``: transcript words with
    estimated times (zero-length at their interpolated time) plus the detected pauses.
    """
    import difflib
    import os
    import tempfile

    from pocketsphinx import Decoder
    from pocketsphinx.lm import ArpaBoLM

    duration = len(x) / SAMPLE_RATE
    pauses = _pause_segments(x)
    cuts = _cut_points(pauses, duration, max_chunk_s, 0.2, force=True)
    lm = ArpaBoLM(text=" ".join(words) + "\n", add_start=True)
    lm.compute()
    # a dictionary of just the transcript's words keeps the decoder small and quick to build
    aligner = _decoder("align")
    with _lock:
        guessed = _prepare_words(aligner, words)
        lines = [f"{w} {aligner.lookup_word(w)}" for w in dict.fromkeys(words)]
    paths = []
    try:
        for suffix, write in ((".arpa", lm.write),
                              (".dict", lambda f: f.write("\n".join(lines) + "\n"))):
            fd, path = tempfile.mkstemp(suffix=suffix)
            paths.append(path)
            with os.fdopen(fd, "w") as f:
                write(f)
        dec = Decoder(samprate=SAMPLE_RATE, lm=paths[0], dict=paths[1], loglevel="FATAL")
    finally:
        for path in paths:
            os.unlink(path)
    hyp: list[tuple[str, float]] = []
    bounds = [0.0] + cuts + [duration]
    for a, b in zip(bounds[:-1], bounds[1:]):
        i0, i1 = int(a * SAMPLE_RATE), int(b * SAMPLE_RATE)
        dec.start_utt()
        dec.process_raw(x[i0:i1].astype("<i2").tobytes(), full_utt=True)
        dec.end_utt()
        for s in dec.seg() or []:
            w = _clean_word(s.word)
            if w is not None:
                hyp.append((w, a + (s.start_frame + s.end_frame + 1) / 2 / FRAME_RATE))
    sm = difflib.SequenceMatcher(None, words, [w for w, _ in hyp], autojunk=False)
    idx, times = [], []
    for blk in sm.get_matching_blocks():
        for k in range(blk.size):
            idx.append(blk.a + k)
            times.append(hyp[blk.b + k][1])
    if len(idx) < 2:
        raise AlignmentError(f"the recording and its transcript have almost nothing in common "
                             f"({len(idx)} of {len(words)} words recognised); check the transcript")
    est = np.interp(np.arange(len(words)), idx, times)
    segs = [(w, float(t), float(t)) for w, t in zip(words, est)] + pauses
    return sorted(segs, key=lambda s: s[1]), guessed
