"""Speech-motion training corpus: generated text, TTS voices with phone timings, augmentation,
motion for every emotion, and a reader. Build with ``python -m core corpus build``."""
from .builder import BuildConfig, build, motion_key, motion_keys
from .dataset import CorpusError, CorpusItem, iter_items, load_item, load_manifest
from .voices import (ALL_VOICES, TEST_VOICE, Voice, VoiceNotInstalled, available_voices,
                     get_voice)

__all__ = ["BuildConfig", "build", "motion_key", "motion_keys", "CorpusError", "CorpusItem",
           "load_item", "load_manifest", "iter_items", "ALL_VOICES", "TEST_VOICE", "Voice", "VoiceNotInstalled",
           "available_voices", "get_voice"]
from .cli import register_cli  # noqa: E402  (python -m core corpus ...)
