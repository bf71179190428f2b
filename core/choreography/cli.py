"""``python -m core choreograph``: timed phones (+ optional audio for loudness) -> ARKit take.

Phones come from a JSON file (the corpus ``phones/<id>.json`` format ``{"segments": [[phone,
start, end], ...]}`` or a bare list), or from forced alignment of ``--audio`` with
``--transcript`` (PocketSphinx). The take is written as ``.npz`` (``weights`` [T, 52] float32,
``names``, ``fps``) or ``.json``.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..emotions import check_emotion_mix


def register_cli(sub) -> None:
    p = sub.add_parser("choreograph", help="timed phones (or audio + transcript) -> ARKit weights "
                                           "with emotion (rule-based choreography)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--phones", help="JSON phone timings: {\"segments\": [[phone, start, end]...]}")
    src.add_argument("--transcript", help="text to force-align with --audio (PocketSphinx)")
    p.add_argument("--audio", help="speech audio: loudness drives the jaw; needed with --transcript")
    p.add_argument("--out", required=True, help="output take: .npz or .json")
    p.add_argument("--fps", type=float, default=30.0)
    p.add_argument("--duration", type=float, default=None,
                   help="seconds (default: the audio's length, else the last phone's end)")
    p.add_argument("--emotion", default="neutral",
                   help="one of neutral happy sad surprised fearful disgusted angry contempt, "
                        "or a blend like happy:0.6,surprised:0.4")
    p.add_argument("--intensity", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_run)


def read_phones(path) -> list:
    data = json.loads(Path(path).read_text())
    segs = data["segments"] if isinstance(data, dict) and "segments" in data else data
    if not isinstance(segs, list):
        raise ValueError(f"{path}: expected {{\"segments\": [[phone, start, end], ...]}} or a list")
    return [tuple(s) for s in segs]


def _run(args) -> int:
    import numpy as np

    from ..arkit import ARKIT_NAMES
    from . import animate
    if args.transcript and not args.audio:
        raise ValueError("--transcript needs --audio (the recording to align it with)")
    clip = None
    if args.audio:
        from ..audio import load_audio
        clip = load_audio(args.audio)
    if args.phones:
        segs = read_phones(args.phones)
    else:
        from ..alignment import align
        segs = list(align(clip.samples, args.transcript))
    duration = args.duration if args.duration is not None else (clip.duration if clip else None)
    loud = None
    if clip is not None:
        from ..loudness import loudness_envelope
        dur = duration if duration is not None else clip.duration
        loud = loudness_envelope(clip.samples, clip.sample_rate, args.fps,
                                 num_frames=int(round(dur * args.fps)))
    w = animate(segs, duration, fps=args.fps, emotion=check_emotion_mix(args.emotion),
                intensity=args.intensity, loudness=loud, seed=args.seed)
    out = Path(args.out)
    if out.suffix == ".json":
        out.write_text(json.dumps({"fps": args.fps, "names": list(ARKIT_NAMES),
                                   "weights": np.round(w, 5).tolist()}))
    elif out.suffix == ".npz":
        np.savez_compressed(out, weights=w, names=np.array(ARKIT_NAMES), fps=args.fps)
    else:
        raise ValueError(f"--out must end in .npz or .json, got {out.name}")
    print(f"{out}: {w.shape[0]} frames at {args.fps:g} fps ({len(segs)} phones, "
          f"emotion {args.emotion} @ {args.intensity:g})")
    return 0
