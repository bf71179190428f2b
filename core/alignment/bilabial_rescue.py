"""Bilabials the word recogniser nearly chose: put them back from its lattice.

Lip closure on /p b m/ is the lip-sync error viewers notice first, and without a transcript
every closure Parley draws comes from a recognised word. When the decoder's best path replaces
``made`` by ``laid``, the closure is gone even though the lattice of the same decode gave
``made`` a fair share of the probability. ``rescue_bilabials`` scans the lattice for words whose
pronunciation contains P, B or M, whose posterior is at least ``min_prob``, and whose time span
holds no bilabial of the best path; each such word is force-aligned alone in its own time span
(a fraction of a second of audio) and its bilabial phones are spliced into the phone timings.
Nothing else of the best path changes, so the jaw, vowels and timing of every other phone stay
as they were.

Measured (``scripts/compare_bilabial_rescue.py``, docs/model_results.md, 2026-12-01): at
posterior 0.05 the learned model's closure on the held-out corpus voice rises from 70 % to 79 %
(with the lip seal), but only 39 % of the added bilabials are real (10 wrong closures per minute);
higher thresholds add fewer, and *less* often right. On the real LibriVox chapter: 84 % -> 89 %,
16 % of additions right. So it is an opt-in (``recognize_phones(bilabial_rescue=p)``,
``recognize-phones --bilabial-rescue P``), not the default: the lattice of PocketSphinx holds few
of the bilabials its best path misses.
"""
from __future__ import annotations

import logging

import numpy as np

from ..phones import BILABIALS, PhoneSegment, normalize_phone, PhoneError
from .lattice import WordArc

log = logging.getLogger(__name__)

#: Default posterior a lattice word needs for its bilabials to be added (see module docstring).
DEFAULT_MIN_PROB = 0.05
#: Seconds added either side of a word's lattice span for its local alignment.
PAD_S = 0.03
#: A best-path bilabial this close (s) to a candidate's span already covers it.
COVER_S = 0.05


def _phones(pron: str | None) -> list[str]:
    out = []
    for p in (pron or "").split():
        try:
            out.append(normalize_phone(p))
        except PhoneError:
            return []
    return out


def has_bilabial(pron: str | None) -> bool:
    """Whether a dictionary pronunciation (``"M EY D"``) contains P, B or M."""
    return any(p in BILABIALS for p in _phones(pron))


def _covered(segments, a: float, b: float) -> bool:
    return any(s.phone in BILABIALS and s.end > a - COVER_S and s.start < b + COVER_S
               for s in segments)


def candidates(segments, arcs: list[WordArc], pronounce, min_prob: float) -> list[WordArc]:
    """Lattice words with a bilabial, posterior >= ``min_prob``, not covered by the best path.

    Arcs of the same pronunciation starting within 30 ms are one word (the lattice splits a word
    by its start frame); their posteriors add up. Of overlapping candidates the likeliest wins.
    """
    merged: list[WordArc] = []
    for a in sorted(arcs, key=lambda a: (a.dict_key, a.start)):
        if merged and merged[-1].dict_key == a.dict_key and a.start - merged[-1].start < 0.03:
            m = merged[-1]
            end = m.end if m.prob >= a.prob else a.end
            merged[-1] = WordArc(m.word, m.variant, m.start, end, min(1.0, m.prob + a.prob))
        else:
            merged.append(a)
    keep = [a for a in merged if a.prob >= min_prob and has_bilabial(pronounce(a.dict_key))
            and not _covered(segments, a.start, a.end)]
    keep.sort(key=lambda a: -a.prob)
    chosen: list[WordArc] = []
    for a in keep:
        if all(a.end <= c.start or a.start >= c.end for c in chosen):
            chosen.append(a)
    return sorted(chosen, key=lambda a: a.start)


def splice(segments, inserts: list[PhoneSegment]) -> list[PhoneSegment]:
    """``segments`` with each insert laid over them (overlapped segments are cut back)."""
    from .sphinx import tile_segments
    out = [(s.phone, s.start, s.end) for s in segments]
    duration = segments[-1].end if segments else 0.0
    for ins in sorted(inserts, key=lambda s: s.start):
        cut = []
        for p, a, b in out:
            if b <= ins.start or a >= ins.end:
                cut.append((p, a, b))
                continue
            if a < ins.start:
                cut.append((p, a, ins.start))
            if b > ins.end:
                cut.append((p, ins.end, b))
        cut.append((ins.phone, ins.start, ins.end))
        out = cut
    return tile_segments([r for r in out if r[0] != "SIL"], duration)


def rescue_bilabials(samples16k, segments, arcs: list[WordArc], pronounce,
                     min_prob: float = DEFAULT_MIN_PROB, sample_rate: int = 16000):
    """Best-path phone ``segments`` plus the bilabials of likely lattice alternatives.

    ``arcs``: the lattice of the decode that produced ``segments`` (``lattice.decoder_lattice``);
    ``pronounce(dict_key)`` -> the pronunciation string or None. Returns ``(segments, added)``,
    ``added`` being the inserted bilabial ``PhoneSegment``s (empty when nothing qualified).
    """
    from .sphinx import AlignmentError, align_detailed
    segments = list(segments)
    x = np.asarray(samples16k)
    duration = len(x) / float(sample_rate)
    added: list[PhoneSegment] = []
    for arc in candidates(segments, arcs, pronounce, min_prob):
        a, b = max(0.0, arc.start - PAD_S), min(duration, arc.end + PAD_S)
        if b - a < 0.12:
            continue
        try:
            res = align_detailed(x[int(a * sample_rate):int(b * sample_rate)], arc.word,
                                 sample_rate)
        except (AlignmentError, ValueError) as exc:
            log.debug("bilabial rescue: %r at %.2f s did not align (%s)", arc.word, a, exc)
            continue
        for s in res.phones:
            if s.phone in BILABIALS and s.end - s.start > 0.0:
                added.append(PhoneSegment(s.phone, a + s.start, a + s.end))
    if not added:
        return segments, []
    return splice(segments, added), added
