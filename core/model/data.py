"""Training data over the corpus format (manifest.jsonl + audio/phones/motion), for torch.

* :func:`prepare_features` runs the fixed front end once per item and caches ``[T, in_dim]``
  float16 arrays under ``<corpus>/features/<front end key>/<id>.npy`` (the phone front end
  recognises phones from the *audio* with PocketSphinx, exactly as at inference; ``oracle`` phones
  from the corpus are the base of the ``simulated`` training input, see ``phone_noise``).
* :class:`MotionWindows` yields random windows of ``window`` frames (a multiple of the VQ
  downsampling). Each sample carries TWO emotion variants of the same audio (two motion keys of
  the item): the primary ``(motion, emotion)`` and the exchanged ``(motion_x, emotion_x)``. This is
  EMOTE's content-emotion exchange, but with ground truth for both sides, because the corpus
  animates every utterance under every emotion.
* :func:`collate` pads to the longest window with a validity mask.
"""
from __future__ import annotations

import json
import os
import random
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from ..phones import frame_labels
from .conditioning import parse_emotion_key


class DataError(ValueError):
    """A corpus that cannot be used for training."""


def _corpus():
    from .. import corpus
    return corpus


def load_records(corpus_dir, split: str | None = None) -> list[dict]:
    recs = _corpus().load_manifest(corpus_dir, split)
    if not recs:
        raise DataError(f"{corpus_dir}: no records{' in split ' + split if split else ''}")
    return recs


def feature_path(corpus_dir, frontend, rec_id: str, phone_source: str = "recognized") -> Path:
    suffix = f"-{phone_source}" if phone_source in ("oracle", "transcript") else ""
    key = frontend.cache_key() + (suffix if frontend.kind == "phones" else "")
    return Path(corpus_dir) / "features" / key / f"{rec_id}.npy"


PHONE_SOURCES = ("recognized", "oracle", "simulated", "transcript")


def prepare_features(corpus_dir, frontend, records, phone_source: str = "recognized",
                     progress: bool = True) -> dict[str, np.ndarray]:
    """Front-end features per record id (computed once, cached on disk).

    ``simulated`` returns the oracle features; :class:`MotionWindows` then redraws their phone
    columns from corrupted corpus phones (``phone_noise``) every time a window is sampled.
    ``transcript`` force-aligns the record's text to its audio, as the product does when the user
    gives a transcript.
    """
    from tqdm import tqdm
    if phone_source not in PHONE_SOURCES:
        raise DataError(f"phone_source must be one of {PHONE_SOURCES}, got {phone_source!r}")
    if phone_source == "simulated":
        if frontend.kind != "phones":
            raise DataError("phone_source 'simulated' needs the phones front end")
        phone_source = "oracle"
    out = {}
    todo = [r for r in records if not feature_path(corpus_dir, frontend, r["id"], phone_source).is_file()]
    for rec in tqdm(todo, desc=f"features ({frontend.cache_key()})", disable=not progress or not todo):
        item = _corpus().load_item(corpus_dir, rec, with_audio=True, with_motion=False)
        n = int(round(rec["duration"] * rec["fps"]))
        kw = {"segments": item.segments} if phone_source == "oracle" else {}
        if phone_source == "transcript" and frontend.kind == "phones":
            from ..alignment import AlignmentError, align
            try:
                kw = {"segments": align(item.samples, rec["text"])}
            except AlignmentError as exc:        # as a user would: fall back to recognition
                import warnings
                warnings.warn(f"{rec['id']}: transcript not aligned ({exc}); recognised phones used")
        f = frontend.features(item.samples, n, **kw)
        path = feature_path(corpus_dir, frontend, rec["id"], phone_source)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npy")   # concurrent writers never share it
        np.save(tmp, f.astype(np.float16))
        tmp.replace(path)
    for rec in records:
        out[rec["id"]] = _load_cached(corpus_dir, frontend, rec["id"], phone_source)
    return out


def _load_cached(corpus_dir, frontend, rec_id, phone_source):
    f = np.load(feature_path(corpus_dir, frontend, rec_id, phone_source)).astype(np.float32)
    if f.shape[1] != frontend.in_dim:
        raise DataError(f"cached features for {rec_id} have width {f.shape[1]}, the front end "
                        f"gives {frontend.in_dim}; delete {Path(corpus_dir) / 'features'}")
    return f


def cached_features(corpus_dir, frontend, records, phone_source: str = "recognized") -> dict[str, np.ndarray]:
    """Only the features already cached (nothing is computed): e.g. recognised phones that exist
    for part of the training set, mixed into ``simulated`` training."""
    return {r["id"]: _load_cached(corpus_dir, frontend, r["id"], phone_source) for r in records
            if feature_path(corpus_dir, frontend, r["id"], phone_source).is_file()}


class MotionWindows(Dataset):
    """Random fixed-length windows with two emotion variants each (see module docstring)."""

    def __init__(self, corpus_dir, records, features: dict | None, cfg, window: int = 120,
                 seed: int = 0, style_dropout: float = 0.2, deterministic: bool = False,
                 phone_noise=None, recognized: dict | None = None, recognized_share: float = 0.0):
        """``phone_noise`` (a :class:`~.phone_noise.PhoneNoise`): ``features`` are oracle phone
        features whose phone columns are redrawn per sample from corrupted corpus phones; with
        probability ``recognized_share`` an item's ``recognized`` features are used instead."""
        self.root = Path(corpus_dir)
        self.phone_noise, self.recognized = phone_noise, recognized or {}
        self.recognized_share = recognized_share
        self.records = list(records)
        self.features = features
        self.cfg = cfg
        s = cfg.vq.downsample
        self.window = max(s, window // s * s)
        self.seed, self.style_dropout, self.deterministic = seed, style_dropout, deterministic
        self.epoch = 0
        self._phones = {}
        self._segs = {}
        self._keys = {}

    def __len__(self):
        return len(self.records)

    def set_epoch(self, epoch: int):
        self.epoch = epoch

    def _segments(self, rec):
        if rec["id"] not in self._segs:
            from ..corpus.dataset import load_phones
            self._segs[rec["id"]] = load_phones(self.root / rec["phones"])
        return self._segs[rec["id"]]

    def _labels(self, rec, n):
        if rec["id"] not in self._phones:
            self._phones[rec["id"]] = frame_labels(self._segments(rec), n, rec["fps"])
        return self._phones[rec["id"]]

    def _features(self, rec, rng):
        if self.phone_noise is None:
            return self.features[rec["id"]]
        rec_f = self.recognized.get(rec["id"])
        if rec_f is not None and rng.random() < self.recognized_share:
            return rec_f
        from .frontends.phones import phone_track
        f = self.features[rec["id"]]
        track = phone_track(self.phone_noise(self._segments(rec), rng), len(f), rec["fps"])
        return np.concatenate([track, f[:, track.shape[1]:]], axis=1)

    def __getitem__(self, i):
        rec = self.records[i]
        rng = random.Random(hash((self.seed, self.epoch, i)) if not self.deterministic else i)
        with np.load(self.root / rec["motion"]) as z:
            keys = sorted(z.files)
            if "neutral@0.00" not in keys:
                raise DataError(f"{rec['motion']} lacks the required 'neutral@0.00' key")
            k1 = rng.choice(keys) if not self.deterministic else "neutral@0.00"
            others = [k for k in keys if k != k1] or [k1]
            k2 = rng.choice(others)
            m1, m2 = z[k1].astype(np.float32), z[k2].astype(np.float32)
        n = len(m1)
        s = self.cfg.vq.downsample
        w = min(self.window, n // s * s) if n >= s else n
        start = 0 if self.deterministic else rng.randint(0, max(0, n - w))
        sl = slice(start, start + w)
        item = {"motion": torch.from_numpy(m1[sl]), "motion_x": torch.from_numpy(m2[sl]),
                "emotion": torch.from_numpy(parse_emotion_key(k1)),
                "emotion_x": torch.from_numpy(parse_emotion_key(k2)),
                "phones": torch.from_numpy(self._labels(rec, n)[sl].astype(np.int64)),
                "style": self.cfg.style_index(rec.get("voice")), "id": rec["id"]}
        if not self.deterministic and rng.random() < self.style_dropout:
            item["style"] = 0
        if self.features is not None:
            f = self._features(rec, rng)
            if len(f) < n:
                f = np.concatenate([f, np.repeat(f[-1:], n - len(f), 0)])
            item["feats"] = torch.from_numpy(f[sl])
        return item


def collate(batch, multiple: int = 1):
    """Pad to the longest window (a multiple of ``multiple``) by repeating the last frame."""
    t = max(len(b["motion"]) for b in batch)
    t = -(-t // multiple) * multiple
    out = {"mask": torch.zeros(len(batch), t, dtype=torch.bool)}
    for key in ("motion", "motion_x", "feats", "phones"):
        if key not in batch[0]:
            continue
        rows = []
        for b in batch:
            x = b[key]
            pad = t - len(x)
            rows.append(torch.cat([x, x[-1:].expand(pad, *x.shape[1:])]) if pad else x)
        out[key] = torch.stack(rows)
    for i, b in enumerate(batch):
        out["mask"][i, :len(b["motion"])] = True
    out["emotion"] = torch.stack([b["emotion"] for b in batch])
    out["emotion_x"] = torch.stack([b["emotion_x"] for b in batch])
    out["style"] = torch.tensor([b["style"] for b in batch], dtype=torch.long)
    out["ids"] = [b["id"] for b in batch]
    return out


def voices_of(records) -> list[str]:
    return sorted({r.get("voice", "") for r in records if r.get("split") == "train" and r.get("voice")})


def intensities_of(corpus_dir, records) -> list[float]:
    """The emotion intensities (besides 0) of the corpus's motion keys, from its first record."""
    with np.load(Path(corpus_dir) / records[0]["motion"]) as z:
        levels = {float(k.split("@")[1]) for k in z.files if "@" in k}
    return sorted(v for v in levels if v > 0) or [1.0]


def write_json(path, data):
    Path(path).write_text(json.dumps(data, indent=2) + "\n")


def motion_normalization(corpus_dir, records, max_items: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Per-shape mean and std of corpus motion (all emotion keys of up to ``max_items`` records)."""
    total = np.zeros(52)
    sq = np.zeros(52)
    n = 0
    for rec in records[:max_items]:
        with np.load(Path(corpus_dir) / rec["motion"]) as z:
            for k in z.files:
                m = z[k].astype(np.float64)
                total += m.sum(0)
                sq += (m ** 2).sum(0)
                n += len(m)
    if n == 0:
        raise DataError("no motion frames to normalise with")
    mean = total / n
    std = np.sqrt(np.maximum(sq / n - mean ** 2, 0.0))
    return mean.astype(np.float32), std.astype(np.float32)
