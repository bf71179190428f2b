"""The 52 ARKit blendshape names: Parley's motion vocabulary.

Every take is a float32 array ``[frames, 52]`` whose columns follow ``ARKIT_NAMES``.
Weights are in 0..1 (ARKit convention). ``mouthClose`` follows ARKit semantics: a corrective
that brings the lips together *while the jaw is open*; it is only meaningful with
``mouthClose <= jawOpen``.
"""
from __future__ import annotations

ARKIT_NAMES: tuple[str, ...] = (
    "eyeBlinkLeft", "eyeLookDownLeft", "eyeLookInLeft", "eyeLookOutLeft", "eyeLookUpLeft",
    "eyeSquintLeft", "eyeWideLeft",
    "eyeBlinkRight", "eyeLookDownRight", "eyeLookInRight", "eyeLookOutRight", "eyeLookUpRight",
    "eyeSquintRight", "eyeWideRight",
    "jawForward", "jawLeft", "jawRight", "jawOpen",
    "mouthClose", "mouthFunnel", "mouthPucker", "mouthLeft", "mouthRight",
    "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft", "mouthFrownRight",
    "mouthDimpleLeft", "mouthDimpleRight", "mouthStretchLeft", "mouthStretchRight",
    "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper",
    "mouthPressLeft", "mouthPressRight", "mouthLowerDownLeft", "mouthLowerDownRight",
    "mouthUpperUpLeft", "mouthUpperUpRight",
    "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
    "cheekPuff", "cheekSquintLeft", "cheekSquintRight",
    "noseSneerLeft", "noseSneerRight",
    "tongueOut",
)
assert len(ARKIT_NAMES) == 52 and len(set(ARKIT_NAMES)) == 52

NUM_SHAPES = len(ARKIT_NAMES)
INDEX: dict[str, int] = {n: i for i, n in enumerate(ARKIT_NAMES)}

#: Shapes that shape the mouth opening / lips (used by lip-reading and lip metrics).
MOUTH_SHAPES: tuple[str, ...] = tuple(
    n for n in ARKIT_NAMES if n.startswith(("jaw", "mouth")) or n in ("cheekPuff", "tongueOut")
)
#: Shapes of the upper face (brows, eyes, cheeks squint, nose), carried mostly by emotion.
UPPER_FACE_SHAPES: tuple[str, ...] = tuple(
    n for n in ARKIT_NAMES if n.startswith(("brow", "eye", "cheekSquint", "noseSneer"))
)


def index_of(names) -> list[int]:
    """Column indices of ``names`` (raises KeyError naming the unknown shape)."""
    out = []
    for n in names:
        if n not in INDEX:
            raise KeyError(f"'{n}' is not an ARKit blendshape name; expected one of ARKIT_NAMES")
        out.append(INDEX[n])
    return out


def mirror_name(name: str) -> str:
    """Left<->Right counterpart of an ARKit name (itself when it has no side)."""
    if name.endswith("Left"):
        return name[:-4] + "Right"
    if name.endswith("Right"):
        return name[:-5] + "Left"
    if name == "mouthLeft":
        return "mouthRight"
    if name == "mouthRight":
        return "mouthLeft"
    if name == "jawLeft":
        return "jawRight"
    if name == "jawRight":
        return "jawLeft"
    return name
