"""Shared pytest fixtures: the repository root and the optional ../shared data folder."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

SHARED_DIR = Path(os.environ.get("PARLEY_SHARED", REPO_ROOT.parent / "shared"))


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared beside the checkout; tests that need it skip when it is absent."""
    if not SHARED_DIR.is_dir():
        pytest.skip(f"shared data folder not found at {SHARED_DIR} (set PARLEY_SHARED)")
    return SHARED_DIR


@pytest.fixture(scope="session")
def flame_dir(shared_dir: Path) -> Path:
    d = shared_dir / "flame"
    if not (d / "FLAME_template.ply").is_file():
        pytest.skip(f"FLAME assets not found in {d}")
    return d


@pytest.fixture(scope="session")
def speech_dir(shared_dir: Path) -> Path:
    d = shared_dir / "speech"
    if not (d / "transcripts.txt").is_file():
        pytest.skip(f"real speech recordings not found in {d}")
    return d


@pytest.fixture(autouse=True)
def _fresh_phone_cache():
    """Each test starts with empty per-clip caches (re-takes reuse phones and features)."""
    eng = sys.modules.get("core.engine")
    if eng is not None:
        eng.PHONE_CACHE.clear()
    rt = sys.modules.get("core.model.numpy_runtime")
    if rt is not None:
        rt.FEATURE_CACHE.clear()
    yield


def festival_say(text: str, folder: Path):
    """``(samples float32, rate)`` of ``text`` spoken by festival's default voice (skips the test
    when festival is not installed)."""
    import shutil
    import subprocess

    import soundfile as sf
    if shutil.which("text2wave") is None:
        pytest.skip("festival's text2wave is not installed (apt-get install festival)")
    path = Path(folder) / "festival.wav"
    subprocess.run(["text2wave", "-o", str(path)], input=text.encode(), check=True,
                   capture_output=True, timeout=60)
    x, sr = sf.read(path, dtype="float32")
    return x, sr
