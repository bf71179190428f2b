#!/usr/bin/env python
"""Benchmark Parley's speech-to-motion inference (prints figures; not a test).

Measures, in one run on this machine:
  * front-end cost per 60 s of audio (PocketSphinx phone recognition, pitch+loudness, log-mel),
  * model cost (KV-cached decode vs the naive decode that re-runs the whole prefix every step),
  * end to end from an audio file to curves for 60 s and 10 min of speech, with peak RSS, on
    the runtime the product uses on a CPU (``--runtime numpy``: core/model/numpy_runtime.py,
    what core.engine and Blender run) or the torch model (``--runtime torch``),
  * the numpy runtime's model part against torch's on the same 60 s of features,
  * phone recognition with PocketSphinx's default search (``words``, the default) against the
    narrower ``words_fast`` search (``core.alignment.sphinx.FAST_WORD_SEARCH``), same audio,
  * the ``posteriors`` front end (acoustic model scored in numpy, no search),
  * a re-take through ``core.engine.generate_take``: the same clip again with another emotion
    (at a trained intensity, at an in-between one, as a two-emotion blend and with an
    Intensity keyed 0 -> 1 over the clip)
    (phones and features come from the per-clip caches), against the first take.

Uses the checkpoint given by --checkpoint, or a randomly initialised model of the default
configuration (speed does not depend on the weights). Audio: real recordings from
--speech (looped to length) when available, else a synthetic voiced signal.

    .venv/bin/python scripts/bench_inference.py --speech ../shared/speech --threads 2
"""
from __future__ import annotations

import argparse
import datetime
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def cpu_name() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def speech_audio(seconds: float, speech_dir: str | None) -> np.ndarray:
    from core.model.frontends.base import load_audio_16k
    clips = []
    if speech_dir and Path(speech_dir).is_dir():
        for p in sorted(Path(speech_dir).iterdir()):
            if p.suffix.lower() in (".wav", ".ogg", ".flac") and not p.name.startswith("cs_"):
                clips.append(load_audio_16k(p))
    if not clips:
        t = np.arange(int(16000 * 4)) / 16000
        env = 0.5 + 0.5 * np.sin(2 * np.pi * 3 * t)
        clips = [(0.2 * env * np.sin(2 * np.pi * 140 * t)).astype(np.float32)]
    x = np.concatenate(clips)
    reps = int(np.ceil(seconds * 16000 / len(x)))
    return np.tile(x, reps)[: int(seconds * 16000)].astype(np.float32)


def timed(fn, *a, **kw):
    t0 = time.perf_counter()
    out = fn(*a, **kw)
    return out, time.perf_counter() - t0


def build_model(checkpoint):
    import torch
    from core.model.config import ModelConfig
    from core.model.frontends.base import build_frontend
    from core.model.infer import Parley
    from core.model.transformer import SpeechToCodes
    from core.model.vqvae import MotionVQVAE
    if checkpoint:
        return Parley.from_pretrained(checkpoint), f"checkpoint {checkpoint}"
    torch.manual_seed(0)
    cfg = ModelConfig()
    fe = build_frontend(cfg.frontend)
    s2c = SpeechToCodes(cfg.s2c, cfg.vq, cfg.frontend)
    vq = MotionVQVAE(cfg.vq)
    return Parley(cfg, fe, s2c, vq), "random weights, default ModelConfig"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint")
    ap.add_argument("--speech", default=str(ROOT.parent / "shared" / "speech"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--long-minutes", type=float, default=10.0, help="0 skips the long clip")
    ap.add_argument("--skip-naive", action="store_true")
    ap.add_argument("--runtime", choices=("numpy", "torch"), default="numpy",
                    help="model for the end-to-end rows (numpy = the CPU product path; needs --checkpoint)")
    ap.add_argument("--json", help="write the figures to this JSON file too")
    args = ap.parse_args()
    import torch
    torch.set_num_threads(args.threads)
    from core.model.export import write_curves
    from core.model.frontends.logmel import LogMelFrontEnd
    from core.model.frontends.phones import prosody_track, recognize
    model, what = build_model(args.checkpoint)
    cfg = model.cfg
    n_params = sum(p.numel() for p in model.s2c.parameters()) + \
        sum(p.numel() for p in model.vq.decoder.parameters()) + model.vq.quantizer.embedding.numel()
    res = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "cpu": cpu_name(), "threads": args.threads, "torch": torch.__version__, "model": what,
           "inference_params": n_params, "frontend": cfg.frontend.kind}
    x60 = speech_audio(60.0, args.speech)
    n60 = 1800
    # -- front ends, 60 s ------------------------------------------------------------------
    segs, t_ps = timed(recognize, x60)
    _, t_pros = timed(prosody_track, x60, n60)
    _, t_mel = timed(LogMelFrontEnd().features, x60, n60)
    res["frontend_60s"] = {"pocketsphinx_s": t_ps, "pitch_loudness_s": t_pros, "logmel_s": t_mel}
    # the narrower search option on the same audio
    from core.alignment import recognize_phones
    _, t_ps_fast = timed(recognize_phones, x60, "words_fast")
    res["frontend_60s"].update(pocketsphinx_words_fast_s=t_ps_fast,
                               words_over_words_fast=t_ps / t_ps_fast)
    from core.model.frontends.posteriors import PosteriorFrontEnd
    post_fe = PosteriorFrontEnd()
    _, t_post = timed(post_fe.features, x60, n60)
    res["frontend_60s"]["posteriors_s"] = t_post
    feats = model.features(x60, segs)              # phones front end, recognition already done
    res["rss_after_frontends_mb"] = peak_rss_mb()
    # -- model only, 60 s (3 windows of 20 s decoded as one batch) ---------------------------
    model.motion_from_features(feats[:120])        # warm-up
    w_fast, t_fast = timed(model.motion_from_features, feats)
    res["model_60s_cached_s"] = t_fast
    # single-window (no batching across windows) cached decode of 60 s, for reference
    _, t_one = timed(model.motion_from_features, feats, window_s=61.0)
    res["model_60s_single_window_cached_s"] = t_one
    # -- cached vs naive decode on the same 20 s window (naive is O(T^2)) --------------------
    if not args.skip_naive:
        f20 = feats[:600]
        w_fast, t_fast20 = timed(model.motion_from_features, f20)
        w_slow, t_slow = timed(model.motion_from_features, f20, naive=True)
        res["decode_20s"] = {"cached_s": t_fast20, "naive_s": t_slow, "naive_over_cached": t_slow / t_fast20,
                             "identical_output": bool(np.allclose(w_fast, w_slow, atol=1e-5))}
    res["rss_after_model_mb"] = peak_rss_mb()
    runner = model
    if args.checkpoint:
        from core.model.numpy_runtime import NumpyParley
        npm = NumpyParley.from_pretrained(args.checkpoint)
        npm.motion_from_features(feats[:120])      # warm-up
        w_np, t_np = timed(npm.motion_from_features, feats)
        w_t = model.motion_from_features(feats)
        res["model_60s_numpy_runtime_s"] = t_np
        res["numpy_over_torch_model_time"] = t_np / res["model_60s_cached_s"]
        res["numpy_vs_torch_max_abs_diff"] = float(np.abs(w_np - w_t).max())
        if args.runtime == "numpy":
            runner = npm
    elif args.runtime == "numpy":
        print("note: no --checkpoint, so the end-to-end rows use the torch model", file=sys.stderr)
    res["end_to_end_runtime"] = type(runner).__name__
    # -- end to end from a file, 60 s and long ----------------------------------------------
    import soundfile as sf
    from core.model import numpy_runtime
    numpy_runtime.FEATURE_CACHE.clear()            # end to end means nothing computed before
    with tempfile.TemporaryDirectory() as tmp:
        for label, seconds in (("60s", 60.0), (f"{args.long_minutes:g}min", args.long_minutes * 60)):
            if seconds <= 0:
                continue                           # --long-minutes 0: skip the long clip
            x = x60 if seconds == 60.0 else speech_audio(seconds, args.speech)
            wav = Path(tmp) / f"a{label}.wav"
            sf.write(wav, x, 16000)
            del x
            t0 = time.perf_counter()
            w = runner.generate_file(wav, emotion="happy", intensity=0.7, fps=30)
            write_curves(Path(tmp) / f"o{label}.npz", w, 30)
            total = time.perf_counter() - t0
            res[f"end_to_end_{label}"] = {"seconds": total, "x_realtime": seconds / total,
                                         "frames": int(len(w)), "peak_rss_mb": peak_rss_mb()}
    # -- first take vs re-take of the same clip through the engine (per-clip caches) ---------
    if args.checkpoint:
        from core import engine
        from core.model import numpy_runtime
        engine.PHONE_CACHE.clear()
        numpy_runtime.FEATURE_CACHE.clear()
        kw = dict(fps=24, engine="learned", model_path=args.checkpoint, device="cpu")
        first = engine.generate_take(x60, emotion="happy", intensity=0.7, **kw)
        again = engine.generate_take(x60, emotion="sad", intensity=1.0, **kw)
        res["engine_60s"] = {"first_take_s": first.timings["total"], "retake_s": again.timings["total"],
                             "retake_x_realtime": 60.0 / again.timings["total"],
                             "first_over_retake": first.timings["total"] / again.timings["total"]}
        # in-between intensities decode two trained conditions, a blend up to four (motion mixing)
        between = engine.generate_take(x60, emotion="sad", intensity=0.7, **kw)
        blend = engine.generate_take(x60, emotion={"happy": 0.5, "surprised": 0.5}, intensity=0.7, **kw)
        ramp = np.linspace(0.0, 1.0, engine.num_scene_frames(60.0, 24))   # keyframed Intensity
        animated = engine.generate_take(x60, emotion="angry", intensity=ramp, **kw)
        res["engine_60s"].update({
            "retake_animated_intensity_s": animated.timings["total"],
            "animated_over_trained_retake": animated.timings["total"] / again.timings["total"],
            "retake_between_intensity_s": between.timings["total"],
            "retake_blend_between_intensity_s": blend.timings["total"],
            "between_over_trained_retake": between.timings["total"] / again.timings["total"],
            "blend_over_trained_retake": blend.timings["total"] / again.timings["total"]})
    text = json.dumps(res, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")


if __name__ == "__main__":
    main()
