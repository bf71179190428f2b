"""Regenerate assets/demo/demo_en.flac, Parley's bundled demo sentence.

Voice: Festival with the CMU ARCTIC "slt" HTS voice (Debian package festvox-us-slt-hts; a statistical
parametric voice trained on real recordings of the CMU ARCTIC speaker slt; free licence, see
assets/demo/README.md). Needs the `text2wave` program (Debian package festival).

    .venv/bin/python scripts/make_demo_clip.py            # writes assets/demo/demo_en.flac
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import soundfile as sf

TEXT = "Maybe we should walk to the park. Bob says the weather is perfect for a picnic."
VOICE = "voice_cmu_us_slt_arctic_hts"
RATE = 22050
OUT = Path(__file__).resolve().parents[1] / "assets" / "demo" / "demo_en.flac"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    if shutil.which("text2wave") is None:
        print("text2wave not found: apt-get install festival festvox-us-slt-hts", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        txt, wav = Path(tmp) / "text.txt", Path(tmp) / "out.wav"
        txt.write_text(TEXT + "\n", encoding="utf-8")
        cmd = ["text2wave", "-F", str(RATE), "-eval", f"({VOICE})", str(txt), "-o", str(wav)]
        subprocess.run(cmd, check=True, capture_output=True)
        data, rate = sf.read(wav, dtype="int16")
    if rate != RATE or data.ndim != 1 or len(data) == 0:
        print(f"unexpected synthesis result: {rate} Hz, shape {data.shape}", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sf.write(args.out, data, rate, format="FLAC", subtype="PCM_16")
    print(f"wrote {args.out}: {len(data) / rate:.2f} s at {rate} Hz, {args.out.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
