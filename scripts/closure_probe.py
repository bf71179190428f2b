#!/usr/bin/env python
"""Bilabial-closure probe of a checkpoint on held-out corpus items (neutral), per phone.

The quick figure used to compare training recipes (docs/model_results.md): free-running (deployed)
decoding, or teacher forcing with the ground-truth codes as inputs (the upper bound the decoder
could reach without exposure bias). Model input: recognised phones, the transcript force-aligned,
or the corpus's own phones (``oracle``).

With ``--seal`` the prediction goes through the product's lip-seal pass (``core.lip_seal``) on
the same phones the model was given (recognised, aligned transcript or corpus phones).

usage: closure_probe.py CHECKPOINT [N_ITEMS=30] [recognized|transcript|oracle] [--teacher-forced] [--seal]
       (corpus: $PARLEY_CORPUS or data/corpus; head: $PARLEY_TEMPLATE or ../shared/flame/FLAME_template.ply)
"""
import sys as _sys
from pathlib import Path as _Path
_sys.path.insert(0, str(_Path(__file__).resolve().parents[1]))

import os
import sys
import warnings
from pathlib import Path

import numpy as np
import torch

from core.corpus.dataset import load_phones
from core.evaluation.lips import bilabial_closure_rate
from core.lip_seal import seal_bilabials
from core.evaluation.report import mouth_measures
from core.model.conditioning import parse_emotion_key
from core.model.data import load_records, prepare_features
from core.model.infer import Parley
from core.phones import BILABIALS, normalize_phone
from core.rig import FlameRig

torch.set_num_threads(1)
args = [a for a in sys.argv[1:] if not a.startswith("--")]
teacher = "--teacher-forced" in sys.argv
seal = "--seal" in sys.argv
ck = args[0]
n = int(args[1]) if len(args) > 1 else 30
source = args[2] if len(args) > 2 else "recognized"
corpus = os.environ.get("PARLEY_CORPUS", "data/corpus")
rig = FlameRig.from_ply(os.environ.get("PARLEY_TEMPLATE", "../shared/flame/FLAME_template.ply"))
model = Parley.from_pretrained(ck)
recs = load_records(corpus, "test")[:n]
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    feats = prepare_features(corpus, model.frontend, recs, source, progress=False)


@torch.no_grad()
def teacher_forced(f, gt):
    codes = model.vq.encode_codes(torch.from_numpy(gt)[None])
    cond = torch.from_numpy(parse_emotion_key("neutral@0.00"))[None]
    logits, _ = model.s2c(torch.from_numpy(f)[None], model.vq.quantizer.lookup(codes), cond,
                          torch.zeros(1, dtype=torch.long))
    return model.vq.decode_codes(logits.argmax(-1), len(gt))[0].numpy()


def input_phones(rec, segs):
    """The phones the model was given (what the product's seal pass would see)."""
    if source == "oracle":
        return segs
    from core.alignment import AlignmentError, align, recognize_phones
    from core.corpus import load_item
    x = load_item(corpus, rec, with_audio=True, with_motion=False).samples
    if source == "transcript":
        try:
            return align(x, rec["text"])
        except AlignmentError:
            pass
    return recognize_phones(x)


per_phone = {p: [0, 0] for p in sorted(BILABIALS)}
events = closed = 0
for rec in recs:
    segs = load_phones(Path(corpus) / rec["phones"])
    with np.load(Path(corpus) / rec["motion"]) as z:
        gt = z["neutral@0.00"].astype(np.float32)
    f = feats[rec["id"]][:len(gt)]
    pred = teacher_forced(f, gt) if teacher else model.motion_from_features(f, "neutral", 0.0)[:len(gt)]
    if seal:
        pred = seal_bilabials(pred, input_phones(rec, segs), 30.0)
    gap, _, _ = mouth_measures(30.0, pred, rig=rig)
    res = bilabial_closure_rate(gap, segs, 30.0)
    events, closed = events + res.events, closed + res.closed
    failed = {round(t, 3) for _, t, _ in res.failures}
    for s in segs:                       # per phone: the event's last phone names it
        p = normalize_phone(s.phone)
        if p in BILABIALS and not any(abs(s.end - x.start) < 1e-6 and normalize_phone(x.phone) in BILABIALS
                                      for x in segs):
            per_phone[p][0] += 1
            per_phone[p][1] += round(s.end, 3) not in failed
print(f"{ck} [{source}{', teacher-forced' if teacher else ''}{', lip seal' if seal else ''}] {len(recs)} items: "
      f"closure {closed / max(events, 1):.0%} of {events} events; "
      + ", ".join(f"{p} {c}/{t}" for p, (t, c) in per_phone.items()))
