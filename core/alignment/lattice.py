"""PocketSphinx word lattices: the recogniser's alternatives and their posterior probabilities.

Word recognition keeps only its best path, so a bilabial the decoder found *almost* as likely as
the word it chose (``we take a real`` heard as ``we take up or real``, or the reverse) is lost.
The lattice of the same decode holds those alternatives with their posteriors. PocketSphinx
writes it as an HTK Standard Lattice File (nodes = words with a start time, links = one word
ending at the next node's start, ``p=`` = the link's posterior after the best-path pass), which
is all this module reads. No search is repeated: the lattice comes from the decode already made.
"""
from __future__ import annotations

import os
import tempfile
from collections import defaultdict
from dataclasses import dataclass

#: Lattice words that are not speech.
NON_WORDS = frozenset({"!NULL", "!SENT_START", "!SENT_END", "<s>", "</s>", "<sil>"})


@dataclass(frozen=True)
class WordArc:
    """One word hypothesis: ``word`` (dictionary spelling, ``variant`` = pronunciation number,
    1 = the main one) from ``start`` to ``end`` seconds, with posterior ``prob`` (summed over
    the lattice links that leave the same node; ``end`` is that of the most probable link)."""
    word: str
    variant: int
    start: float
    end: float
    prob: float

    @property
    def dict_key(self) -> str:
        """The pronunciation's dictionary entry (``word`` or ``word(2)``...)."""
        return self.word if self.variant <= 1 else f"{self.word}({self.variant})"


def _fields(line: str) -> dict[str, str]:
    out = {}
    for kv in line.split():
        k, _, v = kv.partition("=")
        out[k] = v
    return out


def parse_htk(text: str, min_prob: float = 1e-4) -> list[WordArc]:
    """Word arcs of an HTK SLF lattice as PocketSphinx writes it, sorted by start time.

    Fillers, silences and sentence markers are dropped, as are arcs whose posterior is below
    ``min_prob`` (the bulk of a lattice). Raises ``ValueError`` on a file that is not a lattice.
    """
    nodes: dict[int, tuple[float, str, int]] = {}
    out_prob: dict[int, float] = defaultdict(float)
    best_end: dict[int, tuple[float, int]] = {}
    saw_header = False
    for line in text.splitlines():
        if line.startswith("N=") or line.startswith("VERSION="):
            saw_header = True
        elif line.startswith("I="):
            f = _fields(line)
            try:
                nodes[int(f["I"])] = (float(f["t"]), f.get("W", "!NULL"), int(f.get("v", 1)))
            except (KeyError, ValueError) as exc:
                raise ValueError(f"bad lattice node line {line!r}") from exc
        elif line.startswith("J="):
            f = _fields(line)
            try:
                s, e, p = int(f["S"]), int(f["E"]), float(f.get("p", "nan"))
            except (KeyError, ValueError) as exc:
                raise ValueError(f"bad lattice link line {line!r}") from exc
            if p != p:
                raise ValueError("lattice links carry no posteriors (p=); it was written "
                                 "before the best-path pass")
            out_prob[s] += p
            if s not in best_end or p > best_end[s][0]:
                best_end[s] = (p, e)
    if not saw_header:
        raise ValueError("not an HTK lattice (no VERSION= or N= header)")
    arcs = []
    for i, (t, w, v) in nodes.items():
        p = out_prob.get(i, 0.0)
        if w in NON_WORDS or w.startswith(("[", "+", "<")) or p < min_prob or i not in best_end:
            continue
        end_node = nodes.get(best_end[i][1])
        if end_node is None:
            continue
        arcs.append(WordArc(w.lower(), v, t, end_node[0], min(1.0, p)))
    arcs.sort(key=lambda a: (a.start, -a.prob))
    return arcs


def decoder_lattice(decoder, min_prob: float = 1e-4) -> list[WordArc]:
    """Word arcs of ``decoder``'s last utterance ([] when it kept no lattice).

    The decoder must run with its best-path pass on (PocketSphinx's default; the ``words_fast``
    recogniser turns it off and therefore has no posteriors to offer).
    """
    lat = decoder.get_lattice()
    if lat is None:
        return []
    fd, path = tempfile.mkstemp(suffix=".slf", prefix="parley-lattice-")
    os.close(fd)
    try:
        lat.write_htk(path)
        with open(path, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
    finally:
        os.unlink(path)
    try:
        return parse_htk(text, min_prob)
    except ValueError:
        return []
