"""Evaluation of a checkpoint: codebook model vs regression baseline, on held-out corpus items and
on real recordings.

Held-out corpus (ground truth available), for each model:

* ``std_ratio`` / ``std_ratio_mouth``: per-shape temporal standard deviation of the prediction
  divided by the ground truth's (mean over shapes that move in the ground truth). Over-smoothed
  mean motion -- regression's known failure -- shows as a ratio well below 1.
* ``velocity_ratio``: mean absolute frame-to-frame change, prediction / ground truth.
* ``l1``: mean absolute weight error.
* ``lip_acc``: frame phone accuracy of the frozen lip reader on the prediction (on ground truth
  as ``lip_acc_gt`` for reference); ``emotion_acc``: the *held-out* emotion classifier's top
  class on the prediction vs the condition's dominant class.
* with a FLAME template (``core.rig``): ``lve_mm`` and the ``core.evaluation`` lip metrics.

Real speech (no ground truth): phones come from forced alignment of the transcript (independent
of the model's own PocketSphinx phone recognition) and ``core.evaluation.evaluate_take`` scores
bilabial closure, silent rest, loudness-aperture correlation, A/V lag and jitter.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from . import checkpoint as ckpt
from .arkit_sets import MOUTH_IDX
from .conditioning import parse_emotion_key
from .data import load_records, prepare_features
from .emotion_classifier import emotion_target
from .infer import Parley
from .regression import RegressionBaseline


def motion_stats(pred: np.ndarray, gt: np.ndarray, min_std: float = 0.01) -> dict:
    """Spread and speed of ``pred`` relative to ``gt`` (both ``[T, 52]``)."""
    ps, gs = pred.std(0), gt.std(0)
    moving = gs > min_std
    mouth = np.zeros(52, bool)
    mouth[MOUTH_IDX] = True
    pv = np.abs(np.diff(pred, axis=0)).mean()
    gv = np.abs(np.diff(gt, axis=0)).mean()
    ratio = lambda sel: float(np.mean(ps[sel] / gs[sel])) if sel.any() else float("nan")  # noqa: E731
    return {"std_ratio": ratio(moving), "std_ratio_mouth": ratio(moving & mouth),
            "velocity_ratio": float(pv / max(gv, 1e-9)), "l1": float(np.abs(pred - gt).mean()),
            "mse": float(((pred - gt) ** 2).mean())}


def _mean(dicts):
    keys = {k for d in dicts for k in d if isinstance(d[k], (int, float))}
    out = {}
    for k in sorted(keys):
        vals = [d[k] for d in dicts if k in d and isinstance(d[k], (int, float)) and not math.isnan(d[k])]
        out[k] = float(np.mean(vals)) if vals else float("nan")
    return out


def _eval_keys(keys, i):
    """neutral plus one emotional key per item, cycling through the emotions."""
    emo = sorted(k for k in keys if not k.startswith("neutral"))
    return ["neutral@0.00"] + ([emo[i % len(emo)]] if emo else [])


@torch.no_grad()
def evaluate_corpus(ckpt_dir, corpus_dir, split: str = "test", template: str | None = None,
                    max_items: int | None = None, phone_source: str = "recognized",
                    progress: bool = True) -> dict:
    """Metrics of the codebook model and (when present) the regression baseline on ``split``."""
    from tqdm import tqdm
    from .train import load_frozen
    model = Parley.from_pretrained(ckpt_dir)
    cfg = model.cfg
    recs = load_records(corpus_dir, split)[:max_items]
    feats = prepare_features(corpus_dir, model.frontend, recs, phone_source, progress)
    aux = [n for n in ("lipreader", "emotion_eval") if ckpt.has_component(ckpt_dir, n)]
    frozen = load_frozen(ckpt_dir, cfg, "cpu", aux)
    reg = None
    if ckpt.has_component(ckpt_dir, "regression"):
        reg = RegressionBaseline(cfg.s2c, cfg.frontend)
        ckpt.load_component(ckpt_dir, "regression", reg)
        reg.eval()
    rig = _rig(template)
    rows = {"codebook": [], "regression": [], "ground_truth": []}
    from ..corpus.dataset import load_phones
    from ..phones import frame_labels
    for i, rec in enumerate(tqdm(recs, desc=f"evaluate {split}", disable=not progress)):
        with np.load(Path(corpus_dir) / rec["motion"]) as z:
            motions = {k: z[k].astype(np.float32) for k in _eval_keys(z.files, i)}
        segs = load_phones(Path(corpus_dir) / rec["phones"])
        f = feats[rec["id"]]
        for key, gt in motions.items():
            labels = frame_labels(segs, len(gt), 30)
            cond = parse_emotion_key(key)
            preds = {"codebook": model.motion_from_features(f[:len(gt)], cond, 1.0)[:len(gt)]}
            if reg is not None:
                ft = torch.from_numpy(f[:len(gt)])[None]
                preds["regression"] = reg(ft, torch.from_numpy(cond)[None],
                                          torch.zeros(1, dtype=torch.long))[0].numpy()
            preds["ground_truth"] = gt
            for name, p in preds.items():
                row = motion_stats(p, gt) if name != "ground_truth" else {}
                row.update(_aux_scores(frozen, p, labels, cond))
                if rig is not None:
                    row.update(_rig_scores(rig, p, gt, segs))
                rows[name].append(row)
    out = {name: _mean(r) for name, r in rows.items() if r}
    out["items"] = len(recs)
    out["split"] = split
    return out


def _aux_scores(frozen, motion, labels, cond) -> dict:
    m = torch.from_numpy(np.ascontiguousarray(motion))[None]
    out = {}
    if "lipreader" in frozen:
        pl, _ = frozen["lipreader"](m)
        out["lip_acc"] = float((pl[0].argmax(-1).numpy() == labels).mean())
    if "emotion_eval" in frozen:
        tgt = emotion_target(torch.from_numpy(cond)[None])
        out["emotion_acc"] = float(frozen["emotion_eval"](m).argmax(-1).item() == tgt.argmax(-1).item())
    return out


def _rig(template):
    if not template:
        return None
    from ..rig import FlameRig
    return FlameRig.from_ply(template)


def _rig_scores(rig, pred, gt, segs) -> dict:
    from ..evaluation import lip_vertex_error, rig_lip_tables
    _, lips = rig_lip_tables(rig)
    return {"lve_mm": lip_vertex_error(rig.apply(pred), rig.apply(gt), lips)}


def evaluate_real(ckpt_dir, speech_dir, template: str, emotion="neutral", intensity=1.0,
                  include_regression: bool = True, max_seconds: float = 0.0) -> dict:
    """``core.evaluation`` lip-sync metrics on real recordings with transcripts (no ground truth).

    ``speech_dir`` holds audio files and ``transcripts.txt`` lines ``<file> "<text>"``.
    """
    from ..alignment import align_long
    from ..evaluation import evaluate_take
    from .frontends.base import load_audio_16k
    model = Parley.from_pretrained(ckpt_dir)
    rig = _rig(template)
    reg = None
    if include_regression and ckpt.has_component(ckpt_dir, "regression"):
        reg = RegressionBaseline(model.cfg.s2c, model.cfg.frontend)
        ckpt.load_component(ckpt_dir, "regression", reg)
        reg.eval()
    results = {}
    for name, text in read_transcripts(speech_dir).items():
        x = load_audio_16k(Path(speech_dir) / name)
        if max_seconds and len(x) > max_seconds * 16000:
            continue
        segs = align_long(x, text).phones      # chunked alignment: fine for minutes of speech
        feats = model.features(x)
        takes = {"codebook": model.motion_from_features(feats, emotion, intensity)}
        if reg is not None:
            with torch.no_grad():
                cond = torch.from_numpy(model_cond(emotion, intensity))[None]
                takes["regression"] = reg(torch.from_numpy(feats)[None], cond,
                                          torch.zeros(1, dtype=torch.long))[0].numpy()
        for kind, w in takes.items():
            m = evaluate_take(w, 30.0, segs, x, rig=rig)
            results.setdefault(kind, {})[name] = {k: v for k, v in m.items()
                                                  if isinstance(v, (int, float))}
    return {k: {"per_file": v, "mean": _mean(list(v.values()))} for k, v in results.items()}


def model_cond(emotion, intensity):
    from .conditioning import condition_vector
    return condition_vector(emotion, intensity)


def read_transcripts(speech_dir) -> dict:
    """``transcripts.txt``: ``<audio file>  "<text>"`` or ``<audio>  see <file.txt>``; '#' comments."""
    import re
    d = Path(speech_dir)
    path = d / "transcripts.txt"
    if not path.is_file():
        raise FileNotFoundError(f"no transcripts.txt in {d}")
    out = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, rest = line.partition(" ")
        rest = rest.strip()
        m = re.match(r'^"(.*)"', rest)
        if m:
            text = m.group(1)
        elif rest.startswith("see "):
            ref = d / rest.split()[1]
            if not ref.is_file():
                continue
            text = ref.read_text()
        else:
            continue
        if (d / name).is_file() and text.strip():
            out[name] = text
    return out
