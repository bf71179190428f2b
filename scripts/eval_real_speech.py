#!/usr/bin/env python
"""Real recordings: learned model (every emotion, intensity 1), regression baseline and the
choreography engine, all driven by PocketSphinx phone *recognition* (what the engine sees), scored
against the forced alignment of the transcript with core.evaluation.evaluate_take.

usage: eval_real_speech.py CHECKPOINT SPEECH_DIR TEMPLATE OUT.json [transcript]
(features cached in $PARLEY_REALFEAT_CACHE or /tmp/parley_realfeat). With ``transcript`` every
engine is fed the transcript's forced alignment instead (the product's Transcript field).
"""
import sys as _sys
from pathlib import Path as _Path
_sys.path.insert(0, str(_Path(__file__).resolve().parents[1]))

import json, sys, time
from pathlib import Path
import numpy as np, torch
torch.set_num_threads(2)
from core.alignment import align_long
from core.choreography import animate
from core.emotions import EMOTIONS
from core.engine import loudness_per_frame
from core.evaluation import evaluate_take
from core.lip_seal import seal_bilabials
from core.model import checkpoint as ckpt
from core.model.evaluate import read_transcripts, model_cond
from core.model.frontends.base import load_audio_16k
from core.model.infer import Parley
from core.model.regression import RegressionBaseline
from core.rig import FlameRig
ck, speech, template, out = sys.argv[1:5]
source = sys.argv[5] if len(sys.argv) > 5 else "recognized"
assert source in ("recognized", "transcript"), source
model = Parley.from_pretrained(ck)
rig = FlameRig.from_ply(template)
reg = None
if ckpt.has_component(ck, "regression"):
    reg = RegressionBaseline(model.cfg.s2c, model.cfg.frontend); ckpt.load_component(ck, "regression", reg); reg.eval()
KEYS = ("bilabial_closure_rate", "bilabial_events", "silent_rest_rate", "silent_frames", "loudness_aperture_r",
        "loudness_aperture_r_outside_bilabials",
        "av_lag_ms", "jitter_hf_ratio_gap", "reversals_per_s_mouth")
import os
cache = Path(os.environ.get("PARLEY_REALFEAT_CACHE", "/tmp/parley_realfeat")); cache.mkdir(parents=True, exist_ok=True)
res = {}
for name, text in read_transcripts(speech).items():
    x = load_audio_16k(Path(speech) / name)
    t = time.time(); segs = align_long(x, text).phones; ta = time.time() - t
    fp = cache / f"{model.cfg.frontend.kind}-{name}.npy"; sp = cache / f"{model.cfg.frontend.kind}-{name}.segs.json"
    t = time.time()
    if source == "transcript":
        f = model.features(x, segs); rec = [(s.phone, s.start, s.end) for s in segs]
    elif fp.is_file():
        f = np.load(fp); rec = [tuple(s) for s in json.loads(sp.read_text())]
    else:
        f = model.features(x); rec = [(s.phone, s.start, s.end) for s in model.frontend.last_segments]
        np.save(fp, f); sp.write_text(json.dumps(rec))
    tf = time.time() - t
    takes = {}
    t = time.time()
    for e in EMOTIONS:
        takes[f"codebook/{e}"] = model.motion_from_features(f, e, 0.0 if e == "neutral" else 1.0)
    tm = (time.time() - t) / len(EMOTIONS)
    for e in EMOTIONS:   # the product's lip seal on the same phones the model was given
        takes[f"codebook+seal/{e}"] = seal_bilabials(takes[f"codebook/{e}"], rec, 30.0)
    if reg is not None:
        with torch.no_grad():
            takes["regression/neutral"] = reg(torch.from_numpy(f)[None], torch.from_numpy(model_cond("neutral", 1.0))[None],
                                              torch.zeros(1, dtype=torch.long))[0].numpy()
    n = len(f)
    takes["choreography(recognized)/neutral"] = animate(rec, n / 30.0, 30.0, loudness=loudness_per_frame(x, 30.0, n))
    row = {"seconds": len(x) / 16000, "align_s": ta, "frontend_s": tf, "model_s_per_take": tm, "source": source}
    for k, w in takes.items():
        m = evaluate_take(w[:n], 30.0, segs, x, rig=rig)
        row[k] = {kk: float(m[kk]) for kk in KEYS if kk in m}
    res[name] = row
    print(name, json.dumps({k: row[k] for k in ("codebook/neutral", "codebook+seal/neutral", "regression/neutral", "choreography(recognized)/neutral") if k in row}), flush=True)
Path(out).write_text(json.dumps(res, indent=1))
