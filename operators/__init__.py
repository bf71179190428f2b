"""Parley's operators (``parley.*``)."""
from . import check_audio, generate, use_take

CLASSES = (*check_audio.CLASSES, *generate.CLASSES, *use_take.CLASSES)
