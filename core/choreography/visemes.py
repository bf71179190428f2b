"""Per-phone articulation targets: what each ARPAbet phone asks of the lips and jaw.

Choreography works on a few *articulatory parameters* rather than on ARKit weights, because
coarticulation is a property of articulators (the jaw, lip closure, rounding...), not of
blendshapes. Each phone gives every parameter a target value and a dominance (how strongly it
insists on that target: a bilabial insists on lip closure, a /k/ does not care about the lips
and inherits the neighbouring vowel's rounding). Diphthongs are two events (onset -> offglide).

Parameters (all 0..1):
  jaw      jaw aperture (vowel height; open vowels high)
  closure  lip closure (1 = lips sealed; bilabials and the rest mouth)
  press    lips pressed together (plosive build-up)
  protrude closed rounding / protrusion (W, UW) -> mouthPucker
  funnel   open rounding (OW, AO, SH) -> mouthFunnel
  spread   lip spread (IY, EY, S) -> mouthStretch + a little mouthSmile
  tuck     lower lip tucked under the upper teeth (F, V) -> mouthRollLower
  upper    upper-lip raise (teeth showing) -> mouthUpperUp
  lower    lower-lip drop (open front vowels) -> mouthLowerDown
  tongue   tongue tip visible between the teeth (TH, DH) -> tongueOut
  voice    speech activity (1 while speaking, 0 in silence): gates emotion articulation and brows
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..phones import SILENCE

PARAMS: tuple[str, ...] = ("jaw", "closure", "press", "protrude", "funnel", "spread", "tuck",
                           "upper", "lower", "tongue", "voice")
P = {n: i for i, n in enumerate(PARAMS)}
NUM_PARAMS = len(PARAMS)

#: Base time constants (s) of the dominance functions, (anticipation, carry-over) per parameter.
#: Rounding anticipates strongly (it spreads over preceding consonants); closure is fast.
TAU = {
    "jaw": (0.035, 0.040), "closure": (0.018, 0.010), "press": (0.030, 0.020),
    "protrude": (0.095, 0.075), "funnel": (0.065, 0.060), "spread": (0.060, 0.055),
    "tuck": (0.022, 0.020), "upper": (0.045, 0.045), "lower": (0.045, 0.045),
    "tongue": (0.025, 0.025), "voice": (0.040, 0.050),
}

#: Value a parameter takes when a phone does not care about it, and that weak dominance.
_DONT_CARE_ALPHA = 0.05

# Vowels: (jaw, lower, spread, protrude, funnel, upper). Jaw follows vowel height:
# AA > AE > AO/AH > EH > IH/UH > IY/UW.
_V = {
    "AA": (0.62, 0.30, 0.00, 0.00, 0.05, 0.10),
    "AE": (0.52, 0.35, 0.30, 0.00, 0.00, 0.20),
    "AO": (0.48, 0.20, 0.00, 0.12, 0.38, 0.05),
    "AH": (0.42, 0.20, 0.05, 0.00, 0.05, 0.08),
    "EH": (0.36, 0.25, 0.25, 0.00, 0.00, 0.12),
    "ER": (0.26, 0.05, 0.00, 0.28, 0.25, 0.05),
    "IH": (0.24, 0.10, 0.30, 0.00, 0.00, 0.08),
    "UH": (0.22, 0.05, 0.00, 0.38, 0.25, 0.00),
    "IY": (0.15, 0.05, 0.50, 0.00, 0.00, 0.05),
    "UW": (0.15, 0.00, 0.00, 0.75, 0.25, 0.00),
}
#: Diphthongs: onset vowel-like target, offglide target, onset share of the duration.
_DIPH = {
    "AY": ((0.58, 0.28, 0.05, 0.00, 0.00, 0.10), (0.20, 0.05, 0.40, 0.00, 0.00, 0.05), 0.55),
    "AW": ((0.58, 0.28, 0.00, 0.00, 0.05, 0.10), (0.20, 0.00, 0.00, 0.60, 0.30, 0.00), 0.55),
    "EY": ((0.34, 0.22, 0.30, 0.00, 0.00, 0.10), (0.18, 0.05, 0.45, 0.00, 0.00, 0.05), 0.55),
    "OW": ((0.38, 0.10, 0.00, 0.20, 0.50, 0.00), (0.18, 0.00, 0.00, 0.60, 0.30, 0.00), 0.55),
    "OY": ((0.44, 0.15, 0.00, 0.10, 0.38, 0.05), (0.18, 0.05, 0.35, 0.00, 0.00, 0.05), 0.55),
}


def _vowel(jaw, lower, spread, protrude, funnel, upper):
    rounded = protrude + funnel > 0.3
    round_alpha = 1.2 if rounded else (1.0 if spread >= 0.2 else 0.6)  # spread vowels unround
    return {"jaw": (jaw, 1.0), "closure": (0.0, 3.0), "press": (0.0, 2.0),
            "protrude": (protrude, round_alpha), "funnel": (funnel, round_alpha),
            "spread": (spread, 0.8),
            "tuck": (0.0, 1.5), "upper": (upper, 0.6), "lower": (lower, 0.8),
            "tongue": (0.0, 1.0), "voice": (1.0, 1.0)}


# Consonants: {param: (target, dominance)}; parameters left out are "don't care".
_C = {
    "P": {"closure": (1.0, 15.0), "press": (0.35, 3.0), "jaw": (0.05, 0.8), "tuck": (0.0, 3.0),
          "funnel": (0.0, 1.0), "upper": (0.0, 1.5), "lower": (0.0, 1.5), "tongue": (0.0, 2.0)},
    "B": {"closure": (1.0, 15.0), "press": (0.25, 3.0), "jaw": (0.06, 0.8), "tuck": (0.0, 3.0),
          "funnel": (0.0, 1.0), "upper": (0.0, 1.5), "lower": (0.0, 1.5), "tongue": (0.0, 2.0)},
    "M": {"closure": (1.0, 15.0), "press": (0.12, 2.0), "jaw": (0.06, 0.8), "tuck": (0.0, 3.0),
          "funnel": (0.0, 1.0), "upper": (0.0, 1.5), "lower": (0.0, 1.5), "tongue": (0.0, 2.0)},
    "F": {"tuck": (1.0, 6.0), "closure": (0.0, 2.0), "jaw": (0.09, 2.0), "upper": (0.22, 1.5),
          "funnel": (0.0, 1.5), "protrude": (0.0, 0.3), "lower": (0.0, 1.5), "press": (0.0, 2.0)},
    "V": {"tuck": (0.9, 6.0), "closure": (0.0, 2.0), "jaw": (0.10, 2.0), "upper": (0.20, 1.5),
          "funnel": (0.0, 1.5), "protrude": (0.0, 0.3), "lower": (0.0, 1.5), "press": (0.0, 2.0)},
    "TH": {"tongue": (0.40, 4.0), "jaw": (0.14, 1.2), "closure": (0.0, 2.0), "tuck": (0.0, 1.5),
           "upper": (0.08, 0.4)},
    "DH": {"tongue": (0.30, 4.0), "jaw": (0.13, 1.2), "closure": (0.0, 2.0), "tuck": (0.0, 1.5),
           "upper": (0.06, 0.4)},
    "T": {"jaw": (0.14, 0.6), "closure": (0.0, 1.5), "tuck": (0.0, 1.5)},
    "D": {"jaw": (0.15, 0.6), "closure": (0.0, 1.5), "tuck": (0.0, 1.5)},
    "N": {"jaw": (0.15, 0.5), "closure": (0.0, 1.5), "tuck": (0.0, 1.5)},
    "L": {"jaw": (0.20, 0.5), "closure": (0.0, 1.5), "tuck": (0.0, 1.5), "tongue": (0.08, 0.5)},
    "S": {"jaw": (0.07, 1.5), "spread": (0.28, 0.5), "closure": (0.0, 1.5), "tuck": (0.0, 1.5),
          "upper": (0.08, 0.5)},
    "Z": {"jaw": (0.07, 1.5), "spread": (0.25, 0.5), "closure": (0.0, 1.5), "tuck": (0.0, 1.5),
          "upper": (0.06, 0.5)},
    "SH": {"funnel": (0.60, 2.5), "protrude": (0.30, 1.2), "jaw": (0.10, 1.2), "upper": (0.15, 0.8),
           "spread": (0.0, 1.0), "closure": (0.0, 2.0), "tuck": (0.0, 1.5)},
    "ZH": {"funnel": (0.55, 2.5), "protrude": (0.28, 1.2), "jaw": (0.10, 1.2), "upper": (0.12, 0.8),
           "spread": (0.0, 1.0), "closure": (0.0, 2.0), "tuck": (0.0, 1.5)},
    "CH": {"funnel": (0.55, 2.5), "protrude": (0.30, 1.2), "jaw": (0.10, 1.2), "upper": (0.12, 0.8),
           "spread": (0.0, 1.0), "closure": (0.0, 2.0), "tuck": (0.0, 1.5)},
    "JH": {"funnel": (0.50, 2.5), "protrude": (0.28, 1.2), "jaw": (0.11, 1.2), "upper": (0.10, 0.8),
           "spread": (0.0, 1.0), "closure": (0.0, 2.0), "tuck": (0.0, 1.5)},
    "R": {"protrude": (0.38, 1.2), "funnel": (0.18, 0.8), "jaw": (0.15, 0.6), "spread": (0.0, 0.6),
          "closure": (0.0, 1.5), "tuck": (0.0, 1.5)},
    "W": {"protrude": (0.85, 4.0), "funnel": (0.20, 1.0), "jaw": (0.08, 1.2), "spread": (0.0, 2.0),
          "closure": (0.0, 1.5), "tuck": (0.0, 1.5)},
    "Y": {"spread": (0.35, 0.8), "jaw": (0.12, 0.6), "protrude": (0.0, 0.5), "closure": (0.0, 1.5),
          "tuck": (0.0, 1.5)},
    "K": {"jaw": (0.20, 0.3), "closure": (0.0, 1.5), "tuck": (0.0, 1.5)},
    "G": {"jaw": (0.20, 0.3), "closure": (0.0, 1.5), "tuck": (0.0, 1.5)},
    "NG": {"jaw": (0.18, 0.3), "closure": (0.0, 1.5), "tuck": (0.0, 1.5)},
    "HH": {"jaw": (0.30, 0.1), "closure": (0.0, 1.0), "tuck": (0.0, 1.0)},
}


def _silence(rest_jaw: float):
    d = {n: (0.0, 2.0) for n in PARAMS}
    d["jaw"] = (rest_jaw, 2.0)
    d["closure"] = (1.0, 3.0)
    d["voice"] = (0.0, 2.0)
    return d


def phone_spec(phone: str, rest_jaw: float = 0.03) -> list[tuple[float, dict]]:
    """Articulation events of one canonical phone: a list of (share of duration, {param: (target, alpha)}).

    Vowels and consonants give one event; diphthongs give an onset and an offglide.
    """
    if phone == SILENCE:
        return [(1.0, _silence(rest_jaw))]
    if phone in _V:
        return [(1.0, _vowel(*_V[phone]))]
    if phone in _DIPH:
        a, b, share = _DIPH[phone]
        return [(share, _vowel(*a)), (1.0 - share, _vowel(*b))]
    if phone in _C:
        spec = dict(_C[phone])
        spec.setdefault("voice", (1.0, 1.0))
        return [(1.0, spec)]
    raise KeyError(f"no articulation targets for phone {phone!r}")


@dataclass
class Events:
    """Articulation events in time (one per phone, two per diphthong), as arrays.

    ``core`` is the interval of full dominance; outside it dominance decays exponentially with
    time constants ``tau_before`` / ``tau_after`` (already scaled for the local speaking rate).
    """
    phone: list[str]
    seg_index: np.ndarray   # [E] index of the source segment
    core_start: np.ndarray  # [E]
    core_end: np.ndarray    # [E]
    target: np.ndarray      # [E, NUM_PARAMS]
    alpha: np.ndarray       # [E, NUM_PARAMS]
    tau_before: np.ndarray  # [E, NUM_PARAMS]
    tau_after: np.ndarray   # [E, NUM_PARAMS]


def spec_arrays(spec: dict) -> tuple[np.ndarray, np.ndarray]:
    """(targets, dominances) over PARAMS for a {param: (target, alpha)} dict; others don't care."""
    tgt = np.zeros(NUM_PARAMS)
    alp = np.full(NUM_PARAMS, _DONT_CARE_ALPHA)
    for name, (t, a) in spec.items():
        tgt[P[name]] = t
        alp[P[name]] = a
    return tgt, alp
