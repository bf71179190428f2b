#!/usr/bin/env bash
# Parley's default speech-to-motion checkpoint: the recipe used for core/model/default/.
#
# Budget it was made under: one session on this 2-core CPU (no GPU), the machine otherwise idle.
# The PocketSphinx phone front end costs ~0.35 CPU-s per second of audio, so stage 2 and the
# regression baseline train on a seeded random 1,595 of the 4,511 training utterances (1.56 h,
# all 12 training voices; ids in core/model/default/train_ids.txt, made by the snippet below).
# Stage 1 and the auxiliary classifiers are motion-only and use the whole train split. Stages 1,
# 2 and the regression baseline add the inner-lip gap loss (core/model/lip_geometry.py) measured
# on the FLAME template ($LIP_MESH; a training aid only, nothing of the mesh is stored).
#
#   ids: python -c "import json,random; r=[json.loads(l) for l in open('data/corpus/manifest.jsonl')];
#        t=[x['id'] for x in r if x['split']=='train']; old=set(open('OLD_IDS').read().split());
#        rest=[i for i in t if i not in old]; random.Random(0).shuffle(rest); print(*sorted(old|set(rest[:1400])))"
#        (OLD_IDS = the 195 ids of the first, 15-CPU-minute checkpoint; git show 739988b:core/model/default/train_ids.txt)
#
#   bash scripts/train_default.sh                       # -> data/runs/default (+ -nodual, -B, -C) + eval JSON
#   OUT=data/runs/x IDS= ITEMS=0 bash scripts/train_default.sh   # every train utterance (~90 CPU-min of features)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
CORPUS=${CORPUS:-data/corpus}
OUT=${OUT:-data/runs/default}
ITEMS=${ITEMS:-0}               # first N of the (id-filtered) train utterances to featurise (0 = all)
IDS=${IDS-core/model/default/train_ids.txt}   # train ids for stage 2 / regression
SUB=${SUB:-data/corpus_sub2}    # symlinked sub-corpus: those train ids + all val/test records
TEST_ITEMS=${TEST_ITEMS:-30}    # held-out voice (festival SLT) items scored
S1_STEPS=${S1_STEPS:-1200}
AUX_STEPS=${AUX_STEPS:-400}
REG_STEPS=${REG_STEPS:-3000}
ABLATION=${ABLATION:-$OUT-nodual}   # DualTalker ablation: same stage 2 without dual + consistency ("" = skip)
SPEECH=${SPEECH:-../shared/speech}
TEMPLATE=${TEMPLATE:-../shared/flame/FLAME_template.ply}
LIP_MESH=${LIP_MESH-$TEMPLATE}   # lip-gap training loss ("" = off)
export PYTHONPATH=.

# 0) front-end features, cached under $CORPUS/features/phones/ (PocketSphinx word recognition
#    + forced alignment of the recognised words, exactly as at inference)
FEAT='
import sys, torch
torch.set_num_threads(1)
from pathlib import Path
from core.model.config import ModelConfig
from core.model.frontends.base import build_frontend
from core.model.data import load_records, prepare_features
corpus, split, lo, hi, k, n, ids = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:7]), sys.argv[7]
recs = load_records(corpus, split)
if ids and Path(ids).is_file():
    keep = set(Path(ids).read_text().split())
    recs = [r for r in recs if r["id"] in keep]
recs = recs[lo:hi or len(recs)][k::n]
prepare_features(corpus, build_frontend(ModelConfig().frontend), recs, "recognized", progress=False)
print(f"features: {len(recs)} {split} items")
'
"$PY" -c "$FEAT" "$CORPUS" train 0 "$ITEMS" 0 2 "$IDS" & "$PY" -c "$FEAT" "$CORPUS" train 0 "$ITEMS" 1 2 "$IDS" & wait
"$PY" -c "$FEAT" "$CORPUS" test 0 "$TEST_ITEMS" 0 1 ""

# symlinked sub-corpus holding exactly the training items with features (+ every val/test record)
SUBPY='
import json, sys
from pathlib import Path
src, dst, ids = Path(sys.argv[1]).resolve(), Path(sys.argv[2]), sys.argv[3]
lines = [l for l in (src / "manifest.jsonl").read_text().splitlines() if l.strip()]
recs = [json.loads(l) for l in lines]
cached = {p.name[:-4] for p in (src / "features" / "phones").glob("*.npy") if not p.name.endswith(".tmp.npy")}
keep = set(Path(ids).read_text().split()) & cached if ids and Path(ids).is_file() else cached
dst.mkdir(parents=True, exist_ok=True)
for name in ("audio", "phones", "motion", "features", "items", "stats.json"):
    if not (dst / name).exists() and (src / name).exists():
        (dst / name).symlink_to(src / name)
kept = [l for l, r in zip(lines, recs) if r["split"] != "train" or r["id"] in keep]
(dst / "manifest.jsonl").write_text("\n".join(kept) + "\n")
print("sub-corpus:", sum(r["split"] == "train" and r["id"] in keep for r in recs), "train items ->", dst)
'
"$PY" -c "$SUBPY" "$CORPUS" "$SUB" "$IDS"

LIP=(); [ -n "$LIP_MESH" ] && LIP=(--lip-mesh "$LIP_MESH")
COMMON=(--corpus "$CORPUS" --out "$OUT" --threads 1 --no-progress --log-every 50 --save-every 200 "${LIP[@]}")
# 1) stage 1: motion VQ-VAE (codebook perplexity/usage are logged in $OUT/logs/stage1.jsonl)
"$PY" -m core train-stage1 "${COMMON[@]}" --steps "$S1_STEPS" --batch 16 --lr 2e-3 --vq-warmup 200
# 2) frozen lip reader + emotion classifier (+ the held-out evaluation emotion classifier, val split)
"$PY" -m core train-aux --corpus "$CORPUS" --out "$OUT" --threads 1 --no-progress --log-every 25 --save-every 100 \
    --steps "$AUX_STEPS" --batch 16 --lr 2e-3
# 3) stage 2 (phone front end) in three phases, its DualTalker ablation (same phases, dual task
#    and consistency off) and 4) the regression baseline, side by side with one thread each.
#    A: teacher forcing with 25 % scheduled sampling. The run was launched with --steps 3000 and
#       resumed from its step-500 save with --steps 2000 (to fit the session); the step-750 save
#       is what phase B starts from (the run went on to step 1200, unused).
#    B: fine-tune, 70 % of the input codes are the model's own (2 parallel passes), 400 steps.
#    C: fine-tune, 100 % own codes (3 passes: close to free-running decoding), 400 steps.
#    Why B and C: with teacher forcing the model learns to copy the previous code; decoded
#    free-running it then misses closures the speech clearly signals (held-out closure: 42 % after
#    phase A step 1000, 52 % after B, 54 % after C; teacher-forced 88 %; docs/model_results.md).
S2=(--corpus "$SUB" --threads 1 --no-progress --log-every 25 --batch 12 "${LIP[@]}")
stage2_recipe() {   # $1 = run directory holding config.json + the frozen stage-1/aux components
    local run=$1
    "$PY" -m core train-stage2 "${S2[@]}" --out "$run" --save-every 250 --lr 1e-3 --steps 3000 --stop-at 500
    "$PY" -m core train-stage2 "${S2[@]}" --out "$run" --save-every 250 --lr 1e-3 --steps 2000 --stop-at 750
    for phase in B C; do
        mkdir -p "$run-$phase"
        for c in config.json vqvae.safetensors lipreader.safetensors emotion.safetensors emotion_eval.safetensors; do
            cp "$run/$c" "$run-$phase/"; done
    done
    "$PY" -m core train-stage2 "${S2[@]}" --out "$run-B" --init-from "$run" --save-every 100 --lr 5e-4 \
        --steps 400 --sched-sampling 0.7 --ss-passes 2
    "$PY" -m core train-stage2 "${S2[@]}" --out "$run-C" --init-from "$run-B" --save-every 100 --lr 3e-4 \
        --steps 400 --sched-sampling 1.0 --ss-passes 3
    cp "$run-C"/s2c.safetensors "$run/"
    [ -f "$run-C/dual.safetensors" ] && cp "$run-C/dual.safetensors" "$run/"
    return 0
}
if [ -n "$ABLATION" ]; then
    mkdir -p "$ABLATION"
    for c in vqvae lipreader emotion emotion_eval; do cp "$OUT/$c.safetensors" "$ABLATION/"; done
    "$PY" -c "import json,sys; c=json.load(open(sys.argv[1])); c['loss']['dual']=c['loss']['consistency']=0.0; json.dump(c, open(sys.argv[2],'w'), indent=2)" \
        "$OUT/config.json" "$ABLATION/config.json"
    stage2_recipe "$ABLATION" &
fi
stage2_recipe "$OUT" &
"$PY" -m core train-regression "${S2[@]}" --out "$OUT" --save-every 250 --lr 1e-3 --steps "$REG_STEPS" &
wait

# 5) evaluation: held-out voice + sentences (codebook vs regression, LVE on the FLAME template)
"$PY" -m core evaluate --checkpoint "$OUT" --corpus "$CORPUS" --split test --max-items "$TEST_ITEMS" \
    --template "$TEMPLATE" --json "$OUT/eval_corpus.json" --no-progress
# real recordings (every emotion, regression, choreography) and per-emotion held-out checks:
# see step 6 below.

# 6) per-emotion held-out checks and the real-speech comparison (codebook under every emotion,
#    regression, choreography on the same recognised phones); tables in docs/model_results.md
"$PY" scripts/eval_emotions.py "$OUT" "$CORPUS" "$TEMPLATE" 12 "$OUT/eval_emotion.json"
"$PY" scripts/eval_real_speech.py "$OUT" "$SPEECH" "$TEMPLATE" "$OUT/eval_real.json"
if [ -n "$ABLATION" ]; then
    "$PY" -m core evaluate --checkpoint "$ABLATION" --corpus "$CORPUS" --split test --max-items "$TEST_ITEMS" \
        --template "$TEMPLATE" --json "$ABLATION/eval_corpus.json" --no-progress
    "$PY" scripts/eval_real_speech.py "$ABLATION" "$SPEECH" "$TEMPLATE" "$ABLATION/eval_real.json"
fi
