"""End-to-end machinery on a tiny synthetic corpus: training stages (losses fall, resume),
checkpoints (round trip, corrupt/mismatched files), inference (fps, windows), export, CLI."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from core.model import checkpoint as ckpt
from core.model.config import tiny_config
from core.model.synthetic import make_corpus
from core.model.vqvae import MotionVQVAE

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Tiny corpus + all stages trained for a few steps (shared by the tests below)."""
    from core.model.train import TrainOptions, train_aux, train_regression, train_stage1, train_stage2
    root = tmp_path_factory.mktemp("model")
    corpus = make_corpus(root / "corpus", n_items=8, seed=0, min_dur=1.5, max_dur=2.5)
    opt = TrainOptions(corpus=str(corpus), out=str(root / "run"), steps=40, batch=4, lr=3e-3,
                       window=48, phone_source="oracle", progress=False, log_every=5,
                       save_every=20, val_every=20)
    train_stage1(opt, tiny_config())
    opt.steps = 15
    train_aux(opt)
    opt.steps = 30
    train_stage2(opt)
    opt.steps = 15
    train_regression(opt)
    return root, corpus, opt


def _log(run, stage):
    return [json.loads(l) for l in (run / "logs" / f"{stage}.jsonl").read_text().splitlines()]


def test_training_losses_fall_and_files_exist(trained):
    root, _, _ = trained
    run = root / "run"
    for name in ("vqvae", "s2c", "lipreader", "emotion", "emotion_eval", "dual", "regression"):
        assert (run / f"{name}.safetensors").is_file(), name
    s1 = [r for r in _log(run, "stage1") if "loss" in r]
    assert s1[-1]["recon_l1"] < 0.75 * s1[0]["recon_l1"]
    assert all("perplexity" in r and "usage" in r for r in s1 if r["step"] >= 8)   # after warm-up
    s2 = [r for r in _log(run, "stage2") if "loss" in r]
    assert s2[-1]["loss"] < s2[0]["loss"] and s2[-1]["code_ce"] < s2[0]["code_ce"]
    assert {"lip", "emotion", "dual", "consistency", "code_ce", "motion"} <= set(s2[-1])
    reg = [r for r in _log(run, "regression") if "loss" in r]
    assert reg[-1]["loss"] < reg[0]["loss"]


def test_resume_continues_from_saved_step(trained):
    from core.model.train import train_regression
    root, _, opt = trained
    opt.steps = 20                                   # saved state is at step 15
    train_regression(opt)
    steps = [r["step"] for r in _log(root / "run", "regression") if "loss" in r]
    assert steps[-1] == 19 and 15 in steps and steps.count(0) == 1


def test_stage2_fine_tune_on_own_codes_with_stop(trained, tmp_path):
    """--init-from starts from a run's weights; --ss-passes/--sched-sampling train on the model's
    own codes; --stop-at saves and stops inside a longer schedule."""
    import shutil
    from core.model.train import train_stage2
    root, _, opt = trained
    src = root / "run"
    dst = tmp_path / "ft"
    dst.mkdir()
    for name in ("config.json", "vqvae.safetensors", "lipreader.safetensors", "emotion.safetensors"):
        shutil.copy(src / name, dst / name)
    ft = type(opt)(**{**opt.__dict__, "out": str(dst), "steps": 40, "stop_at": 6, "init_from": str(src),
                      "sched_sampling": 1.0, "ss_passes": 3, "log_every": 1, "save_every": 100})
    train_stage2(ft)
    log = [r for r in _log(dst, "stage2") if "loss" in r]
    assert [r["step"] for r in log] == list(range(6))                 # stopped after step 5
    assert log[-1]["sched_sampling"] > 0 and log[-1]["lr"] > 0         # inside the 40-step schedule
    assert (dst / "s2c.safetensors").is_file() and (dst / "train_state" / "stage2.pt").is_file()
    fresh = [r for r in _log(src, "stage2") if "loss" in r][0]
    assert log[0]["code_ce"] < fresh["code_ce"]                        # started from the trained weights


def test_stage2_free_running_scheduled_sampling(trained, tmp_path, monkeypatch):
    """ss_free_run: the own codes fed back come from the deployed KV-cached greedy decoder, run in
    eval mode (no dropout), and training resumes in train mode."""
    import shutil
    from core.model.train import train_stage2
    from core.model.transformer import SpeechToCodes
    root, _, opt = trained
    dst = tmp_path / "fr"
    dst.mkdir()
    for name in ("config.json", "vqvae.safetensors", "lipreader.safetensors", "emotion.safetensors"):
        shutil.copy(root / "run" / name, dst / name)
    calls = []
    real = SpeechToCodes.generate

    def spy(self, *a, **k):
        calls.append(self.training)
        return real(self, *a, **k)

    monkeypatch.setattr(SpeechToCodes, "generate", spy)
    ft = type(opt)(**{**opt.__dict__, "out": str(dst), "steps": 4, "init_from": str(root / "run"),
                      "sched_sampling": 1.0, "ss_free_run": True, "log_every": 1, "save_every": 100})
    train_stage2(ft)
    log = [r for r in _log(dst, "stage2") if "loss" in r]
    assert len(log) == 4 and all(np.isfinite(r["loss"]) for r in log)
    assert calls == [False] * 3            # step 0 has sched_sampling 0 (ramp); always eval mode


def test_cli_trains_on_simulated_recognition_errors(trained, tmp_path):
    """--phone-source simulated --recognized-share reach the training loop from the CLI."""
    import shutil
    from core.cli import main
    root, corpus, _ = trained
    dst = tmp_path / "sim"
    dst.mkdir()
    shutil.copy(root / "run" / "config.json", dst / "config.json")
    rc = main(["train-regression", "--corpus", str(corpus), "--out", str(dst), "--steps", "3",
               "--batch", "2", "--window", "48", "--phone-source", "simulated",
               "--recognized-share", "0.5", "--log-every", "1", "--no-progress", "--threads", "1"])
    assert rc in (0, None)
    log = [r for r in _log(dst, "regression") if "loss" in r]
    assert [r["step"] for r in log] == [0, 1, 2] and np.isfinite(log[-1]["loss"])


def test_generate_rates_emotions_and_long_audio(trained):
    from core.model.infer import Parley
    root, _, _ = trained
    model = Parley.from_pretrained(root / "run")
    x = (0.1 * np.sin(np.arange(16000 * 2) / 16000 * 2 * np.pi * 150)).astype(np.float32)
    segs = [("SIL", 0, 0.3), ("AA", 0.3, 1.2), ("M", 1.2, 1.4), ("SIL", 1.4, 2.0)]
    w30 = model.generate(x, "happy", 0.8, fps=30, segments=segs)
    w24 = model.generate(x, "happy", 0.8, fps=24, segments=segs)
    assert w30.shape == (60, 52) and w24.shape == (48, 52)
    assert w30.min() >= 0 and w30.max() <= 1
    neutral = model.generate(x, "neutral", 1.0, segments=segs)
    zero = model.generate(x, "angry", 0.0, segments=segs)
    assert np.array_equal(neutral, zero)
    with pytest.raises(ValueError, match="unknown style"):
        model.generate(x, style="nobody", segments=segs)
    # windowed decoding of long features equals single-window decoding away from the seams,
    # and the crossfaded result is continuous
    feats = np.tile(model.features(x, segs), (4, 1))             # 240 frames
    whole = model.motion_from_features(feats, window_s=10)
    windows = model.motion_from_features(feats, window_s=2.4, overlap_s=0.8)
    assert windows.shape == whole.shape == (240, 52)
    assert np.abs(np.diff(windows, axis=0)).max() <= np.abs(np.diff(whole, axis=0)).max() + 0.35


def test_crossfade_join_has_no_seams():
    from core.model.infer import crossfade_join, window_starts
    total, win, ov = 100, 40, 10
    starts = window_starts(total, win, ov)
    ramp = np.linspace(0, 1, total, dtype=np.float32)[:, None]
    chunks = [ramp[s:s + win] for s in starts]
    assert starts[0] == 0 and starts[-1] == total - win
    assert np.allclose(crossfade_join(chunks, starts, total), ramp, atol=1e-6)


def test_checkpoint_round_trip_and_clear_errors(trained, tmp_path):
    root, _, _ = trained
    cfg = ckpt.load_config(root / "run")
    # the trained emotion intensities come from the corpus's motion keys (motion mixing uses them)
    assert cfg.intensities == [0.5, 1.0]
    from core.model.data import intensities_of, load_records
    one = make_corpus(tmp_path / "c1", n_items=2, intensities=(0.25, 1.0))
    assert intensities_of(one, load_records(one)) == [0.25, 1.0]
    vq = MotionVQVAE(cfg.vq)
    ckpt.load_component(root / "run", "vqvae", vq)
    ckpt.save_component(tmp_path, "vqvae", vq)
    ckpt.save_config(tmp_path, cfg)
    vq2 = MotionVQVAE(cfg.vq)
    ckpt.load_component(tmp_path, "vqvae", vq2)
    for a, b in zip(vq.state_dict().values(), vq2.state_dict().values()):
        assert torch.equal(a, b)
    # corrupt file
    (tmp_path / "s2c.safetensors").write_bytes(b"\x00garbage" * 10)
    with pytest.raises(ckpt.CheckpointError, match="corrupt"):
        from core.model.transformer import SpeechToCodes
        ckpt.load_component(tmp_path, "s2c", SpeechToCodes(cfg.s2c, cfg.vq, cfg.frontend))
    # truncated file
    data = (root / "run" / "vqvae.safetensors").read_bytes()
    (tmp_path / "vqvae.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(ckpt.CheckpointError, match="corrupt"):
        ckpt.load_component(tmp_path, "vqvae", MotionVQVAE(cfg.vq))
    # mismatched architecture
    (tmp_path / "vqvae.safetensors").write_bytes(data)
    other = tiny_config().vq
    other.n_codes = 64
    with pytest.raises(ckpt.CheckpointError, match="shape"):
        ckpt.load_component(tmp_path, "vqvae", MotionVQVAE(other))
    other = tiny_config().vq
    other.res_blocks = 2
    with pytest.raises(ckpt.CheckpointError, match="missing"):
        ckpt.load_component(tmp_path, "vqvae", MotionVQVAE(other))
    # wrong component in the file, missing file, bad config version
    (tmp_path / "s2c.safetensors").write_bytes(data)
    with pytest.raises(ckpt.CheckpointError, match="holds component 'vqvae'"):
        ckpt.load_component(tmp_path, "s2c", MotionVQVAE(cfg.vq))
    with pytest.raises(ckpt.CheckpointError, match="missing from"):
        ckpt.load_component(tmp_path, "regression", MotionVQVAE(cfg.vq))
    d = json.loads((tmp_path / "config.json").read_text())
    d["version"] = 0
    (tmp_path / "config.json").write_text(json.dumps(d))
    with pytest.raises(ckpt.CheckpointError, match="version"):
        ckpt.load_config(tmp_path)


def test_evaluate_reports_both_models(trained):
    from core.model.evaluate import evaluate_corpus, motion_stats
    root, corpus, _ = trained
    res = evaluate_corpus(root / "run", corpus, "train", max_items=2, phone_source="oracle",
                          progress=False)
    for kind in ("codebook", "regression"):
        assert {"std_ratio", "velocity_ratio", "l1", "lip_acc", "emotion_acc"} <= set(res[kind])
    gt = np.random.default_rng(0).random((50, 52)).astype(np.float32)
    s = motion_stats(gt, gt)
    assert s["std_ratio"] == pytest.approx(1.0) and s["velocity_ratio"] == pytest.approx(1.0)
    flat = motion_stats(np.full_like(gt, gt.mean()), gt)
    assert flat["std_ratio"] == pytest.approx(0, abs=1e-4) and flat["velocity_ratio"] == pytest.approx(0, abs=1e-4)


def test_export_formats_and_cli_generate(trained, tmp_path):
    from core.cli import main
    from core.model.export import read_curves, write_curves
    w = np.random.default_rng(1).random((12, 52)).astype(np.float32)
    for ext in ("json", "csv", "npz"):
        p = write_curves(tmp_path / f"t.{ext}", w, 24.0, {"k": 1})
        back, fps = read_curves(p)
        assert np.allclose(back, w, atol=1e-4) and fps == pytest.approx(24.0)
    with pytest.raises(ValueError, match="format"):
        write_curves(tmp_path / "t.txt", w, 24.0)
    root, corpus, _ = trained
    wav = sorted((corpus / "audio").glob("*.wav"))[0]
    import core.model.frontends.phones as ph
    orig = ph.recognize
    ph.recognize = lambda x: [("SIL", 0.0, 0.2), ("AA", 0.2, len(x) / 16000)]   # no PocketSphinx here
    try:
        rc = main(["generate", str(wav), "--checkpoint", str(root / "run"), "--emotion", "happy",
                   "--intensity", "0.5", "--fps", "25", "--out", str(tmp_path / "o.json"),
                   str(tmp_path / "o.csv"), "--plot", str(tmp_path / "o.png")])
    finally:
        ph.recognize = orig
    assert rc == 0
    out, fps = read_curves(tmp_path / "o.json")
    assert fps == 25 and out.shape[1] == 52 and (tmp_path / "o.png").stat().st_size > 10000
    assert main(["generate", str(wav), "--checkpoint", str(tmp_path / "nope")]) == 2


def test_cli_generate_reuses_saved_phones(trained, tmp_path, capsys):
    """A re-take from ``--phones`` (written by ``--save-phones``) equals the take that recognised
    them, never recognises again, and timings from another recording are refused."""
    from core.cli import main
    from core.model.export import read_curves
    import core.model.frontends.phones as ph
    root, corpus, _ = trained
    wav = sorted((corpus / "audio").glob("*.wav"))[0]
    calls = []
    orig = ph.recognize

    def fake(x):
        calls.append(len(x))
        return [("SIL", 0.0, 0.2), ("M", 0.2, 0.3), ("AA", 0.3, len(x) / 16000)]
    ph.recognize = fake
    try:
        base = ["generate", str(wav), "--checkpoint", str(root / "run"), "--emotion", "sad"]
        assert main(base + ["--out", str(tmp_path / "a.json"),
                            "--save-phones", str(tmp_path / "p.json")]) == 0
        assert len(calls) == 1
        saved = json.loads((tmp_path / "p.json").read_text())
        assert [s[0] for s in saved["segments"]] == ["SIL", "M", "AA"]
        assert saved["source"] == "recognized (words)"
        assert main(base + ["--out", str(tmp_path / "b.json"), "--phones", str(tmp_path / "p.json")]) == 0
        assert len(calls) == 1                                   # no second recognition
        a, _ = read_curves(tmp_path / "a.json")
        b, _ = read_curves(tmp_path / "b.json")
        assert np.array_equal(a, b)
        assert json.loads((tmp_path / "b.json").read_text())["meta"]["phones"].startswith("file ")
        capsys.readouterr()
        # timings of a longer recording, a file without segments, a missing file, both sources
        (tmp_path / "long.json").write_text(json.dumps({"segments": [["AA", 0.0, 600.0]]}))
        (tmp_path / "empty.json").write_text("{}")
        for extra, msg in ((["--phones", str(tmp_path / "long.json")], "another recording"),
                           (["--phones", str(tmp_path / "empty.json")], "no \"segments\""),
                           (["--phones", str(tmp_path / "nope.json")], "does not exist"),
                           (["--phones", str(tmp_path / "p.json"), "--transcript", "hello"], "not both")):
            assert main(base + ["--out", str(tmp_path / "c.json")] + extra) == 2
            assert msg in capsys.readouterr().err
        assert not (tmp_path / "c.json").exists()
    finally:
        ph.recognize = orig


def test_cli_generate_falls_back_when_the_transcript_cannot_be_aligned(trained, tmp_path, capsys,
                                                                        monkeypatch):
    """As the engine does: a warning, phones recognised instead, the take still written."""
    import core.alignment as alignment
    import core.model.frontends.phones as ph
    from core.cli import main
    root, corpus, _ = trained
    wav = sorted((corpus / "audio").glob("*.wav"))[0]

    def no_path(x, text, *a, **k):
        raise alignment.AlignmentError("PocketSphinx could not align 9 words (no path reached the "
                                       "end). Check that the transcript matches the recording")
    monkeypatch.setattr(alignment, "align_long", no_path)
    monkeypatch.setattr(ph, "recognize", lambda x: [("SIL", 0.0, 0.2), ("AA", 0.2, len(x) / 16000)])
    assert main(["generate", str(wav), "--checkpoint", str(root / "run"), "--transcript",
                 "words that were never said", "--out", str(tmp_path / "t.json")]) == 0
    err = capsys.readouterr().err
    assert "could not be aligned" in err and "recognised from the audio instead" in err
    meta = json.loads((tmp_path / "t.json").read_text())["meta"]
    assert meta["phones"] == "recognized (words), the transcript could not be aligned"
