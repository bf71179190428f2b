"""ARPAbet phone set and timed phone sequences (the contract between text, audio and motion).

A phone sequence is a list of ``PhoneSegment(phone, start, end)`` in seconds. Stress digits
(``AH0``) are accepted and stripped. ``SIL`` marks silence/pause; ``SP`` (short pause), ``sil``,
``<sil>``, ``pau`` and ``h#`` are accepted as aliases of it.
"""
from __future__ import annotations

from dataclasses import dataclass

VOWELS = ("AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW")
CONSONANTS = ("B", "CH", "D", "DH", "F", "G", "HH", "JH", "K", "L", "M", "N", "NG", "P", "R", "S",
              "SH", "T", "TH", "V", "W", "Y", "Z", "ZH")
SILENCE = "SIL"
PHONES: tuple[str, ...] = (SILENCE,) + VOWELS + CONSONANTS  # 40 symbols, index 0 = silence
PHONE_INDEX = {p: i for i, p in enumerate(PHONES)}
NUM_PHONES = len(PHONES)

BILABIALS = frozenset({"P", "B", "M"})
LABIODENTALS = frozenset({"F", "V"})
ROUNDED = frozenset({"W", "UW", "OW", "UH", "OY", "AO", "AW", "SH", "ZH", "CH", "JH", "R"})
OPEN_VOWELS = frozenset({"AA", "AE", "AO", "AW", "AY"})
MID_VOWELS = frozenset({"AH", "EH", "ER", "EY", "OW", "OY"})
CLOSE_VOWELS = frozenset({"IH", "IY", "UH", "UW"})

#: Viseme classes, a coarse grouping used by lip reading (phones that look alike on the lips).
VISEMES: dict[str, tuple[str, ...]] = {
    "rest": (SILENCE,),
    "bilabial": ("P", "B", "M"),
    "labiodental": ("F", "V"),
    "dental": ("TH", "DH"),
    "alveolar": ("T", "D", "N", "S", "Z", "L"),
    "postalveolar": ("SH", "ZH", "CH", "JH", "R"),
    "velar": ("K", "G", "NG", "HH", "Y"),
    "rounded": ("W", "UW", "OW", "UH", "OY"),
    "open": ("AA", "AE", "AO", "AW", "AY", "AH"),
    "spread": ("IY", "IH", "EH", "EY", "ER"),
}
PHONE_TO_VISEME = {p: v for v, ps in VISEMES.items() for p in ps}
VISEME_NAMES = tuple(VISEMES)

_ALIASES = {"SP": SILENCE, "SIL": SILENCE, "<SIL>": SILENCE, "PAU": SILENCE, "H#": SILENCE,
            "SPN": SILENCE, "": SILENCE, "AX": "AH", "AXR": "ER", "IX": "IH", "UX": "UW",
            "DX": "T", "NX": "N", "EL": "L", "EM": "M", "EN": "N", "Q": SILENCE,
            "++NOISE++": SILENCE, "+NSN+": SILENCE, "+SPN+": SILENCE, "[NOISE]": SILENCE}


class PhoneError(ValueError):
    """A phone sequence that cannot be used (unknown symbol, bad timing)."""


def normalize_phone(symbol: str) -> str:
    """Canonical ARPAbet symbol: upper case, stress digit removed, aliases resolved."""
    s = symbol.strip().upper().rstrip("012")
    s = _ALIASES.get(s, s)
    if s not in PHONE_INDEX:
        raise PhoneError(f"unknown phone symbol {symbol!r}; expected ARPAbet (e.g. AA, B, CH) "
                         f"or SIL")
    return s


@dataclass(frozen=True)
class PhoneSegment:
    phone: str
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


def validate_segments(segments, tolerance: float = 1e-3) -> list[PhoneSegment]:
    """Normalise symbols and check timing: non-negative, ``end > start``, no overlap.

    Returns new segments; raises :class:`PhoneError` naming the first offending segment.
    """
    out: list[PhoneSegment] = []
    prev_end = 0.0
    for i, seg in enumerate(segments):
        if isinstance(seg, PhoneSegment):
            p, a, b = seg.phone, seg.start, seg.end
        else:
            p, a, b = seg
        p = normalize_phone(p)
        a, b = float(a), float(b)
        if a < 0 or b < 0:
            raise PhoneError(f"segment {i} ({p}) has negative time {a:.3f}-{b:.3f} s")
        if b <= a:
            raise PhoneError(f"segment {i} ({p}) ends before it starts: {a:.3f}-{b:.3f} s")
        if a < prev_end - tolerance:
            raise PhoneError(f"segment {i} ({p}) starts at {a:.3f} s, overlapping the previous "
                             f"segment that ends at {prev_end:.3f} s")
        out.append(PhoneSegment(p, max(a, prev_end) if a < prev_end else a, b))
        prev_end = b
    return out


def frame_labels(segments, num_frames: int, fps: float) -> "list[int]":
    """Phone index per frame (frame centre sampling); frames outside segments are silence."""
    import numpy as np

    labels = np.zeros(num_frames, dtype=np.int64)
    t = (np.arange(num_frames) + 0.5) / fps
    for seg in segments:
        labels[(t >= seg.start) & (t < seg.end)] = PHONE_INDEX[normalize_phone(seg.phone)]
    return labels
