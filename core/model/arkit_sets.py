"""Column index sets of ARKit shapes used by the model code (mouth region etc.)."""
from __future__ import annotations

from ..arkit import MOUTH_SHAPES, UPPER_FACE_SHAPES, index_of

MOUTH_IDX = index_of(MOUTH_SHAPES)
UPPER_IDX = index_of(UPPER_FACE_SHAPES)
