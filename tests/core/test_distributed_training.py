"""Multi-process training through torch's own launcher (``torchrun``), on two CPU ranks (gloo):
every stage runs, the ranks share the feature work and end with identical weights, only rank 0
writes logs and reports, and the drift check really catches ranks that disagree."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.model.config import tiny_config
from core.model.synthetic import make_corpus

REPO = Path(__file__).resolve().parents[2]


def _torchrun(args, cwd, timeout=300):
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           *args]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def _log(run: Path, stage: str) -> list[dict]:
    return [json.loads(line) for line in (run / "logs" / f"{stage}.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def ddp_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("ddp")
    corpus = make_corpus(root / "corpus", n_items=8, seed=0, min_dur=1.5, max_dur=2.5)
    tiny_config().to_json(root / "tiny.json")
    common = ["--corpus", str(corpus), "--out", str(root / "run"), "--batch", "4", "--window", "48",
              "--lr", "3e-3", "--log-every", "4", "--save-every", "6", "--phone-source", "oracle",
              "--no-progress", "--threads", "1"]
    results = {}
    for stage, extra in (("stage1", ["--steps", "12", "--config", str(root / "tiny.json"),
                                     "--vq-warmup", "4"]),
                         ("aux", ["--steps", "8"]), ("stage2", ["--steps", "8"]),
                         ("regression", ["--steps", "8"])):
        results[stage] = _torchrun(["-m", "core", f"train-{stage}", *common, *extra], root)
    return root, corpus, results


@pytest.mark.parametrize("stage", ["stage1", "aux", "stage2", "regression"])
def test_every_stage_trains_on_two_ranks_in_sync(ddp_run, stage):
    root, _, results = ddp_run
    res = results[stage]
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-4000:]
    assert res.stdout.count('"stage":') == 1            # rank 0 alone prints the summary
    log = _log(root / "run", stage)
    start, end = log[0], log[-1]
    assert start["step"] == "start" and start["world_size"] == 2
    assert end["step"] == "end" and end["world_size"] == 2 and end["ranks_in_sync"] is True
    steps = [r["step"] for r in log if "loss" in r]
    assert len(steps) == len(set(steps)) and steps    # one writer: no step logged twice
    assert all(np.isfinite(r["loss"]) for r in log if "loss" in r)


def test_ranks_share_feature_work_and_model_loads(ddp_run):
    from core.model.infer import Parley
    root, corpus, results = ddp_run
    assert results["stage2"].returncode == 0
    recs = [json.loads(line) for line in (corpus / "manifest.jsonl").read_text().splitlines()]
    train = [r["id"] for r in recs if r["split"] == "train"]
    cached = {p.stem for p in (corpus / "features").rglob("*.npy")}
    assert set(train) <= cached and not any(".tmp" in c for c in cached)
    model = Parley.from_pretrained(root / "run")
    x = (0.1 * np.sin(np.arange(32000) / 16000 * 2 * np.pi * 150)).astype(np.float32)
    segs = [("SIL", 0, 0.3), ("AA", 0.3, 1.2), ("M", 1.2, 1.4), ("SIL", 1.4, 2.0)]
    w = model.generate(x, "happy", 1.0, segments=segs)
    assert w.shape == (60, 52) and np.isfinite(w).all()


DRIFT_SCRIPT = """
import sys, torch
from pathlib import Path
from core.model.train import Run, TrainOptions
run = Run("check", TrainOptions(out=sys.argv[1]))
said = []                                        # one file per rank: stdout interleaves
torch.manual_seed(run.rank)                      # every rank starts from different weights
m = torch.nn.Linear(3, 2)
try:
    run.check_in_sync({"m": m})
    said.append("NO-DRIFT-FOUND")
except RuntimeError as e:
    said.append(f"DRIFT {'different' in str(e) and 'weights' in str(e)}")
run.broadcast_params(m)
run.close({"m": m})                              # checks again: must pass now
said.append("SYNCED")
(Path(sys.argv[1]) / f"rank{run.rank}.txt").write_text("\\n".join(said))
"""


def test_drift_check_catches_ranks_that_disagree(tmp_path):
    script = tmp_path / "drift.py"
    script.write_text(DRIFT_SCRIPT)
    res = _torchrun([str(script), str(tmp_path / "out")], tmp_path)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-4000:]
    for rank in (0, 1):
        said = (tmp_path / "out" / f"rank{rank}.txt").read_text().splitlines()
        assert said == ["DRIFT True", "SYNCED"], (rank, said)
