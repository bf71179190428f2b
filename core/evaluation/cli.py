"""``python -m core score``: score a take (weights file) against its speech audio."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def register_cli(sub) -> None:
    p = sub.add_parser("score", help="lip-sync metrics of a take (closure, rest, sync, jitter)")
    p.add_argument("--take", required=True, help="take .npz (weights, fps) or .json from 'choreograph'")
    p.add_argument("--audio", required=True, help="the speech the take was made for")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--phones", help="phone timings JSON {'segments': [[phone, start, end]...]}")
    src.add_argument("--transcript", help="text to force-align (otherwise phones are recognised)")
    p.add_argument("--head", required=True, help="neutral FLAME-topology head (.ply) for the rig")
    p.add_argument("--json", help="also write the metrics as JSON here")
    p.set_defaults(func=_run_score)


def load_take(path) -> tuple[np.ndarray, float]:
    """(weights [T, 52], fps) from a take .npz / .json (``choreograph`` output)."""
    from ..arkit import ARKIT_NAMES

    path = Path(path)
    if path.suffix == ".npz":
        with np.load(path) as z:
            w, fps = z["weights"], float(z["fps"]) if "fps" in z.files else 30.0
            names = [str(n) for n in z["names"]] if "names" in z.files else list(ARKIT_NAMES)
    elif path.suffix == ".json":
        d = json.loads(path.read_text())
        w, fps, names = np.asarray(d["weights"]), float(d.get("fps", 30.0)), d.get("names", ARKIT_NAMES)
    else:
        raise ValueError(f"--take must be .npz or .json, got {path.name}")
    if list(names) != list(ARKIT_NAMES):
        raise ValueError(f"{path}: shape names are not ARKIT_NAMES in order")
    return np.asarray(w, np.float32), fps


def _run_score(args) -> int:
    from ..alignment import AlignmentError, align_long, recognize_phones
    from ..audio import load_audio
    from ..cli import CliError
    from ..phones import validate_segments
    from ..rig import FlameRig
    from .report import evaluate_take, format_report

    w, fps = load_take(args.take)
    clip = load_audio(args.audio)
    try:
        if args.phones:
            segs = validate_segments(json.loads(Path(args.phones).read_text())["segments"])
        elif args.transcript:
            segs = align_long(clip.samples, args.transcript, clip.sample_rate).phones
        else:
            segs = recognize_phones(clip.samples, "words", clip.sample_rate)
    except AlignmentError as exc:
        raise CliError(str(exc)) from exc
    rig = FlameRig.from_ply(args.head)
    m = evaluate_take(w, fps, segs, clip.samples, rig=rig, sample_rate=clip.sample_rate)
    print(format_report(m))
    if args.json:
        out = {k: v for k, v in m.items() if k != "gap_mm"}
        Path(args.json).write_text(json.dumps(out, indent=1, default=float))
    return 0
