"""letter(): set a concept's caption on a picture in one of the lettering styles."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import get_args

from PIL import Image

from sightgag.concept import Box, Concept, Lettering
from sightgag.letterer.balloon import letter_balloon
from sightgag.letterer.caption import letter_caption
from sightgag.letterer.errors import LetteringError
from sightgag.letterer.label import letter_label
from sightgag.letterer.meme import letter_meme
from sightgag.letterer.text import Lettered

STYLES: tuple[str, ...] = get_args(Lettering)  # ("meme", "caption", "balloon", "label", "none")

# A meme caption written as "TOP | BOTTOM" (or on two lines) sets both lines.
MEME_SPLIT = re.compile(r"\s*(?:\||\n)\s*")


def letter(
    image: Image.Image,
    concept: Concept,
    style: str | None = None,
    caption: str | None = None,
    keep_clear: Sequence[Box] = (),
) -> Image.Image:
    """The picture with the caption set in real type.

    style: one of STYLES; None uses concept.caption.lettering.
    caption: the text to set; None uses concept.caption.text (and, for memes, concept.caption.setup
    as the top line). The result is RGB and the picture's size, except for the `caption` style,
    which adds a white band under the picture, as a magazine cartoon does.
    keep_clear: boxes on the unit canvas with text of the picture's own (a painted sign), which a
    balloon keeps off as it keeps off faces.
    """
    return letter_with_boxes(image, concept, style, caption, keep_clear).image


def letter_with_boxes(
    image: Image.Image,
    concept: Concept,
    style: str | None = None,
    caption: str | None = None,
    keep_clear: Sequence[Box] = (),
) -> Lettered:
    """As letter(), also returning each block of text drawn and its ink box (for OCR checks and tests)."""
    style = style or concept.caption.lettering
    if style not in STYLES:
        raise LetteringError(f"unknown lettering style {style!r}: use one of {', '.join(STYLES)}")
    text = (concept.caption.text if caption is None else caption).strip()
    # Each style draws on a copy of its own, so the caller's image is never changed.
    picture = image if image.mode == "RGB" else image.convert("RGB")
    if style == "none" or not text:
        return Lettered(picture.copy(), style, [])
    if style == "meme":
        top, bottom = _meme_lines(text, setup=concept.caption.setup if caption is None else "")
        return letter_meme(picture, top, bottom)
    if style == "caption":
        return letter_caption(picture, text)
    if style == "balloon":
        return letter_balloon(picture, concept, text, keep_clear)
    return letter_label(picture, concept, text)


def _meme_lines(text: str, setup: str) -> tuple[str, str]:
    parts = MEME_SPLIT.split(text, maxsplit=1)
    if len(parts) == 2:
        return parts[0], parts[1]
    return setup, text
