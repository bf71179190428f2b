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


def _rig_and_view(head: Path, size: int):
    from core import preview
    from core.rig import FlameRig, region
    rig = FlameRig.from_ply(head)
    crop = np.r_[region("face"), region("left_eyeball"), region("right_eyeball")]
    view = preview.fit_view(rig.neutral, yaw_deg=12.0, region=crop, margin=1.04)
    return rig, view


def key_instants(segs, fps: float, limit: int = 13, spacing: float = 0.14):
    """(frame, label) of visually telling moments, at least ``spacing`` s apart: bilabial seals
    (the frame right before the burst; mid-M), rounding, F/V, open and spread vowels, rest."""
    from core.choreography import sample_times
    from core.phones import LABIODENTALS
    classes = [(BILABIALS, 3, 5), (frozenset({"UW", "W", "OW"}), 3, 3), (LABIODENTALS, 3, 2),
               (frozenset({"AA", "AE", "AO", "AY"}), 2, 3), (frozenset({"IY", "EY"}), 2, 2),
               (frozenset({"AH", "EH"}), 1, 2)]  # (phones, priority, at most)
    cands = []
    for s in segs:
        for k, (members, prio, _) in enumerate(classes):
            if s.phone in members:
                t = s.end - 0.012 if s.phone in ("P", "B") else 0.5 * (s.start + s.end)
                cands.append((-prio, t, s.phone, k))
    chosen: list[tuple[float, str]] = []
    used = [0] * len(classes)
    for _, t, ph, k in sorted(cands):
        if (len(chosen) < limit and used[k] < classes[k][2]
                and all(abs(t - c) >= spacing for c, _ in chosen)):
            chosen.append((t, ph))
            used[k] += 1
    T = int(round(segs[-1].end * fps))
    times = sample_times(T, fps)
    out = [(0, "rest")]
    for t, ph in sorted(chosen):
        k = int(np.clip(np.searchsorted(times, t, side="right") - 1, 0, T - 1))
        out.append((k, ph))
    return out


def render_strip(segs, takes: dict, fps: float, head: Path, out: Path, text: str,
                 size: int = 170) -> None:
    """One row per emotion, one column per key instant, rendered on the rigged FLAME head."""
    from core import preview
    rig, view = _rig_and_view(head, size)
    keys = key_instants(segs, fps)
    imgs, labels = [], []
    for emo, w in takes.items():
        verts = rig.apply(w[[k for k, _ in keys]])
        for (k, ph), v in zip(keys, verts):
            imgs.append(preview.render(v, rig.faces, size, view))
            labels.append(f"{emo[:3]} {ph} {(k + 0.5) / fps:.2f}s")
    sheet = preview.contact_sheet(
        imgs, labels, cols=len(keys),
        title=f'"{text}" - core.choreography.animate on a rigged FLAME head (rows: '
              f'{", ".join(takes)}; festival timings; FLAME: Li et al. 2017, CC BY 4.0)')
    preview.save_png(out, sheet)


def render_clip(takes: dict, fps: float, head: Path, wav: Path, out: Path, size: int = 200) -> None:
    """Side-by-side video of the emotions with the speech audio (needs ffmpeg)."""
    from core import preview
    if shutil.which("ffmpeg") is None:
        raise SystemExit("ffmpeg is not installed; use --no-clip")
    rig, view = _rig_and_view(head, size)
    names = list(takes)
    T = next(iter(takes.values())).shape[0]
    verts = {e: rig.apply(w) for e, w in takes.items()}
    frames = []
    for k in range(T):
        row = [preview.label_image(preview.render(verts[e][k], rig.faces, size, view), e)
               for e in names]
        frames.append(np.concatenate(row, axis=1))
    h, w = frames[0].shape[:2]
    h2, w2 = h + h % 2, w + w % 2
    cmd = ["ffmpeg", "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
           "-s", f"{w2}x{h2}", "-r", f"{fps:g}", "-i", "-", "-i", str(wav),
           "-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "26", "-c:a", "aac", "-b:a", "64k",
           "-shortest", str(out)]
    data = b"".join(np.pad(f, ((0, h2 - h), (0, w2 - w), (0, 0)), constant_values=255).tobytes()
                    for f in frames)
    subprocess.run(cmd, input=data, check=True, timeout=300)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--text", default=DEFAULT_TEXT)
    ap.add_argument("--emotions", nargs="+", default=["neutral", "happy", "sad"])
    ap.add_argument("--intensity", type=float, default=1.0)
    ap.add_argument("--fps", type=float, default=30.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=ROOT / "docs")
    ap.add_argument("--head", type=Path, default=ROOT.parent / "shared" / "flame" / "FLAME_sample.ply",
                    help="FLAME-topology head for the strip/clip (read, never copied)")
    ap.add_argument("--no-strip", action="store_true", help="skip the rendered frame strip")
    ap.add_argument("--clip", action="store_true", help="also write choreography_clip.mp4")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    td = tempfile.TemporaryDirectory()
    segs, wav = festival_segments(args.text, Path(td.name))
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
    if not args.no_strip or args.clip:
        if not args.head.is_file():
            print(f"no head mesh at {args.head}: skipping the rendered strip/clip (use --head)")
            return 0
    if not args.no_strip:
        strip = args.out / "choreography_strip.png"
        render_strip(segs, takes, args.fps, args.head, strip, args.text)
        print(f"wrote {strip}")
    if args.clip:
        clip = args.out / "choreography_clip.mp4"
        render_clip(takes, args.fps, args.head, wav, clip)
        print(f"wrote {clip}")
    td.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
