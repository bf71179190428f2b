#!/usr/bin/env python
"""Held-out voice (test split): every emotion at intensity 1 from the same audio. Held-out
emotion classifier accuracy, lip reader accuracy, LVE vs ground truth, and core.evaluation lip
checks with the corpus phone timings, per emotion.

usage: eval_emotions.py CHECKPOINT CORPUS TEMPLATE N_ITEMS OUT.json [PHONE_SOURCE] [--seal]
       PHONE_SOURCE: recognized (default: PocketSphinx recognition, as from audio alone) or
       transcript (the record's text force-aligned, the product's transcript path)
       --seal: the product's lip seal (core.lip_seal) on the phones the model was given
"""
import sys as _sys
from pathlib import Path as _Path
_sys.path.insert(0, str(_Path(__file__).resolve().parents[1]))

import json, sys
from pathlib import Path
import numpy as np, torch
torch.set_num_threads(2)
from core.corpus.dataset import load_phones
from core.emotions import EMOTIONS
from core.evaluation import evaluate_take, lip_vertex_error, rig_lip_tables
from core.model.conditioning import parse_emotion_key
from core.model.data import load_records, prepare_features
from core.model.emotion_classifier import emotion_target
from core.model.infer import Parley
from core.model.train import load_frozen
from core.phones import frame_labels
from core.rig import FlameRig
seal = "--seal" in sys.argv
argv = [a for a in sys.argv if a != "--seal"]
ck, corpus, template, n, out = argv[1], argv[2], argv[3], int(argv[4]), argv[5]
source = argv[6] if len(argv) > 6 else "recognized"
model = Parley.from_pretrained(ck)
fr = load_frozen(ck, model.cfg, "cpu", ("lipreader", "emotion_eval"))
rig = FlameRig.from_ply(template); _, lips = rig_lip_tables(rig)
recs = load_records(corpus, "test")[:n]
feats = prepare_features(corpus, model.frontend, recs, source, progress=False)
rows = {e: [] for e in EMOTIONS}
rows["ground_truth(neutral)"] = []
with torch.no_grad():
    for rec in recs:
        segs = load_phones(Path(corpus) / rec["phones"])
        with np.load(Path(corpus) / rec["motion"]) as z:
            gts = {k: z[k] for k in z.files}
        from core.model.frontends.base import load_audio_16k
        x = load_audio_16k(Path(corpus) / rec["audio"])
        if seal:
            from core.alignment import AlignmentError, align, recognize_phones
            from core.lip_seal import seal_bilabials
            try:
                in_segs = align(x, rec["text"]) if source == "transcript" else recognize_phones(x)
            except AlignmentError:
                in_segs = recognize_phones(x)
        for e in EMOTIONS:
            key = "neutral@0.00" if e == "neutral" else f"{e}@1.00"
            gt = gts[key].astype(np.float32)
            f = feats[rec["id"]][:len(gt)]
            p = model.motion_from_features(f, e, 0.0 if e == "neutral" else 1.0)[:len(gt)]
            if seal:
                p = seal_bilabials(p, in_segs, 30.0)
            m = torch.from_numpy(np.ascontiguousarray(p))[None]
            cond = torch.from_numpy(parse_emotion_key(key))[None]
            emo_ok = float(fr["emotion_eval"](m).argmax(-1).item() == emotion_target(cond).argmax(-1).item())
            labels = frame_labels(segs, len(gt), 30)
            lip = float((fr["lipreader"](m)[0][0].argmax(-1).numpy() == labels).mean())
            v = rig.apply(p)
            ev = evaluate_take(p, 30.0, segs, x, rig=rig)
            rows[e].append({"emotion_acc": emo_ok, "lip_acc": lip,
                            "lve_mm": lip_vertex_error(v, rig.apply(gt), lips),
                            "closure": ev["bilabial_closure_rate"], "rest": ev["silent_rest_rate"],
                            "lag_ms": ev["av_lag_ms"], "loud_r": ev["loudness_aperture_r"],
                            "loud_r_open": ev["loudness_aperture_r_outside_bilabials"]})
            if e == "neutral":
                eg = evaluate_take(gt, 30.0, segs, x, rig=rig)
                mg = torch.from_numpy(np.ascontiguousarray(gt))[None]
                rows["ground_truth(neutral)"].append({"emotion_acc": float(fr["emotion_eval"](mg).argmax(-1).item() == 0),
                    "lip_acc": float((fr["lipreader"](mg)[0][0].argmax(-1).numpy() == labels).mean()), "lve_mm": 0.0,
                    "closure": eg["bilabial_closure_rate"], "rest": eg["silent_rest_rate"],
                    "lag_ms": eg["av_lag_ms"], "loud_r": eg["loudness_aperture_r"],
                    "loud_r_open": eg["loudness_aperture_r_outside_bilabials"]})
res = {e: {k: float(np.nanmean([r[k] for r in v])) for k in v[0]} for e, v in rows.items()}
res["items"] = len(recs)
res["phone_source"] = source
res["lip_seal"] = seal
Path(out).write_text(json.dumps(res, indent=1))
for e in rows:
    print(e, {k: round(v, 3) for k, v in res[e].items()})
