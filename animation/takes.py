"""Takes: one new Action per generation on the mesh's shape-key datablock (``Key``).

* Slotted actions (Blender 4.4+) get a layer, a keyframe strip and a ``KEY`` slot created and
  assigned explicitly (an action assigned without a slot animates nothing); 4.2/4.3 use the
  legacy ``Action.fcurves`` with ``id_root = 'KEY'``.
* Keyframes are written in bulk: ``keyframe_points.add`` + ``foreach_set("co")`` +
  ``foreach_set("interpolation")`` (LINEAR) + ``update()``.
* Every Parley take carries ``action["parley_take"]`` (metadata) and a fake user, so older
  takes survive being replaced and Parley can tell its own actions from the artist's.
* Assignment policy: when the Key has no action or a Parley take as active action, the new take
  becomes the active action (older Parley takes stay as actions and can optionally be pushed
  to a muted NLA track "Parley takes"). When the artist's own action is active, it is left
  exactly as it is and the take goes onto its own NLA track "Parley" (the artist's active action
  still plays on top, so channels it keys win). Artist NLA tracks are never edited.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass

import numpy as np

TAKE_PROP = "parley_take"
PHONES_PROP = "parley_phones"   # the take's phone timings (JSON), reused by later takes of the clip
SLOT_NAME = "Parley"
GROUP_NAME = "Parley"
TAKES_TRACK = "Parley takes"
LIVE_TRACK = "Parley"
MAX_ID_NAME = 63
_LINEAR = 1  # index of 'LINEAR' in Keyframe.interpolation (CONSTANT=0, LINEAR=1, BEZIER=2)


def is_slotted(action) -> bool:
    return hasattr(action, "layers") and hasattr(action, "slots")


def is_parley_take(action) -> bool:
    return action is not None and TAKE_PROP in action.keys()


def take_info(action) -> dict:
    """Metadata Parley stored on one of its takes ({} for other actions)."""
    if not is_parley_take(action):
        return {}
    try:
        return json.loads(action[TAKE_PROP])
    except (TypeError, ValueError):
        return {}


def parley_takes(key) -> list:
    """Parley's takes made for ``key`` (by datablock name), oldest first."""
    out = [a for a in _bpy().data.actions if take_info(a).get("key") == key.name]
    return sorted(out, key=lambda a: take_info(a).get("number", 0))


def transcript_key(transcript: str) -> str:
    """What stored phone timings remember of the transcript: a digest of its words ("" = none)."""
    import hashlib
    words = " ".join((transcript or "").split())
    return hashlib.sha1(words.encode("utf-8")).hexdigest()[:16] if words else ""


def store_phones(action, segments, *, audio_digest: str, transcript: str, recognition: str,
                 version: str) -> None:
    """Keep the phone timings a take was made from on its action (saved in the .blend)."""
    action[PHONES_PROP] = json.dumps({
        "audio": audio_digest, "transcript": transcript_key(transcript),
        "recognition": recognition if not transcript_key(transcript) else "",
        "parley": version,
        "segments": [[str(p.phone), float(p.start), float(p.end)] for p in segments]})


def find_phones(audio_digest: str, transcript: str, recognition: str, version: str):
    """``(action name, [[phone, start, end], ...])`` of a take made from exactly this audio,
    transcript and recogniser by this Parley version, or None. Any head's takes count: the
    timings depend on the audio only."""
    want = {"audio": audio_digest, "transcript": transcript_key(transcript),
            "recognition": recognition if not transcript_key(transcript) else "",
            "parley": version}
    for action in _bpy().data.actions:
        raw = action.get(PHONES_PROP) if is_parley_take(action) else None
        if not raw:
            continue
        try:
            rec = json.loads(raw)
        except (TypeError, ValueError):
            continue
        if all(rec.get(k) == v for k, v in want.items()) and rec.get("segments"):
            return action.name, rec["segments"]
    return None


def _bpy():
    import bpy
    return bpy


def take_name(strip: str, emotion: str, intensity: "float | str", number: int) -> str:
    """``Parley|<strip>|<emotion>@<intensity>|take N`` shortened to fit Blender's ID names.

    A blend's label ("happy 60% + surprised 40%") is written compactly: ``happy60+surprised40``;
    an animated intensity is written as given (``anim``).
    """
    emotion = emotion.replace(" ", "").replace("%", "")
    level = intensity if isinstance(intensity, str) else f"{intensity:.2f}"
    tail = f"|{emotion}@{level}|take {number}"
    head = "Parley|"
    room = MAX_ID_NAME - len(head) - len(tail)
    strip = (strip or "audio")[:max(room, 1)]
    return head + strip + tail


def _escape(name: str) -> str:
    return _bpy().utils.escape_identifier(name)


def data_path_for(key_name: str) -> str:
    return f'key_blocks["{_escape(key_name)}"].value'


@dataclass
class WrittenTake:
    action_name: str
    number: int
    frames: tuple[float, float]
    num_curves: int
    num_keys: int
    placement: str  # "active" or "nla"
    seconds: float


def _new_curves(action, key, paths: list[str]):
    """Create one F-curve per data path on a fresh action; returns (curves, slot or None)."""
    if is_slotted(action):
        slot = action.slots.new(id_type='KEY', name=SLOT_NAME)
        layer = action.layers.new("Parley")
        strip = layer.strips.new(type='KEYFRAME')
        bag = strip.channelbag(slot, ensure=True)
        group = bag.groups.new(GROUP_NAME)
        curves = []
        for p in paths:
            fc = bag.fcurves.new(p, index=0)
            fc.group = group
            curves.append(fc)
        return curves, slot
    action.id_root = 'KEY'
    return [action.fcurves.new(p, index=0, action_group=GROUP_NAME) for p in paths], None


def write_keys(fcurve, frames: np.ndarray, values: np.ndarray) -> None:
    """Bulk-write ``len(frames)`` LINEAR keyframes on an empty F-curve."""
    n = int(frames.size)
    co = np.empty(2 * n, dtype=np.float32)
    co[0::2] = frames
    co[1::2] = values
    kp = fcurve.keyframe_points
    kp.add(n)
    kp.foreach_set("co", co)
    kp.foreach_set("interpolation", np.full(n, _LINEAR, dtype=np.int32))
    fcurve.update()


def _assign(anim, action, slot) -> None:
    anim.action = action
    if slot is not None:
        anim.action_slot = slot


def _push_to_track(anim, track_name: str, action, slot, frame: float, mute: bool):
    track = anim.nla_tracks.get(track_name)
    if track is None:
        track = anim.nla_tracks.new()
        track.name = track_name
    start = int(np.floor(frame))
    # NLA strips may not overlap on one track: park older takes on their own track when needed.
    for s in track.strips:
        if s.frame_start < start + (action.frame_range[1] - action.frame_range[0]) + 1 and \
                s.frame_end > start:
            track = anim.nla_tracks.new(prev=track)
            track.name = track_name
            break
    strip = track.strips.new(action.name, start, action)
    if slot is not None and hasattr(strip, "action_slot"):
        strip.action_slot = slot
    track.mute = mute
    return strip


def write_take(key, curves: dict[str, np.ndarray], first_frame: float, *, strip_name: str,
               emotion: str, intensity: float, meta: dict | None = None,
               push_previous_to_nla: bool = False,
               intensity_label: str | None = None) -> WrittenTake:
    """Write ``curves`` (key name -> values, one per scene frame from ``first_frame``) as a new take.

    ``intensity_label`` replaces the number in the take's name (``anim``: an animated intensity).

    See the module docstring for where the take goes. Never edits the artist's actions or NLA.
    """
    t0 = time.perf_counter()
    bpy = _bpy()
    if not curves:
        raise ValueError("no shape keys to animate")
    lengths = {v.shape[0] for v in curves.values()}
    if len(lengths) != 1:
        raise ValueError(f"all curves of a take must have the same length, got {sorted(lengths)}")
    n = lengths.pop()
    unknown = [k for k in curves if k not in key.key_blocks]
    if unknown:
        raise ValueError(f"shape keys not found on {key.name}: {', '.join(unknown[:5])}")
    frames = (float(first_frame) + np.arange(n, dtype=np.float64)).astype(np.float32)

    previous = parley_takes(key)
    number = 1 + max((take_info(a).get("number", 0) for a in previous), default=0)
    action = bpy.data.actions.new(take_name(strip_name, emotion, intensity_label or intensity,
                                            number))
    action.use_fake_user = True
    info = {"key": key.name, "number": number, "strip": strip_name, "emotion": emotion,
            "intensity": round(float(intensity), 4), "first_frame": float(first_frame),
            "frames": int(n)}
    info.update(meta or {})
    action[TAKE_PROP] = json.dumps(info, sort_keys=True)

    names = list(curves)
    fcs, slot = _new_curves(action, key, [data_path_for(k) for k in names])
    for fc, k in zip(fcs, names):
        write_keys(fc, frames, np.asarray(curves[k], dtype=np.float32))

    placement = _place(key, action, slot, first_frame, push_previous_to_nla)
    return WrittenTake(action.name, number, (float(frames[0]), float(frames[-1])), len(fcs),
                       len(fcs) * n, placement, time.perf_counter() - t0)


def _place(key, action, slot, first_frame: float, push_previous_to_nla: bool = False) -> str:
    """Make ``action`` the take that plays on ``key``, by the module's assignment policy:
    "active" (no action, or a Parley take, was active) or "nla" (the artist's own action is
    active and stays so; the take plays from the "Parley" track under it)."""
    anim = key.animation_data or key.animation_data_create()
    current = anim.action
    if current is None or is_parley_take(current):
        if current is not None and current != action and push_previous_to_nla:
            old_slot = getattr(anim, "action_slot", None)
            _push_to_track(anim, TAKES_TRACK, current, old_slot,
                           take_info(current).get("first_frame", first_frame), mute=True)
        _assign(anim, action, slot)
        return "active"
    live = anim.nla_tracks.get(LIVE_TRACK)
    if live is not None:
        for s in list(live.strips):
            if is_parley_take(s.action):
                live.strips.remove(s)
    _push_to_track(anim, LIVE_TRACK, action, slot, first_frame, mute=False)
    return "nla"


def playing_take(key):
    """The Parley take that plays on ``key``: its active action, else the one on the "Parley"
    NLA track under the artist's action; None when no take plays."""
    anim = key.animation_data
    if anim is None:
        return None
    if is_parley_take(anim.action):
        return anim.action
    live = anim.nla_tracks.get(LIVE_TRACK)
    for s in (live.strips if live is not None else ()):
        if is_parley_take(s.action):
            return s.action
    return None


def use_take(key, action, push_previous_to_nla: bool = False) -> str:
    """Play an earlier take of ``key`` again (same policy as a new take: the artist's own action
    is never replaced). Returns the placement, "active" or "nla"."""
    info = take_info(action)
    if info.get("key") != key.name:
        raise ValueError(f"'{action.name}' is not a Parley take of {key.name}")
    slot = None
    if is_slotted(action):
        if not len(action.slots):
            raise ValueError(f"'{action.name}' has no slot to play on {key.name}")
        slot = action.slots[0]
    return _place(key, action, slot, info.get("first_frame", 1.0), push_previous_to_nla)
