"""Licence-clean training sentences from a seeded template grammar over a hand-written word list.

Every sentence is generated here (no borrowed text), so the corpus carries no licence burden.
The word list is chosen for the lips: many bilabials (P B M), labiodentals (F V), rounded vowels
and glides (OO, OW, W), and at least a few words for every ARPAbet phone (ZH in "measure",
OY in "boy", UH in "book"...). ``phone_coverage`` checks the coverage against a pronouncing
dictionary (PocketSphinx's CMUdict) in the tests.
"""
from __future__ import annotations

import random

NAMES = ("Bob", "Mabel", "Pam", "Bev", "Vivian", "Tom", "Judy", "Max", "Molly", "Fiona",
         "Ben", "Paula", "Victor", "Ruth", "George", "Maya", "Owen", "Zoe", "Sean", "Joy")
ADJECTIVES = ("big", "brave", "blue", "purple", "pale", "maple", "famous", "vivid", "smooth",
              "warm", "cool", "woolen", "round", "rough", "thick", "thin", "beige", "usual",
              "cheap", "huge", "heavy", "quiet", "bright", "pink", "wooden", "muddy", "frozen",
              "golden", "yellow", "wobbly", "bumpy", "shiny", "noisy", "humble", "old", "new")
NOUNS = ("pebble", "bubble", "mop", "map", "boat", "moon", "bamboo", "puppy", "book", "boy",
         "coin", "toy", "voice", "fox", "van", "violin", "movie", "muffin", "pump", "baby",
         "window", "feather", "father", "mother", "measure", "treasure", "vision", "garage",
         "cheese", "chair", "judge", "jam", "thumb", "path", "wave", "wolf", "whale", "shoe",
         "ship", "fish", "king", "ring", "song", "apple", "orange", "yacht", "hook", "cookie",
         "ball", "bottle", "bowl", "pillow", "mirror", "drum", "bridge", "umbrella", "zebra")
PLURALS = ("pebbles", "bubbles", "maps", "boats", "puppies", "books", "coins", "toys", "foxes",
           "muffins", "feathers", "shoes", "fish", "rings", "songs", "apples", "cookies",
           "balls", "bottles", "pillows", "drums", "whales", "violins", "oranges", "babies")
VERBS_PAST = ("bought", "moved", "fixed", "found", "painted", "pushed", "grabbed", "dropped",
              "played", "washed", "watched", "chose", "measured", "polished", "borrowed",
              "bumped", "wrapped", "carried", "opened", "loved", "saw", "threw", "thought of",
              "joined", "enjoyed", "showed", "brought", "made", "fed", "hugged")
VERBS_BASE = ("buy", "move", "fix", "find", "paint", "push", "grab", "drop", "play", "wash",
              "watch", "choose", "measure", "polish", "borrow", "wrap", "carry", "open",
              "love", "see", "throw", "join", "enjoy", "show", "bring", "make", "feed", "hug")
PLACES = ("the park", "the beach", "the boat", "the bathroom", "the museum", "the village",
          "the valley", "the garage", "the pool", "the market", "the mountain", "the harbour",
          "the bedroom", "the office", "the zoo", "the forest", "the bus", "the bakery")
PREPS = ("by", "behind", "beneath", "above", "beside", "from", "with", "over", "under", "near",
         "past", "up to", "toward")
TIMES = ("this morning", "before lunch", "every Monday", "on Thursday", "yesterday",
         "at midnight", "in the evening", "last year", "on Friday", "now and then",
         "after the movie", "by the weekend")
NUMBERS = ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "twelve",
           "fifty", "a hundred", "many", "some", "both")
ADVERBS = ("very", "really", "pretty", "too", "quite", "awfully", "so")
INTERJECTIONS = ("Oh", "Well", "Wow", "Hmm", "Yes", "No", "Oh boy", "Look", "Hey")


def _noun_phrase(r: random.Random) -> str:
    det = r.choice(("the", "a", "my", "his", "her", "our", "that", "this"))
    adj = r.choice(ADJECTIVES)
    noun = r.choice(NOUNS)
    if det == "a" and adj[0] in "aeiou":
        det = "an"
    if r.random() < 0.3:
        return f"{det} {noun}"
    return f"{det} {adj} {noun}"


def _templates():
    """Sentence templates: each a function of the RNG returning one sentence."""
    np_ = _noun_phrase
    return (
        lambda r: f"{r.choice(NAMES)} {r.choice(VERBS_PAST)} {np_(r)} {r.choice(PREPS)} {np_(r)}.",
        lambda r: f"{r.choice(NAMES)} {r.choice(VERBS_PAST)} {r.choice(NUMBERS)} "
                  f"{r.choice(PLURALS)} at {r.choice(PLACES)} {r.choice(TIMES)}.",
        lambda r: f"Did {r.choice(NAMES)} {r.choice(VERBS_BASE)} {np_(r)} {r.choice(TIMES)}?",
        lambda r: f"Please {r.choice(VERBS_BASE)} {np_(r)} {r.choice(PREPS)} "
                  f"{r.choice(PLACES)}.",
        lambda r: f"{r.choice(INTERJECTIONS)}, {np_(r)} is {r.choice(ADVERBS)} "
                  f"{r.choice(ADJECTIVES)}!",
        lambda r: f"{r.choice(NAMES)} and {r.choice(NAMES)} {r.choice(VERBS_PAST)} "
                  f"{np_(r)}, then {r.choice(VERBS_PAST)} {np_(r)}.",
        lambda r: f"Why would {r.choice(NAMES)} {r.choice(VERBS_BASE)} {r.choice(NUMBERS)} "
                  f"{r.choice(PLURALS)}?",
        lambda r: f"{np_(r).capitalize()} was {r.choice(PREPS)} {np_(r)} {r.choice(TIMES)}.",
        lambda r: f"{r.choice(INTERJECTIONS)}, {r.choice(NAMES)}, maybe we should "
                  f"{r.choice(VERBS_BASE)} {np_(r)}.",
        lambda r: f"{r.choice(NAMES)} never {r.choice(VERBS_PAST)} {np_(r)}, but "
                  f"{r.choice(NAMES)} {r.choice(VERBS_PAST)} {r.choice(NUMBERS)} "
                  f"{r.choice(PLURALS)}.",
    )


def generate_sentences(count: int, seed: int = 0) -> list[str]:
    """``count`` distinct sentences, identical for the same ``seed``."""
    if count < 0:
        raise ValueError(f"sentence count must be >= 0, got {count}")
    r = random.Random(f"parley-text-{seed}")
    templates = _templates()
    out: list[str] = []
    seen: set[str] = set()
    attempts = 0
    while len(out) < count:
        attempts += 1
        if attempts > 50 * count + 1000:
            raise RuntimeError(f"could not generate {count} distinct sentences; the grammar "
                               f"produced only {len(out)}")
        s = r.choice(templates)(r)
        s = s[0].upper() + s[1:]
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out


def vocabulary() -> set[str]:
    """Every lower-case word the grammar can emit (for dictionary checks)."""
    words: set[str] = set()
    for group in (NAMES, ADJECTIVES, NOUNS, PLURALS, VERBS_PAST, VERBS_BASE, PLACES, PREPS, TIMES,
                  NUMBERS, ADVERBS, INTERJECTIONS):
        for entry in group:
            words.update(entry.lower().split())
    words.update({"the", "a", "an", "my", "his", "her", "our", "that", "this", "at", "did",
                  "please", "is", "and", "then", "why", "would", "was", "maybe", "we", "should",
                  "never", "but"})
    return words


def words_of(sentence: str) -> list[str]:
    """Lower-case words without punctuation, as a recogniser's dictionary spells them."""
    cleaned = "".join(c.lower() if c.isalpha() or c in "' " else " " for c in sentence)
    return cleaned.split()
