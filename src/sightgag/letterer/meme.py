"""Meme lettering: top and bottom text in a heavy condensed sans, all caps, white with a black outline."""

from __future__ import annotations

from PIL import Image, ImageDraw, ImageFilter, ImageStat

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
# Over busy art (a night city's lit windows) outlined type loses its edges to the detail behind it: a soft
# dark scrim behind the lines gives the outline something to stand on. Plain or quiet backgrounds get none.
BUSY = 48.0  # standard deviation of the luminance behind the text (0..255) from which it is busy
SCRIM = 160  # the scrim's darkness at its middle, 0..255
SCRIM_PAD = 0.35  # the scrim's margin around the ink, in letter sizes; its edge fades over half of it


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
        scrim_behind(lettered, image, (width - block.width) / 2, y, block.width, block.height, block.size)
        texts.append(draw_block(draw, block, width / 2, y, fill="white", outline_fill="black"))
    return Lettered(lettered, "meme", texts)


def scrim_behind(
    lettered: Image.Image, picture: Image.Image, left: float, top: float, width: float, height: float, size: int
) -> bool:
    """Darken softly behind a block of text when the picture behind it is busy; say whether it did."""
    pad = SCRIM_PAD * size
    box = (
        max(0, round(left - pad)),
        max(0, round(top - pad)),
        min(picture.width, round(left + width + pad)),
        min(picture.height, round(top + height + pad)),
    )
    if box[2] <= box[0] or box[3] <= box[1]:
        return False
    if ImageStat.Stat(picture.crop(box).convert("L")).stddev[0] < BUSY:
        return False
    mask = Image.new("L", lettered.size, 0)
    inner = (box[0] + pad / 2, box[1] + pad / 2, box[2] - pad / 2, box[3] - pad / 2)
    ImageDraw.Draw(mask).rounded_rectangle(inner, radius=pad, fill=SCRIM)
    lettered.paste((0, 0, 0), (0, 0), mask.filter(ImageFilter.GaussianBlur(pad / 2)))
    return True
