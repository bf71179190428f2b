"""Parley's operators (``parley.*``)."""
from . import check_audio

CLASSES = (*check_audio.CLASSES,)
