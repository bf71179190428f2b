"""Phone timings from speech: forced alignment with a transcript, or phone recognition without.

Backed by PocketSphinx 5 and its bundled en-us acoustic model, CMU dictionary and phone LM
(no download at run time). See ``sphinx`` for the two-pass alignment, ``long`` for recordings
of minutes, ``chunked`` and ``workers`` for recognising long recordings in pieces on every
core, ``text`` for transcript normalisation and out-of-dictionary words, ``compare`` for
phone-overlap accuracy.
"""
from .compare import phone_overlap_accuracy
from .long import align_long
from .sphinx import (RECOGNIZERS, AlignmentError, AlignResult, WordSegment, align,
                     align_detailed, recognize_phones, tile_segments)
from .text import guess_pronunciation, normalize_transcript, number_to_words

__all__ = ["align", "align_detailed", "align_long", "recognize_phones", "AlignmentError",
           "AlignResult", "WordSegment", "RECOGNIZERS", "phone_overlap_accuracy",
           "normalize_transcript", "number_to_words", "guess_pronunciation", "tile_segments"]


def register_cli(sub) -> None:
    """Subcommands ``align`` and ``recognize-phones`` (see ``core.alignment.cli``)."""
    from .cli import register_cli as _register
    _register(sub)
