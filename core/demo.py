"""``python -m core demo``: Parley's main job on the built-in default input.

For now it analyses the bundled demo sentence (assets/demo/demo_en.flac): prints the audio summary
and writes ``out/demo/demo_audio.png`` (waveform, per-frame loudness envelope with the speech/silence
thresholds, and the speech mask). The lead extends this to run the model on the same clip.
"""
from __future__ import annotations

from pathlib import Path

DEMO_CLIP = Path(__file__).resolve().parents[1] / "assets" / "demo" / "demo_en.flac"
FPS = 30.0


def demo_clip_path() -> Path:
    """The bundled demo clip; a clear error if the install lacks it."""
    if not DEMO_CLIP.is_file():
        raise FileNotFoundError(f"bundled demo clip missing at {DEMO_CLIP}; regenerate it with "
                                f"`python scripts/make_demo_clip.py` or pass --audio PATH")
    return DEMO_CLIP


def plot_audio_analysis(clip, png_path: Path, fps: float = FPS, title: str | None = None) -> Path:
    """Waveform + envelope + speech mask of an ``AudioClip`` as a PNG (matplotlib, Agg)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from .loudness import activity_thresholds, mask_to_intervals

    env = clip.envelope(fps)
    on, off = activity_thresholds(env)
    mask = clip.active_mask(fps)
    t_audio = np.arange(clip.samples.size) / clip.sample_rate
    t_frames = (np.arange(env.size) + 0.5) / fps
    speech = mask_to_intervals(mask, fps)

    fig, axes = plt.subplots(3, 1, figsize=(10, 6.2), sharex=True,
                             gridspec_kw={"height_ratios": [3, 3, 1]})
    ax = axes[0]
    for a, b in speech:
        ax.axvspan(a, b, color="tab:green", alpha=0.12, lw=0)
    ax.plot(t_audio, clip.samples, lw=0.4, color="tab:blue")
    ax.set_ylabel("amplitude")
    ax.set_ylim(-1, 1)
    ax.set_title(title or f"{Path(clip.source_path or 'audio').name}: {clip.duration:.2f} s, "
                 f"peak {clip.peak_dbfs:.1f} dBFS, {clip.integrated_lufs:.1f} LUFS, "
                 f"{100 * clip.active_ratio:.0f}% speech", fontsize=10)
    ax = axes[1]
    for a, b in speech:
        ax.axvspan(a, b, color="tab:green", alpha=0.12, lw=0)
    ax.step(t_frames, env, where="mid", color="tab:orange", lw=1.2, label=f"RMS per frame ({fps:g} fps)")
    ax.axhline(on, color="tab:red", lw=0.8, ls="--", label=f"speech on {on:.0f} dB")
    ax.axhline(off, color="tab:purple", lw=0.8, ls="--", label=f"speech off {off:.0f} dB")
    ax.set_ylabel("dBFS")
    ax.set_ylim(max(-100.0, float(np.min(env)) - 5), 20)
    ax.legend(loc="upper right", fontsize=7, ncol=3, framealpha=0.9)
    ax = axes[2]
    ax.step(t_frames, mask.astype(int), where="mid", color="tab:green")
    ax.fill_between(t_frames, mask.astype(int), step="mid", color="tab:green", alpha=0.3)
    ax.set_yticks([0, 1], ["silence", "speech"])
    ax.set_xlabel("time (s)")
    ax.set_xlim(0, clip.duration)
    fig.tight_layout()
    png_path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png_path, dpi=100)
    plt.close(fig)
    return png_path


def register_cli(sub) -> None:
    p = sub.add_parser("demo", help="run Parley on the bundled demo clip (audio analysis + PNG)",
                       description=__doc__.splitlines()[0])
    p.add_argument("--audio", type=Path, default=None, help="use this audio file instead of the demo clip")
    p.add_argument("--out", type=Path, default=Path("out") / "demo", help="output folder (default out/demo)")
    p.set_defaults(func=_run)


def _run(args) -> int:
    from .audio import describe, load_audio
    from .loudness import mask_to_intervals

    clip = load_audio(args.audio if args.audio is not None else demo_clip_path())
    print(describe(clip))
    speech = mask_to_intervals(clip.active_mask(FPS), FPS)
    print("  speech      " + (", ".join(f"{a:.2f}-{b:.2f} s" for a, b in speech) or "none"))
    png = plot_audio_analysis(clip, args.out / "demo_audio.png")
    print(f"  wrote       {png}")
    return 0
