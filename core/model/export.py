"""Writers for generated takes: JSON / CSV / NPZ weight curves and a PNG overview plot.

All formats carry the ARKit column names and the frame rate so a take can be re-imported
without guessing. The plot shows the waveform, the phone track (when known) and the key curves
(jawOpen, mouthClose, mouthFunnel, mouthPucker, smiles, brows) against time.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from ..arkit import ARKIT_NAMES, INDEX

KEY_CURVES = ("jawOpen", "mouthClose", "mouthFunnel", "mouthPucker", "mouthSmileLeft",
              "mouthPressLeft", "browInnerUp", "browDownLeft")
FORMATS = ("json", "csv", "npz")


def _check(weights, fps):
    w = np.asarray(weights, dtype=np.float32)
    if w.ndim != 2 or w.shape[1] != len(ARKIT_NAMES):
        raise ValueError(f"weights must be [frames, {len(ARKIT_NAMES)}], got {w.shape}")
    if not fps > 0:
        raise ValueError(f"fps must be positive, got {fps}")
    return w


def write_curves(path, weights, fps: float, meta: dict | None = None) -> Path:
    """Write ``weights [T, 52]`` as .json, .csv or .npz (chosen by the file suffix)."""
    path = Path(path)
    w = _check(weights, fps)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(f"unsupported output format {path.suffix!r}; use one of "
                         f"{', '.join('.' + f for f in FORMATS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = dict(meta or {})
    if fmt == "json":
        data = {"fps": fps, "frames": len(w), "names": list(ARKIT_NAMES), "meta": meta,
                "weights": np.round(w, 5).tolist()}
        path.write_text(json.dumps(data))
    elif fmt == "csv":
        with open(path, "w", newline="") as f:
            wr = csv.writer(f)
            wr.writerow(["frame", "time_s"] + list(ARKIT_NAMES))
            for i, row in enumerate(w):
                wr.writerow([i, f"{i / fps:.6f}"] + [f"{v:.5f}" for v in row])
    else:
        np.savez_compressed(path, weights=w, fps=np.float32(fps), names=np.array(ARKIT_NAMES),
                            meta=json.dumps(meta))
    return path


def read_curves(path) -> tuple[np.ndarray, float]:
    """Inverse of :func:`write_curves` -> ``(weights [T, 52], fps)``."""
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt == "json":
        d = json.loads(path.read_text())
        return np.asarray(d["weights"], np.float32), float(d["fps"])
    if fmt == "csv":
        rows = list(csv.reader(open(path)))
        w = np.asarray([[float(v) for v in r[2:]] for r in rows[1:]], np.float32)
        times = np.asarray([float(r[1]) for r in rows[1:]])
        fps = round(float((len(times) - 1) / times[-1]), 3) if len(times) > 1 and times[-1] > 0 else 30.0
        return w, fps
    if fmt == "npz":
        with np.load(path) as z:
            return z["weights"].astype(np.float32), float(z["fps"])
    raise ValueError(f"unsupported curve file {path}")


def plot_take(path, samples16k, weights, fps: float, segments=None, title: str = "") -> Path:
    """PNG with waveform, phones and key ARKit curves."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    w = _check(weights, fps)
    x = np.asarray(samples16k, np.float32)
    dur = max(len(x) / 16000, len(w) / fps)
    fig, axes = plt.subplots(3, 1, figsize=(12, 6.5), sharex=True,
                             gridspec_kw={"height_ratios": [1.0, 0.45, 2.2]})
    t = np.arange(len(x)) / 16000
    step = max(1, len(x) // 20000)
    axes[0].plot(t[::step], x[::step], lw=0.5, color="0.3")
    axes[0].set_ylabel("audio")
    axes[1].set_yticks([])
    axes[1].set_ylabel("phones")
    for seg in segments or []:
        p, a, b = (seg.phone, seg.start, seg.end) if hasattr(seg, "phone") else seg
        if p == "SIL":
            continue
        axes[1].axvspan(a, b, color="C0" if p[0] in "AEIOU" else "C1", alpha=0.25)
        if b - a > dur / 250:
            axes[1].text((a + b) / 2, 0.5, p, ha="center", va="center", fontsize=6)
    tf = (np.arange(len(w)) + 0.5) / fps
    for n in KEY_CURVES:
        axes[2].plot(tf, w[:, INDEX[n]], lw=1.1, label=n)
    axes[2].set_ylim(-0.02, 1.02)
    axes[2].set_ylabel("weight")
    axes[2].set_xlabel("time (s)")
    axes[2].legend(ncol=4, fontsize=7, loc="upper right")
    axes[2].set_xlim(0, dur)
    if title:                       # long engine labels (e.g. a hold reason) wrap, not overflow
        import textwrap
        axes[0].set_title("\n".join(textwrap.wrap(title, 110)), fontsize=9 if len(title) > 110 else None)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
