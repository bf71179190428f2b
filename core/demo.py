"""``python -m core demo``: Parley's main job on the built-in default input.

Analyses the bundled demo sentence (assets/demo/demo_en.flac) — audio summary and
``out/demo/demo_audio.png`` (waveform, loudness envelope with the speech thresholds, speech mask) —
then generates a take with the default engine (``core.engine.generate_take``: the learned model when
one is installed, else the phoneme choreography) and writes it as ``take.json``/``take.npz`` plus a
curve plot ``take.png``. With ``--head FLAME.ply`` (any FLAME-topology head) it also prints the
take's lip-sync QA on that head and renders a frame strip ``take_frames.png``.
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
    p.add_argument("--emotion", default="neutral", help="one of the eight MEAD emotions (default neutral)")
    p.add_argument("--intensity", type=float, default=1.0, help="emotion intensity 0..1 (default 1)")
    p.add_argument("--fps", type=float, default=FPS, help="frame rate of the written take (default 30)")
    p.add_argument("--head", type=Path, default=None,
                   help="a FLAME-topology head (.ply) for QA figures and a rendered frame strip")
    p.add_argument("--engine", default="auto", choices=("auto", "choreography", "learned"),
                   help="which engine generates the take (default: auto)")
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
    _generate(clip, args)
    return 0


def _generate(clip, args) -> None:
    """Run the engine on the clip and write the take, its plot and (with a head) QA + frames."""
    from .engine import generate_take
    from .model.export import plot_take, write_curves

    rig = None
    if args.head is not None:
        from .rig import FlameRig
        rig = FlameRig.from_ply(args.head)
    take = generate_take(clip.samples, fps=args.fps, emotion=args.emotion,
                         intensity=args.intensity, engine=args.engine, qa_rig=rig)
    print(f"take          {take.summary()}")
    for note in take.notes:
        print(f"  note        {note}")
    meta = {"engine": take.engine_label, "emotion": take.emotion, "intensity": take.intensity,
            "source": str(clip.source_path or "")}
    for ext in ("json", "npz"):
        print(f"  wrote       {write_curves(args.out / f'take.{ext}', take.weights, take.fps, meta)}")
    title = f"{take.engine_label} - {take.emotion}@{take.intensity:.2f}"
    print(f"  wrote       {plot_take(args.out / 'take.png', clip.samples, take.weights, take.fps, take.segments, title)}")
    if rig is None:
        print("  QA          pass --head FLAME.ply (any FLAME-topology head) for lip-sync figures")
        return
    for key, value in take.qa.items():
        if key != "bilabial_failures":
            print(f"  QA {key:<24} {value}")
    print(f"  wrote       {_frame_strip(rig, take, args.out / 'take_frames.png')}")


def _frame_strip(rig, take, png_path: Path, count: int = 8) -> Path:
    """Render ``count`` evenly spaced frames of the take on ``rig`` into one labelled PNG."""
    import numpy as np

    from .preview import contact_sheet, fit_view, label_image, render, save_png

    idx = np.linspace(0, take.num_frames - 1, count).round().astype(int)
    verts = rig.apply(take.weights[idx])
    view = fit_view(rig.neutral)
    tiles = [label_image(render(v, rig.faces, size=256, view=view), f"{i / take.fps:.2f} s")
             for i, v in zip(idx, verts)]
    save_png(png_path, contact_sheet(tiles, cols=count,
                                     title=f"{take.engine_label}: {take.emotion}@{take.intensity:.2f}"))
    return png_path
