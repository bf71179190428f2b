"""Packaging rules that need no Blender: manifest fields, core/ stays bpy-free and relative-only."""
from __future__ import annotations

import ast
import re
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
import build_extension  # noqa: E402

BLENDER_ONLY = {"bpy", "bmesh", "mathutils", "bpy_extras", "aud", "gpu", "blf", "addon_utils"}


@pytest.fixture(scope="module")
def manifest() -> dict:
    return tomllib.loads((REPO / "blender_manifest.toml").read_text(encoding="utf-8"))


def _reason_ok(text: str) -> bool:
    # Blender's rule for tagline and permission reasons: <= 64 chars, ends alphanumeric or )]}.
    return 0 < len(text) <= 64 and (text[-1].isalnum() or text[-1] in ")]}")


def test_manifest_required_fields(manifest):
    assert manifest["schema_version"] == "1.0.0"
    assert manifest["id"] == "parley" and manifest["id"].isidentifier()
    assert re.fullmatch(r"\d+\.\d+\.\d+", manifest["version"])
    assert manifest["name"] == "Parley"
    assert _reason_ok(manifest["tagline"]), manifest["tagline"]
    assert manifest["maintainer"].strip()
    assert manifest["type"] == "add-on"
    assert manifest["blender_version_min"] == "4.2.0"
    assert manifest["license"] == ["SPDX:GPL-3.0-or-later"]
    assert set(manifest["tags"]) == {"Animation", "Sequencer"}


def test_manifest_platforms_permissions_build(manifest):
    assert manifest["platforms"] == ["linux-x64", "windows-x64", "macos-arm64", "macos-x64"]
    assert set(manifest["platforms"]) == set(build_extension.PIP_PLATFORMS)
    assert set(manifest["permissions"]) == {"files"}
    assert _reason_ok(manifest["permissions"]["files"])
    excluded = manifest["build"]["paths_exclude_pattern"]
    for dev in ("/tests/", "/scripts/", "/docs/", "/data/"):
        assert dev in excluded
    assert "paths" not in manifest["build"]


def test_bundled_wheels_are_pinned_and_never_numpy_or_torch():
    names = [req.split("==")[0].lower() for req in build_extension.WHEELS]
    assert all("==" in req for req in build_extension.WHEELS)
    assert not {"numpy", "torch"} & set(names)
    assert {"soundfile", "cffi", "pycparser", "scipy", "safetensors", "pocketsphinx"} <= set(names)
    assert build_extension.PYTHONS == ("3.11", "3.13")


def test_zip_packages_are_the_addon_not_dev_material():
    pkgs = build_extension.addon_packages()
    assert {"core", "operators", "panels", "blender_support"} <= set(pkgs)
    assert not {"tests", "scripts", "docs", "data"} & set(pkgs)


@pytest.mark.parametrize("tag,platform,ok", [
    ("manylinux_2_17_x86_64.manylinux2014_x86_64", "linux-x64", True),
    ("win_amd64", "linux-x64", False),
    ("macosx_12_0_arm64", "macos-arm64", True),
    ("macosx_12_0_arm64", "macos-x64", False),
    ("macosx_10_9_universal2", "macos-x64", True),
    ("any", "windows-x64", True),
])
def test_wheel_platform_matching(tag, platform, ok):
    assert build_extension._platform_ok(tag, platform) is ok


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, 0
        elif isinstance(node, ast.ImportFrom):
            yield node.lineno, node.module or "", node.level


def test_core_never_imports_blender_and_uses_relative_imports():
    bad = []
    for path in sorted((REPO / "core").rglob("*.py")):
        for line, module, level in _imports(path):
            top = module.split(".")[0]
            where = f"{path.relative_to(REPO)}:{line}"
            if level == 0 and top in BLENDER_ONLY:
                bad.append(f"{where} imports {module} (core/ must run without Blender)")
            if level == 0 and top == "core":
                bad.append(f"{where} imports {module} absolutely (use a relative import)")
    assert not bad, "\n".join(bad)


def test_core_imports_without_bpy():
    import importlib
    core = importlib.import_module("core")
    assert "bpy" not in sys.modules
    assert core.ARKIT_NAMES


def test_root_package_is_inert_without_bpy():
    """Plain-Python tools may import the repository root as a package; it must not need bpy."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("parley_root", REPO / "__init__.py",
                                                  submodule_search_locations=[str(REPO)])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.bpy is None and module._CLASSES == ()
