"""Build the speech-motion corpus: text -> TTS + phone timings -> augmented audio -> motion.

Every utterance gets motion for all eight emotions at several intensities of the *same* audio
(EMOTE's content-emotion pairs), written in the corpus format of ``core.corpus.dataset``.

Plan: sentences come from :mod:`core.corpus.text`; each sentence is assigned to train / val /
test by a seeded draw, and spoken ``takes_per_sentence`` times. Train and val sentences are read
by the training voices, test sentences only by the held-out voice (so test is unseen in both
sentence and voice). Items are added until the estimated speech reaches ``hours``; the plan is a
prefix of the plan for any larger target, so a build can be extended. Each item has its own seed,
so results do not depend on ``jobs`` or on resuming; finished items (``items/<id>.json``) are
skipped.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

from ..emotions import EMOTIONS
from ..phones import validate_segments
from . import augment
from .align import force_align
from .text import generate_sentences, words_of
from .voices import ALL_VOICES, TEST_VOICE, VoiceNotInstalled, available_voices, get_voice

SR = 16000
FPS = 30
INTENSITIES = (0.5, 1.0)
#: words per second of the synthetic voices plus pauses, used only to size the plan
_EST_SEC_PER_WORD, _EST_SEC_FIXED = 0.32, 0.73   # fitted on a 4618-item build


@dataclass
class BuildConfig:
    out: str = "data/corpus"
    hours: float = 5.0
    seed: int = 0
    jobs: int = 1
    voices: tuple[str, ...] | None = None      # None: every installed voice of ALL_VOICES
    test_voice: str = TEST_VOICE
    val_fraction: float = 0.05
    test_fraction: float = 0.08
    takes_per_sentence: int = 2
    intensities: tuple[float, ...] = INTENSITIES
    augment_strength: float = 1.0
    motion_fn: object = None                   # None: core.choreography.animate
    max_items: int | None = None
    progress: bool = True
    extra: dict = field(default_factory=dict)


def default_motion_fn():
    try:
        from ..choreography import animate
    except ImportError as e:
        raise RuntimeError(f"core.choreography.animate is not available ({e}); the corpus needs "
                           f"it to make the motion targets") from e
    return animate


def motion_keys(intensities=INTENSITIES) -> list[tuple[str, float]]:
    keys = [("neutral", 0.0)]
    keys += [(e, float(i)) for e in EMOTIONS for i in intensities]
    return keys


def motion_key(emotion: str, intensity: float) -> str:
    return f"{emotion}@{intensity:.2f}"


def _item_seed(seed: int, index: int) -> int:
    h = hashlib.sha256(f"parley-corpus-{seed}-{index}".encode()).digest()
    return int.from_bytes(h[:4], "little")


def resolve_voices(cfg: BuildConfig) -> tuple[list[str], str]:
    """(training voices, test voice); requested voices must be installed."""
    if cfg.voices:
        for name in list(cfg.voices) + [cfg.test_voice]:
            get_voice(name).check()           # raises VoiceNotInstalled / ValueError
        names = list(dict.fromkeys(cfg.voices))
    else:
        names = available_voices(ALL_VOICES)
        get_voice(cfg.test_voice).check()
    train = [v for v in names if v != cfg.test_voice]
    if not train:
        raise ValueError(f"no training voice left after holding out {cfg.test_voice}; "
                         f"give at least one other voice")
    return train, cfg.test_voice


def plan(cfg: BuildConfig, train_voices, test_voice) -> list[dict]:
    """Deterministic list of items (id, text, voice, split, seed) reaching ``cfg.hours``."""
    if cfg.hours <= 0 and not cfg.max_items:
        raise ValueError(f"hours must be > 0, got {cfg.hours}")
    target = cfg.hours * 3600.0
    items: list[dict] = []
    total, batch, start = 0.0, 512, 0
    while True:
        sentences = generate_sentences(start + batch, cfg.seed)[start:]
        for k, text in enumerate(sentences):
            s_idx = start + k
            r = np.random.default_rng([cfg.seed, s_idx, 7])
            u = r.random()
            split = ("test" if u < cfg.test_fraction else
                     "val" if u < cfg.test_fraction + cfg.val_fraction else "train")
            if split == "test":
                voices = [test_voice] * cfg.takes_per_sentence
            else:
                voices = list(r.choice(train_voices, size=cfg.takes_per_sentence,
                                       replace=len(train_voices) < cfg.takes_per_sentence))
            for take, voice in enumerate(voices):
                index = len(items)
                vslug = "".join(c if c.isalnum() else "-" for c in voice)
                items.append({"index": index, "id": f"{index:06d}-{vslug}", "text": text,
                              "sentence": s_idx, "take": take, "voice": str(voice),
                              "split": split, "seed": _item_seed(cfg.seed, index)})
                total += _EST_SEC_PER_WORD * len(words_of(text)) + _EST_SEC_FIXED
                if (cfg.max_items and len(items) >= cfg.max_items) or \
                        (not cfg.max_items and total >= target):
                    return items
        start += batch


def _to_16k(x: np.ndarray, sr: int) -> np.ndarray:
    if sr == SR:
        return x.astype(np.float32)
    g = math.gcd(sr, SR)
    return resample_poly(x, SR // g, sr // g).astype(np.float32)


def rounded_segments(segs, digits: int = 5) -> list[list]:
    """``[[phone, start, end], ...]`` rounded for JSON; slivers that round to zero length are
    dropped (their neighbour already touches the same instant)."""
    out = []
    for s in segs:
        a, b = round(s.start, digits), round(s.end, digits)
        if b > a:
            out.append([s.phone, a, b])
    return out


def _atomic_write(path: Path, write):
    tmp = path.with_name(path.name + ".part")
    write(tmp)
    os.replace(tmp, path)


def build_item(item: dict, out: str, intensities, augment_strength: float, motion_fn) -> dict:
    """Synthesize, time, augment, animate and write one utterance; returns its manifest record."""
    out_dir = Path(out)
    rng = np.random.default_rng(item["seed"])
    voice = get_voice(item["voice"])
    raw, sr, segs = voice.synthesize(item["text"])
    x = _to_16k(raw, sr)
    if segs is None:
        segs = force_align(x, item["text"])
        source = "alignment"
    else:
        source = voice.timing_source
    segs = augment.fill_silence(validate_segments(segs), len(x) / SR)
    params = augment.sample_params(rng, augment_strength)
    y, segs, clean = augment.apply(x, segs, params, rng)
    segs = validate_segments(segs)
    duration = len(y) / SR
    frames = int(round(duration * FPS))
    from ..loudness import loudness_envelope
    loud = loudness_envelope(clean, SR, FPS, num_frames=frames)
    motion = make_motion(segs, duration, loud, item["seed"], intensities, motion_fn, item["id"])
    iid = item["id"]
    rel = {"audio": f"audio/{iid}.wav", "phones": f"phones/{iid}.json",
           "motion": f"motion/{iid}.npz"}
    _atomic_write(out_dir / rel["audio"],
                  lambda p: sf.write(p, y, SR, subtype="PCM_16", format="WAV"))
    _atomic_write(out_dir / rel["phones"], lambda p: p.write_text(json.dumps(
        {"segments": rounded_segments(segs),
         "source": source,
         # the talker's loudness (dB/frame, before background noise): lets motion be remade
         "loudness_db": [round(float(v), 2) for v in loud]})))

    def _npz(p):
        with open(p, "wb") as f:
            np.savez_compressed(f, **motion)
    _atomic_write(out_dir / rel["motion"], _npz)
    record = {"id": iid, "text": item["text"], "voice": item["voice"], "split": item["split"],
              **rel, "duration": round(duration, 5), "fps": FPS,
              "augment": {**params, "timing_source": source, "seed": item["seed"]},
              "sentence": item["sentence"], "take": item["take"],
              "emotions": sorted(motion)}
    _atomic_write(out_dir / "items" / f"{iid}.json",
                  lambda p: p.write_text(json.dumps(record, sort_keys=True)))
    return record


def make_motion(segs, duration, loud, seed, intensities, motion_fn, iid="") -> dict:
    """Motion for every emotion key of the same audio (content-emotion pairs)."""
    frames = int(round(duration * FPS))
    motion = {}
    for emotion, intensity in motion_keys(intensities):
        m = np.asarray(motion_fn(segs, duration, fps=FPS, emotion=emotion, intensity=intensity,
                                 loudness=loud, seed=seed), dtype=np.float32)
        if m.shape != (frames, 52):
            raise RuntimeError(f"motion function returned shape {m.shape} for {iid}, "
                               f"expected ({frames}, 52)")
        motion[motion_key(emotion, intensity)] = np.clip(m, 0.0, 1.0)
    return motion


def remake_motion(out, intensities=INTENSITIES, motion_fn=None, progress: bool = True) -> int:
    """Recompute every item's motion from its stored phones and loudness (after the
    choreography changed), without re-synthesising audio. Returns the item count."""
    from .dataset import load_manifest, load_phones
    fn = motion_fn or default_motion_fn()
    out = Path(out)
    recs = load_manifest(out)
    for n, r in enumerate(recs, 1):
        data = json.loads((out / r["phones"]).read_text())
        if "loudness_db" not in data:
            raise ValueError(f"{r['phones']} has no loudness_db; rebuild this corpus")
        segs = load_phones(out / r["phones"])
        motion = make_motion(segs, r["duration"], np.asarray(data["loudness_db"], np.float32),
                             r["augment"]["seed"], intensities, fn, r["id"])

        def _npz(p, motion=motion):
            with open(p, "wb") as f:
                np.savez_compressed(f, **motion)
        _atomic_write(out / r["motion"], _npz)
        if progress and n % 200 == 0:
            print(f"corpus: motion remade for {n}/{len(recs)} items", file=sys.stderr, flush=True)
    return len(recs)


def _worker_init():
    """Workers die on SIGTERM (the parent's handler is for the parent: it indexes the corpus)."""
    import signal
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _worker(args):
    item, out, intensities, strength, motion_fn = args
    t = time.time()
    if motion_fn is None:
        motion_fn = default_motion_fn()
    try:
        rec = build_item(item, out, intensities, strength, motion_fn)
        return rec, time.time() - t, None
    except Exception as e:  # reported with the item id, the build continues
        return None, time.time() - t, f"{item['id']} ({item['voice']}): {type(e).__name__}: {e}"


def _dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def build(cfg: BuildConfig) -> dict:
    """Run (or resume) a build; writes manifest.jsonl and stats.json, returns the stats."""
    out = Path(cfg.out)
    train_voices, test_voice = resolve_voices(cfg)
    if cfg.motion_fn is None:
        default_motion_fn()                    # fail fast with a clear message
    items = plan(cfg, train_voices, test_voice)
    for sub in ("audio", "phones", "motion", "items"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    records: dict[int, dict] = {}
    todo = []
    for it in items:
        p = out / "items" / f"{it['id']}.json"
        if p.is_file():
            records[it["index"]] = json.loads(p.read_text())
        else:
            todo.append(it)
    t0 = time.time()
    errors: list[str] = []
    work = [(it, str(out), tuple(cfg.intensities), cfg.augment_strength, cfg.motion_fn)
            for it in todo]
    if cfg.progress:
        print(f"corpus: {len(items)} items planned ({len(records)} already done), "
              f"{len(train_voices)} training voices + test voice {test_voice}, jobs={cfg.jobs}",
              file=sys.stderr, flush=True)
    if cfg.jobs > 1 and len(work) > 1:
        import multiprocessing as mp
        pool = mp.get_context("fork").Pool(cfg.jobs, initializer=_worker_init)
        results = pool.imap(_worker, work, chunksize=1)
    else:
        pool = None
        results = map(_worker, work)
    done_sec = 0.0
    prev_total = 0.0
    if (out / "stats.json").is_file():
        prev_total = json.loads((out / "stats.json").read_text()).get(
            "generation_seconds_total", 0.0)
    meta = {"seed": cfg.seed, "target_hours": cfg.hours, "planned_items": len(items),
            "train_voices": train_voices, "test_voice": test_voice,
            "intensities": list(cfg.intensities), "jobs": cfg.jobs, "cpu_count": os.cpu_count()}

    def checkpoint(complete: bool) -> dict:
        el = time.time() - t0
        return write_index(out, records, {
            **meta, "failed_items": errors, "complete": complete,
            "generation_seconds_this_run": round(el, 1),
            "generation_seconds_total": round(prev_total + el, 1)})

    complete = False
    try:
        for n, (rec, _dt, err) in enumerate(results, 1):
            if err:
                errors.append(err)
                print(f"corpus: FAILED {err}", file=sys.stderr, flush=True)
            else:
                records[todo[n - 1]["index"]] = rec
                done_sec += rec["duration"]
            if cfg.progress and (n % 20 == 0 or n == len(work)):
                el = time.time() - t0
                print(f"corpus: {n}/{len(work)} items, {done_sec / 3600:.3f} h audio in "
                      f"{el / 60:.1f} min ({done_sec / max(el, 1e-9):.2f} s audio per s)",
                      file=sys.stderr, flush=True)
            if n % 250 == 0:               # a usable partial corpus while the build goes on
                checkpoint(False)
        complete = len(records) == len(items)
    finally:
        if pool is not None:
            if complete:
                pool.close()
            else:
                pool.terminate()
            pool.join()
        stats = checkpoint(complete)       # also on Ctrl-C / SIGTERM: index what is done
    if cfg.progress:
        print(f"corpus: {stats['hours_total']:.3f} h in {stats['items']} items, "
              f"{stats['size_bytes'] / 1e6:.1f} MB, "
              f"{stats['generation_seconds_this_run'] / 60:.1f} min this run, "
              f"{len(errors)} failed", file=sys.stderr, flush=True)
    return stats


def write_index(out: Path, records: dict, extra: dict) -> dict:
    """manifest.jsonl (plan order) and stats.json for the finished items."""
    ordered = [records[i] for i in sorted(records)]
    with open(out / "manifest.jsonl.part", "w") as f:
        for rec in ordered:
            f.write(json.dumps(rec, sort_keys=True) + "\n")
    os.replace(out / "manifest.jsonl.part", out / "manifest.jsonl")
    stats = corpus_stats(ordered)
    stats.update(extra)
    stats["size_bytes"] = _dir_size(out)
    (out / "stats.json.part").write_text(json.dumps(stats, indent=1, sort_keys=True))
    os.replace(out / "stats.json.part", out / "stats.json")
    return stats


def corpus_stats(records: list[dict]) -> dict:
    """Hours per split / voice / emotion key, item counts."""
    def hours(key):
        d: dict[str, float] = {}
        for r in records:
            d[r[key]] = d.get(r[key], 0.0) + r["duration"] / 3600
        return {k: round(v, 4) for k, v in sorted(d.items())}
    per_emotion: dict[str, float] = {}
    for r in records:
        for k in r.get("emotions", []):
            per_emotion[k] = per_emotion.get(k, 0.0) + r["duration"] / 3600
    return {"items": len(records),
            "hours_total": round(sum(r["duration"] for r in records) / 3600, 4),
            "hours_per_split": hours("split"), "hours_per_voice": hours("voice"),
            "motion_hours_per_emotion_key": {k: round(v, 4) for k, v in sorted(per_emotion.items())},
            "sentences_per_split": {s: len({r["sentence"] for r in records if r["split"] == s})
                                    for s in ("train", "val", "test")},
            "timing_sources": sorted({r["augment"]["timing_source"] for r in records})}
