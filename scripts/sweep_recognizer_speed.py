#!/usr/bin/env python
"""Which PocketSphinx search settings make a first take faster without losing bilabials?

A first take is bound by PocketSphinx's word search (issue 4, item 9). Its classic speed
options are frame-downsampled GMM scoring (``ds``), fewer Gaussians per frame (``topn``), a
phone-loop lookahead (``pl_window``), tighter beams, caps on active HMMs / words per frame, and
skipping the second, flat-lexicon pass (``fwdflat``) or the lattice best path (``bestpath``).
This script runs the product's recogniser (:func:`core.alignment.recognize_phones`, one
process, whole clip) with the word decoder swapped for each setting and scores the phones
against the reference (bilabial event recall / precision and frame phone agreement, as in
``scripts/sweep_recognizer_weights.py``).

Settings are interleaved clip by clip, so a change in the machine's load falls on all of them
alike; the time ratio against ``words`` in the same run is the figure to read.

* corpus voices are synthesised here (festival; six sentences a clip, one corpus augmentation
  recipe per clip, seeded; reference = festival's own segment times) and are what a setting is
  chosen on;
* real recordings (``--speech``: the first ``--seconds`` of each clip, reference = forced
  alignment of the clip's transcript) are scored afterwards, never used to choose.

``--vocabulary N`` (repeatable) adds a setting ``topNk`` whose dictionary holds only the N words
of the bundled LM with the highest unigram probability (all their pronunciations), to see how
much of the search's cost is the size of its lexicon tree (docs/recognizer_vocabulary.json).

    PYTHONPATH=. .venv/bin/python scripts/sweep_recognizer_speed.py --speech ../shared/speech \
        --out docs/recognizer_speed.json
    PYTHONPATH=. .venv/bin/python scripts/sweep_recognizer_speed.py --speech ../shared/speech \
        --setting words --setting words_fast --vocabulary 40000 --vocabulary 20000 \
        --vocabulary 10000 --vocabulary 5000 --out docs/recognizer_vocabulary.json
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from probe_speaker_adaptation import corpus_clips, real_clips  # noqa: E402
from sweep_recognizer_weights import parse_setting, score  # noqa: E402

#: name -> PocketSphinx options ("words" and "words_fast" are the product's two searches).
SETTINGS = [
    "words",
    "words_fast",
    "ds2:ds=2",
    "noflat:fwdflat=0",
    "beams30:beam=1e-30,pbeam=1e-30,wbeam=1e-20",
    "pl10:pl_window=10",
    "topn2:topn=2",
    "noflat_fast:fwdflat=0,bestpath=0,topn=2,maxhmmpf=3000,maxwpf=10",
    "noflat_pl10:fwdflat=0,pl_window=10",
    "cmufast:bestpath=0,ds=2,topn=2,beam=1e-30,pbeam=1e-30,wbeam=1e-20,maxhmmpf=3000,maxwpf=5,pl_window=10",
]


def common_word_dictionary(n: int, folder: Path) -> Path:
    """A PocketSphinx dictionary of the ``n`` words of the bundled en-us LM with the highest
    unigram probability (every pronunciation the bundled CMUdict gives them)."""
    import re

    import pocketsphinx

    lm = pocketsphinx.NGramModel.readfile(pocketsphinx.get_model_path("en-us/en-us.lm.bin"))
    entries: dict[str, list[str]] = {}
    with open(pocketsphinx.get_model_path("en-us/cmudict-en-us.dict")) as f:
        for line in f:
            if line.strip():
                entries.setdefault(re.sub(r"\(\d+\)$", "", line.split(None, 1)[0]), []).append(line)
    logp = {w: lm.prob([w]) for w in entries}
    floor = lm.prob(["<no-such-word>"])       # what the LM gives a word it does not hold
    ranked = sorted((w for w in entries if logp[w] > floor), key=lambda w: -logp[w])
    path = folder / f"top{n}.dict"
    path.write_text("".join(line for w in ranked[:n] for line in entries[w]))
    return path


def decoder_options(text: str) -> tuple[str, dict | str]:
    """A named setting -> (name, PocketSphinx keyword arguments, or a product decoder kind)."""
    if text in ("words", "words_fast"):
        return text, text
    name, kw = parse_setting(text)
    for k in ("fwdflat", "fwdtree", "bestpath"):
        if k in kw:
            kw[k] = bool(kw[k])
    return name, kw


def run(clips, settings) -> dict:
    import pocketsphinx

    from core.alignment import recognize_phones
    from core.alignment import sphinx as sx

    decoders = {}
    for text in settings:
        name, kw = decoder_options(text)
        decoders[name] = (sx._decoder(kw) if isinstance(kw, str) else
                          pocketsphinx.Decoder(samprate=sx.SAMPLE_RATE, loglevel="FATAL", **kw),
                          kw)
    hyps = {n: [] for n in decoders}
    secs = {n: 0.0 for n in decoders}
    saved = sx._decoder("words")
    try:
        for c in clips:
            for name, (dec, _) in decoders.items():
                sx._decoders["words"] = dec
                t = time.perf_counter()
                hyps[name].append(recognize_phones(c.samples, workers=0, chunk_s=None))
                secs[name] += time.perf_counter() - t
    finally:
        sx._decoders["words"] = saved
    audio_min = sum(len(c.samples) for c in clips) / sx.SAMPLE_RATE / 60
    out = {"clips": len(clips), "audio_s": round(audio_min * 60, 1)}
    for name, (_, kw) in decoders.items():
        out[name] = {"options": kw, **score(clips, hyps[name]),
                     "s_per_audio_min": secs[name] / audio_min,
                     "time_vs_words": secs[name] / secs["words"]}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--voices", nargs="+",
                    default=["festival:cmu_us_slt_arctic_hts", "festival:kal_diphone"])
    ap.add_argument("--sentences", type=int, default=36, help="per voice (six a clip)")
    ap.add_argument("--seed", type=int, default=31)
    ap.add_argument("--setting", action="append",
                    help="NAME[:key=value,...] (repeatable); default: the built-in list")
    ap.add_argument("--speech", help="folder of real recordings with transcripts.txt")
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--vocabulary", type=int, action="append", default=[],
                    help="add a setting with only the N most probable LM words (repeatable)")
    ap.add_argument("--out")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    settings = args.setting or ([] if args.vocabulary else SETTINGS)
    folder = Path(tempfile.mkdtemp(prefix="parley_vocab_"))
    settings += [f"top{n // 1000}k:dict={common_word_dictionary(n, folder)}" for n in args.vocabulary]
    if "words" not in settings:
        settings = ["words", *settings]
    res = {"settings": settings}
    for voice in args.voices:
        res[voice] = run(corpus_clips(voice, args.sentences, 6, args.seed), settings)
        print(voice, json.dumps(res[voice], indent=1), flush=True)
    if args.speech:
        res["real"] = run(real_clips(args.speech, args.seconds), settings)
        print("real", json.dumps(res["real"], indent=1), flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(res, indent=1) + "\n")


if __name__ == "__main__":
    main()
