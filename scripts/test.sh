#!/usr/bin/env bash
# Parley's test command (also what .ci/run runs): set up everything, then run all tests.
#   core tests     tests/core/     plain pytest in .venv
#   Blender tests  tests/blender/  build the zip, install it into real bpy 4.5 and 5.0 (fresh processes)
# Extra arguments go to pytest (e.g. `bash scripts/test.sh tests/core -k audio`).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

# setup.sh just created the bpy venvs, so a missing one is an error here, not a skip
if [ "${PARLEY_SETUP_BLENDER:-1}" != "0" ]; then
  export PARLEY_REQUIRE_BLENDER=1
fi

set +e
.venv/bin/python -m pytest "${@:-tests}"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "test.sh: no tests were collected - treating as a failure" >&2
  exit 1
fi
exit "$rc"
