"""Parley's operators (``parley.*``)."""
from . import check_audio, generate

CLASSES = (*check_audio.CLASSES, *generate.CLASSES)
