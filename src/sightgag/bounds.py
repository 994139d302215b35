"""The bounds of a gag's numbers, its size and its seed: one check for the CLI, the HTTP API and Python.

They hold for every artist; an artist adds its own rules on top (Flux wants multiples of 16, the sketch
artist at least 256 px a side). Checked before any work, so a seed no generator takes or a size no
machine can paint fails at once instead of after the writer ran and a pipeline loaded.
"""

from __future__ import annotations

import re

from sightgag.errors import UsageError

MIN_SIDE, MAX_SIDE = 64, 2048
SEED_LIMIT = 2**32  # seeds run from 0 to SEED_LIMIT - 1, as the server and numpy's generators take them
# ASCII digits only: str.isdigit() also accepts "²" and "٣", which int() then reads or refuses.
SIZE_FORM = re.compile(r"([0-9]{1,6})[xX]([0-9]{1,6})")


def parse_size(text: str) -> tuple[int, int]:
    """A WIDTHxHEIGHT size ("1024x768") as (width, height), within bounds; UsageError if it is not one."""
    match = SIZE_FORM.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise UsageError(f"size {text!r} is not WIDTHxHEIGHT, e.g. 1024x768")
    return check_size(int(match[1]), int(match[2]))


def check_size(width: int, height: int) -> tuple[int, int]:
    """The size, if each side is a whole number of pixels from MIN_SIDE to MAX_SIDE; UsageError if not."""
    for side in (width, height):
        if isinstance(side, bool) or not isinstance(side, int):
            raise UsageError(f"size {width!r}x{height!r}: width and height are whole numbers of pixels")
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise UsageError(f"size {width}x{height}: each side must be between {MIN_SIDE} and {MAX_SIDE} pixels")
    return width, height


def check_seed(seed: int) -> int:
    """The seed, if it is a whole number from 0 to 2**32 - 1; UsageError if not."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise UsageError(f"seed {seed!r} is not a whole number")
    if not 0 <= seed < SEED_LIMIT:
        raise UsageError(f"seed {seed} is out of range: use 0 to {SEED_LIMIT - 1}")
    return seed
