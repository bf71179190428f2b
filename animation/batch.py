"""Headless generation: argument parsing, logging and exit codes shared by ``scripts/parley_batch.py``
and the ``blender --command parley`` extension command.

    blender -b shot.blend --python-exit-code 1 --python scripts/parley_batch.py -- \\
        --object Head --emotion happy --intensity 0.7 [--strip Voice | --audio file.wav] \\
        [--transcript "..."] [--extend-scene] [--save | --save-as out.blend] [--render out/] \\
        [--report take.json]

Runs the same operator as the Generate button (synchronously, as always in background mode) and
exits non-zero on failure (1 = generation/render failed, 2 = bad arguments). Output is
deterministic: the same file and arguments give the same keyframes.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class BatchError(RuntimeError):
    pass


def parser() -> argparse.ArgumentParser:
    from ..core.emotions import EMOTIONS
    p = argparse.ArgumentParser(
        prog="parley_batch", description="Generate a Parley lip-sync take headless (Blender -b).")
    p.add_argument("--object", required=True, help="name of the head mesh to animate")
    p.add_argument("--emotion", default="neutral", type=_emotion_arg,
                   help=f"one of {', '.join(EMOTIONS)}, or a blend of two with shares, e.g. "
                        f"happy:0.6,surprised:0.4 (default neutral)")
    p.add_argument("--intensity", type=float, default=None,
                   help="0..1, held over the take (default: the shot's Intensity, following its "
                        "keyframes if it has any)")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--strip", help="use only this sound strip (default: all audible strips)")
    src.add_argument("--audio", help="use this audio file, starting at the scene's first frame")
    p.add_argument("--transcript", default="", help="what is said (improves phone timing; "
                                                    "default: the scene's saved Transcript)")
    p.add_argument("--transcript-file", help="read the transcript from this text file")
    p.add_argument("--engine", default="auto", choices=("auto", "choreography", "learned"))
    p.add_argument("--fast-recognition", action="store_true",
                   help="narrower PocketSphinx search (~2.5x faster, a few more missed P/B/M)")
    p.add_argument("--no-lip-seal", dest="lip_seal", action="store_false",
                   help="learned model: leave the lips as decoded (default: seal every P/B/M)")
    p.add_argument("--extend-scene", action="store_true",
                   help="extend the scene's end frame when the speech is longer")
    p.add_argument("--keep-previous-on-nla", action="store_true",
                   help="push the replaced Parley take to a muted NLA track")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--save", action="store_true", help="save the .blend in place")
    out.add_argument("--save-as", help="save the result to this .blend")
    p.add_argument("--render", metavar="DIR", help="render the scene's frame range into DIR")
    p.add_argument("--frames", metavar="START-END",
                   help="render only these frames (default: the scene range)")
    p.add_argument("--render-engine", default="auto",
                   choices=("auto", "workbench", "eevee", "cycles"),
                   help="auto = Workbench, falling back to Cycles CPU when no GPU context exists")
    p.add_argument("--set-render-engine", default="keep",
                   choices=("keep", "workbench", "eevee", "cycles"),
                   help="store this render engine in the scene before saving (cycles = CPU); "
                        "for farm render tasks that render the saved file")
    p.add_argument("--report", help="write the take's details (engine, QA, timings) as JSON")
    return p


def _emotion_arg(text: str):
    """``--emotion``: a name or a blend of two (the scene's Emotion + Blend With + Mix)."""
    from ..core.emotions import check_emotion_mix
    try:
        mix = check_emotion_mix(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if isinstance(mix, dict) and len(mix) > 2:
        raise argparse.ArgumentTypeError(f"a blend of at most two emotions, got {len(mix)}: {text}")
    return mix


def _set_emotion(settings, mix) -> None:
    """Store ``--emotion`` in the scene's settings, as the panel would (saved with --save)."""
    if isinstance(mix, str):
        settings.emotion, settings.emotion_blend = mix, 'NONE'
        return
    # Blend With has no neutral (a share of neutral lowers the intensity): neutral goes first
    (first, _w1), (second, w2) = sorted(mix.items(), key=lambda kv: kv[0] != "neutral")
    settings.emotion, settings.emotion_blend = first, second
    settings.emotion_blend_share = w2


def script_args(argv: list[str]) -> list[str]:
    """Arguments after the first ``--`` (Blender's own arguments come before it)."""
    return argv[argv.index("--") + 1:] if "--" in argv else []


def log(msg: str) -> None:
    print(f"parley_batch: {msg}", flush=True)


def _engine_id(choice: str) -> str:
    from ..blender_support import compat
    return {"workbench": "BLENDER_WORKBENCH", "cycles": "CYCLES",
            "eevee": compat.eevee_engine_id()}[choice]


def parse_frames(text: str) -> tuple[int, int]:
    """``"12-40"`` or ``"12"`` -> (12, 40) / (12, 12)."""
    try:
        a, _, b = text.partition("-")
        start, end = int(a), int(b or a)
    except ValueError:
        raise BatchError(f"--frames must look like 12-40, got {text!r}") from None
    if end < start:
        raise BatchError(f"--frames ends before it starts: {text!r}")
    return start, end


def render(scene, out_dir: str, choice: str, frames=None) -> str:
    """Render ``scene`` (its range, or ``frames``) into ``out_dir``; returns the engine used.

    ``auto`` tries Workbench and falls back to Cycles on the CPU when Workbench cannot get an
    OpenGL context (typical on GPU-less render nodes without software GL)."""
    import bpy
    if scene.camera is None:
        raise BatchError(f"scene '{scene.name}' has no active camera to render from")
    os.makedirs(out_dir, exist_ok=True)
    scene.render.filepath = os.path.join(os.path.abspath(out_dir), "")
    order = ["workbench", "cycles"] if choice == "auto" else [choice]
    saved = (scene.frame_start, scene.frame_end, scene.render.engine)
    last = None
    try:
        if frames is not None:
            scene.frame_start, scene.frame_end = frames
        for c in order:
            scene.render.engine = _engine_id(c)
            if c == "cycles":
                scene.cycles.device = 'CPU'
            try:
                log(f"rendering frames {scene.frame_start}-{scene.frame_end} with "
                    f"{scene.render.engine}")
                bpy.ops.render.render(animation=True)
                return scene.render.engine
            except RuntimeError as exc:  # e.g. no OpenGL/EGL context for Workbench/EEVEE
                last = exc
                log(f"{scene.render.engine} failed ({str(exc).strip()}); trying the next engine")
    finally:
        scene.frame_start, scene.frame_end, engine = saved
        if choice == "auto":
            scene.render.engine = engine
    raise BatchError(f"rendering failed: {last}")


def run(argv: list[str]) -> int:
    """Do the job; returns the exit code (never raises for expected failures)."""
    import bpy
    from ..core import engine as core_engine
    from ..operators.generate import LAST_RUN
    from . import apply, takes

    p = parser()
    try:
        args = p.parse_args(argv)
    except SystemExit as exc:
        return EXIT_USAGE if exc.code else EXIT_OK
    if args.intensity is not None and not 0.0 <= args.intensity <= 1.0:
        log(f"error: --intensity must be within 0..1, got {args.intensity}")
        return EXIT_USAGE
    t0 = time.perf_counter()
    scene = bpy.context.scene
    log(f"Blender {bpy.app.version_string}, Parley {core_engine.parley_version()}, "
        f"file {bpy.data.filepath or '(unsaved)'}, scene '{scene.name}'")
    try:
        transcript = args.transcript
        if args.transcript_file:
            with open(args.transcript_file, encoding="utf-8") as f:
                transcript = f.read().strip()
        if apply.find_object(args.object) is None:
            raise BatchError(f"no object named '{args.object}' in {bpy.data.filepath or 'the file'}")
        settings = scene.parley
        _set_emotion(settings, args.emotion)
        if args.intensity is not None:
            settings.intensity = args.intensity
        settings.lip_seal = args.lip_seal
        if args.strip:
            settings.audio_source, settings.strip_name = 'STRIP', args.strip
        elif args.audio:
            settings.audio_source, settings.audio_file = 'FILE', os.path.abspath(args.audio)
        else:
            settings.audio_source = 'AUTO'
        res = bpy.ops.parley.generate_lipsync(
            object_name=args.object, transcript=transcript, extend_scene=args.extend_scene,
            push_previous_to_nla=args.keep_previous_on_nla, engine=args.engine,
            animated_intensity=args.intensity is None,
            recognition='WORDS_FAST' if args.fast_recognition else 'PREFS')
        if 'FINISHED' not in res:
            raise BatchError(LAST_RUN.get("error") or f"generation returned {sorted(res)}")
        log(LAST_RUN["message"])
        for w in LAST_RUN.get("warnings", []):
            log(f"warning: {w}")
        obj = apply.find_object(args.object)
        key = obj.data.shape_keys
        ad = key.animation_data
        active = ad.action if ad and ad.action and takes.is_parley_take(ad.action) else None
        info = takes.take_info(active) if active else {}
        if not info:
            made = takes.parley_takes(key)
            info = takes.take_info(made[-1]) if made else {}
        log(f"engine: {info.get('engine', '?')}; phones: {info.get('phones', '?')}; "
            f"versions: {info.get('versions', {})}")
        if args.report:
            with open(args.report, "w", encoding="utf-8") as f:
                json.dump({"blender": bpy.app.version_string, "file": bpy.data.filepath,
                           "object": args.object, **info,
                           "warnings": list(LAST_RUN.get("warnings", []))},
                          f, indent=2, sort_keys=True)
            log(f"report written to {args.report}")
        if args.set_render_engine != "keep":
            scene.render.engine = _engine_id(args.set_render_engine)
            if args.set_render_engine == "cycles":
                scene.cycles.device = 'CPU'
            log(f"render engine set to {scene.render.engine}")
        if args.save:
            if not bpy.data.filepath:
                raise BatchError("--save needs a saved .blend; use --save-as PATH")
            bpy.ops.wm.save_mainfile()
            log(f"saved {bpy.data.filepath}")
        elif args.save_as:
            bpy.ops.wm.save_as_mainfile(filepath=os.path.abspath(args.save_as))
            log(f"saved {args.save_as}")
        if args.render:
            frames = parse_frames(args.frames) if args.frames else None
            used = render(scene, args.render, args.render_engine, frames)
            log(f"rendered with {used} into {args.render}")
    except (RuntimeError, OSError, ValueError) as exc:
        msg = str(exc).strip()
        if msg.startswith("Error: "):
            msg = msg[len("Error: "):]
        log(f"error: {msg}")
        return EXIT_FAILED
    log(f"done in {time.perf_counter() - t0:.1f} s")
    return EXIT_OK


def cli_command(argv: list[str]) -> int:
    """``blender -b shot.blend --command parley -- ...`` (extension command, Blender 4.2+)."""
    return run(script_args(argv) if "--" in argv else list(argv))


_CLI_HANDLE = None


def register_cli() -> None:
    """Register ``--command parley`` where this Blender supports extension commands."""
    global _CLI_HANDLE
    import bpy
    fn = getattr(bpy.utils, "register_cli_command", None)
    if fn is not None and _CLI_HANDLE is None:
        _CLI_HANDLE = fn("parley", cli_command)


def unregister_cli() -> None:
    global _CLI_HANDLE
    import bpy
    if _CLI_HANDLE is not None:
        bpy.utils.unregister_cli_command(_CLI_HANDLE)
        _CLI_HANDLE = None


def main() -> None:
    """Entry point for ``--python`` use: exit with the status code."""
    sys.exit(run(script_args(sys.argv)))
