#!/usr/bin/env bash
# Parley's default speech-to-motion checkpoint: the recipe used for core/model/default/.
#
# Budget it was made under: one session on this 2-core CPU (no GPU), the machine otherwise idle.
# Stage 2 and the regression baseline train on the corpus's *own phone timings* corrupted by a
# simulated recogniser (--phone-source simulated, core/model/phone_noise.py), because PocketSphinx
# recognises the synthetic training voices far worse than real speech (36-63 % of frames right on
# the TTS voices, ~85 % on real recordings; docs/model_results.md). A quarter of the samples of
# the 1,595 utterances whose PocketSphinx features are cached (ids in core/model/default/train_ids.txt,
# made by the snippet below) use those recognised phones instead (--recognized-share 0.25).
# Stage 1 and the auxiliary classifiers are motion-only. Stages 1, 2 and the regression baseline
# add the inner-lip gap loss (core/model/lip_geometry.py) measured on the FLAME template
# ($LIP_MESH; a training aid only, nothing of the mesh is stored).
#
#   ids: python -c "import json,random; r=[json.loads(l) for l in open('data/corpus/manifest.jsonl')];
#        t=[x['id'] for x in r if x['split']=='train']; old=set(open('OLD_IDS').read().split());
#        rest=[i for i in t if i not in old]; random.Random(0).shuffle(rest); print(*sorted(old|set(rest[:1400])))"
#        (OLD_IDS = the 195 ids of the first, 15-CPU-minute checkpoint; git show 739988b:core/model/default/train_ids.txt)
#
#   bash scripts/train_default.sh                       # -> data/runs/default (+ -F, -nodual) + eval JSON
#   OUT=data/runs/x IDS= ITEMS=0 bash scripts/train_default.sh   # recognised phones for every train utterance (~90 CPU-min)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
CORPUS=${CORPUS:-data/corpus}
OUT=${OUT:-data/runs/default}
ITEMS=${ITEMS:-0}               # first N of the (id-filtered) train utterances to featurise (0 = all)
IDS=${IDS-core/model/default/train_ids.txt}   # train ids for stage 2 / regression
TEST_ITEMS=${TEST_ITEMS:-30}    # held-out voice (festival SLT) items scored
S1_STEPS=${S1_STEPS:-1200}
AUX_STEPS=${AUX_STEPS:-400}
REG_STEPS=${REG_STEPS:-3000}
ABLATION=${ABLATION:-$OUT-nodual}   # DualTalker ablation: same stage 2 without dual + consistency ("" = skip)
SPEECH=${SPEECH:-../shared/speech}
TEMPLATE=${TEMPLATE:-../shared/flame/FLAME_template.ply}
LIP_MESH=${LIP_MESH-$TEMPLATE}   # lip-gap training loss ("" = off)
DUAL=${DUAL:-0.05}               # DualTalker dual-task and consistency weights of the shipped model
CONSISTENCY=${CONSISTENCY:-0.025}  # (0.2 / 0.1 cost held-out closure: docs/model_results.md, ablation)
export PYTHONPATH=.

# 0) front-end features, cached under $CORPUS/features/phones*/:
#    - oracle (corpus phones + loudness + pitch) for every training utterance: cheap, no
#      recognition; stage 2 redraws their phone columns with simulated recognition errors
#    - PocketSphinx-recognised (word recognition + forced alignment of the recognised words,
#      exactly as at inference) for the $IDS subset (mixed in) and the held-out items
#    - transcript-aligned for the held-out items (the product's transcript path, evaluation only)
FEAT='
import sys, torch, warnings
torch.set_num_threads(1)
from pathlib import Path
from core.model.config import ModelConfig
from core.model.frontends.base import build_frontend
from core.model.data import load_records, prepare_features
corpus, split, lo, hi, k, n, ids, source = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:7]), sys.argv[7], sys.argv[8]
recs = load_records(corpus, split)
if ids and Path(ids).is_file():
    keep = set(Path(ids).read_text().split())
    recs = [r for r in recs if r["id"] in keep]
recs = recs[lo:hi or len(recs)][k::n]
prepare_features(corpus, build_frontend(ModelConfig().frontend), recs, source, progress=False)
print(f"features ({source}): {len(recs)} {split} items")
'
"$PY" -c "$FEAT" "$CORPUS" train 0 0 0 2 "" oracle & "$PY" -c "$FEAT" "$CORPUS" train 0 0 1 2 "" oracle & wait
"$PY" -c "$FEAT" "$CORPUS" train 0 "$ITEMS" 0 2 "$IDS" recognized & "$PY" -c "$FEAT" "$CORPUS" train 0 "$ITEMS" 1 2 "$IDS" recognized & wait
"$PY" -c "$FEAT" "$CORPUS" test 0 "$TEST_ITEMS" 0 1 "" recognized
"$PY" -c "$FEAT" "$CORPUS" test 0 "$TEST_ITEMS" 0 1 "" transcript

LIP=(); [ -n "$LIP_MESH" ] && LIP=(--lip-mesh "$LIP_MESH")
COMMON=(--corpus "$CORPUS" --out "$OUT" --threads 1 --no-progress --log-every 50 --save-every 200 "${LIP[@]}")
# 1) stage 1: motion VQ-VAE (codebook perplexity/usage are logged in $OUT/logs/stage1.jsonl)
"$PY" -m core train-stage1 "${COMMON[@]}" --steps "$S1_STEPS" --batch 16 --lr 2e-3 --vq-warmup 200
# 2) frozen lip reader + emotion classifier (+ the held-out evaluation emotion classifier, val split)
"$PY" -m core train-aux --corpus "$CORPUS" --out "$OUT" --threads 1 --no-progress --log-every 25 --save-every 100 \
    --steps "$AUX_STEPS" --batch 16 --lr 2e-3
"$PY" -c "import json,sys; p=sys.argv[1]; c=json.load(open(p)); c['loss']['dual']=float(sys.argv[2]); c['loss']['consistency']=float(sys.argv[3]); json.dump(c, open(p,'w'), indent=2)" \
    "$OUT/config.json" "$DUAL" "$CONSISTENCY"
# 3) stage 2 (phone front end) in two phases, its DualTalker ablation (same phases, dual task
#    and consistency off) and 4) the regression baseline, side by side with one thread each.
#    A: teacher forcing with 25 % scheduled sampling (parallel), 900 steps.
#    F: fine-tune on the model's OWN free-running decoding (--ss-free-run: each window is decoded
#       greedily with the KV cache, exactly as at inference, and those codes are the inputs;
#       targets stay the ground truth), 400 steps.
#    Why F: teacher-forced, the phase-A model seals 99 % of held-out bilabials (transcript phones
#    in); decoding its own codes only 75 %: exposure bias. After F: 92-97 % (dual weight 0.2-0).
#    Parallel scheduled sampling (the previous recipe's phases B/C) reached 84-87 %
#    (scripts/closure_probe.py, docs/model_results.md).
S2=(--corpus "$CORPUS" --threads 1 --no-progress --log-every 25 --batch 12 --phone-source simulated
    --recognized-share 0.25 "${LIP[@]}")
stage2_recipe() {   # $1 = run directory holding config.json + the frozen stage-1/aux components
    local run=$1
    "$PY" -m core train-stage2 "${S2[@]}" --out "$run" --save-every 150 --lr 1e-3 --steps 900
    mkdir -p "$run-F"
    for c in config.json vqvae.safetensors lipreader.safetensors emotion.safetensors emotion_eval.safetensors; do
        cp "$run/$c" "$run-F/"; done
    "$PY" -m core train-stage2 "${S2[@]}" --out "$run-F" --init-from "$run" --save-every 100 --lr 5e-4 \
        --steps 400 --sched-sampling 1.0 --ss-free-run
    cp "$run-F"/s2c.safetensors "$run/"
    [ -f "$run-F/dual.safetensors" ] && cp "$run-F/dual.safetensors" "$run/"
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
"$PY" scripts/eval_emotions.py "$OUT" "$CORPUS" "$TEMPLATE" 12 "$OUT/eval_emotion_transcript.json" transcript
"$PY" scripts/eval_real_speech.py "$OUT" "$SPEECH" "$TEMPLATE" "$OUT/eval_real.json"
if [ -n "$ABLATION" ]; then
    "$PY" -m core evaluate --checkpoint "$ABLATION" --corpus "$CORPUS" --split test --max-items "$TEST_ITEMS" \
        --template "$TEMPLATE" --json "$ABLATION/eval_corpus.json" --no-progress
    "$PY" scripts/eval_emotions.py "$ABLATION" "$CORPUS" "$TEMPLATE" 12 "$ABLATION/eval_emotion.json"
    "$PY" scripts/eval_real_speech.py "$ABLATION" "$SPEECH" "$TEMPLATE" "$ABLATION/eval_real.json"
fi
