"""Meme lettering: top and bottom text in a heavy condensed sans, all caps, white with a black outline."""

from __future__ import annotations

from PIL import Image, ImageDraw

from sightgag.letterer.fit import fit
from sightgag.letterer.fonts import DEJAVU_SANS_BOLD, FJALLA_ONE, NOTO_SANS_CJK_BOLD, SOURCE_SANS_BLACK
from sightgag.letterer.text import Lettered, Setting, draw_block, min_legible_size

# Fjalla One is the open-licensed face closest to Impact; its outline grows with the letters.
SETTING = Setting(
    faces=(FJALLA_ONE, SOURCE_SANS_BLACK, NOTO_SANS_CJK_BOLD, DEJAVU_SANS_BOLD),
    leading=1.2,
    outline=0.07,
    upper=True,
)
MARGIN = 0.03  # from the picture's edges, as a share of its short side
BOX_HEIGHT = 0.28  # each of the top and bottom text boxes, as a share of the picture's height
MAX_SIZE = 0.11  # the largest letters, as a share of the picture's height: a one-word meme does not shout


def letter_meme(image: Image.Image, top: str, bottom: str) -> Lettered:
    """Top text (the setup, may be empty) and bottom text (the punchline) over the picture."""
    lettered = image.copy()
    draw = ImageDraw.Draw(lettered)
    width, height = lettered.size
    margin = round(MARGIN * min(width, height))
    box_width, box_height = width - 2 * margin, BOX_HEIGHT * height
    texts = []
    for text, at_top in ((top, True), (bottom, False)):
        if not text.strip():
            continue
        block = fit(
            text,
            SETTING,
            box_width,
            box_height,
            max_size=round(MAX_SIZE * height),
            min_size=min_legible_size(lettered),
        )
        y = margin if at_top else height - margin - block.height
        texts.append(draw_block(draw, block, width / 2, y, fill="white", outline_fill="black"))
    return Lettered(lettered, "meme", texts)
