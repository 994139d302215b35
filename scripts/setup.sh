#!/usr/bin/env bash
# Set up sightgag in a virtual environment: `scripts/setup.sh` for use, `scripts/setup.sh test` for the tests.
# Called by the Makefile; safe to run again (each step skips what is already there).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
TORCH=${TORCH:-torch==2.13.0}
WHAT=${1:-run}

if [ ! -x "$VENV/bin/python" ]; then
  echo "==> creating $VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --upgrade pip
fi
PIP="$VENV/bin/pip"

# torch first: anything that depends on it must find it installed, or pip pulls a multi-GB build.
if ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
  echo "==> installing $TORCH"
  "$PIP" install --quiet "$TORCH"
fi

# System packages the tests need (a browser); fonts come from scripts/install-fonts.sh.
# Only where apt-get can be used (root on Debian/Ubuntu); elsewhere the README lists them.
apt_install() {
  local missing=()
  for package in "$@"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "==> apt-get install ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "note: please install these system packages: ${missing[*]}" >&2
  fi
}
if [ "$WHAT" = test ] && [ -f scripts/system-packages-test.txt ]; then
  apt_install $(grep -v '^#' scripts/system-packages-test.txt)
fi

if [ "$WHAT" = test ]; then
  echo "==> installing sightgag with its test dependencies (llama.cpp compiles once, ~10 min; pip caches the build)"
  "$PIP" install --quiet -e ".[test]"
else
  echo "==> installing sightgag"
  "$PIP" install --quiet -e .
fi

# The letterer's fonts (Debian's through apt), checked the way the letterer finds them.
PYTHON="$VENV/bin/python" bash scripts/install-fonts.sh
