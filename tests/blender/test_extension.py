"""The built zip installs into real Blender (bpy 4.2 LTS, 4.5 LTS, 5.0), registers, and unregisters cleanly."""
from __future__ import annotations

import tomllib
import zipfile

import pytest

from core.emotions import EMOTIONS

from .harness import REPO


def test_zip_contents(extension_zip):
    with zipfile.ZipFile(extension_zip) as zf:
        names = zf.namelist()
        manifest = tomllib.loads(zf.read("blender_manifest.toml").decode())
    assert "__init__.py" in names and "core/__init__.py" in names and "core/audio.py" in names
    assert not [n for n in names if n.startswith(("tests/", "scripts/", "docs/", "data/", ".venv"))]
    wheels = [n.split("/")[-1] for n in names if n.startswith("wheels/")]
    assert not [w for w in wheels if w.lower().startswith(("numpy", "torch"))]
    for dist in ("scipy", "soundfile", "cffi", "pycparser", "safetensors", "pocketsphinx"):
        assert any(w.startswith(dist + "-") for w in wheels), f"{dist} wheel missing: {wheels}"
    # cp311 (Blender 4.2-5.0) and cp313 (5.1+) for the binary wheels that are ABI-specific
    for dist in ("scipy", "cffi", "pocketsphinx"):
        assert any(w.startswith(dist) and "cp311" in w for w in wheels)
        assert any(w.startswith(dist) and "cp313" in w for w in wheels)
    assert all("win_amd64" not in w and "macosx" not in w for w in wheels)
    assert manifest["build"]["generated"]["platforms"] == ["linux-x64"]


def test_install_register_unregister(installed_any):
    _python, profile, rep = installed_any
    assert "exception" not in rep, rep.get("exception")
    assert rep["install_result"] == ["FINISHED"]
    assert rep["module_file"].startswith(str(profile))
    reg = rep["after_install"]
    assert {"PARLEY_OT_check_audio", "PARLEY_OT_generate_lipsync", "PARLEY_OT_cancel_generation",
            "PARLEY_PT_main", "PARLEY_PT_take"} <= set(reg["types"])
    assert {"PARLEY_OT_check_audio", "PARLEY_PT_main", "ParleySettings", "ParleyRuntime",
            "ParleyPreferences"} <= set(reg["classes"])
    assert {"check_audio", "generate_lipsync", "cancel_generation"} <= set(reg["ops"])
    assert reg["scene_prop"] and reg["wm_prop"]
    assert rep["panel"] == {"space": "VIEW_3D", "region": "UI", "category": "Parley"}
    prefs = rep["prefs"]
    assert prefs["bl_idname"] == "bl_ext.user_default.parley"
    assert prefs["device_items"] == ["AUTO", "CPU", "GPU"]
    s = rep["settings"]
    assert tuple(s["emotions"]) == EMOTIONS
    assert s["sources"] == ["AUTO", "STRIP", "FILE"]
    assert s["intensity_range"] == [0.0, 1.0]
    assert s["audio_file_subtype"] == "FILE_PATH" and s["target_type"] == "Object"
    assert {"progress", "running"}.isdisjoint(s["props"])  # runtime state lives on the WindowManager
    assert {"last_message", "last_error", "strip_name", "target"} <= set(s["props"])
    # wheels from the zip are what Blender imports; temp files go to the extension's user folder
    assert rep["soundfile_file"].startswith(str(profile))
    assert rep["scipy_version"] == "1.15.3" and rep["core_audio_rate"] == 16000
    assert rep["pocketsphinx_file"].startswith(str(profile)) and rep["pocketsphinx_model"]
    assert rep["user_path"].startswith(str(profile)) and "parley" in rep["user_path"]
    # a button that cannot run says why (poll_message_set reaches the caller)
    assert "sound strip" in rep["poll_error"]
    assert reg["cli_command"] is True  # bpy.utils.register_cli_command exists since 4.2
    empty = {"types": [], "classes": [], "ops": [], "scene_prop": False, "wm_prop": False,
             "addon_enabled": False, "cli_command": False}
    assert rep["after_disable"] == empty
    assert rep["after_reenable"] == reg
    assert rep["after_second_disable"] == empty


def test_committed_manifest_is_wheel_free():
    manifest = tomllib.loads((REPO / "blender_manifest.toml").read_text())
    assert "wheels" not in manifest, "wheels are written by scripts/build_extension.py at build time"
