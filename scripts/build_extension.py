#!/usr/bin/env python3
"""Build the Parley extension: one validated zip per platform, with the wheels that platform needs.

    .venv/bin/python scripts/build_extension.py [--platforms linux-x64 ...] [--out dist/]

Steps: download pinned, unmodified PyPI wheels (cp311 for Blender 4.2-5.0, cp313 for 5.1+; never
numpy, which Blender ships; never torch) into wheels/ (a cache); copy the add-on sources into a
staging folder with a manifest whose ``wheels = [...]`` lists them; run Blender's own extension
builder (``blender_ext.py build --split-platforms``, taken from the bpy 5.0 wheel, run by plain
Python) and ``blender_ext.py validate`` on every zip. The committed manifest stays wheel-free.
"""
from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MANIFEST = "blender_manifest.toml"

# What the zip contains: the top-level files below plus every top-level Python package (a folder
# with __init__.py: core, operators, panels, blender_support, animation, ...) except these.
# Everything else in the repository (data, docs, scripts, tests) is development material.
INCLUDE_FILES = ("__init__.py", MANIFEST, "LICENSE")
DEV_PACKAGES = ("tests", "scripts", "docs", "data", "build", "dist", "wheels")

# Pinned runtime dependencies bundled in the zip. Versions chosen to work with the numpy Blender
# ships: 1.24.x (4.2) ... 1.26 (4.5/5.0) ... 2.x (5.1+). scipy 1.15 is the last series accepting
# numpy 1.24; it has cp311 and cp313 wheels for all four platforms.
# pocketsphinx (phone recognition/alignment for the choreography engine) ships its en-us model in
# the wheel; its declared dependency sounddevice is only imported for live microphone input, so it
# is left out (Blender does not resolve wheel dependencies).
WHEELS = ("soundfile==0.13.1", "cffi==1.17.1", "pycparser==2.22", "scipy==1.15.3",
          "safetensors==0.5.3", "pocketsphinx==5.1.1")
PYTHONS = ("3.11", "3.13")
PIP_PLATFORMS = {
    "linux-x64": ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"),
    "windows-x64": ("win_amd64",),
    "macos-arm64": ("macosx_12_0_arm64",),
    "macos-x64": ("macosx_11_0_x86_64",),
}
FORBIDDEN_IN_ZIP = ("tests/", "scripts/", "docs/", "data/", ".venv", "dist/", "build/", ".git/",
                    "__pycache__/")
FORBIDDEN_WHEELS = ("numpy", "torch")


class BuildError(RuntimeError):
    pass


def find_blender_ext(explicit: str | None) -> Path:
    """blender_ext.py from a bpy wheel installed in one of the repo's bpy venvs (newest first)."""
    if explicit:
        p = Path(explicit)
        if not p.is_file():
            raise BuildError(f"--blender-ext {p} does not exist")
        return p
    hits = sorted(glob.glob(str(REPO / ".venv-bpy*/lib/python3*/site-packages/bpy/*/scripts/"
                                       "addons_core/bl_pkg/cli/blender_ext.py")), reverse=True)
    if not hits:
        raise BuildError("Blender's extension builder (blender_ext.py) was not found: run "
                         "scripts/setup.sh (creates .venv-bpy50 with the bpy wheel) or pass --blender-ext")
    return Path(hits[0])


def download_wheels(platform: str, cache: Path) -> list[Path]:
    """Pinned wheels for ``platform`` and every supported Python, downloaded once into ``cache``."""
    got: list[Path] = []
    for py in PYTHONS:
        abi = "cp" + py.replace(".", "")
        for req in WHEELS:
            cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                   "--only-binary=:all:", "--dest", str(cache), "--python-version", py,
                   "--implementation", "cp", "--abi", abi, "--abi", "abi3", "--abi", "none"]
            for tag in PIP_PLATFORMS[platform]:
                cmd += ["--platform", tag]
            cmd.append(req)
            before = set(cache.glob("*.whl"))
            res = subprocess.run(cmd, capture_output=True, text=True)
            if res.returncode != 0:
                raise BuildError(f"pip could not download {req} for {platform} / Python {py}:\n"
                                 f"{res.stderr.strip()[-2000:]}")
            got.append(_match_wheel(cache, req, py, platform, before))
    return sorted(set(got))


def _wheel_tags(name: str) -> tuple[str, str, str, str]:
    dist, _ver, *rest = name[:-4].split("-")
    py, abi, plat = rest[-3:]
    return dist, py, abi, plat


def _platform_ok(plat_tag: str, platform: str) -> bool:
    if plat_tag == "any":
        return True
    for tag in plat_tag.split("."):
        if platform == "linux-x64" and "linux" in tag and tag.endswith("x86_64"):
            return True
        if platform == "windows-x64" and tag == "win_amd64":
            return True
        if platform == "macos-arm64" and tag.startswith("macosx") and tag.endswith(("arm64", "universal2")):
            return True
        if platform == "macos-x64" and tag.startswith("macosx") and tag.endswith(("x86_64", "universal2")):
            return True
    return False


def _match_wheel(cache: Path, req: str, py: str, platform: str, before: set[Path]) -> Path:
    """The cached wheel pip chose for ``req`` (pip prints nothing useful in --quiet mode)."""
    dist, version = req.split("==")
    norm = re.sub(r"[-_.]+", "_", dist).lower()
    abi_py = "cp" + py.replace(".", "")
    candidates = []
    for w in cache.glob("*.whl"):
        wdist, wpy, wabi, wplat = _wheel_tags(w.name)
        if re.sub(r"[-_.]+", "_", wdist).lower() != norm or f"-{version}-" not in w.name:
            continue
        if not _platform_ok(wplat, platform):
            continue
        if wabi == abi_py or wabi in ("abi3", "none"):
            candidates.append(w)
    if not candidates:
        raise BuildError(f"no {req} wheel for {platform} / Python {py} in {cache}")
    new = [c for c in candidates if c not in before]
    exact = [c for c in candidates if _wheel_tags(c.name)[2] == abi_py]
    return (new or exact or candidates)[0]


def addon_packages() -> list[str]:
    """Top-level Python packages that belong in the zip (core, operators, panels, ...)."""
    return sorted(p.name for p in REPO.iterdir()
                  if p.is_dir() and (p / "__init__.py").is_file() and p.name not in DEV_PACKAGES
                  and not p.name.startswith("."))


def stage_sources(stage: Path, wheels: list[Path], platforms: list[str]) -> None:
    """Copy the add-on into ``stage`` and write a manifest listing ``wheels`` and ``platforms``."""
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")
    for item in INCLUDE_FILES:
        src = REPO / item
        if src.is_file():
            shutil.copy2(src, stage / item)
        elif item != "LICENSE":
            raise BuildError(f"missing {src}")
    for pkg in addon_packages():
        shutil.copytree(REPO / pkg, stage / pkg, ignore=ignore)
    (stage / "wheels").mkdir()
    for w in wheels:
        shutil.copy2(w, stage / "wheels" / w.name)
    text = (REPO / MANIFEST).read_text(encoding="utf-8")
    text = re.sub(r"(?m)^platforms\s*=.*$",
                  "platforms = [" + ", ".join(f'"{p}"' for p in platforms) + "]", text)
    wheel_lines = "".join(f'  "./wheels/{w.name}",\n' for w in wheels)
    block = f"wheels = [\n{wheel_lines}]\n\n"
    text = text.replace("[permissions]", block + "[permissions]", 1)
    (stage / MANIFEST).write_text(text, encoding="utf-8")


def check_zip(path: Path) -> None:
    """Guard against development files or forbidden wheels sneaking into a zip."""
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
    bad = [n for n in names if n.startswith(FORBIDDEN_IN_ZIP)]
    bad += [n for n in names if n.startswith("wheels/")
            and n.split("/")[-1].split("-")[0].lower() in FORBIDDEN_WHEELS]
    if bad:
        raise BuildError(f"{path.name} contains files that must not ship: {bad[:10]}")
    if "__init__.py" not in names or MANIFEST not in names:
        raise BuildError(f"{path.name} lacks __init__.py or {MANIFEST}")


def run_ext(blender_ext: Path, *args: str) -> str:
    res = subprocess.run([sys.executable, str(blender_ext), *args], capture_output=True, text=True)
    out = (res.stdout + res.stderr).strip()
    if res.returncode != 0:
        raise BuildError(f"blender_ext.py {' '.join(args)} failed:\n{out}")
    return out


def build(platforms: list[str], out: Path, blender_ext: Path, cache: Path) -> list[Path]:
    manifest = tomllib.loads((REPO / MANIFEST).read_text(encoding="utf-8"))
    unknown = [p for p in platforms if p not in manifest["platforms"]]
    if unknown:
        raise BuildError(f"platforms {unknown} are not declared in {MANIFEST}: "
                         f"choose from {manifest['platforms']}")
    cache.mkdir(parents=True, exist_ok=True)
    wheels = sorted({w for p in platforms for w in download_wheels(p, cache)})
    stage = REPO / "build" / "extension"
    stage_sources(stage, wheels, platforms)
    run_ext(blender_ext, "validate", str(stage))
    out.mkdir(parents=True, exist_ok=True)
    run_ext(blender_ext, "build", "--source-dir", str(stage), "--output-dir", str(out),
            "--split-platforms")
    zips = []
    for p in platforms:
        z = out / f"{manifest['id']}-{manifest['version']}-{p.replace('-', '_')}.zip"
        if not z.is_file():
            raise BuildError(f"the builder did not produce {z}")
        run_ext(blender_ext, "validate", str(z))
        check_zip(z)
        zips.append(z)
    return zips


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--platforms", nargs="+", default=list(PIP_PLATFORMS),
                    help="subset of the manifest's platforms (default: all)")
    ap.add_argument("--out", default=str(REPO / "dist"), help="output folder for the zips")
    ap.add_argument("--wheel-cache", default=str(REPO / "wheels"), help="where wheels are cached")
    ap.add_argument("--blender-ext", default=None, help="path to Blender's blender_ext.py")
    args = ap.parse_args(argv)
    try:
        zips = build(args.platforms, Path(args.out).resolve(), find_blender_ext(args.blender_ext),
                     Path(args.wheel_cache).resolve())
    except BuildError as exc:
        print(f"build_extension: error: {exc}", file=sys.stderr)
        return 1
    for z in zips:
        print(f"{z}  ({z.stat().st_size / 1e6:.1f} MB, validated)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
