"""Run a script under a real ``bpy`` wheel in a fresh process and get its JSON result back.

bpy keeps global state for the life of a process, so every scenario gets its own interpreter
(from ``.venv-bpy45`` / ``.venv-bpy50``) and its own ``BLENDER_USER_RESOURCES`` profile.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = Path(__file__).resolve().parent / "scripts"
BPY_VENVS = {"4.2": ".venv-bpy42", "4.5": ".venv-bpy45", "5.0": ".venv-bpy50"}
RESULT_MARK = "PARLEY_RESULT "


def bpy_python(version: str) -> Path | None:
    """Interpreter of the bpy venv for ``version`` (None when that venv is missing)."""
    venv = Path(os.environ.get(f"PARLEY_BPY{version.replace('.', '')}_VENV", REPO / BPY_VENVS[version]))
    exe = venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    return exe if exe.is_file() else None


def run_script(python: Path, script: str, *args: str, user_resources: Path,
               timeout: float = 300.0) -> dict:
    """Run ``tests/blender/scripts/<script>`` and return the dict it emitted (AssertionError if none)."""
    env = dict(os.environ)
    env["BLENDER_USER_RESOURCES"] = str(user_resources)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop("PYTHONPATH", None)
    proc = subprocess.run([str(python), str(SCRIPTS / script), *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=timeout, cwd=str(user_resources))
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK):])
    raise AssertionError(
        f"{script} under {python} produced no result (exit {proc.returncode})\n"
        f"--- stdout (tail) ---\n{proc.stdout[-4000:]}\n--- stderr (tail) ---\n{proc.stderr[-4000:]}")
