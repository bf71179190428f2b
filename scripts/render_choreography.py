"""Render the phoneme choreography of one sentence: curve plot and (when the rig exists) a frame strip.

Phone timings come from a real TTS rendering of the sentence (festival's segment timings), and
the loudness envelope from that same audio, so the picture shows exactly what ``animate``
produces for speech. Usage (from the repository root):

    .venv/bin/python scripts/render_choreography.py                       # docs/choreography_*.png
    .venv/bin/python scripts/render_choreography.py --text "Peter picked a plum." --out /tmp/x
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.arkit import INDEX  # noqa: E402
from core.choreography import animate, articulation_curves, seal_intervals  # noqa: E402
from core.phones import BILABIALS, SILENCE, validate_segments  # noqa: E402

DEFAULT_TEXT = "Bob bought a map of the moon, and Mom made pie for everyone."


def festival_segments(text: str, workdir: Path):
    """(segments, wav path) of festival's default voice speaking ``text``."""
    if shutil.which("festival") is None:
        raise SystemExit("festival is not installed (apt-get install festival festvox-kallpc16k)")
    esc = text.replace("\\", " ").replace('"', " ")
    scm = workdir / "segs.scm"
    seg_file, wav = workdir / "segs.txt", workdir / "speech.wav"
    scm.write_text(f'(set! utt (Utterance Text "{esc}"))\n(utt.synth utt)\n'
                   f'(utt.save.segs utt "{seg_file}")\n(utt.save.wave utt "{wav}")\n')
    subprocess.run(["festival", "-b", str(scm)], check=True, capture_output=True, timeout=120)
    segs, start = [], 0.0
    for line in seg_file.read_text().splitlines():
        parts = line.split()
        if len(parts) != 3 or parts[0] == "#":
            continue
        end = float(parts[0])
        if end > start:
            segs.append((parts[2], start, end))
        start = end
    return validate_segments(segs), wav


def loudness_of(wav: Path, num_frames: int, fps: float) -> np.ndarray:
    import soundfile as sf
    from core.loudness import loudness_envelope
    x, sr = sf.read(str(wav), dtype="float32")
    if x.ndim > 1:
        x = x.mean(axis=1)
    return loudness_envelope(x, sr, fps, num_frames=num_frames)


def plot_curves(segs, takes: dict, params: dict, fps: float, out: Path, text: str) -> None:
    """Curve plot: mouth channels of every emotion, phone labels, seal spans shaded."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [("jaw aperture", ["jawOpen"]), ("lip opening\n(jawOpen-mouthClose)", ["lipOpening"]),
            ("rounding", ["mouthPucker", "mouthFunnel"]), ("F/V tuck", ["mouthRollLower"]),
            ("smile / stretch", ["mouthSmileLeft", "mouthStretchLeft"]),
            ("frown", ["mouthFrownLeft"]),
            ("brows", ["browInnerUp", "browDownLeft"]), ("blink", ["eyeBlinkLeft"])]
    colors = {"neutral": "0.2", "happy": "tab:orange", "sad": "tab:blue", "surprised": "tab:green",
              "angry": "tab:red", "fearful": "tab:purple", "disgusted": "tab:olive",
              "contempt": "tab:brown"}
    styles = ["-", "--", ":"]
    fig, axes = plt.subplots(len(rows), 1, figsize=(13, 1.35 * len(rows) + 0.8), sharex=True)
    T = next(iter(takes.values())).shape[0]
    t = (np.arange(T) + 0.5) / fps
    for ax, (label, names) in zip(axes, rows):
        for _, a, b in seal_intervals(segs):
            ax.axvspan(a, b, color="tab:red", alpha=0.12, lw=0)
        for emo, w in takes.items():
            for k, n in enumerate(names):
                y = (w[:, INDEX["jawOpen"]] - w[:, INDEX["mouthClose"]] if n == "lipOpening"
                     else w[:, INDEX[n]])
                ax.plot(t, y, styles[k % 3], color=colors.get(emo, "k"), lw=1.2,
                        label=f"{emo} {n}" if label == rows[0][0] or len(names) > 1 else None)
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8)
        ax.set_ylim(-0.03, 1.0)
        ax.grid(alpha=0.3)
        if len(names) > 1:
            ax.legend(fontsize=6, ncol=6, loc="upper right")
    axes[0].legend(fontsize=7, ncol=len(takes), loc="upper right")
    for s in segs:
        if s.phone != SILENCE:
            axes[-1].text(0.5 * (s.start + s.end), -0.55, s.phone, ha="center", fontsize=7,
                          color="tab:red" if s.phone in BILABIALS else "k")
        for ax in axes:
            ax.axvline(s.start, color="0.85", lw=0.5, zorder=0)
    axes[-1].set_xlabel("time (s)     (red bands: bilabial seal intervals; phones from festival)")
    fig.suptitle(f'core.choreography.animate  "{text}"  ({fps:g} fps)', fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    plt.close(fig)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--text", default=DEFAULT_TEXT)
    ap.add_argument("--emotions", nargs="+", default=["neutral", "happy", "sad"])
    ap.add_argument("--intensity", type=float, default=1.0)
    ap.add_argument("--fps", type=float, default=30.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=ROOT / "docs")
    ap.add_argument("--no-strip", action="store_true", help="only the curve plot")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as td:
        segs, wav = festival_segments(args.text, Path(td))
        duration = segs[-1].end
        T = int(round(duration * args.fps))
        loud = loudness_of(wav, T, args.fps)
    takes = {e: animate(segs, duration, args.fps, emotion=e, intensity=args.intensity,
                        loudness=loud, seed=args.seed) for e in args.emotions}
    params = {e: articulation_curves(segs, duration, args.fps, emotion=e,
                                     intensity=args.intensity, loudness=loud)
              for e in args.emotions}
    curves = args.out / "choreography_curves.png"
    plot_curves(segs, takes, params, args.fps, curves, args.text)
    print(f"wrote {curves}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
