"""Forced alignment and phone recognition with PocketSphinx 5 (bundled en-us model).

``align`` maps a transcript onto 16 kHz speech in two passes (word alignment, then phone
alignment of that word sequence), giving ARPAbet ``PhoneSegment``s that tile the whole clip
(gaps and pauses become ``SIL``). ``recognize_phones`` needs no transcript: ``"words"``
(default) decodes words with the bundled English LM and force-aligns its own hypothesis (more
accurate, English only), ``"allphone"`` decodes phones directly with the bundled phone trigram
LM (about 5x faster, less accurate).
Timing resolution is PocketSphinx's 10 ms frame; each phone lasts at least 30 ms (3 HMM states).
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..phones import PhoneSegment, normalize_phone, PhoneError
from .text import guess_pronunciation, normalize_transcript

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
FRAME_RATE = 100  # PocketSphinx frames per second
MIN_DURATION = 0.1


class AlignmentError(RuntimeError):
    """Alignment or recognition could not produce a result (message says why and what to try)."""


@dataclass(frozen=True)
class WordSegment:
    word: str
    start: float
    end: float


@dataclass
class AlignResult:
    """Full output of a forced alignment: words, phones and what had to be guessed."""
    phones: list[PhoneSegment]
    words: list[WordSegment]
    duration: float
    guessed: dict[str, str] = field(default_factory=dict)  # OOV word -> method used
    seconds: float = 0.0                                   # wall-clock compute time


#: The ``"words_fast"`` recogniser's search: PocketSphinx's defaults less the lattice best-path pass,
#: with 2 Gaussians per codebook and smaller HMM/word budgets per frame. A/B on 80 utterances of
#: the held-out corpus voice (scripts/compare_recognizer_settings.py, docs/model_results.md):
#: same learned-model bilabial closure as the defaults (69.0 % of 252 events, both), frame phone
#: agreement 55.1 vs 54.7 %, bilabial recall 47.0 vs 47.1 %, at 24 vs 61 CPU-s per minute of
#: audio on the loaded 2-core machine. Dropping the flat-lexicon pass as well was 3.6x faster but
#: cost 2.7 points of closure, so it is not used. On the real recordings it lost 2 of 10
#: bilabials of the two short clips (docs/model_results.md), so ``"words"`` (the defaults) stays
#: the default recogniser and this is an option for batch work.
FAST_WORD_SEARCH = dict(bestpath=False, topn=2, maxhmmpf=3000, maxwpf=10)

#: Peak (int16) below which a clip is digital silence (-70 dBFS).
DIGITAL_SILENCE = 10

_lock = threading.RLock()
_decoders: dict[str, object] = {}


def _import_pocketsphinx():
    try:
        import pocketsphinx
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise AlignmentError("the 'pocketsphinx' package is not installed; install "
                             "pocketsphinx>=5 (it ships the en-us model and dictionary)") from exc
    return pocketsphinx


def _decoder(kind: str):
    """A cached decoder: 'align' / 'align_wide' (forced alignment), 'words', 'words_fast' or
    'allphone'."""
    with _lock:
        if kind not in _decoders:
            ps = _import_pocketsphinx()
            common = dict(samprate=SAMPLE_RATE, loglevel="FATAL")
            if kind == "allphone":
                # beams/weights as recommended for phonetic decoding in the CMUSphinx docs.
                # Context-dependent phones (allphone_ci=False) were measured too: +13 points
                # of phone agreement but 15x slower than this and still worse than "words".
                _decoders[kind] = ps.Decoder(
                    allphone=ps.get_model_path("en-us/en-us-phone.lm.bin"), lm=None,
                    allphone_ci=True, beam=1e-20, pbeam=1e-20, lw=2.0, bestpath=False,
                    **common)
            elif kind == "words":
                _decoders[kind] = ps.Decoder(**common)
            elif kind == "words_fast":
                _decoders[kind] = ps.Decoder(**FAST_WORD_SEARCH, **common)
            elif kind == "align":
                _decoders[kind] = ps.Decoder(bestpath=False, **common)
            elif kind == "align_wide":  # fallback: default beams lose some (synthetic) speech
                _decoders[kind] = ps.Decoder(bestpath=False, beam=1e-80, wbeam=1e-60,
                                             pbeam=1e-80, **common)
            else:
                raise ValueError(f"unknown decoder kind {kind!r}")
        return _decoders[kind]


def to_pcm16(samples, sample_rate: int = SAMPLE_RATE) -> tuple[bytes, float]:
    """Validate mono float/int16 audio, resample to 16 kHz, return (int16 bytes, duration s)."""
    x = np.asarray(samples)
    if x.ndim == 2 and min(x.shape) <= 2:
        x = x.mean(axis=int(np.argmin(x.shape)))
    if x.ndim != 1:
        raise ValueError(f"audio must be mono 1-D samples, got shape {x.shape}")
    if x.dtype == np.int16:
        x = x.astype(np.float32) / 32768.0
    x = x.astype(np.float32, copy=False)
    if not np.all(np.isfinite(x)):
        raise ValueError("audio contains NaN or infinite samples")
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate}")
    dur = len(x) / float(sample_rate)  # the caller's duration, not the resampled length
    if int(sample_rate) != SAMPLE_RATE:
        from math import gcd

        from scipy.signal import resample_poly
        g = gcd(int(sample_rate), SAMPLE_RATE)
        x = resample_poly(x, SAMPLE_RATE // g, int(sample_rate) // g).astype(np.float32)
    if dur < MIN_DURATION:
        raise ValueError(f"audio is {dur * 1000:.0f} ms long; need at least "
                         f"{MIN_DURATION * 1000:.0f} ms of speech to align")
    return (np.clip(working_level(x), -1.0, 1.0) * 32767.0).astype("<i2").tobytes(), dur


#: Peak below which a recording is brought up to ``BOOST_PEAK`` before recognition (-20 dBFS):
#: the quieter the recording, the more phones PocketSphinx loses (four real clips scaled down by
#: 20 / 40 / 50 dB agreed 95 / 82 / 68 % with their own recognition; 98 / 99 / 98 % with the boost;
#: docs/model_results.md, "A quiet recording lost its phones"). Round figures, not fitted.
QUIET_PEAK = 0.1
BOOST_PEAK = 0.5
#: Most gain added (40 dB): room tone is not raised to speech level.
MAX_BOOST = 100.0
#: A mean at least this far from zero (-46 dBFS) is a DC offset and is removed; smaller ones
#: are left (PocketSphinx's search changes a phone or two for any perturbation at all).
DC_OFFSET = 0.005


def working_level(x: np.ndarray) -> np.ndarray:
    """Mono float samples at a level the recogniser works at: a DC offset removed, quiet
    recordings raised to ``BOOST_PEAK`` (at most ``MAX_BOOST``), over-range input scaled down.
    Digital silence stays silence; normal levels are left alone."""
    dc = float(x.mean()) if x.size else 0.0
    if abs(dc) >= DC_OFFSET:
        x = x - np.float32(dc)
    peak = float(np.max(np.abs(x), initial=0.0))
    if peak > 1.0:  # clipped float input: scale rather than wrap
        return x / peak
    if DIGITAL_SILENCE / 32767.0 <= peak < QUIET_PEAK:
        return x * np.float32(min(BOOST_PEAK / peak, MAX_BOOST))
    return x


_guessed: dict[int, dict[str, str]] = {}  # id(decoder) -> words it was taught, and how


def _prepare_words(decoder, words: list[str]) -> dict[str, str]:
    """Make every word known to the decoder; returns {oov_word: method} for guessed ones
    (including words taught to this cached decoder by an earlier call)."""
    taught = _guessed.setdefault(id(decoder), {})
    guessed: dict[str, str] = {}
    for w in dict.fromkeys(words):
        if w in taught:
            guessed[w] = taught[w]
            continue
        if decoder.lookup_word(w):
            continue
        phones, method = guess_pronunciation(w, decoder.lookup_word)
        decoder.add_word(w, phones, True)
        guessed[w] = taught[w] = method
        log.warning("alignment: %r is not in the CMU dictionary; using %s pronunciation %s",
                    w, method, phones)
    return guessed


def _clean_word(name: str) -> str | None:
    """Dictionary word of an alignment entry, or None for silences/fillers."""
    if name.startswith(("<", "[", "+")) or name in ("SIL", "sil"):
        return None
    return name.split("(")[0]


def _phone_of(name: str) -> str:
    try:
        return normalize_phone(name)
    except PhoneError:
        return "SIL"  # filler phones (+NSN+, +BREATH+...)


def tile_segments(raw: list[tuple[str, float, float]], duration: float) -> list[PhoneSegment]:
    """Clip, sort, fill gaps with SIL and merge adjacent SILs so segments cover [0, duration]."""
    out: list[PhoneSegment] = []
    t = 0.0
    for phone, a, b in sorted(raw, key=lambda r: r[1]):
        a, b = max(a, t), min(b, duration)
        if b - a < 1e-6:
            continue
        if a - t > 1e-6:
            out.append(PhoneSegment("SIL", t, a))
        out.append(PhoneSegment(phone, a, b))
        t = b
    if duration - t > 1e-6:
        out.append(PhoneSegment("SIL", t, duration))
    merged: list[PhoneSegment] = []
    for seg in out:
        if merged and seg.phone == "SIL" and merged[-1].phone == "SIL":
            merged[-1] = PhoneSegment("SIL", merged[-1].start, seg.end)
        else:
            merged.append(seg)
    if merged:
        merged[-1] = PhoneSegment(merged[-1].phone, merged[-1].start, duration)
    return merged


def _run(decoder, pcm: bytes) -> None:
    """Decode one whole utterance, independent of what the decoder heard before.

    PocketSphinx carries its cepstral-mean estimate from one utterance into the next, so the
    same clip decoded after another gives other words (seen on real speech). ``reinit_feat``
    resets it (free), which makes results depend only on the audio: a re-take, a test, or a
    chunk decoded by any helper process gets the same phones.
    """
    decoder.reinit_feat()
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()


def _phone_pass(decoder, pcm: bytes, offset: float):
    """Second (phone-level) pass after a word pass; returns words and raw phone tuples."""
    decoder.set_alignment()
    _run(decoder, pcm)
    alignment = decoder.get_alignment()
    words: list[WordSegment] = []
    raw: list[tuple[str, float, float]] = []
    if alignment is None:
        return words, raw
    for w in alignment:
        ws, we = offset + w.start / FRAME_RATE, offset + (w.start + w.duration) / FRAME_RATE
        word = _clean_word(w.name)
        if word is not None:
            words.append(WordSegment(word, ws, we))
        for p in w:
            ps_, pe = offset + p.start / FRAME_RATE, offset + (p.start + p.duration) / FRAME_RATE
            raw.append(("SIL" if word is None else _phone_of(p.name), ps_, pe))
    return words, raw


def _forced(words: list[str], pcm: bytes, duration: float, phones: bool):
    """Word pass (and phone pass) with default beams, retried with wide beams on failure.

    Wide beams rescue speech the default pruning loses (synthetic voices, odd recordings) but
    cost about twice the time, so they are only the fallback.
    """
    last_error = None
    for kind in ("align", "align_wide"):
        dec = _decoder(kind)
        with _lock:  # a decoder is not re-entrant
            guessed = _prepare_words(dec, words)
            try:
                dec.set_align_text(" ".join(words))
                _run(dec, pcm)
                segs = [(_clean_word(s.word), s.start_frame / FRAME_RATE,
                         (s.end_frame + 1) / FRAME_RATE) for s in (dec.seg() or [])]
                if not segs:
                    continue
                if not phones:
                    return segs, guessed, None, None
                out_words, raw = _phone_pass(dec, pcm, 0.0)
                if out_words:
                    return segs, guessed, out_words, raw
            except RuntimeError as exc:
                last_error = exc
            finally:
                dec.activate_search()
    why = f" ({last_error})" if last_error else " (no path reached the end)"
    raise AlignmentError(
        f"PocketSphinx could not align {len(words)} words to {duration:.1f} s of audio{why}. "
        f"Check that the transcript matches the recording; for recordings longer than ~30 s "
        f"use align_long(); without a transcript use recognize_phones().")


def _words_of(transcript: str) -> list[str]:
    words = normalize_transcript(transcript)
    if not words:
        raise ValueError(f"transcript {transcript!r} contains no words to align; pass the "
                         f"spoken text, or use recognize_phones() when there is none")
    return words


def word_pass(samples, transcript: str, sample_rate: int = SAMPLE_RATE):
    """Word-level forced alignment only (one pass; cheap even for long recordings).

    Returns ``[(word | None, start, end)]`` in seconds, ``None`` marking silences/fillers, and
    the {oov: method} dict. Used by ``align_long`` to find safe places to cut.
    """
    pcm, duration = to_pcm16(samples, sample_rate)
    segs, guessed, _, _ = _forced(_words_of(transcript), pcm, duration, phones=False)
    return segs, guessed


def align_detailed(samples, transcript: str, sample_rate: int = SAMPLE_RATE) -> AlignResult:
    """Forced alignment with words, phones, guessed pronunciations and timing (see ``align``)."""
    import time

    t0 = time.perf_counter()
    pcm, duration = to_pcm16(samples, sample_rate)
    _, guessed, out_words, raw = _forced(_words_of(transcript), pcm, duration, phones=True)
    return AlignResult(tile_segments(raw, duration), out_words, duration, guessed,
                       time.perf_counter() - t0)


def align(samples16k, transcript: str, sample_rate: int = SAMPLE_RATE) -> list[PhoneSegment]:
    """Phone timings of ``transcript`` spoken in ``samples16k`` (mono, 16 kHz by default).

    Text is normalised (case, punctuation, numbers); words missing from the CMU dictionary get
    a guessed pronunciation with a logged warning. Segments cover the whole clip, with ``SIL``
    for leading/trailing silence and pauses. Raises ``AlignmentError`` when the audio and the
    transcript cannot be matched.
    """
    return align_detailed(samples16k, transcript, sample_rate).phones


RECOGNIZERS = ("words", "words_fast", "allphone")

#: Recordings longer than this are recognised in chunks cut at pauses (seconds).
CHUNK_S = 15.0


def recognize_phones(samples16k, method: str = "words", sample_rate: int = SAMPLE_RATE,
                     bilabial_rescue: float | None = None, *, chunk_s: float | None = CHUNK_S,
                     workers: int | None = None,
                     progress: Callable[[int, int], None] | None = None) -> list[PhoneSegment]:
    """Phone timings without a transcript.

    ``"words"`` (default): English word decoding with the bundled LM, then forced alignment of
    the recognised words (``align_long`` for long audio); on real English speech ~81 % of speech
    frames get the same phone as forced alignment with the true transcript (~87 % the same
    viseme). ``"words_fast"``: the same with a narrower search (``FAST_WORD_SEARCH``, ~2.5x
    faster, slightly less reliable on bilabials). ``"allphone"``: phonetic decoding with the
    bundled phone trigram LM: ~54 % / ~66 %, and not tied to dictionary words. If the
    recognised words cannot be aligned, the word methods fall back to ``"allphone"`` with a
    warning. Figures: ``docs/baseline_metrics.md``, ``docs/model_results.md``.

    ``bilabial_rescue`` (``"words"`` only): a lattice posterior in (0, 1]; bilabials of lattice
    words at least that likely that the best path lacks are spliced in
    (``core.alignment.bilabial_rescue``). None = best path only.

    Word recognition of audio longer than ``chunk_s`` seconds (None = never) is done in chunks
    cut in pauses (``core.alignment.chunked``), spread over ``workers`` helper processes
    (None = one per core, up to 4; 0 or 1 = in this process). The cuts do not depend on
    ``workers``, so the result is the same however many run. ``progress(done, total)`` is
    called between chunks; an exception it raises (a cancel) stops the work and propagates.
    """
    if method not in RECOGNIZERS:
        raise ValueError(f"unknown recognition method {method!r}; use one of {RECOGNIZERS}")
    if bilabial_rescue is not None and not 0.0 < bilabial_rescue <= 1.0:
        raise ValueError(f"bilabial_rescue must be a posterior in (0, 1] or None, got "
                         f"{bilabial_rescue!r}")
    if bilabial_rescue is not None and method != "words":
        raise ValueError(f"bilabial_rescue needs method 'words' (its lattice posteriors come "
                         f"from the best-path pass that {method!r} lacks)")
    if chunk_s is not None and not chunk_s >= 5.0:
        raise ValueError(f"chunk_s must be at least 5 seconds or None, got {chunk_s!r}")
    pcm, duration = to_pcm16(samples16k, sample_rate)
    if np.abs(np.frombuffer(pcm, dtype="<i2")).max(initial=0) < DIGITAL_SILENCE:
        return [PhoneSegment("SIL", 0.0, duration)]    # nothing to hear: never invent words
    if method != "allphone" and chunk_s is not None and duration > chunk_s:
        from .chunked import recognize_chunked
        return recognize_chunked(np.frombuffer(pcm, dtype="<i2"), duration, method,
                                 bilabial_rescue, chunk_s, workers, progress)
    return _recognize_whole(pcm, duration, method, bilabial_rescue)


def recognize_chunk(samples16k: np.ndarray, method: str,
                    bilabial_rescue: float | None) -> list[tuple[str, float, float]]:
    """One chunk of a long recording, recognised as a whole (what a helper process runs)."""
    pcm, duration = to_pcm16(samples16k)
    return [(p.phone, p.start, p.end)
            for p in _recognize_whole(pcm, duration, method, bilabial_rescue)]


def _recognize_whole(pcm: bytes, duration: float, method: str,
                     bilabial_rescue: float | None) -> list[PhoneSegment]:
    if method == "allphone":
        dec = _decoder("allphone")
        with _lock:
            try:
                _run(dec, pcm)
                raw = [(_phone_of(s.word), s.start_frame / FRAME_RATE,
                        (s.end_frame + 1) / FRAME_RATE) for s in (dec.seg() or [])]
            except RuntimeError as exc:
                raise AlignmentError(f"PocketSphinx phone decoding failed: {exc}") from exc
        return tile_segments(raw, duration)
    dec = _decoder(method)
    arcs, pron = [], {}
    with _lock:
        try:
            _run(dec, pcm)
            hyp = dec.hyp()
            if bilabial_rescue is not None:
                from .lattice import decoder_lattice
                arcs = decoder_lattice(dec, min_prob=bilabial_rescue / 4)
                pron = {a.dict_key: dec.lookup_word(a.dict_key) for a in arcs}
        except RuntimeError as exc:
            raise AlignmentError(f"PocketSphinx word decoding failed: {exc}") from exc
    text = hyp.hypstr if hyp is not None else ""
    if not normalize_transcript(text):
        return [PhoneSegment("SIL", 0.0, duration)]
    from .long import align_long

    x = np.frombuffer(pcm, dtype="<i2")
    try:
        phones = align_long(x, text).phones
    except AlignmentError as exc:
        log.warning("recognize_phones: recognised words could not be aligned (%s); using "
                    "phonetic decoding instead", exc)
        return _recognize_whole(pcm, duration, "allphone", None)
    # the 16 kHz copy may differ from the caller's duration by a sample: stretch the tail
    phones = tile_segments([(p.phone, p.start, p.end) for p in phones if p.phone != "SIL"],
                           duration)
    if arcs:
        from .bilabial_rescue import rescue_bilabials
        phones, _ = rescue_bilabials(x, phones, arcs, pron.get, bilabial_rescue)
    return phones
