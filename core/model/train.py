"""Training loops: stage 1 (motion VQ-VAE), auxiliaries (lip reader, emotion classifiers),
stage 2 (speech -> codes with EMOTE + DualTalker losses) and the regression baseline.

Every loop: seeded, resumable (``<out>/train_state/<stage>.pt`` + the component's safetensors),
tqdm progress, JSON-lines log (``<out>/logs/<stage>.jsonl``), CPU or GPU, and multi-GPU through
``torchrun`` (``torch.distributed`` is initialised when ``WORLD_SIZE`` is set; rank 0 logs and
saves). All stages of one model share ``<out>/config.json``, written by the first stage run.
"""
from __future__ import annotations

import datetime
import json
import math
import os
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from . import checkpoint as ckpt
from .config import ModelConfig
from .data import (MotionWindows, cached_features, collate, intensities_of, load_records,
                   motion_normalization, prepare_features, voices_of)
from .dual import DualTask
from .emotion_classifier import EmotionClassifier, emotion_target, soft_cross_entropy
from .frontends.base import build_frontend
from .lip_geometry import lip_gap_error
from .lipreader import LipReader, visemes_of
from .phone_noise import PhoneNoise
from .regression import RegressionBaseline
from .transformer import SpeechToCodes
from .vqvae import MotionVQVAE


@dataclass
class TrainOptions:
    corpus: str = "data/corpus"
    out: str = "data/runs/parley"
    steps: int = 2000
    batch: int = 16
    lr: float = 3e-4
    window: int = 120               # frames per training window (4 s)
    seed: int = 0
    device: str = "auto"            # auto | cpu | cuda
    log_every: int = 25
    save_every: int = 250
    val_every: int = 250
    resume: bool = True
    progress: bool = True
    phone_source: str = "recognized"  # phones front end: "recognized" (PocketSphinx) | "oracle" |
                                      # "simulated" (corpus phones + simulated recognition errors)
    recognized_share: float = 0.0   # "simulated": share of samples that use cached recognised phones
    sched_sampling: float = 0.25    # stage 2: share of input codes replaced by the model's own
    ss_passes: int = 1              # stage 2: prediction passes per step for scheduled sampling (>1 =
                                    # parallel scheduled sampling: own codes from own-code inputs)
    ss_free_run: bool = False       # stage 2: own codes come from free-running (KV-cached) decoding
                                    # of the whole window, exactly as at inference, not parallel passes
    init_from: str = ""             # stage 2: start from this run's s2c/dual weights (fine-tuning)
    stop_at: int = 0                # stage 2: save and stop after this step, keeping the --steps schedule
    vq_warmup: int = 300            # stage 1: autoencoder steps before quantising (k-means init)
    max_items: int = 0              # use only the first N training records (0 = all; smoke runs)
    threads: int = 0                # torch CPU threads (0 = leave torch's default)
    lip_mesh: str = ""              # FLAME-topology head for the lip-gap loss (stages 1, 2; "" = off)


# ------------------------------------------------------------------------------- infrastructure
class Run:
    """Device / distributed setup, logging, saving and resuming for one training stage."""

    def __init__(self, stage: str, opt: TrainOptions):
        self.stage, self.opt = stage, opt
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        local = int(os.environ.get("LOCAL_RANK", "0"))
        want_cuda = opt.device == "cuda" or (opt.device == "auto" and torch.cuda.is_available())
        if opt.device == "cuda" and not torch.cuda.is_available():
            raise RuntimeError("--device cuda was requested but torch sees no CUDA device")
        self.device = torch.device(f"cuda:{local}" if want_cuda else "cpu")
        if want_cuda:
            torch.cuda.set_device(self.device)
        if self.world > 1 and not torch.distributed.is_initialized():
            # long timeout: ranks meet at a barrier after each computes its share of the
            # front-end features (PocketSphinx recognition can take hours on a big corpus)
            torch.distributed.init_process_group("nccl" if want_cuda else "gloo",
                                                 timeout=datetime.timedelta(hours=6))
        if opt.threads:
            torch.set_num_threads(opt.threads)
        seed = opt.seed + self.rank
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)
        self.out = Path(opt.out)
        self.main = self.rank == 0
        if self.main:
            (self.out / "logs").mkdir(parents=True, exist_ok=True)
            (self.out / "train_state").mkdir(parents=True, exist_ok=True)
        self.log_path = self.out / "logs" / f"{stage}.jsonl"
        self.state_path = self.out / "train_state" / f"{stage}.pt"
        self.t0 = time.time()
        self.log("start", world_size=self.world, device=str(self.device))

    def wrap(self, model):
        model.to(self.device)
        if self.world > 1:
            return torch.nn.parallel.DistributedDataParallel(
                model, device_ids=[self.device.index] if self.device.type == "cuda" else None)
        return model

    def loader(self, dataset, batch, multiple):
        sampler = None
        if self.world > 1:
            sampler = torch.utils.data.distributed.DistributedSampler(dataset, seed=self.opt.seed)
        return torch.utils.data.DataLoader(
            dataset, batch_size=batch, shuffle=sampler is None, sampler=sampler, drop_last=False,
            collate_fn=lambda b: collate(b, multiple), num_workers=0)

    def batches(self, dataset, batch, multiple):
        loader = self.loader(dataset, batch, multiple)
        epoch = 0
        while True:
            dataset.set_epoch(epoch)
            if hasattr(loader.sampler, "set_epoch"):
                loader.sampler.set_epoch(epoch)
            for b in loader:
                yield {k: (v.to(self.device) if torch.is_tensor(v) else v) for k, v in b.items()}
            epoch += 1

    def broadcast_params(self, *modules):
        """Give every rank rank 0's weights for modules trained outside the DDP wrapper (DDP
        does this itself for the modules it wraps); each rank was seeded differently."""
        if self.world > 1:
            for module in modules:
                for t in list(module.parameters()) + list(module.buffers()):
                    torch.distributed.broadcast(t.data, 0)

    def sync_grads(self, module):
        """Average gradients of a module used outside the DDP wrapper (multi-GPU only)."""
        if self.world > 1:
            for p in module.parameters():
                if p.grad is not None:
                    torch.distributed.all_reduce(p.grad)
                    p.grad /= self.world

    def log(self, step, **values):
        if self.main:
            rec = {"step": step, "time_s": round(time.time() - self.t0, 1)}
            rec.update({k: (round(float(v), 6) if isinstance(v, (float, torch.Tensor)) else v)
                        for k, v in values.items()})
            with open(self.log_path, "a") as f:
                f.write(json.dumps(rec) + "\n")

    def save(self, step, components: dict, optimizer, extra=None):
        if not self.main:
            return
        for name, module in components.items():
            module = module.module if hasattr(module, "module") else module
            ckpt.save_component(self.out, name, module, {"step": step, "stage": self.stage})
        state = {"step": step, "optimizer": optimizer.state_dict(), "options": asdict(self.opt),
                 "torch_rng": torch.get_rng_state(), "extra": extra or {}}
        tmp = self.state_path.with_suffix(".tmp")
        torch.save(state, tmp)
        tmp.replace(self.state_path)

    def resume(self, components: dict, optimizer) -> int:
        """Load weights + optimiser of an interrupted run; returns the step to continue from."""
        if not (self.opt.resume and self.state_path.is_file()):
            return 0
        state = torch.load(self.state_path, map_location=self.device, weights_only=False)
        for name, module in components.items():
            module = module.module if hasattr(module, "module") else module
            ckpt.load_component(self.out, name, module, device=self.device)
        optimizer.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["torch_rng"])
        return int(state["step"])

    def check_in_sync(self, components: dict) -> None:
        """Raise if the ranks' trained weights differ (a module trained outside DDP without
        ``broadcast_params`` / ``sync_grads`` would drift apart while rank 0 alone saves)."""
        if self.world == 1:
            return
        for name, module in components.items():
            module = module.module if hasattr(module, "module") else module
            ts = [t.detach().double().flatten() for t in
                  list(module.parameters()) + [b for b in module.buffers() if b.is_floating_point()]]
            vec = torch.cat(ts) if ts else torch.zeros(1, dtype=torch.float64, device=self.device)
            sig = torch.stack([vec.sum(), vec.abs().sum(), (vec * vec).sum()])
            hi, lo = sig.clone(), sig.clone()
            torch.distributed.all_reduce(hi, op=torch.distributed.ReduceOp.MAX)
            torch.distributed.all_reduce(lo, op=torch.distributed.ReduceOp.MIN)
            if not torch.allclose(hi, lo, rtol=1e-9, atol=1e-9):
                raise RuntimeError(f"{self.stage}: the {self.world} ranks ended with different "
                                   f"'{name}' weights (checksums {lo.tolist()} .. {hi.tolist()})")

    def close(self, components: dict | None = None):
        """End of a stage: verify the ranks agree, log the world size, release the group."""
        if self.world > 1 and torch.distributed.is_initialized():
            self.check_in_sync(components or {})
            self.log("end", world_size=self.world, ranks_in_sync=True)
            torch.distributed.barrier()
            torch.distributed.destroy_process_group()


def get_config(opt: TrainOptions, base: ModelConfig | None = None) -> ModelConfig:
    """The run's shared config: existing ``<out>/config.json`` or ``base`` (styles from corpus)."""
    path = Path(opt.out) / "config.json"
    if path.is_file():
        return ckpt.load_config(opt.out)
    cfg = base or ModelConfig()
    records = load_records(opt.corpus)
    cfg.styles = voices_of(records)
    cfg.s2c.n_styles = cfg.n_styles
    cfg.intensities = intensities_of(opt.corpus, records)
    build_frontend(cfg.frontend)             # fills in_dim
    if int(os.environ.get("RANK", "0")) == 0:
        ckpt.save_config(opt.out, cfg)
    return cfg


def _limit(records, opt):
    return records[:opt.max_items] if opt.max_items else records


def masked_mean(x, mask):
    """Mean of ``x [B, T, ...]`` over valid frames of ``mask [B, T]``."""
    m = mask.float()
    while m.dim() < x.dim():
        m = m.unsqueeze(-1)
    m = m.expand_as(x)
    return (x * m).sum() / m.sum().clamp_min(1)


def lr_at(step, total, base, warmup=100):
    if step < warmup:
        return base * (step + 1) / warmup
    return base * 0.5 * (1 + math.cos(math.pi * min(1.0, (step - warmup) / max(1, total - warmup))))


def _progress(run, start, total, desc):
    from tqdm import tqdm
    return tqdm(range(start, total), desc=desc, disable=not (run.opt.progress and run.main),
                initial=start, total=total, dynamic_ncols=True)


def _set_lr(opt_, lr):
    for g in opt_.param_groups:
        g["lr"] = lr


# ----------------------------------------------------------------------------------- stage 1
def _lip_basis(opt: TrainOptions, device):
    """Inner-lip gap basis for ``--lip-mesh`` (None when the loss is off)."""
    if not opt.lip_mesh:
        return None
    from .lip_geometry import load_lip_basis
    return load_lip_basis(opt.lip_mesh).to(device)


def stage1_loss(vq, motion, mask, quantize=True, lip_basis=None, lip_weight=0.0):
    recon, vq_loss, idx, stats = vq(motion, quantize)
    rec = masked_mean((recon - motion).abs(), mask)
    vel = masked_mean((recon.diff(dim=1) - motion.diff(dim=1)).abs(), mask[:, 1:])
    total = rec + vel + vq_loss
    info = {"recon_l1": rec.item(), "vel_l1": vel.item(), "vq": vq_loss.item(), **stats}
    if lip_basis is not None and lip_weight > 0:
        gap = masked_mean(lip_gap_error(recon, motion, lip_basis), mask)
        total = total + lip_weight * gap
        info["lip_gap_mm"] = gap.item()
    return total, info


def train_stage1(opt: TrainOptions, base: ModelConfig | None = None) -> dict:
    """Stage 1: learn the motion codebook by self-reconstruction of corpus motion windows."""
    run = Run("stage1", opt)
    cfg = get_config(opt, base)
    recs = _limit(load_records(opt.corpus, "train"), opt)
    val = [r for r in load_records(opt.corpus) if r["split"] == "val"][:16]   # bounded validation cost
    ds = MotionWindows(opt.corpus, recs, None, cfg, opt.window, opt.seed)
    vq = MotionVQVAE(cfg.vq)
    vq.set_normalization(*motion_normalization(opt.corpus, recs))
    model = run.wrap(vq)
    optim = torch.optim.AdamW(vq.parameters(), lr=opt.lr, weight_decay=0.01)
    step = run.resume({"vqvae": vq}, optim)
    batches = run.batches(ds, opt.batch, cfg.vq.downsample)
    warmup = min(opt.vq_warmup, opt.steps // 5)
    lip_basis = _lip_basis(opt, run.device)
    recent = []
    last = {}
    for step in _progress(run, step, opt.steps, "stage1 VQ-VAE"):
        b = next(batches)
        motion = torch.cat([b["motion"], b["motion_x"]])
        mask = torch.cat([b["mask"], b["mask"]])
        model.train()
        _set_lr(optim, lr_at(step, opt.steps, opt.lr))
        quantize = step >= warmup
        if step == warmup and warmup > 0 and recent:
            vq.quantizer.init_kmeans(torch.cat([z.reshape(-1, z.shape[-1]) for z in recent]))
            recent = []
        loss, info = stage1_loss(model, motion, mask, quantize, lip_basis, cfg.loss.lip_gap)
        if not quantize:
            recent = (recent + [info.pop("z")])[-20:]
        optim.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(vq.parameters(), 1.0)
        optim.step()
        info["restarts"] = getattr(vq.quantizer, "last_restarts", 0)
        last = info
        if step % opt.log_every == 0 or step == opt.steps - 1:
            run.log(step, loss=loss.item(), lr=optim.param_groups[0]["lr"], **info)
        if (step + 1) % opt.val_every == 0 or step == opt.steps - 1:
            if val:
                run.log(step, **{f"val_{k}": v for k, v in evaluate_stage1(vq, opt, cfg, val, run.device).items()})
        if (step + 1) % opt.save_every == 0 or step == opt.steps - 1:
            run.save(step + 1, {"vqvae": vq}, optim)
    run.close({"vqvae": vq})
    return last


@torch.no_grad()
def evaluate_stage1(vq, opt, cfg, records, device) -> dict:
    """Reconstruction L1 and codebook perplexity/usage over all emotion variants of ``records``."""
    vq.eval()
    errs, idxs = [], []
    for rec in records:
        with np.load(Path(opt.corpus) / rec["motion"]) as z:
            for k in z.files:
                m = torch.from_numpy(z[k].astype(np.float32))[None].to(device)
                r, _, idx, _ = vq(m)
                errs.append(float((r - m).abs().mean()))
                idxs.append(idx.reshape(-1).cpu())
    vq.train()
    stats = vq.quantizer.stats(torch.cat(idxs)) if idxs else {}
    return {"recon_l1": float(np.mean(errs)) if errs else float("nan"), **stats}


# ------------------------------------------------------------------------------- auxiliaries
def train_aux(opt: TrainOptions, base: ModelConfig | None = None) -> dict:
    """Lip reader + emotion classifier on GT motion (train split); a held-out emotion classifier
    for evaluation is trained on the val split with another seed."""
    run = Run("aux", opt)
    cfg = get_config(opt, base)
    recs = _limit(load_records(opt.corpus, "train"), opt)
    all_recs = load_records(opt.corpus)
    held = [r for r in all_recs if r["split"] == "val"] or recs
    lip = LipReader(cfg.aux.lip_hidden, cfg.aux.lip_layers).to(run.device)
    emo = EmotionClassifier(52, cfg.aux.emo_hidden).to(run.device)
    torch.manual_seed(opt.seed + 1000)
    emo_eval = EmotionClassifier(52, cfg.aux.emo_hidden).to(run.device)
    params = list(lip.parameters()) + list(emo.parameters()) + list(emo_eval.parameters())
    # the classifiers will judge *decoded* motion in stage 2: train them on stage-1
    # reconstructions and noisy copies too, or VQ artefacts alone would read as wrong phones
    recon = load_frozen(opt.out, cfg, run.device, ("vqvae",))["vqvae"] \
        if ckpt.has_component(opt.out, "vqvae") else None
    optim = torch.optim.AdamW(params, lr=opt.lr, weight_decay=0.01)
    comps = {"lipreader": lip, "emotion": emo, "emotion_eval": emo_eval}
    step = run.resume(comps, optim)
    run.broadcast_params(lip, emo, emo_eval)              # not DDP-wrapped: synced by hand
    main = run.batches(MotionWindows(opt.corpus, recs, None, cfg, opt.window, opt.seed), opt.batch, 1)
    heldb = run.batches(MotionWindows(opt.corpus, held, None, cfg, opt.window, opt.seed + 7), opt.batch, 1)
    last = {}
    for step in _progress(run, step, opt.steps, "aux lip/emotion"):
        b, h = next(main), next(heldb)
        _set_lr(optim, lr_at(step, opt.steps, opt.lr))
        motion = _augment(torch.cat([b["motion"], b["motion_x"]]), recon)
        mask = torch.cat([b["mask"], b["mask"]])
        phones = torch.cat([b["phones"], b["phones"]])
        pl, vl = lip(motion)
        lip_ce = F.cross_entropy(pl[mask], phones[mask])
        vis_ce = F.cross_entropy(vl[mask], visemes_of(phones[mask]))
        cond = torch.cat([b["emotion"], b["emotion_x"]])
        emo_ce = soft_cross_entropy(emo(motion), emotion_target(cond))
        hcond = torch.cat([h["emotion"], h["emotion_x"]])
        held_ce = soft_cross_entropy(emo_eval(_augment(torch.cat([h["motion"], h["motion_x"]]), recon)),
                                     emotion_target(hcond))
        loss = lip_ce + vis_ce + emo_ce + held_ce
        optim.zero_grad(set_to_none=True)
        loss.backward()
        for m in (lip, emo, emo_eval):
            run.sync_grads(m)
        optim.step()
        with torch.no_grad():
            acc = (pl[mask].argmax(-1) == phones[mask]).float().mean().item()
            vacc = (vl[mask].argmax(-1) == visemes_of(phones[mask])).float().mean().item()
        last = {"lip_ce": lip_ce.item(), "lip_acc": acc, "viseme_acc": vacc, "emo_ce": emo_ce.item(),
                "emo_eval_ce": held_ce.item()}
        if step % opt.log_every == 0 or step == opt.steps - 1:
            run.log(step, loss=loss.item(), **last)
        if (step + 1) % opt.save_every == 0 or step == opt.steps - 1:
            run.save(step + 1, comps, optim)
    run.close(comps)
    return last


@torch.no_grad()
def _augment(motion, vq=None):
    """Per sample: ground truth, its stage-1 reconstruction, or a noisy copy (1/3 each)."""
    out = motion.clone()
    pick = torch.randint(0, 3, (len(motion),), device=motion.device)
    if vq is not None and (pick == 1).any():
        out[pick == 1] = vq(motion[pick == 1])[0]
    noisy = pick == 2 if vq is not None else pick >= 1
    if noisy.any():
        m = motion[noisy]
        out[noisy] = (m + 0.03 * torch.randn_like(m)).clamp(0, 1)
    return out


# ----------------------------------------------------------------------------------- stage 2
def load_frozen(out, cfg, device, names=("vqvae", "lipreader", "emotion")):
    mods = {}
    builders = {"vqvae": lambda: MotionVQVAE(cfg.vq),
                "lipreader": lambda: LipReader(cfg.aux.lip_hidden, cfg.aux.lip_layers),
                "emotion": lambda: EmotionClassifier(52, cfg.aux.emo_hidden),
                "emotion_eval": lambda: EmotionClassifier(52, cfg.aux.emo_hidden)}
    for n in names:
        m = builders[n]()
        ckpt.load_component(out, n, m)
        m.to(device).eval()
        for p in m.parameters():
            p.requires_grad_(False)
        mods[n] = m
    return mods


def latent_mask(mask, s):
    t = mask.shape[1] // s
    return mask[:, : t * s].reshape(mask.shape[0], t, s).any(-1)


def stage2_losses(s2c, frozen, dual, cfg, b, sched_sampling=0.0,
                  lip_basis=None, ss_passes=1, free_run=False) -> tuple[torch.Tensor, dict]:
    """All stage-2 losses for one batch (primary half + content-emotion exchange half)."""
    vq, lip, emo = frozen["vqvae"], frozen.get("lipreader"), frozen.get("emotion")
    W = cfg.loss
    s = cfg.vq.downsample
    feats = b["feats"]
    with torch.no_grad():
        codes = vq.encode_codes(torch.cat([b["motion"], b["motion_x"]]))
        gt_lat = vq.quantizer.lookup(codes)
    feats2 = torch.cat([feats, feats])
    cond = torch.cat([b["emotion"], b["emotion_x"]])
    style = torch.cat([b["style"], b["style"]])
    core = s2c.module if hasattr(s2c, "module") else s2c
    inp_lat = gt_lat
    if sched_sampling > 0:
        # scheduled sampling: a share of the input codes are the model's own predictions; with
        # ss_passes > 1 those predictions are themselves made from mixed inputs (parallel
        # scheduled sampling), closer to free-running decoding, where copying the previous code
        # instead of reading the speech is what keeps lips open through a closure
        # (free_run: the own codes are the model's deployed greedy decoding of the whole window, so
        # it learns to return to the ground truth from the states it really reaches)
        with torch.no_grad():
            swap = torch.rand(gt_lat.shape[:2], device=gt_lat.device) < sched_sampling
            if free_run:
                core.eval()
                own = vq.quantizer.lookup(core.generate(feats2, cond, style, vq.quantizer))
                core.train()
                inp_lat = torch.where(swap[..., None], own, gt_lat)
            else:
                for _ in range(max(1, ss_passes)):
                    logits0, _ = s2c(feats2, inp_lat, cond, style)
                    own = vq.quantizer.lookup(logits0.argmax(-1))
                    inp_lat = torch.where(swap[..., None], own, gt_lat)
    logits, audio_hidden = s2c(feats2, inp_lat, cond, style)
    lmask = latent_mask(torch.cat([b["mask"], b["mask"]]), s)
    frames = b["motion"].shape[1]
    probs = logits.softmax(-1)
    hard = F.one_hot(probs.argmax(-1), probs.shape[-1]).type_as(probs)
    st = hard + probs - probs.detach()                       # straight-through code choice
    pred = vq.decode(vq.quantizer.soft_lookup(st), frames)
    target = torch.cat([b["motion"], b["motion_x"]])
    mask2 = torch.cat([b["mask"], b["mask"]])
    phones2 = torch.cat([b["phones"], b["phones"]])
    nb = feats.shape[0]
    half = torch.zeros(2 * nb, device=feats.device)
    half[:nb], half[nb:] = 1.0, W.exchange                   # exchange half weighted by W.exchange

    def per_sample(x, m):                                    # masked mean per sample -> [2B]
        m = m.float()
        while m.dim() < x.dim():
            m = m.unsqueeze(-1)
        m = m.expand_as(x)
        return (x * m).flatten(1).sum(1) / m.flatten(1).sum(1).clamp_min(1)

    def weighted(v):
        return (v * half).sum() / half.sum()

    ce = F.cross_entropy(logits.flatten(0, 2), codes.flatten(), reduction="none").view(codes.shape)
    terms = {"code_ce": weighted(per_sample(ce.mean(-1), lmask)),
             "motion": weighted(per_sample((pred - target).abs(), mask2)),
             "velocity": weighted(per_sample((pred.diff(dim=1) - target.diff(dim=1)).abs(), mask2[:, 1:]))}
    if lip_basis is not None and W.lip_gap > 0:
        terms["lip_gap"] = weighted(per_sample(lip_gap_error(pred, target, lip_basis), mask2))
    if lip is not None and W.lip > 0:
        pl, _ = lip(pred)
        lce = F.cross_entropy(pl.flatten(0, 1), phones2.flatten(), reduction="none").view(phones2.shape)
        terms["lip"] = weighted(per_sample(lce, mask2))
    if emo is not None and W.emotion > 0:
        tgt = emotion_target(cond)
        terms["emotion"] = weighted(-(tgt * F.log_softmax(emo(pred), -1)).sum(-1))
    if dual is not None and (W.dual > 0 or W.consistency > 0):
        terms.update(dual.losses(audio_hidden[:nb], b["motion"], pred[:nb], b["phones"], b["mask"]))
    total = sum(getattr(W, k) * v for k, v in terms.items())
    info = {k: v.item() for k, v in terms.items()}
    with torch.no_grad():
        info["code_acc"] = (logits.argmax(-1) == codes)[lmask].float().mean().item()
    return total, info


def speech_windows(run: Run, opt: TrainOptions, cfg, frontend, recs,
                   show_progress: bool) -> MotionWindows:
    """Training windows with front-end features for stage 2 and the regression baseline."""
    if run.world > 1:    # each rank computes its share of the missing features, then all load
        prepare_features(opt.corpus, frontend, recs[run.rank::run.world], opt.phone_source,
                         show_progress)
        torch.distributed.barrier()
    feats = prepare_features(opt.corpus, frontend, recs, opt.phone_source, show_progress)
    extra = {}
    if opt.phone_source == "simulated":
        extra = {"phone_noise": PhoneNoise(), "recognized_share": opt.recognized_share,
                 "recognized": cached_features(opt.corpus, frontend, recs, "recognized")
                 if opt.recognized_share > 0 else None}
    return MotionWindows(opt.corpus, recs, feats, cfg, opt.window, opt.seed, **extra)


def train_stage2(opt: TrainOptions, base: ModelConfig | None = None) -> dict:
    """Stage 2: speech -> codes through the frozen stage-1 decoder, with EMOTE/DualTalker losses."""
    run = Run("stage2", opt)
    cfg = get_config(opt, base)
    frontend = build_frontend(cfg.frontend)
    recs = _limit(load_records(opt.corpus, "train"), opt)
    ds = speech_windows(run, opt, cfg, frontend, recs, opt.progress and run.main)
    names = ["vqvae"] + [n for n, w in (("lipreader", cfg.loss.lip), ("emotion", cfg.loss.emotion)) if w > 0]
    frozen = load_frozen(opt.out, cfg, run.device, names)
    s2c = SpeechToCodes(cfg.s2c, cfg.vq, cfg.frontend).to(run.device)
    comps = {"s2c": s2c}
    dual = None
    if cfg.loss.dual > 0 or cfg.loss.consistency > 0:
        dual = DualTask(cfg.s2c.d_model, cfg.aux.dual_hidden).to(run.device)
        comps["dual"] = dual
    if opt.init_from:                                      # fine-tune from another run's weights
        for name, module in comps.items():
            if ckpt.has_component(opt.init_from, name):
                ckpt.load_component(opt.init_from, name, module, device=run.device)
    params = [p for m in comps.values() for p in m.parameters()]
    optim = torch.optim.AdamW(params, lr=opt.lr, weight_decay=0.01)
    step = run.resume(comps, optim)
    if dual is not None:
        run.broadcast_params(dual)                         # not DDP-wrapped: synced by hand
    model = run.wrap(s2c)
    batches = run.batches(ds, opt.batch, cfg.vq.downsample)
    lip_basis = _lip_basis(opt, run.device)
    last = {}
    for step in _progress(run, step, opt.steps, "stage2 speech->codes"):
        b = next(batches)
        model.train()
        _set_lr(optim, lr_at(step, opt.steps, opt.lr))
        ss = opt.sched_sampling * min(1.0, step / max(1, opt.steps // 3))
        loss, info = stage2_losses(model, frozen, dual, cfg, b, ss, lip_basis, opt.ss_passes,
                                   opt.ss_free_run)
        optim.zero_grad(set_to_none=True)
        loss.backward()
        if dual is not None:
            run.sync_grads(dual)
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optim.step()
        last = info
        if step % opt.log_every == 0 or step == opt.steps - 1:
            run.log(step, loss=loss.item(), lr=optim.param_groups[0]["lr"], sched_sampling=ss, **info)
        if (step + 1) % opt.save_every == 0 or step == opt.steps - 1:
            run.save(step + 1, comps, optim)
        if opt.stop_at and step + 1 >= opt.stop_at:
            if (step + 1) % opt.save_every:
                run.save(step + 1, comps, optim)
            break
    run.close(comps)
    return last


# ------------------------------------------------------------------------------- regression
def train_regression(opt: TrainOptions, base: ModelConfig | None = None) -> dict:
    """FaceFormer-style baseline on the same data and front end (MSE regression)."""
    run = Run("regression", opt)
    cfg = get_config(opt, base)
    frontend = build_frontend(cfg.frontend)
    recs = _limit(load_records(opt.corpus, "train"), opt)
    ds = speech_windows(run, opt, cfg, frontend, recs, opt.progress and run.main)
    reg = RegressionBaseline(cfg.s2c, cfg.frontend)
    reg.set_normalization(*motion_normalization(opt.corpus, recs))
    reg.to(run.device)
    optim = torch.optim.AdamW(reg.parameters(), lr=opt.lr, weight_decay=0.01)
    step = run.resume({"regression": reg}, optim)
    model = run.wrap(reg)
    batches = run.batches(ds, opt.batch, 1)
    lip_basis = _lip_basis(opt, run.device)
    last = {}
    for step in _progress(run, step, opt.steps, "regression baseline"):
        b = next(batches)
        model.train()
        _set_lr(optim, lr_at(step, opt.steps, opt.lr))
        feats2 = torch.cat([b["feats"], b["feats"]])
        cond = torch.cat([b["emotion"], b["emotion_x"]])
        style = torch.cat([b["style"], b["style"]])
        target = torch.cat([b["motion"], b["motion_x"]])
        mask = torch.cat([b["mask"], b["mask"]])
        pred = model(feats2, cond, style)
        mse = masked_mean((pred - target) ** 2, mask)
        last = {"mse": mse.item()}
        loss = mse
        if lip_basis is not None and cfg.loss.lip_gap > 0:     # same lip-gap term as stage 2
            gap = masked_mean(lip_gap_error(pred, target, lip_basis), mask)
            loss = loss + cfg.loss.lip_gap * gap
            last["lip_gap"] = gap.item()
        optim.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(reg.parameters(), 1.0)
        optim.step()
        if step % opt.log_every == 0 or step == opt.steps - 1:
            run.log(step, loss=loss.item(), lr=optim.param_groups[0]["lr"], **last)
        if (step + 1) % opt.save_every == 0 or step == opt.steps - 1:
            run.save(step + 1, {"regression": reg}, optim)
    run.close({"regression": reg})
    return last
