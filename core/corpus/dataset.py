"""Read a built corpus (manifest.jsonl + audio/phones/motion files); the model builds on this."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..phones import PhoneSegment, validate_segments

SPLITS = ("train", "val", "test")


class CorpusError(ValueError):
    """A corpus folder or item that does not follow the format."""


@dataclass
class CorpusItem:
    record: dict
    samples: np.ndarray          # float32 mono 16 kHz
    sample_rate: int
    segments: list[PhoneSegment]
    motion: dict[str, np.ndarray]  # "<emotion>@<intensity>" -> float32 [T, 52]

    @property
    def id(self) -> str:
        return self.record["id"]

    @property
    def num_frames(self) -> int:
        return int(round(self.record["duration"] * self.record["fps"]))

    def phone_labels(self) -> np.ndarray:
        """Phone index (``core.phones.PHONES``) per motion frame: lip-reading targets."""
        from ..phones import frame_labels
        return frame_labels(self.segments, self.num_frames, self.record["fps"])


def load_manifest(corpus_dir, split: str | None = None) -> list[dict]:
    """Manifest records, optionally only one split ("train", "val" or "test")."""
    path = Path(corpus_dir) / "manifest.jsonl"
    if split is not None and split not in SPLITS:
        raise CorpusError(f"unknown split {split!r}; use one of {', '.join(SPLITS)}")
    if not path.is_file():
        raise CorpusError(f"no manifest at {path}; build one with "
                          f"'python -m core corpus build --out {corpus_dir}'")
    out = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise CorpusError(f"{path}:{n}: not JSON ({e})") from e
            missing = {"id", "text", "voice", "split", "audio", "phones", "motion", "duration",
                       "fps"} - set(rec)
            if missing:
                raise CorpusError(f"{path}:{n}: record lacks {', '.join(sorted(missing))}")
            if split is None or rec["split"] == split:
                out.append(rec)
    return out


def iter_items(corpus_dir, split: str | None = None, **kw):
    """Yield :class:`CorpusItem` for every record of ``split`` (manifest order)."""
    for rec in load_manifest(corpus_dir, split):
        yield load_item(corpus_dir, rec, **kw)


def parse_key(key: str) -> tuple[str, float]:
    """``"happy@1.00"`` -> ``("happy", 1.0)``."""
    emotion, _, intensity = key.partition("@")
    if not intensity:
        raise CorpusError(f"motion key {key!r} is not '<emotion>@<intensity>'")
    return emotion, float(intensity)


def load_motion(path) -> dict[str, np.ndarray]:
    with np.load(path) as z:
        return {k: z[k].astype(np.float32) for k in z.files}


def load_phones(path) -> list[PhoneSegment]:
    data = json.loads(Path(path).read_text())
    return validate_segments(data["segments"])


def load_item(corpus_dir, record: dict, with_audio: bool = True,
              with_motion: bool = True) -> CorpusItem:
    """Load one manifest record's files (checked against the format)."""
    import soundfile as sf
    root = Path(corpus_dir)
    samples, sr = np.zeros(0, np.float32), 16000
    if with_audio:
        samples, sr = sf.read(root / record["audio"], dtype="float32")
        if sr != 16000 or samples.ndim != 1:
            raise CorpusError(f"{record['audio']}: expected 16 kHz mono, got {sr} Hz, "
                              f"shape {samples.shape}")
    segments = load_phones(root / record["phones"])
    motion = load_motion(root / record["motion"]) if with_motion else {}
    frames = int(round(record["duration"] * record["fps"]))
    for k, m in motion.items():
        if m.shape != (frames, 52):
            raise CorpusError(f"{record['motion']}[{k}] has shape {m.shape}, expected "
                              f"({frames}, 52)")
    return CorpusItem(record, samples, sr, segments, motion)
