"""``python -m core corpus build|voices|check`` (registered through core/cli.py)."""
from __future__ import annotations

import json
import sys


def register_cli(sub) -> None:
    p = sub.add_parser("corpus", help="build / inspect the synthetic speech-motion training corpus")
    csub = p.add_subparsers(dest="corpus_command", metavar="<action>")
    b = csub.add_parser("build", help="text -> TTS -> augmented audio -> motion (resumable)")
    b.add_argument("--out", default="data/corpus", help="corpus folder (default data/corpus)")
    b.add_argument("--hours", type=float, default=5.0, help="target hours of speech (default 5)")
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("--jobs", type=int, default=1, help="worker processes")
    b.add_argument("--voices", nargs="+", default=None,
                   help="voices to use (engine:voice); default: every installed one")
    b.add_argument("--test-voice", default=None, help="held-out voice for the test split")
    b.add_argument("--max-items", type=int, default=None, help="stop the plan after N items")
    b.add_argument("--no-augment", action="store_true", help="clean audio at normal level")
    b.set_defaults(func=_run_build)
    v = csub.add_parser("voices", help="list the voices and whether they are installed")
    v.set_defaults(func=_run_voices)
    c = csub.add_parser("check", help="load every item of a corpus and print its stats")
    c.add_argument("--out", default="data/corpus")
    c.set_defaults(func=_run_check)
    m = csub.add_parser("remotion", help="recompute motion from stored phones + loudness "
                                         "(after a choreography change; no TTS)")
    m.add_argument("--out", default="data/corpus")
    m.set_defaults(func=_run_remotion)
    p.set_defaults(func=lambda args: (p.print_help(sys.stderr), 2)[1])


def _run_build(args) -> int:
    from .builder import BuildConfig, build
    from .voices import TEST_VOICE
    if args.jobs < 1:
        raise ValueError(f"--jobs must be >= 1, got {args.jobs}")
    cfg = BuildConfig(out=args.out, hours=args.hours, seed=args.seed, jobs=args.jobs,
                      voices=tuple(args.voices) if args.voices else None,
                      test_voice=args.test_voice or TEST_VOICE, max_items=args.max_items,
                      augment_strength=0.0 if args.no_augment else 1.0)
    import signal

    def _stop(signum, frame):            # kill <pid>: index what is done, then exit
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, _stop)
    stats = build(cfg)
    print(json.dumps({k: stats[k] for k in ("items", "hours_total", "hours_per_split",
                                            "size_bytes", "generation_seconds_this_run")}))
    return 1 if stats["failed_items"] and not stats["items"] else 0


def _run_voices(args) -> int:
    from .voices import ALL_VOICES, TEST_VOICE, VoiceNotInstalled, get_voice
    for name in ALL_VOICES:
        v = get_voice(name)
        try:
            v.check()
            state = "installed"
        except VoiceNotInstalled as e:
            state = f"MISSING: {e}"
        role = "test (held out)" if name == TEST_VOICE else "train/val"
        print(f"{name:34s} {role:16s} timings={v.timing_source:16s} {state}")
    return 0


def _run_check(args) -> int:
    from .builder import corpus_stats
    from .dataset import load_item, load_manifest
    recs = load_manifest(args.out)
    for r in recs:
        load_item(args.out, r, with_audio=True, with_motion=True)
    print(json.dumps(corpus_stats(recs), indent=1))
    return 0


def _run_remotion(args) -> int:
    from .builder import remake_motion
    n = remake_motion(args.out)
    print(f"motion remade for {n} items in {args.out}")
    return 0
