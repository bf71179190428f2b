#!/usr/bin/env python
"""Which speech front end carries phone content from the synthetic training voices to real
human speech? A measurement for choosing the default front end (issue 4, item 5).

Parley's corpus audio is text-to-speech, so a front end is only useful if what it extracts from
TTS audio means the same on a real recording. This script measures that directly, per 30 fps
frame, against the true phone of the frame:

* ``phones`` front end: PocketSphinx word recognition + forced alignment of the recognised
  words (what the shipped model sees). It has no trainable part; its frame phone is the argmax
  of the phone block of the cached features.
* ``logmel`` front end + the learned conv encoder: trained here as a frame phone classifier on
  the corpus' TTS training audio (exact festival / forced-alignment phone timings), the same
  encoder shape stage 2 would learn behind this front end.

Both are scored on (a) the corpus' held-out TTS voice (festival SLT, test split) and (b) the real
recordings in --speech, whose labels come from forced alignment of their transcripts. Scores:
frame phone accuracy, viseme accuracy, and bilabial (P/B/M) recall and precision — the frames
a lip-sync model must close the lips on. The ``hf`` front end (wav2vec2/HuBERT) cannot be
measured here: no pretrained speech weights may be downloaded, and random weights carry no
phone content.

    .venv/bin/python scripts/compare_frontends.py --corpus data/corpus --speech ../shared/speech \
        --train-items 800 --steps 800 --json docs/frontend_comparison.json
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def labels_for(segments, n):
    from core.phones import frame_labels
    return np.asarray(frame_labels(segments, n, 30.0), np.int64)


def scores(pred, true):
    """Frame phone / viseme accuracy and bilabial recall / precision over speech + silence frames."""
    from core.phones import BILABIALS, PHONE_INDEX, PHONE_TO_VISEME, PHONES
    pred, true = np.concatenate(pred), np.concatenate(true)
    vis = np.array([PHONE_TO_VISEME[p] for p in PHONES])
    bil = np.zeros(len(PHONES), bool)
    for p in BILABIALS:
        bil[PHONE_INDEX[p]] = True
    tp = (bil[pred] & bil[true]).sum()
    return {"frames": int(len(true)), "phone_acc": float((pred == true).mean()),
            "viseme_acc": float((vis[pred] == vis[true]).mean()),
            "bilabial_recall": float(tp / max(1, bil[true].sum())),
            "bilabial_precision": float(tp / max(1, bil[pred].sum()))}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default="data/corpus")
    ap.add_argument("--speech", default=str(ROOT.parent / "shared" / "speech"))
    ap.add_argument("--train-items", type=int, default=800)
    ap.add_argument("--test-items", type=int, default=30)
    ap.add_argument("--steps", type=int, default=800)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--realfeat-cache", default="/tmp/parley_realfeat",
                    help="cached phone features of the real clips (eval_real_speech.py); computed when absent")
    ap.add_argument("--learned", default="logmel,posteriors",
                    help="front ends to train a frame phone classifier behind (comma list)")
    ap.add_argument("--no-pocketsphinx", dest="pocketsphinx", action="store_false",
                    help="skip PocketSphinx word recognition (slow) for clips without cached features")
    ap.add_argument("--json")
    args = ap.parse_args()

    import torch
    import torch.nn.functional as F
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    from core.alignment import align_long
    from core.corpus.dataset import load_phones
    from core.model.config import FrontEndConfig
    from core.model.data import load_records
    from core.model.evaluate import read_transcripts
    from core.model.frontends.base import build_frontend, load_audio_16k
    from core.model.layers import ConvEncoder
    from core.phones import NUM_PHONES

    corpus = Path(args.corpus)
    learned_kinds = [k for k in args.learned.split(",") if k]
    learned_fes = {k: build_frontend(FrontEndConfig(kind=k)) for k in learned_kinds}
    phones_fe = build_frontend(FrontEndConfig(kind="phones")) if args.pocketsphinx else None
    res = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}

    # --- training data: TTS training voices, each front end's features + exact phone labels ---
    train = load_records(corpus, "train")
    random.Random(args.seed).shuffle(train)
    train = train[:args.train_items]
    audio = [load_audio_16k(corpus / r["audio"]) for r in train]
    res["train"] = {"items": len(train), "voices": len({r["voice"] for r in train})}
    encoders = {}
    for kind, fe in learned_fes.items():
        t0 = time.time()
        X = [fe.features(x) for x in audio]
        Y = [labels_for(load_phones(corpus / r["phones"]), len(f)) for r, f in zip(train, X)]
        res["train"]["hours"] = sum(len(y) for y in Y) / 30 / 3600
        res["train"][f"{kind}_features_s"] = time.time() - t0
        torch.manual_seed(args.seed)
        enc = ConvEncoder(fe.in_dim, 128, NUM_PHONES, layers=6, kernel=5, dropout=0.1)
        opt = torch.optim.AdamW(enc.parameters(), lr=2e-3, weight_decay=0.01)
        rng = np.random.default_rng(args.seed)
        win, batch = 120, 16
        t0 = time.time()
        for step in range(args.steps):
            fb, yb = [], []
            for i in rng.integers(0, len(X), batch):
                f, y = X[i], Y[i]
                a = int(rng.integers(0, max(1, len(f) - win)))
                fp, yp = f[a:a + win], y[a:a + win]
                pad = win - len(fp)
                fb.append(np.pad(fp, ((0, pad), (0, 0))))
                yb.append(np.pad(yp, (0, pad), constant_values=-100))
            for g in opt.param_groups:
                g["lr"] = 2e-3 * 0.5 * (1 + np.cos(np.pi * step / args.steps))
            logits = enc(torch.from_numpy(np.stack(fb)))
            loss = F.cross_entropy(logits.flatten(0, 1), torch.from_numpy(np.stack(yb)).flatten(), ignore_index=-100)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if step % 100 == 0 or step == args.steps - 1:
                print(f"{kind} step {step} loss {loss.item():.3f}", flush=True)
        res["train"][kind] = {"steps": args.steps, "train_s": time.time() - t0, "final_loss": float(loss.item())}
        enc.eval()
        encoders[kind] = enc

    def learned_pred(kind, x, n):
        with torch.no_grad():
            f = learned_fes[kind].features(x, n)
            return encoders[kind](torch.from_numpy(f)[None])[0].argmax(-1).numpy()

    def sphinx_pred(x, n, cached=None):
        f = cached if cached is not None else phones_fe.features(x, n)
        return f[:n, :NUM_PHONES].argmax(-1)

    def frames(x):
        return max(1, int(round(len(x) / 16000 * 30)))

    # --- (a) held-out TTS voice ---------------------------------------------------------------
    sets = {"heldout_tts_voice": [], "real_speech": []}
    test = load_records(corpus, "test")[:args.test_items]
    for r in test:
        x = load_audio_16k(corpus / r["audio"])
        n = frames(x)
        cache = corpus / "features" / "phones" / (r["id"] + ".npy")
        cached = np.load(cache) if cache.is_file() else None
        sets["heldout_tts_voice"].append((r["id"], x, labels_for(load_phones(corpus / r["phones"]), n), cached))
    # --- (b) real recordings, labels from forced alignment of the transcript -----------------
    if Path(args.speech).is_dir():
        for name, text in read_transcripts(args.speech).items():
            x = load_audio_16k(Path(args.speech) / name)
            n = frames(x)
            fp = Path(args.realfeat_cache) / f"phones-{name}.npy"     # scripts/eval_real_speech.py's cache
            sets["real_speech"].append((name, x, labels_for(align_long(x, text).phones, n),
                                        np.load(fp) if fp.is_file() else None))
    for key, items in sets.items():
        if not items:
            continue
        out = {}
        runs = [(f"{k}_learned", (lambda k: lambda x, n, c: learned_pred(k, x, n))(k)) for k in encoders]
        if phones_fe is not None:
            runs.append(("phones_pocketsphinx", lambda x, n, c: sphinx_pred(x, n, c)))
        for fe, fn in runs:
            t0 = time.time()
            preds = [fn(x, len(y), c) for _, x, y, c in items]
            out[fe] = {**scores(preds, [y for _, _, y, _ in items]), "seconds": time.time() - t0}
        out["clips"] = [i[0] for i in items]
        res[key] = out
        print(key, json.dumps({k: v for k, v in out.items() if k != "clips"}, indent=1), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1) + "\n")


if __name__ == "__main__":
    main()
