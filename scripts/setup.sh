#!/usr/bin/env bash
# Parley setup (idempotent; a second run only checks): Debian packages from scripts/apt-packages.txt,
# the core/dev venv .venv (Python 3.11, requirements.txt) and two Blender-as-a-module venvs for the
# Blender tests and the extension build: .venv-bpy45 (bpy 4.5.15 LTS) and .venv-bpy50 (bpy 5.0.1).
# Environment: PARLEY_PYTHON (default python3.11), PARLEY_SETUP_BLENDER=0 skips the bpy venvs.
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${PARLEY_PYTHON:-python3.11}"
BPY_VENVS=(".venv-bpy42:bpy==4.2.23" ".venv-bpy45:bpy==4.5.15" ".venv-bpy50:bpy==5.0.1")
say() { printf '[setup] %s\n' "$*"; }

# --- Debian packages: install only what is missing --------------------------------------------
mapfile -t want < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' scripts/apt-packages.txt | grep -v '^$')
# Python 3.11 itself (Debian bookworm's python3) when the machine has none
if [ -z "${PARLEY_PYTHON:-}" ] && ! command -v python3.11 >/dev/null; then
  want+=(python3.11 python3.11-venv)
fi
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: need root or sudo to apt-get install ${missing[*]}" >&2; exit 1; }
    SUDO="sudo"
  fi
  say "apt-get install ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  say "apt packages present (${#want[@]})"
fi

# --- Python 3.11 ---------------------------------------------------------------------------------
if ! command -v "$PY" >/dev/null; then
  echo "setup: $PY not found; install Python 3.11 (Blender 4.2-5.0 and the bpy wheels use 3.11) or set PARLEY_PYTHON" >&2
  exit 1
fi
"$PY" -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version' \
  || { echo "setup: $PY is not Python 3.11" >&2; exit 1; }

req_hash() { sha256sum "$@" | sha256sum | cut -c1-16; }

# --- core venv -----------------------------------------------------------------------------------
if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  "$PY" -m venv .venv
fi
want_hash="$(req_hash requirements.txt)"
if [ "$(cat .venv/.parley-requirements 2>/dev/null)" != "$want_hash" ]; then
  if ! .venv/bin/python -c 'import torch' 2>/dev/null; then
    torch_pin="$(grep -E '^torch==' requirements.txt | head -1 || true)"
    if [ -n "$torch_pin" ]; then
      # pinned on its own first: on the project's machines this exact pin resolves to the CPU
      # build; an unpinned torch would pull several GB of CUDA libraries
      say "installing $torch_pin"
      .venv/bin/python -m pip install -q "$torch_pin"
    fi
  fi
  say "pip install -r requirements.txt"
  .venv/bin/python -m pip install -q -r requirements.txt
  echo "$want_hash" > .venv/.parley-requirements
else
  say ".venv up to date"
fi

# --- bpy venvs (Blender as a Python module) ------------------------------------------------------
if [ "${PARLEY_SETUP_BLENDER:-1}" = "0" ]; then
  say "skipping the bpy venvs (PARLEY_SETUP_BLENDER=0)"
  exit 0
fi
for entry in "${BPY_VENVS[@]}"; do
  venv="${entry%%:*}"; pin="${entry#*:}"
  if [ "$(cat "$venv/.parley-bpy" 2>/dev/null)" = "$pin" ] && "$venv/bin/python" -c 'import bpy' 2>/dev/null; then
    say "$venv up to date ($pin)"
    continue
  fi
  say "creating $venv ($pin, numpy<2; about 300 MB download)"
  [ -x "$venv/bin/python" ] || "$PY" -m venv "$venv"
  # bpy 4.5/5.0 are built against numpy 1.x
  "$venv/bin/python" -m pip install -q "$pin" "numpy<2"
  "$venv/bin/python" -c 'import bpy; print("[setup]", bpy.app.version_string)'
  echo "$pin" > "$venv/.parley-bpy"
done
say "done"
