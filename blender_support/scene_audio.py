"""The audio the viewer hears, as a 16 kHz mono WAV whose time 0 is ``scene.frame_start``.

Scene audio is rendered with ``bpy.ops.sound.mixdown``, which plays exactly what playback plays
(every unmuted sound strip with its position, trims, volume; packed sounds; ``//relative`` paths)
for ``frame_start..frame_end``. A single strip is rendered the same way with every other strip
muted for the duration of the call (restored exactly afterwards, also on error). Problems are
found *before* rendering, because a mixdown of a missing file silently yields silence.
"""
from __future__ import annotations

import contextlib
import os
import re

import bpy

from . import addon_package, compat

MIX_RATE = 16000


class AudioSourceError(ValueError):
    """The scene/strip/file cannot provide audio; the message says why and what to do."""


# ----------------------------------------------------------------------------------- inspection

def _muted_meta_members(scene) -> set[str]:
    """Names of strips inside muted meta strips (muting a meta silences its contents)."""
    names: set[str] = set()
    for strip in compat.strips_collection(scene.sequence_editor, recursive=True):
        if strip.type == 'META' and strip.mute:
            names.update(s.name for s in compat.strips_collection(strip, recursive=True)
                         if s.name != strip.name)
    return names


def is_audible(scene, strip) -> bool:
    """Unmuted (strip, channel and enclosing meta) and overlapping the scene frame range."""
    if strip.mute or compat.channel_muted(scene, strip.channel):
        return False
    if strip.name in _muted_meta_members(scene):
        return False
    return strip.frame_final_start <= scene.frame_end and strip.frame_final_end > scene.frame_start


def audible_sound_strips(scene) -> list:
    return [s for s in compat.sound_strips(scene) if is_audible(scene, s)]


def resolve_sound_path(strip) -> str | None:
    """Absolute file of a strip's sound (None when packed); raises AudioSourceError when unusable."""
    sound = strip.sound
    if sound is None:
        raise AudioSourceError(f"Sound strip '{strip.name}' has no sound data")
    if sound.packed_file is not None:
        return None
    return resolve_file_path(sound.filepath, what=f"Sound file of strip '{strip.name}'",
                             library=sound.library)


def resolve_file_path(filepath: str, *, what: str = "Audio file", library=None) -> str:
    """Absolute path of a (possibly ``//relative``) file that must exist."""
    if not filepath:
        raise AudioSourceError(f"{what}: no file chosen")
    if filepath.startswith("//") and not bpy.data.filepath and library is None:
        raise AudioSourceError(
            f"{what} uses the relative path '{filepath}' but this .blend file is not saved yet: "
            "save the file or make the path absolute")
    path = os.path.normpath(bpy.path.abspath(filepath, library=library))
    if not os.path.isfile(path):
        raise AudioSourceError(f"{what} not found: {path}")
    return path


def load_audio_file(path: str):
    """``core.audio.load_audio``, with Blender's own decoder for containers core cannot read here.

    Outside Blender a phone memo (.m4a) or a video reference (.mov) needs ffmpeg on PATH. Blender
    plays the same files through audaspace, so when core refuses the format for want of ffmpeg,
    ``aud`` (the library behind sound strips) decodes it and core gets the samples.
    """
    from ..core import audio as A

    try:
        return A.load_audio(path)
    except A.AudioUnsupportedFormat as exc:
        refused = exc
    import aud

    name = f"audio file '{path}'"
    try:
        sound = aud.Sound(path)
        rate, _channels = sound.specs
        A.check_length(sound.length / float(rate), A.MAX_DURATION_S, name)
        data = sound.data()
    except A.AudioError:
        raise
    except Exception as exc:  # aud.error and friends: Blender cannot read it either
        raise A.AudioDecodeError(f"{refused} (Blender could not decode it either: {exc})") from None
    ext = os.path.splitext(path)[1].lstrip(".").upper() or "audio"
    return A.AudioClip.from_array(data, int(round(rate)), source_path=path, name=name,
                                  source_format=f"{ext} (via Blender audaspace)")


def find_sound_strip(scene, name: str):
    if not name:
        raise AudioSourceError("Choose a sound strip (Audio: Sound Strip)")
    for strip in compat.sound_strips(scene):
        if strip.name == name:
            return strip
    raise AudioSourceError(f"No sound strip named '{name}' in scene '{scene.name}'")


def check_scene_audio(scene) -> list:
    """Audible sound strips of the scene; raises AudioSourceError saying why there are none."""
    se = scene.sequence_editor
    if se is None:
        raise AudioSourceError("The scene has no sequencer data: add a sound strip "
                               "(Video Sequencer > Add > Sound)")
    strips = compat.sound_strips(scene)
    if not strips:
        raise AudioSourceError("The scene has no sound strips: add one in the Video Sequencer")
    unmuted = [s for s in strips if not s.mute and not compat.channel_muted(scene, s.channel)
               and s.name not in _muted_meta_members(scene)]
    if not unmuted:
        raise AudioSourceError(f"All {len(strips)} sound strips are muted: unmute the voice strip")
    audible = [s for s in unmuted if is_audible(scene, s)]
    if not audible:
        raise AudioSourceError(f"No unmuted sound strip overlaps the scene range "
                               f"{scene.frame_start}-{scene.frame_end}")
    for strip in audible:
        resolve_sound_path(strip)
    return audible


def audio_problem(scene, settings) -> str | None:
    """Why the job settings cannot give audio right now (None when they can). Cheap: used in poll."""
    if settings is None:
        return "Parley settings are missing on this scene (is the add-on enabled?)"
    try:
        if settings.audio_source == 'AUTO':
            check_scene_audio(scene)
        elif settings.audio_source == 'STRIP':
            resolve_sound_path(find_sound_strip(scene, settings.strip_name))
        elif settings.audio_source == 'FILE':
            resolve_file_path(settings.audio_file)
        else:
            return f"Unknown audio source {settings.audio_source!r}"
    except AudioSourceError as exc:
        return str(exc)
    return None


# ----------------------------------------------------------------------------------- rendering

def temp_audio_path(scene, tag: str) -> str:
    """A WAV path in this extension's user folder (the only place Parley writes temp files)."""
    folder = bpy.utils.extension_path_user(addon_package(), path="audio", create=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{scene.name}_{tag}")[:80]
    return os.path.join(folder, f"{safe}.wav")


@contextlib.contextmanager
def solo_strip(scene, strip):
    """Temporarily mute every strip except ``strip`` (and the metas/channel holding it)."""
    se = scene.sequence_editor
    all_strips = list(compat.strips_collection(se, recursive=True))
    saved = {s.name: s.mute for s in all_strips}
    keep = {strip.name}
    for s in all_strips:
        if s.type == 'META' and any(m.name == strip.name
                                    for m in compat.strips_collection(s, recursive=True)):
            keep.add(s.name)
    channels = getattr(se, "channels", None)
    saved_channel = None
    if channels is not None and strip.channel < len(channels):
        saved_channel = channels[strip.channel].mute
    try:
        for s in all_strips:
            s.mute = s.name not in keep
        if saved_channel is not None:
            channels[strip.channel].mute = False
        yield
    finally:
        by_name = {s.name: s for s in compat.strips_collection(se, recursive=True)}
        for name, mute in saved.items():
            if name in by_name:
                by_name[name].mute = mute
        if saved_channel is not None:
            channels[strip.channel].mute = saved_channel


def _mixdown(scene, out_path: str, mixrate: int) -> str:
    os.makedirs(os.path.dirname(out_path) or ".", exist_ok=True)
    if os.path.exists(out_path):
        os.remove(out_path)
    with bpy.context.temp_override(scene=scene):
        result = bpy.ops.sound.mixdown(filepath=out_path, check_existing=False, relative_path=False,
                                       container='WAV', codec='PCM', format='S16',
                                       mixrate=mixrate, channels='MONO')
    if 'FINISHED' not in result or not os.path.isfile(out_path):
        raise AudioSourceError(f"Blender's sound mixdown did not write {out_path} (result {result}); "
                               "is this Blender built with audio support?")
    return out_path


def render_scene_audio(scene, out_path: str | None = None, *, mixrate: int = MIX_RATE) -> str:
    """Mix all audible sound strips for the scene range into a mono WAV (t=0 at frame_start)."""
    check_scene_audio(scene)
    return _mixdown(scene, out_path or temp_audio_path(scene, "mix"), mixrate)


def render_strip_audio(scene, strip_name: str, out_path: str | None = None, *,
                       mixrate: int = MIX_RATE) -> str:
    """Render one sound strip alone, placed in time exactly as in the scene mix."""
    strip = find_sound_strip(scene, strip_name)
    resolve_sound_path(strip)
    with solo_strip(scene, strip):
        return _mixdown(scene, out_path or temp_audio_path(scene, f"strip_{strip_name}"), mixrate)


def audio_path_for_settings(scene, settings) -> str:
    """Audio file for the job settings: a fresh mixdown (scene/strip) or the chosen file."""
    if settings.audio_source == 'AUTO':
        return render_scene_audio(scene)
    if settings.audio_source == 'STRIP':
        return render_strip_audio(scene, settings.strip_name)
    if settings.audio_source == 'FILE':
        return resolve_file_path(settings.audio_file)
    raise AudioSourceError(f"Unknown audio source {settings.audio_source!r}")
