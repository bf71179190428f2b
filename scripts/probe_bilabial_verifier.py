#!/usr/bin/env python
"""Can an acoustic check tell the lattice's true bilabials from its false ones?

The lattice bilabial rescue (``core.alignment.bilabial_rescue``) finds the P/B/M words that the
word recogniser nearly chose. It adds 9 points of closure on the held-out voice, but only 39 % of
the bilabials it adds are real (10 wrong closures a minute), so it is an opt-in. This probe asks
whether a small classifier over evidence the rescue does not use can keep the real additions and
drop the false ones. The evidence per added bilabial is:

* the word's lattice posterior (log);
* the acoustic model's own frame posteriors (``core.model.frontends.sphinx_am``, the en-us model
  trained on real speech, scored without search): P+B+M against the best path's phone there;
* the closure's energy dip against the speech 100 ms either side, and the share of energy
  above 2 kHz at the dip (a closed mouth radiates little high-frequency sound);
* the added phone's length, whether it is a nasal, and whether it replaces a vowel.

A logistic regression is trained on festival's diphone voices (kal, ked; exact timings) and
tested on the held-out voice (SLT HTS). Its threshold is set on the training voices for a target
precision. The real recordings (``--speech``; forced-aligned transcripts as reference) are
scored afterwards, never used to choose. Reported per set: bilabial recall of the best path
alone, with every addition, and with the accepted additions, and wrong additions a minute.

    PYTHONPATH=. .venv/bin/python scripts/probe_bilabial_verifier.py --speech ../shared/speech \
        --out docs/bilabial_verifier.json
"""
from __future__ import annotations

import argparse
import json
import pickle
import sys
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from probe_speaker_adaptation import corpus_clips, real_clips  # noqa: E402

SR = 16000
FRAME_S = 0.01
#: An added bilabial counts as real if a true one lies within this many seconds (as in
#: scripts/compare_bilabial_rescue.py).
MATCH_S = 0.08
#: A true bilabial counts as found if a recognised one overlaps it within one 30 fps frame.
FOUND_S = 1.0 / 30.0
LATTICE_MIN_PROB = 0.02
FEATURES = ("log_lattice_prob", "am_bilabial", "am_best", "am_margin", "energy_dip_db",
            "high_band_share", "duration_s", "is_nasal", "replaces_vowel")


def overlaps(a, b, segs, tol):
    return any(s.start < b + tol and a < s.end + tol for s in segs)


def energy_db(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per 10 ms frame: level (dB) and share of energy above 2 kHz."""
    n = len(x) // 160
    fr = x[:n * 160].reshape(n, 160).astype(np.float64)
    spec = np.abs(np.fft.rfft(fr * np.hanning(160), axis=1)) ** 2       # 100 Hz bins
    total = spec.sum(axis=1) + 1e-12
    return 10 * np.log10(total), spec[:, 20:].sum(axis=1) / total


def clip_candidates(clip) -> dict:
    """Best-path phones and every rescue addition of one clip, with its evidence."""
    from core.alignment import sphinx as sx
    from core.alignment.bilabial_rescue import candidates, rescue_bilabials
    from core.alignment.lattice import decoder_lattice
    from core.alignment.long import align_long
    from core.model.frontends.sphinx_am import frame_phone_logpost
    from core.phones import BILABIALS, PHONE_INDEX, VOWELS

    pcm, duration = sx.to_pcm16(clip.samples)
    dec = sx._decoder("words")
    sx._run(dec, pcm)
    hyp = dec.hyp()
    arcs = decoder_lattice(dec, min_prob=LATTICE_MIN_PROB / 4)
    pron = {a.dict_key: dec.lookup_word(a.dict_key) for a in arcs}
    x = np.frombuffer(pcm, dtype="<i2")
    phones = sx.tile_segments([(p.phone, p.start, p.end) for p in
                               align_long(x, hyp.hypstr).phones if p.phone != "SIL"], duration)
    logpost = frame_phone_logpost(x.astype(np.float32) / 32768.0)
    level, high = energy_db(x.astype(np.float32) / 32768.0)
    bil_cols = [PHONE_INDEX[p] for p in sorted(BILABIALS)]
    rows = []
    for arc in candidates(phones, arcs, pron.get, LATTICE_MIN_PROB):
        _, added = rescue_bilabials(x, phones, [arc], pron.get, 0.0)
        for s in added:
            f0, f1 = int(s.start / FRAME_S), max(int(s.start / FRAME_S) + 1, int(s.end / FRAME_S))
            f1 = min(f1, len(logpost))
            if f1 <= f0:
                continue
            under = [p for p in phones if p.start < s.end and p.end > s.start]
            best = max(under, key=lambda p: min(p.end, s.end) - max(p.start, s.start)).phone
            lp = logpost[f0:f1]
            am_bil = float(np.logaddexp.reduce(lp[:, bil_cols], axis=1).mean())
            am_best = float(lp[:, PHONE_INDEX[best]].mean()) if best in PHONE_INDEX else -30.0
            lo, hi = max(0, f0 - 10), min(len(level), f1 + 10)
            seg_level = level[f0:min(f1, len(level))]
            if len(seg_level) == 0:
                continue
            k = f0 + int(np.argmin(seg_level))
            around = max(level[lo:f0].max(initial=-120.0), level[f1:hi].max(initial=-120.0))
            rows.append({
                "clip": clip.name, "phone": s.phone, "start": s.start, "end": s.end,
                "word": arc.word, "log_lattice_prob": float(np.log(max(arc.prob, 1e-6))),
                "am_bilabial": am_bil, "am_best": am_best, "am_margin": am_bil - am_best,
                "energy_dip_db": float(seg_level.min() - around),
                "high_band_share": float(high[k]), "duration_s": s.end - s.start,
                "is_nasal": float(s.phone == "M"), "replaces_vowel": float(best in VOWELS),
                "real": bool(any(abs(t.start - s.start) < MATCH_S or
                                 (t.start < s.end and s.start < t.end)
                                 for t in clip.segments if t.phone in BILABIALS)),
            })
    return {"name": clip.name, "audio_s": duration, "phones": phones, "rows": rows,
            "truth": [t for t in clip.segments if t.phone in BILABIALS]}


def matrix(rows) -> np.ndarray:
    return np.array([[r[f] for f in FEATURES] for r in rows], dtype=np.float64)


def fit_logistic(X, y, l2: float = 1.0, iters: int = 500):
    """Standardised L2 logistic regression by Newton's method (small, dependency-free)."""
    mu, sd = X.mean(0), X.std(0) + 1e-9
    Z = np.c_[np.ones(len(X)), (X - mu) / sd]
    w = np.zeros(Z.shape[1])
    reg = np.r_[0.0, np.full(Z.shape[1] - 1, l2)]
    for _ in range(iters):
        p = 1 / (1 + np.exp(-Z @ w))
        g = Z.T @ (p - y) + reg * w
        H = (Z * (p * (1 - p))[:, None]).T @ Z + np.diag(reg) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(H, g)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return {"mean": mu, "std": sd, "w": w}


def predict(model, X) -> np.ndarray:
    Z = np.c_[np.ones(len(X)), (X - model["mean"]) / model["std"]]
    return 1 / (1 + np.exp(-Z @ model["w"]))


def auc(score: np.ndarray, y: np.ndarray) -> float | None:
    """Area under the ROC curve (rank form): 0.5 = no information, 1 = perfect separation."""
    n1 = int(y.sum())
    n0 = len(y) - n1
    if not n1 or not n0:
        return None
    rank = np.empty(len(score))
    rank[np.argsort(score, kind="stable")] = np.arange(1, len(score) + 1)
    return float((rank[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def summarise(clips, accept) -> dict:
    """Bilabial recall / wrong additions a minute with the best path, all additions, accepted."""
    n_true = sum(len(c["truth"]) for c in clips)
    minutes = sum(c["audio_s"] for c in clips) / 60
    out = {"bilabial_events": n_true, "audio_s": round(minutes * 60, 1)}
    from core.phones import BILABIALS, PhoneSegment
    for name, keep in (("best_path", lambda r: False), ("all_additions", lambda r: True),
                       ("accepted", accept)):
        found = wrong = added = 0
        for c in clips:
            extra = [r for r in c["rows"] if keep(r)]
            segs = [p for p in c["phones"] if p.phone in BILABIALS] + [
                PhoneSegment(r["phone"], r["start"], r["end"]) for r in extra]
            found += sum(overlaps(t.start, t.end, segs, FOUND_S) for t in c["truth"])
            added += len(extra)
            wrong += sum(not r["real"] for r in extra)
        out[name] = {"recall": found / max(n_true, 1), "added": added,
                     "wrong_per_min": wrong / minutes,
                     "precision_of_added": (added - wrong) / added if added else None}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--train-voices", nargs="+",
                    default=["festival:kal_diphone", "festival:ked_diphone"])
    ap.add_argument("--test-voice", default="festival:cmu_us_slt_arctic_hts")
    ap.add_argument("--sentences", type=int, default=72, help="per voice (six a clip)")
    ap.add_argument("--seed", type=int, default=53)
    ap.add_argument("--precision", type=float, default=0.8,
                    help="target precision of accepted additions on the training voices")
    ap.add_argument("--speech", help="folder of real recordings with transcripts.txt")
    ap.add_argument("--seconds", type=float, default=90.0)
    ap.add_argument("--cache", help="pickle of the extracted candidates (reused if present)")
    ap.add_argument("--out")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    if args.cache and Path(args.cache).exists():
        sets = pickle.loads(Path(args.cache).read_bytes())
    else:
        sets = {}
        # other sentences for every voice: the test voice never says a training sentence
        for i, v in enumerate([*args.train_voices, args.test_voice]):
            sets[v] = [clip_candidates(c) for c in
                       corpus_clips(v, args.sentences, 6, args.seed + 101 * i)]
            print(v, sum(len(c["rows"]) for c in sets[v]), "additions", flush=True)
        if args.speech:
            sets["real"] = [clip_candidates(c) for c in real_clips(args.speech, args.seconds)]
        if args.cache:
            Path(args.cache).write_bytes(pickle.dumps(sets))
    train = [r for v in args.train_voices for c in sets[v] for r in c["rows"]]
    X, y = matrix(train), np.array([r["real"] for r in train], dtype=np.float64)
    model = fit_logistic(X, y)
    p = predict(model, X)
    # lowest threshold whose accepted training additions reach the target precision
    order = np.argsort(-p)
    prec = np.cumsum(y[order]) / np.arange(1, len(y) + 1)
    ok = np.nonzero(prec >= args.precision)[0]
    threshold = float(p[order][ok.max()]) if len(ok) else 1.0
    res = {"features": FEATURES, "weights": dict(zip(("bias", *FEATURES), model["w"].round(3))),
           "train_additions": len(train), "train_real_share": float(y.mean()),
           "threshold": threshold, "target_precision": args.precision}

    def accept(r):
        return bool(predict(model, matrix([r]))[0] >= threshold)

    for name, clips in sets.items():
        res[name] = summarise(clips, accept)
        rows = [r for c in clips for r in c["rows"]]
        Xs, ys = matrix(rows), np.array([r["real"] for r in rows], dtype=np.float64)
        res[name]["real_additions"] = int(ys.sum())
        res[name]["auc"] = {"classifier": auc(predict(model, Xs), ys),
                            **{f: auc(Xs[:, i], ys) for i, f in enumerate(FEATURES)}}
        print(name, json.dumps(res[name]), flush=True)
    print(json.dumps({k: res[k] for k in ("weights", "threshold", "train_additions",
                                          "train_real_share")}, default=float))
    if args.out:
        Path(args.out).write_text(json.dumps(res, indent=1, default=float) + "\n")


if __name__ == "__main__":
    main()
