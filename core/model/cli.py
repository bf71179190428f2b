"""``python -m core`` subcommands of the model: train-stage1, train-aux, train-stage2,
train-regression, evaluate, generate. Heavy imports happen inside the handlers."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def _train_args(p, stage_default_steps):
    p.add_argument("--corpus", default="data/corpus", help="corpus directory (manifest.jsonl)")
    p.add_argument("--out", default="data/runs/parley", help="checkpoint/run directory (shared by all stages)")
    p.add_argument("--steps", type=int, default=stage_default_steps)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr", type=float, default=3e-4)
    p.add_argument("--window", type=int, default=120, help="frames per training window (30 fps)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    p.add_argument("--no-resume", action="store_true", help="start over even if a train state exists")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = default)")
    p.add_argument("--config", help="model config JSON for a NEW run (ignored once <out>/config.json exists)")
    p.add_argument("--frontend", choices=("phones", "posteriors", "logmel", "hf"), help="front end for a NEW run")
    p.add_argument("--hf-dir", help="local wav2vec2/HuBERT directory for --frontend hf")
    p.add_argument("--phone-source", default="recognized", choices=("recognized", "oracle", "simulated"),
                   help="phones front end: recognise phones from audio (as at inference), use corpus "
                   "phones, or corpus phones with simulated recognition errors (core/model/phone_noise.py)")
    p.add_argument("--recognized-share", type=float, default=0.0,
                   help="with --phone-source simulated: share of samples using cached recognised phones")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--max-items", type=int, default=0, help="use only the first N training items (smoke runs)")
    p.add_argument("--vq-warmup", type=int, default=300, help="stage 1: autoencoder steps before quantising")
    p.add_argument("--log-every", type=int, default=25)
    p.add_argument("--save-every", type=int, default=250)
    p.add_argument("--sched-sampling", type=float, default=0.25,
                   help="stage 2: share of input codes replaced by the model's own (ramped over steps/3)")
    p.add_argument("--ss-passes", type=int, default=1, help="stage 2: scheduled-sampling prediction passes")
    p.add_argument("--ss-free-run", action="store_true",
                   help="stage 2: scheduled sampling takes the model's own codes from free-running "
                   "KV-cached decoding of each window (as at inference) instead of parallel passes")
    p.add_argument("--stop-at", type=int, default=0,
                   help="stage 2: save and stop after this step (the lr schedule still follows --steps)")
    p.add_argument("--init-from", default="", help="stage 2: start from this run directory's s2c/dual weights")
    p.add_argument("--lip-mesh", default="", help="FLAME-topology neutral head (PLY): adds the inner-lip "
                   "gap loss (weight loss.lip_gap) to stage 1, stage 2 and the regression baseline")


def _opts(args):
    from .train import TrainOptions
    return TrainOptions(corpus=args.corpus, out=args.out, steps=args.steps, batch=args.batch,
                        lr=args.lr, window=args.window, seed=args.seed, device=args.device,
                        resume=not args.no_resume, threads=args.threads, progress=not args.no_progress,
                        phone_source=args.phone_source, log_every=args.log_every,
                        save_every=args.save_every, val_every=args.save_every,
                        max_items=args.max_items, vq_warmup=args.vq_warmup,
                        lip_mesh=args.lip_mesh, sched_sampling=args.sched_sampling,
                        ss_passes=args.ss_passes, init_from=args.init_from,
                        stop_at=args.stop_at, recognized_share=args.recognized_share,
                        ss_free_run=args.ss_free_run)


def _base_config(args):
    from .config import ModelConfig
    cfg = ModelConfig.from_json(args.config) if args.config else ModelConfig()
    if args.frontend:
        cfg.frontend.kind = args.frontend
    if args.hf_dir:
        cfg.frontend.hf_dir = args.hf_dir
    return cfg.validate()


def _runner(stage):
    def run(args):
        from . import train
        fn = {"stage1": train.train_stage1, "aux": train.train_aux, "stage2": train.train_stage2,
              "regression": train.train_regression}[stage]
        result = fn(_opts(args), _base_config(args))
        if int(os.environ.get("RANK", "0")) == 0:    # under torchrun only rank 0 reports
            print(json.dumps({"stage": stage, "out": args.out, "last": result}, indent=2))
        if int(os.environ.get("WORLD_SIZE", "1")) > 1:
            # Under torchrun a rank sometimes aborts while the interpreter shuts down ("terminate
            # called without an active exception" from gloo's threads; seen here about once in
            # 20 stage runs), after its work is saved, and the launcher then reports the whole
            # run as failed. Every file of the stage is written and closed by now (the ranks met
            # at close()'s barrier), so leave without the interpreter's teardown.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)
        return 0
    return run


def _evaluate(args):
    from .evaluate import evaluate_corpus, evaluate_real
    out = {}
    if args.corpus:
        out["corpus"] = evaluate_corpus(args.checkpoint, args.corpus, args.split, args.template,
                                        args.max_items, args.phone_source, not args.no_progress)
    if args.speech:
        if not args.template:
            raise ValueError("--speech needs --template (a FLAME-topology PLY) to measure the lips")
        out["real"] = evaluate_real(args.checkpoint, args.speech, args.template,
                                    max_seconds=args.max_speech_seconds)
    if not out:
        raise ValueError("nothing to evaluate: give --corpus and/or --speech")
    text = json.dumps(out, indent=2, default=float)
    if args.json:
        Path(args.json).write_text(text + "\n")
    print(text)
    return 0


def read_phone_file(path, duration: float) -> list:
    """Phone timings JSON (``{"segments": [[phone, start, end], ...]}``, as ``align --out``,
    ``recognize-phones --out`` and ``generate --save-phones`` write) checked against the
    recording they are meant for."""
    from ..phones import PhoneError, validate_segments
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"--phones: {path} does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"--phones: {path} is not a phone timings JSON file ({exc})") from exc
    segs = data.get("segments") if isinstance(data, dict) else None
    if not isinstance(segs, list) or not segs:
        raise ValueError(f"--phones: {path} holds no \"segments\" list; write one with "
                         f"'python -m core recognize-phones AUDIO --out FILE' or 'align'")
    try:
        segs = validate_segments(segs)
    except (PhoneError, TypeError, ValueError) as exc:
        raise ValueError(f"--phones: {path}: {exc}") from exc
    if segs[-1].end > duration + 0.5:
        raise ValueError(f"--phones: {path} runs to {segs[-1].end:.2f} s but the audio is "
                         f"{duration:.2f} s long; were the timings made from another recording?")
    return segs


def _aligned_or_none(x, transcript: str):
    """Phones of ``transcript`` (text, or a text file) force-aligned to ``x``; None, with a
    warning, when it cannot be aligned: the take then falls back to recognition, as the engine's
    does (``core.engine``), instead of failing."""
    from ..alignment import AlignmentError, align_long
    from ..alignment.fit import transcript_warnings
    text = Path(transcript).read_text(encoding="utf-8") if Path(transcript).is_file() else transcript
    try:
        segs = align_long(x, text).phones
    except (AlignmentError, ValueError) as exc:     # ValueError: no words in it
        reason = str(exc).split(". Check")[0].split(";")[0]
        print(f"warning: the transcript could not be aligned to the audio ({reason}), so the "
              f"phones are recognised from the audio instead; check that the transcript is what "
              f"is said", file=sys.stderr)
        return None
    for note in transcript_warnings(x, segs):
        print(f"warning: {note}", file=sys.stderr)
    return segs


def _generate(args):
    import numpy as np
    from .export import plot_take, write_curves
    from .frontends.base import load_audio_16k
    from .infer import Parley
    model = Parley.from_pretrained(args.checkpoint)
    x = load_audio_16k(args.audio)
    from ..emotions import check_emotion_mix, emotion_label
    emotion = check_emotion_mix(args.blend or args.emotion)
    if args.phones and args.transcript:
        raise ValueError("give --phones or --transcript, not both (both say where the phones come from)")
    segs, source = None, f"recognized ({args.recognition})"
    if args.phones:
        segs, source = read_phone_file(args.phones, len(x) / 16000), f"file {args.phones}"
    elif args.transcript:
        segs = _aligned_or_none(x, args.transcript)
        if segs is not None:
            source = "transcript"
        else:
            source += ", the transcript could not be aligned"
    from ..alignment import AlignmentError
    try:
        if segs is None and args.recognition != "words" and model.cfg.frontend.kind == "phones":
            from ..alignment import recognize_phones
            segs = recognize_phones(x, args.recognition)   # the front end's own one is "words"
        w = model.generate(x, emotion=emotion, intensity=args.intensity, fps=args.fps,
                           style=args.style or None, segments=segs)
    except AlignmentError as exc:
        raise ValueError(f"phone recognition failed: {exc}") from exc
    if segs is None and getattr(model.frontend, "last_segments", None):
        from ..phones import validate_segments
        segs = validate_segments(model.frontend.last_segments)
    if source.startswith("recognized") and segs:
        from ..alignment.conditions import noisy_recording_note
        noisy = noisy_recording_note(x, segs)
        if noisy:
            print(f"warning: {noisy}", file=sys.stderr)
    if args.save_phones and not segs:
        raise ValueError(f"--save-phones: this checkpoint's {model.cfg.frontend.kind!r} front end "
                         f"uses no phone timings, so there are none to save (nothing written)")
    if args.lip_seal and segs:
        from ..lip_seal import seal_bilabials
        w = seal_bilabials(w, segs, args.fps)
    meta = {"audio": str(args.audio), "emotion": emotion, "intensity": args.intensity,
            "checkpoint": str(args.checkpoint), "lip_seal": bool(args.lip_seal and segs),
            "phones": source}
    for out in args.out:
        write_curves(out, w, args.fps, meta)
        print(f"wrote {out}")
    if args.save_phones:
        from ..alignment.cli import write_phone_file
        write_phone_file(args.save_phones, segs, {"source": source, "audio": str(args.audio)})
    if args.plot:
        sealed = " + lip seal" if meta["lip_seal"] else ""
        plot_take(args.plot, x, w, args.fps, segs,
                  title=f"{Path(args.audio).name}: {emotion_label(emotion)} @ {args.intensity}{sealed}")
        print(f"wrote {args.plot}")
    print(json.dumps({"frames": int(len(w)), "fps": args.fps,
                      "jawOpen_mean": float(np.mean(w[:, 17]))}))
    return 0


def register_cli(sub):
    for stage, steps, doc in (("stage1", 4000, "train stage 1: the motion VQ-VAE codebook"),
                              ("aux", 2000, "train the lip reader and emotion classifiers on ground-truth motion"),
                              ("stage2", 6000, "train stage 2: speech -> codes (needs stage1 and aux)"),
                              ("regression", 4000, "train the FaceFormer-style regression baseline")):
        p = sub.add_parser(f"train-{stage}", help=doc)
        _train_args(p, steps)
        p.set_defaults(func=_runner(stage))
    p = sub.add_parser("evaluate", help="evaluate a checkpoint on held-out corpus items and/or real speech")
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--corpus", help="corpus directory")
    p.add_argument("--split", default="test", choices=("train", "val", "test"))
    p.add_argument("--max-items", type=int)
    p.add_argument("--speech", help="folder of real recordings with transcripts.txt")
    p.add_argument("--template", help="FLAME-topology neutral head PLY (enables LVE and lip metrics)")
    p.add_argument("--max-speech-seconds", type=float, default=0.0, help="skip longer recordings (0 = none)")
    p.add_argument("--phone-source", default="recognized", choices=("recognized", "oracle", "transcript"),
                   help="phones front end: recognised from audio (default), corpus phones, or the "
                   "record's text force-aligned to its audio (the product's transcript path)")
    p.add_argument("--json", help="also write the results to this file")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=_evaluate)
    p = sub.add_parser("generate", help="audio file -> ARKit weight curves (JSON/CSV/NPZ) and a PNG plot")
    p.add_argument("audio")
    p.add_argument("--checkpoint", default=str(Path(__file__).parent / "default"))
    p.add_argument("--emotion", default="neutral",
                   help="an emotion, or a blend of shares like happy:0.6,surprised:0.4")
    p.add_argument("--blend", help="same as --emotion with a blend (kept for old scripts)")
    p.add_argument("--intensity", type=float, default=1.0, help="0 (neutral) to 1 (full emotion)")
    p.add_argument("--style", help="training voice name (default style if empty)")
    p.add_argument("--fps", type=float, default=30.0, help="output frame rate (the scene's)")
    p.add_argument("--out", nargs="+", default=["take.json"], help="output files (.json/.csv/.npz)")
    p.add_argument("--plot", help="PNG path for the waveform/phones/curves plot")
    p.add_argument("--transcript", help="the spoken text (or a text file): phones come from aligning "
                   "it instead of recognition (more accurate)")
    p.add_argument("--phones", help="phone timings JSON to use instead of recognition (from "
                   "'recognize-phones --out', 'align --out' or an earlier --save-phones): re-takes "
                   "of one line with other emotions skip the slow part")
    p.add_argument("--recognition", choices=("words", "words_fast"), default="words",
                   help="PocketSphinx search when neither --transcript nor --phones is given: "
                   "words (default, more accurate) or words_fast (about 2x faster)")
    p.add_argument("--save-phones", help="write the phone timings this take used (JSON) for --phones")
    p.add_argument("--no-lip-seal", dest="lip_seal", action="store_false",
                   help="leave the model's lips as decoded (default: seal every P/B/M, core.lip_seal)")
    p.set_defaults(func=_generate)
