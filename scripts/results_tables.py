#!/usr/bin/env python
"""Markdown tables for docs/model_results.md from the evaluation JSON files of a training run
(``eval_corpus.json``, ``eval_emotion.json``, ``eval_real.json`` written by
``scripts/train_default.sh``), so the document shows exactly what was measured.

    .venv/bin/python scripts/results_tables.py data/runs/default [data/runs/default-nodual]
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

EMOTIONS = ("neutral", "happy", "sad", "surprised", "fearful", "disgusted", "angry", "contempt")


def pct(v):
    return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.0%}"


def num(v, fmt="{:.2f}"):
    return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else fmt.format(v)


def load(path):
    p = Path(path)
    return json.loads(p.read_text().replace("NaN", "null")) if p.is_file() else None


def corpus_table(run):
    d = load(Path(run) / "eval_corpus.json")
    if not d:
        return ""
    c = d.get("corpus", d)
    rows = [("LVE (mm)", "lve_mm", "{:.2f}"), ("L1 (weights)", "l1", "{:.4f}"), ("MSE", "mse", "{:.4f}"),
            ("std ratio, all moving shapes", "std_ratio", "{:.2f}"), ("std ratio, mouth", "std_ratio_mouth", "{:.2f}"),
            ("velocity ratio (pred / GT)", "velocity_ratio", "{:.2f}"), ("frozen lip reader phone acc", "lip_acc", "{:.2f}"),
            ("held-out emotion classifier acc", "emotion_acc", "{:.2f}")]
    out = [f"Held-out voice, {c.get('items')} utterances ({c.get('split')} split):", "",
           "| | codebook | regression | ground truth |", "|---|---|---|---|"]
    for label, key, fmt in rows:
        out.append(f"| {label} | " + " | ".join(num(c.get(m, {}).get(key), fmt) for m in ("codebook", "regression", "ground_truth")) + " |")
    return "\n".join(out)


def emotion_table(run, name="eval_emotion.json"):
    return emotion_table_file(Path(run) / name)


def emotion_table_file(path):
    d = load(path)
    if not d:
        return ""
    src = {"recognized": "PocketSphinx-recognised phones in, as from audio alone",
           "transcript": "the utterance's text force-aligned to its audio, the product's transcript path"}
    out = [f"Per emotion at intensity 1 ({d.get('items')} held-out utterances, every emotion from the same audio; "
           f"{src.get(d.get('phone_source', 'recognized'))}"
           f"{'; then the lip seal on those phones' if d.get('lip_seal') else ''}):", "",
           "| emotion | held-out classifier acc | lip reader acc | LVE mm | bilabial closure | silent rest | A/V lag ms | loudness–aperture r |",
           "|---|---|---|---|---|---|---|---|"]
    for e in list(EMOTIONS) + ["ground_truth(neutral)"]:
        r = d.get(e)
        if not r:
            continue
        out.append(f"| {e} | {pct(r['emotion_acc'])} | {pct(r['lip_acc'])} | {num(r['lve_mm'])} | {pct(r['closure'])} | "
                   f"{pct(r['rest'])} | {num(r['lag_ms'], '{:+.0f}')} | {num(r['loud_r'])} |")
    vals = [d[e]["closure"] for e in EMOTIONS if e in d]
    if vals:
        out.append("")
        out.append(f"Closure spread across emotions: {min(vals):.0%}–{max(vals):.0%} "
                   f"({(max(vals) - min(vals)) * 100:.0f} points).")
    return "\n".join(out)


def real_table(run, label=""):
    return real_table_file(Path(run) / "eval_real.json", label)


def real_table_file(path, label=""):
    d = load(path)
    if not d:
        return ""
    source = next(iter(d.values())).get("source", "recognized")
    phones_in = ("the transcript force-aligned in; the same alignment is the reference"
                 if source == "transcript" else "recognised phones in; forced-aligned transcripts as reference")
    out = [f"Real recordings{label} ({phones_in}):", "",
           "| clip | s | engine | bilabial closure | events | silent rest | loudness–aperture r | A/V lag ms | mouth reversals/s |",
           "|---|---|---|---|---|---|---|---|---|"]
    for clip, row in d.items():
        first = True
        for eng in ("codebook/neutral", "codebook+seal/neutral", "regression/neutral",
                    "choreography(recognized)/neutral"):
            m = row.get(eng)
            if not m:
                continue
            name = eng.split("/")[0].replace("(recognized)", "").replace("+seal", " + lip seal")
            head = f"| {clip} | {row['seconds']:.1f} |" if first else "| | |"
            first = False
            out.append(f"{head} {name} | {pct(m.get('bilabial_closure_rate'))} | {int(m.get('bilabial_events') or 0)} | "
                       f"{pct(m.get('silent_rest_rate'))} | {num(m.get('loudness_aperture_r'))} | "
                       f"{num(m.get('av_lag_ms'), '{:+.0f}')} | {num(m.get('reversals_per_s_mouth'))} |")
    out += ["", "Codebook model under each emotion (intensity 1). Cells: closure / rest / loudness r / lag ms.", "",
            "| clip | " + " | ".join(EMOTIONS) + " |", "|---" * (len(EMOTIONS) + 1) + "|"]
    for clip, row in d.items():
        cells = []
        for e in EMOTIONS:
            m = row.get(f"codebook/{e}", {})
            cells.append(f"{pct(m.get('bilabial_closure_rate'))} / {pct(m.get('silent_rest_rate'))} / "
                         f"{num(m.get('loudness_aperture_r'))} / {num(m.get('av_lag_ms'), '{:+.0f}')}")
        out.append(f"| {clip} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main():
    if sys.argv[1:2] == ["--files"]:      # explicit eval JSON files (eval_emotions / eval_real_speech)
        for f in sys.argv[2:]:
            d = load(f) or {}
            t = real_table_file(f) if "items" not in d else emotion_table_file(f)
            print(f"<!-- {f} -->\n{t}\n")
        return
    for i, run in enumerate(sys.argv[1:]):
        print(f"## {run}\n")
        emo = (emotion_table(run), emotion_table(run, "eval_emotion_transcript.json")) if i == 0 else ()
        for t in (corpus_table(run), *emo, real_table(run)):
            if t:
                print(t + "\n")


if __name__ == "__main__":
    main()
