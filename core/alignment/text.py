"""Transcript normalisation and a fallback pronunciation guesser for forced alignment.

PocketSphinx aligns whitespace-separated dictionary words, so raw text must be cleaned first:
case and punctuation removed, numbers spelled out, and words missing from the CMU dictionary
given *some* pronunciation (possessive of a known word, a compound of known words, or letter
rules). A guessed pronunciation is never perfect, but it keeps the word's time slot in the
alignment instead of shifting every later word (which is what dropping it would do).
"""
from __future__ import annotations

import re
import unicodedata

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
         "fifteen sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ((10**9, "billion"), (10**6, "million"), (1000, "thousand"))
_ORDINAL_FIX = {"one": "first", "two": "second", "three": "third", "five": "fifth",
                "eight": "eighth", "nine": "ninth", "twelve": "twelfth"}
_SYMBOLS = {"&": " and ", "%": " percent ", "+": " plus ", "@": " at ", "=": " equals ",
            "$": " dollars "}


def number_to_words(n: int) -> list[str]:
    """English words for a non-negative integer (``1984`` -> nineteen eighty four style is not
    attempted; this is the cardinal reading, ``one thousand nine hundred eighty four``)."""
    if n < 0:
        return ["minus"] + number_to_words(-n)
    if n < 20:
        return [_ONES[n]]
    if n < 100:
        return [_TENS[n // 10]] + ([_ONES[n % 10]] if n % 10 else [])
    if n < 1000:
        return [_ONES[n // 100], "hundred"] + (number_to_words(n % 100) if n % 100 else [])
    for value, name in _SCALES:
        if n >= value:
            head = number_to_words(n // value) + [name]
            return head + (number_to_words(n % value) if n % value else [])
    raise AssertionError("unreachable")


def _ordinal(words: list[str]) -> list[str]:
    last = words[-1]
    if last in _ORDINAL_FIX:
        last = _ORDINAL_FIX[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last = last + "th"
    return words[:-1] + [last]


def _number_token(tok: str) -> list[str]:
    """Spell a token made of digits (optionally with an ordinal suffix or a decimal point)."""
    m = re.fullmatch(r"(\d+)(st|nd|rd|th)", tok)
    if m:
        return _ordinal(number_to_words(int(m.group(1))))
    if "." in tok:
        whole, frac = tok.split(".", 1)
        return (number_to_words(int(whole)) if whole else []) + ["point"] + \
            [_ONES[int(d)] for d in frac if d.isdigit()]
    if len(tok) > 1 and tok.startswith("0"):  # "03", "007": read digit by digit, 0 = "oh"
        return ["oh" if d == "0" else _ONES[int(d)] for d in tok]
    if len(tok) > 12:
        return [_ONES[int(d)] for d in tok]
    return number_to_words(int(tok))


def normalize_transcript(text: str) -> list[str]:
    """Lower-case dictionary-style tokens: punctuation dropped, numbers spelled out.

    Apostrophes inside words are kept (``don't``, ``kat's``); hyphens and slashes split words.
    """
    if not isinstance(text, str):
        raise TypeError(f"transcript must be a str, got {type(text).__name__}")
    s = unicodedata.normalize("NFKD", text)
    s = s.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = s.encode("ascii", "ignore").decode("ascii").lower()
    for sym, rep in _SYMBOLS.items():
        s = s.replace(sym, rep)
    s = re.sub(r"(\d),(\d{3})", r"\1\2", s)          # 1,000 -> 1000
    s = re.sub(r"[^a-z0-9'.]+", " ", s)              # keep letters, digits, apostrophe, dot
    words: list[str] = []
    for tok in s.split():
        # split letters from digits ("mp3" -> "mp 3"), keep decimals and ordinals together
        for part in re.findall(r"\d+(?:\.\d+)?(?:st|nd|rd|th)?|[a-z']+", tok):
            if part[0].isdigit():
                words.extend(_number_token(part))
            else:
                part = part.strip("'")
                if part:
                    words.append(part)
    return words


# --- fallback pronunciations -------------------------------------------------------------

#: Greedy letter-to-phone rules (longest match first). Crude on purpose: a guess that keeps
#: the right number of syllables and the right consonant classes (bilabials!) is what matters.
_RULES = [
    ("tch", "CH"), ("sch", "S K"), ("igh", "AY"), ("ough", "AO"), ("augh", "AO"),
    ("eau", "OW"), ("ch", "CH"), ("sh", "SH"), ("th", "TH"), ("ph", "F"), ("ng", "NG"),
    ("ck", "K"), ("qu", "K W"), ("wh", "W"), ("gh", ""), ("kn", "N"), ("wr", "R"),
    ("ee", "IY"), ("ea", "IY"), ("oo", "UW"), ("ou", "AW"), ("ow", "OW"), ("ai", "EY"),
    ("ay", "EY"), ("oa", "OW"), ("oi", "OY"), ("oy", "OY"), ("au", "AO"), ("aw", "AO"),
    ("ie", "IY"), ("ei", "EY"), ("ey", "IY"), ("ew", "UW"), ("er", "ER"), ("ir", "ER"),
    ("ur", "ER"), ("ar", "AA R"), ("or", "AO R"),
    ("a", "AE"), ("e", "EH"), ("i", "IH"), ("o", "AA"), ("u", "AH"),
    ("b", "B"), ("d", "D"), ("f", "F"), ("g", "G"), ("h", "HH"), ("j", "JH"), ("k", "K"),
    ("l", "L"), ("m", "M"), ("n", "N"), ("p", "P"), ("q", "K"), ("r", "R"), ("s", "S"),
    ("t", "T"), ("v", "V"), ("w", "W"), ("x", "K S"), ("z", "Z"),
]
_VOWEL_LETTERS = set("aeiouy")


def letter_rule_pronunciation(word: str) -> str:
    """Guess ARPAbet phones for an unknown word from its spelling (no stress digits)."""
    w = re.sub(r"[^a-z]", "", word.lower())
    if not w:
        raise ValueError(f"cannot pronounce {word!r}: it has no letters")
    w = re.sub(r"(.)\1+", r"\1", w)                   # collapse doubled letters
    if len(w) > 2 and w.endswith("e") and w[-2] not in _VOWEL_LETTERS:
        w = w[:-1]                                     # silent final e
    phones: list[str] = []
    i = 0
    while i < len(w):
        c = w[i]
        if c == "y":
            phones.append("Y" if i == 0 else ("IY" if i == len(w) - 1 else "IH"))
            i += 1
            continue
        if c == "c":
            phones.append("S" if i + 1 < len(w) and w[i + 1] in "eiy" else "K")
            i += 1
            continue
        for g, p in _RULES:
            if w.startswith(g, i):
                if p:
                    phones.extend(p.split())
                i += len(g)
                break
        else:  # pragma: no cover - every a-z letter has a rule
            i += 1
    if not phones:
        phones = ["AH"]
    return " ".join(phones)


def guess_pronunciation(word: str, lookup) -> tuple[str, str]:
    """Pronunciation for a word missing from the dictionary, and how it was obtained.

    ``lookup(word) -> "PH ON ES" | None`` queries the real dictionary. Tries, in order: the
    possessive/plural of a known word, a split into 2-3 known words (compounds, run-together
    names), then letter rules. Returns ``(phones, method)``.
    """
    base = word.strip("'")
    for suffix in ("'s", "s'", "'"):
        if base.endswith(suffix) and len(base) > len(suffix):
            stem = base[: -len(suffix)]
            pron = lookup(stem)
            if pron:
                last = pron.split()[-1].rstrip("012")
                if suffix == "'":
                    return pron, "possessive"
                if last in ("S", "Z", "SH", "ZH", "CH", "JH"):
                    return pron + " IH Z", "possessive"
                return pron + (" S" if last in ("P", "T", "K", "F", "TH") else " Z"), "possessive"
    letters = base.replace("'", "")
    best = _split_compound(letters, lookup)
    if best:
        return " ".join(best), "compound"
    return letter_rule_pronunciation(letters), "letter-rules"


def _split_compound(w: str, lookup, min_part: int = 3, max_parts: int = 3):
    """Phones of the split of ``w`` into the fewest known words (each >= min_part letters)."""
    n = len(w)
    if n < 2 * min_part:
        return None
    # best[i] = (parts, phones) covering w[:i]
    best: list = [None] * (n + 1)
    best[0] = (0, [])
    for i in range(min_part, n + 1):
        for j in range(0, i - min_part + 1):
            if best[j] is None or best[j][0] >= max_parts:
                continue
            pron = lookup(w[j:i])
            if pron and (best[i] is None or best[j][0] + 1 < best[i][0]):
                best[i] = (best[j][0] + 1, best[j][1] + [pron])
    if best[n] is None or best[n][0] < 2:
        return None
    return best[n][1]
