"""Would unsupervised speaker adaptation (MLLR) make PocketSphinx find more bilabials?

Audio-only lip closure is capped by the word recogniser. A classic remedy for a voice or channel
the acoustic model was not trained on is a two-pass decode: recognise, estimate one global MLLR
mean transform per feature stream from that first pass, decode again with the adapted model.
This probe does exactly that with the shipped en-us model and scores both passes against the
reference phones (bilabial event recall / precision and frame phone agreement, as in
``scripts/sweep_recognizer_weights.py``):

* corpus voices, synthesised here (festival; six sentences a clip, ~20 s, one corpus
  augmentation recipe per clip, seeded; reference = festival's own segment times);
* real recordings (``--speech``, the first ``--seconds`` of each clip; reference = forced
  alignment of the whole clip's transcript, cropped) — scored, not used to choose.

The MLLR statistics use our numpy reading of the same acoustic model
(``core.model.frontends.sphinx_am``): each speech frame's Gaussian posteriors in the codebook of
its first-pass phone (PTM: one codebook per base phone), a transform per stream solved row by
row, shrunk towards identity by ``--tau`` average-Gaussian frames. PocketSphinx applies it
through its ``mllr`` option.

    PYTHONPATH=. .venv/bin/python scripts/probe_speaker_adaptation.py --speech ../shared/speech \
        --out docs/speaker_adaptation.json
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from sweep_recognizer_weights import score  # noqa: E402

SR = 16000


class Clip:
    def __init__(self, name, samples, segments):
        self.name, self.samples, self.segments = name, samples, segments


def corpus_clips(voice: str, sentences: int, group: int, seed: int) -> list[Clip]:
    from scipy.signal import resample_poly

    from core.corpus import augment
    from core.corpus.text import generate_sentences
    from core.corpus.voices import get_voice
    from core.phones import PhoneSegment, validate_segments

    v = get_voice(voice)
    spoken = []
    for text in generate_sentences(sentences, seed=seed):
        x, sr, segs = v.synthesize(text)
        spoken.append((resample_poly(x, SR, sr).astype(np.float32) if sr != SR else x, segs))
    clips = []
    for i in range(0, len(spoken), group):
        parts, segs, t = [], [], 0.0
        for x, sg in spoken[i:i + group]:
            parts += [x, np.zeros(int(0.4 * SR), np.float32)]
            segs += [PhoneSegment(p.phone, p.start + t, p.end + t) for p in sg if p.phone != "SIL"]
            t += len(x) / SR + 0.4
        x = np.concatenate(parts)
        rng = np.random.default_rng(seed * 1000 + i)
        recipe = augment.sample_params(rng, 1.0)
        recipe["stretches"] = []
        y, segs, _ = augment.apply(x, validate_segments(augment.fill_silence(segs, len(x) / SR)),
                                   recipe, rng)
        clips.append(Clip(f"{voice}#{i // group}", y, [p for p in segs if p.phone != "SIL"]))
    return clips


def real_clips(speech_dir: str, seconds: float) -> list[Clip]:
    from core.alignment import align_long
    from core.audio import load_audio
    from core.model.evaluate import read_transcripts

    clips = []
    for name, text in read_transcripts(speech_dir).items():
        x = load_audio(Path(speech_dir) / name).samples
        ref = [p for p in align_long(x, text).phones if p.phone != "SIL" and p.end <= seconds]
        clips.append(Clip(name, x[:int(seconds * SR)], ref))
    return clips


def mllr_transform(samples, phones, tau: float) -> list[np.ndarray]:
    """One ``[D, D+1]`` (bias | A) mean transform per feature stream from first-pass phones."""
    from core.model.frontends import sphinx_am as sam

    am = sam.acoustic_model()
    index = {p: i for i, p in enumerate(am.ciphones)}
    d = sam.default_model_dir()
    means = sam._read_s3_gauden(d / "means")                                   # [G, F, K, D]
    inv_var = 1.0 / np.maximum(sam._read_s3_gauden(d / "variances"), sam.VAR_FLOOR)
    feats = sam.sphinx_features(samples)
    centre = (np.arange(len(feats)) * sam.FRAME_SHIFT + sam.FRAME_LENGTH / 2) / SR
    book = np.full(len(feats), -1)
    for p in phones:
        if p.phone != "SIL":
            book[(centre >= p.start) & (centre < p.end)] = index.get(p.phone, index["SIL"])
    keep = book >= 0
    g_of = book[keep]
    G, K, D = am.n_mgau, am.n_density, am.veclen
    out = []
    for f in range(am.n_feat):
        x = feats[keep, f * D:(f + 1) * D]
        z = np.concatenate([x * x, x, np.ones((len(x), 1), np.float32)], axis=1)
        w = am.weights[f].reshape(2 * D + 1, G, K)
        loglik = np.einsum("nd,dnk->nk", z, w[:, g_of, :])
        loglik += np.log(np.maximum(am.mixw[f][g_of].mean(-1), 1e-30))     # states pooled
        loglik -= loglik.max(axis=1, keepdims=True)
        gamma = np.exp(loglik)
        gamma /= gamma.sum(axis=1, keepdims=True)
        occ = np.zeros((G, K))
        np.add.at(occ, g_of, gamma)
        first = np.zeros((G, K, D))
        for g in np.unique(g_of):
            first[g] = gamma[g_of == g].T @ x[g_of == g]
        xi = np.concatenate([np.ones((G, K, 1)), means[:, f]], axis=-1)        # [G, K, D+1]
        iv = inv_var[:, f]
        W = np.zeros((D, D + 1))
        for i in range(D):
            gi = np.einsum("gk,gkp,gkq->pq", occ * iv[..., i], xi, xi)
            ki = np.einsum("gk,gkp->p", first[..., i] * iv[..., i], xi)
            prior = np.einsum("gk,gkp,gkq->pq", iv[..., i], xi, xi) * (tau / (G * K))
            W[i] = np.linalg.solve(gi + prior, ki + prior[:, i + 1])
        out.append(W)
    return out


def write_mllr(transform: list[np.ndarray], path: Path) -> None:
    """PocketSphinx's text MLLR format: classes, streams, then per stream A, b, variance scale."""
    lines = ["1", str(len(transform))]
    for W in transform:
        lines.append(str(len(W)))
        lines += [" ".join(f"{v:.6f}" for v in row) for row in W[:, 1:]]
        lines.append(" ".join(f"{v:.6f}" for v in W[:, 0]))
        lines.append(" ".join("1.0" for _ in W))
    path.write_text("\n".join(lines) + "\n")


def recognise(samples, mllr: Path | None):
    import pocketsphinx

    from core.alignment import recognize_phones
    from core.alignment import sphinx as sx

    if mllr is None:
        return recognize_phones(samples, workers=0, chunk_s=None)
    saved = dict(sx._decoders)
    common = dict(samprate=SR, loglevel="FATAL", mllr=str(mllr))
    try:
        sx._decoders["words"] = pocketsphinx.Decoder(**common)
        sx._decoders["align"] = pocketsphinx.Decoder(bestpath=False, **common)
        sx._decoders["align_wide"] = pocketsphinx.Decoder(bestpath=False, beam=1e-80, wbeam=1e-60,
                                                          pbeam=1e-80, **common)
        return recognize_phones(samples, workers=0, chunk_s=None)
    finally:
        sx._decoders.clear()
        sx._decoders.update(saved)


def probe(clips: list[Clip], tau: float) -> dict:
    first, second, t1, t2 = [], [], 0.0, 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for c in clips:
            t = time.perf_counter()
            hyp = recognise(c.samples, None)
            t1 += time.perf_counter() - t
            t = time.perf_counter()
            path = Path(tmp) / "adapt.mllr"
            write_mllr(mllr_transform(c.samples, hyp, tau), path)
            second.append(recognise(c.samples, path))
            t2 += time.perf_counter() - t
            first.append(hyp)
    audio_min = sum(len(c.samples) for c in clips) / SR / 60
    return {"clips": len(clips), "audio_s": round(audio_min * 60, 1),
            "first_pass": {**score(clips, first), "s_per_audio_min": t1 / audio_min},
            "adapted": {**score(clips, second), "s_per_audio_min_extra": t2 / audio_min}}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--voices", nargs="+",
                    default=["festival:cmu_us_slt_arctic_hts", "festival:kal_diphone"])
    ap.add_argument("--sentences", type=int, default=48, help="per voice (six a clip)")
    ap.add_argument("--speech", help="folder of real recordings with transcripts.txt")
    ap.add_argument("--seconds", type=float, default=90.0)
    ap.add_argument("--tau", type=float, default=200.0)
    ap.add_argument("--out")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    res = {"tau": args.tau}
    for v in args.voices:
        res[v] = probe(corpus_clips(v, args.sentences, 6, seed=7), args.tau)
        print(v, json.dumps(res[v]), flush=True)
    if args.speech:
        for c in real_clips(args.speech, args.seconds):
            res[c.name] = probe([c], args.tau)
            print(c.name, json.dumps(res[c.name]), flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(res, indent=1) + "\n")


if __name__ == "__main__":
    main()
