"""Fixtures for the Blender tests: the built zip (once per session) and one installed profile per bpy."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .harness import REPO, bpy_python, run_script

BPY_VERSIONS = ("4.5", "5.0")          # with audio: every test runs on these
ALL_BPY_VERSIONS = ("4.2",) + BPY_VERSIONS  # 4.2 (minimum supported, no audio): registration/compat


def _missing(reason: str):
    """Skip, or fail when scripts/test.sh says the bpy venvs must exist (it just created them)."""
    if os.environ.get("PARLEY_REQUIRE_BLENDER") == "1":
        pytest.fail(reason + " (PARLEY_REQUIRE_BLENDER=1)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def extension_zip(tmp_path_factory) -> Path:
    """The linux-x64 zip built by scripts/build_extension.py (or PARLEY_EXTENSION_ZIP if given)."""
    given = os.environ.get("PARLEY_EXTENSION_ZIP")
    if given:
        return Path(given)
    if sys.platform != "linux":
        pytest.skip("the Blender tests install the linux-x64 zip; run them on Linux")
    if not any(bpy_python(v) for v in ALL_BPY_VERSIONS):
        _missing("no bpy venv (.venv-bpy45/.venv-bpy50): run scripts/setup.sh")
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run([sys.executable, str(REPO / "scripts/build_extension.py"),
                           "--platforms", "linux-x64", "--out", str(out)],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"build failed:\n{proc.stdout}\n{proc.stderr}"
    return out / "parley-0.1.0-linux_x64.zip"


@pytest.fixture(scope="session", params=BPY_VERSIONS)
def bpy_version(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def _installs() -> dict:
    return {}


@pytest.fixture()
def installed_with_audio(installed):
    """``installed``, skipped with the reason when this bpy build has no audio (Audaspace)."""
    if not installed[2].get("has_audio", False):
        pytest.skip(f"bpy {installed[2].get('blender')} is built without Audaspace (no sound strips)")
    return installed


def _install(version, extension_zip, installs, tmp_path_factory):
    python = bpy_python(version)
    if python is None:
        _missing(f"bpy {version} venv missing: run scripts/setup.sh")
    if version not in installs:
        profile = tmp_path_factory.mktemp(f"profile{version.replace('.', '')}")
        report = run_script(python, "install_extension.py", extension_zip, user_resources=profile)
        installs[version] = (python, profile, report)
    return installs[version]


@pytest.fixture()
def installed(bpy_version, extension_zip, _installs, tmp_path_factory):
    """(python, profile dir, install report): the zip installed into a fresh BLENDER_USER_RESOURCES
    of bpy 4.5 or 5.0 (once per session and version)."""
    return _install(bpy_version, extension_zip, _installs, tmp_path_factory)


@pytest.fixture(params=ALL_BPY_VERSIONS)
def installed_any(request, extension_zip, _installs, tmp_path_factory):
    """Like ``installed`` but also on bpy 4.2 (the minimum supported Blender; its wheel has no audio)."""
    return _install(request.param, extension_zip, _installs, tmp_path_factory)
