"""Cartoon captions: a line of italic serif centred in a white band under the picture, as in a magazine.

The lettered image is taller than the painting: the band is added below it and grows with the text.
"""

from __future__ import annotations

from PIL import Image, ImageDraw

from sightgag.letterer.errors import CaptionTooLongError
from sightgag.letterer.fit import fill, fit
from sightgag.letterer.fonts import DEJAVU_SANS_BOLD, NOTO_SERIF_CJK, SOURCE_SERIF, SOURCE_SERIF_ITALIC
from sightgag.letterer.text import Lettered, Setting, draw_block, min_legible_size

SETTING = Setting(faces=(SOURCE_SERIF_ITALIC, SOURCE_SERIF, NOTO_SERIF_CJK, DEJAVU_SANS_BOLD), leading=1.3)
SIZE = 0.042  # the caption's size, as a share of the picture's width; longer captions shrink
TEXT_WIDTH = 0.84  # of the picture's width
PADDING_ABOVE = 0.035  # between the picture and the caption, as a share of its width
PADDING_BELOW = 0.05
INK = (24, 24, 24)


def letter_caption(image: Image.Image, text: str) -> Lettered:
    """The picture with a white band under it holding the caption (the result is taller than the picture)."""
    width, height = image.size
    min_size = min_legible_size(image)
    try:
        block = fit(text, SETTING, TEXT_WIDTH * width, height, max_size=round(SIZE * width), min_size=min_size)
    except CaptionTooLongError:
        # The band can always grow: a caption too long for three lines takes as many as it needs.
        block = fill(text, SETTING, TEXT_WIDTH * width, min_size)
    above, below = round(PADDING_ABOVE * width), round(PADDING_BELOW * width)
    band = above + round(block.height) + below
    lettered = Image.new("RGB", (width, height + band), "white")
    lettered.paste(image, (0, 0))
    drawn = draw_block(ImageDraw.Draw(lettered), block, width / 2, height + above, fill=INK)
    return Lettered(lettered, "caption", [drawn])
