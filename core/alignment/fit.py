"""Does a transcript cover the speech it was aligned to?

Forced alignment finds no path through a transcript that does not match at all (the engine then
recognises the phones instead and says so), but a transcript that lacks some of the words often
aligns: the aligner places the words it has and
leaves the rest of the speech as silence, so the face keeps its mouth shut while the voice goes
on. This module finds such stretches: outside every aligned word, voiced frames (YIN pitch) as
loud as the aligned speech. Unvoiced background noise and quiet breaths do not count.

Measured on corpus utterances (30 held-out voice + 30 training-voice items with background
noise): with the full transcript the longest voiced stretch outside words was 0.13 s; with half
of the transcript, 0.3–1.3 s in most items (docs/model_results.md, "Update 2026-12-02, third session").
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Voiced seconds outside the words, in one stretch, that make a stretch "speech".
MIN_VOICED_S = 0.3
#: ... when the stretch's median loudness is at most this far below the aligned speech's (dB).
MAX_BELOW_SPEECH_DB = 10.0
FPS = 30.0


@dataclass(frozen=True)
class UncoveredSpeech:
    start: float      # seconds
    end: float
    voiced_s: float   # voiced seconds inside the stretch
    level_db: float   # median loudness relative to the aligned speech's median


def uncovered_speech(samples16k, phones, fps: float = FPS) -> list[UncoveredSpeech]:
    """Stretches outside the aligned phones (non-SIL) that sound like speech."""
    from ..loudness import loudness_envelope
    from ..model.frontends.pitch import yin

    x = np.asarray(samples16k, dtype=np.float32)
    n = int(round(x.size / 16000 * fps))
    if n < 2:
        return []
    covered = np.zeros(n, bool)
    for p in phones:
        if p.phone != "SIL":
            covered[max(0, int(p.start * fps)):int(np.ceil(p.end * fps))] = True
    if not covered.any():
        return []
    env = loudness_envelope(x, 16000, fps, num_frames=n)
    _f0, voiced = yin(x, 16000, fps, n)
    speech_db = float(np.median(env[covered]))
    out = []
    edges = np.flatnonzero(np.diff(np.r_[1, covered.astype(np.int8), 1]))  # run boundaries
    for a, b in zip(edges[::2], edges[1::2]):    # runs of uncovered frames [a, b)
        voiced_s = float(voiced[a:b].sum()) / fps
        level = float(np.median(env[a:b])) - speech_db
        if voiced_s >= MIN_VOICED_S and level >= -MAX_BELOW_SPEECH_DB:
            out.append(UncoveredSpeech(float(a / fps), float(b / fps), voiced_s, level))
    return out


def transcript_warnings(samples16k, phones) -> list[str]:
    """User-facing warnings when the aligned transcript leaves speech without words."""
    gaps = uncovered_speech(samples16k, phones)
    if not gaps:
        return []
    where = ", ".join(f"{g.start:.1f}-{g.end:.1f} s" for g in gaps[:3])
    more = f" and {len(gaps) - 3} more" if len(gaps) > 3 else ""
    return [f"the transcript may be missing words: speech at {where}{more} got no words, so the "
            f"mouth stays shut there; check the transcript against the audio, or clear it to "
            f"recognise the phones"]
