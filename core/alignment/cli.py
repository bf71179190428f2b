"""``python -m core align`` / ``recognize-phones``: phone timings JSON from speech audio."""
from __future__ import annotations

import json
from pathlib import Path


def register_cli(sub) -> None:
    p = sub.add_parser("align", help="force-align a transcript to speech -> phone timings JSON")
    p.add_argument("audio", help="speech recording (wav/ogg/flac...)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--text", help="what is said")
    src.add_argument("--text-file", help="file holding what is said")
    p.add_argument("--out", help="write {'segments': [[phone, start, end]...]} JSON here")
    p.add_argument("--max-chunk", type=float, default=30.0,
                   help="recordings longer than this (s) are aligned in chunks (default 30)")
    p.set_defaults(func=_run_align)
    r = sub.add_parser("recognize-phones", help="phone timings without a transcript")
    r.add_argument("audio")
    r.add_argument("--method", choices=("words", "words_fast", "allphone"), default="words")
    r.add_argument("--bilabial-rescue", type=float, metavar="P",
                   help="words only: add P/B/M of word-lattice alternatives at least this likely "
                        "(0-1; off by default: more closures found, most additions wrong, see "
                        "docs/model_results.md)")
    r.add_argument("--workers", type=int, default=None, metavar="N",
                   help="helper processes for recordings longer than 15 s (default: one per "
                        "core, up to 4; 1 = this process only)")
    r.add_argument("--out", help="write phone timings JSON here")
    r.set_defaults(func=_run_recognize)


def phone_document(segments, extra: dict) -> dict:
    """The phone timings JSON every command writes and ``generate --phones`` reads."""
    return {"segments": [[s.phone, round(s.start, 3), round(s.end, 3)] for s in segments], **extra}


def write_phone_file(out, segments, extra: dict) -> None:
    Path(out).write_text(json.dumps(phone_document(segments, extra), indent=1))
    print(f"{out}: {len(segments)} phone segments")


def _write(out, segments, extra: dict) -> None:
    if out:
        write_phone_file(out, segments, extra)
    else:
        print(json.dumps(phone_document(segments, extra)))


def _run_align(args) -> int:
    from ..audio import load_audio
    from ..cli import CliError
    from . import AlignmentError, align_long

    text = args.text if args.text is not None else Path(args.text_file).read_text()
    clip = load_audio(args.audio)
    try:
        res = align_long(clip.samples, text, clip.sample_rate, max_chunk_s=args.max_chunk)
    except AlignmentError as exc:
        raise CliError(str(exc)) from exc
    _write(args.out, res.phones, {"source": "alignment", "words": [
        [w.word, round(w.start, 3), round(w.end, 3)] for w in res.words],
        "guessed": res.guessed})
    if args.out:
        print(f"{len(res.words)} words in {clip.duration:.1f} s aligned in {res.seconds:.2f} s "
              f"({res.seconds / clip.duration:.3f} x real time)")
    return 0


def _run_recognize(args) -> int:
    from ..audio import load_audio
    from ..cli import CliError
    from . import AlignmentError, recognize_phones

    clip = load_audio(args.audio)
    try:
        segs = recognize_phones(clip.samples, args.method, clip.sample_rate,
                                bilabial_rescue=args.bilabial_rescue, workers=args.workers)
    except (AlignmentError, ValueError) as exc:
        raise CliError(str(exc)) from exc
    src = f"recognition:{args.method}"
    if args.bilabial_rescue is not None:
        src += f"+bilabial_rescue:{args.bilabial_rescue:g}"
    _write(args.out, segs, {"source": src})
    return 0
