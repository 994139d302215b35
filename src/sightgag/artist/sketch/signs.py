"""Sign text, painted in real type on whatever the scene offers: a slide screen, a banner, a poster
or a placard on a post."""

from __future__ import annotations

import random
import textwrap
from functools import lru_cache

from PIL import ImageDraw, ImageFont

from sightgag.artist.sketch.scenes import INK, Pixels, Scenery, ink_width
from sightgag.errors import SightgagError

SIGN_RED = (200, 30, 40)


@lru_cache(maxsize=64)
def sign_font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A heavy sans: the letterer's Source Sans Black, else DejaVu Sans Bold, else Pillow's own."""
    from sightgag.letterer.fonts import DEJAVU_SANS_BOLD, SOURCE_SANS_BLACK, font

    for face in (SOURCE_SANS_BLACK, DEJAVU_SANS_BOLD):
        try:
            return font(face, size)
        except (SightgagError, OSError):
            continue
    try:
        return ImageFont.truetype("DejaVuSans-Bold.ttf", size)  # Pillow looks in the system font folders
    except OSError:
        return ImageFont.load_default(size=size)


def paint_sign(scenery: Scenery, text: str, avoid: list[Pixels], rng: random.Random) -> Pixels:
    """Put the sign text where the scene says signs go (or on a placard clear of the cast). Returns its box."""
    image = scenery.image
    width, height = image.size
    draw = ImageDraw.Draw(image)
    words = text.upper()
    spot, kind = _spot(scenery, avoid)
    if kind == "screen":
        return _slide(draw, spot, words, width, rng)
    if kind == "banner":
        return _banner(draw, spot, words, width)
    if kind == "poster":
        return _poster(draw, spot, words, width)
    return _placard(draw, spot, words, width, height)


def _spot(scenery: Scenery, avoid: list[Pixels]) -> tuple[Pixels, str]:
    """The scene's own sign spot, or the same sign slid left or right, or a placard: whichever the
    cast hides least. A slide screen stays put: a speaker in front of the slide is the picture."""
    width, height = scenery.image.size
    if scenery.sign_kind == "screen" and scenery.sign_spot:
        return scenery.sign_spot, "screen"
    candidates: list[tuple[Pixels, str]] = []
    if scenery.sign_spot:
        left, top, right, bottom = scenery.sign_spot
        w = right - left
        for x in (left, width * 0.06, width * 0.94 - w):
            candidates.append(((x, top, x + w, bottom), scenery.sign_kind))
    board_w, board_h = width * 0.36, height * 0.13
    for x in (width * 0.05, width * 0.95 - board_w, (width - board_w) / 2):
        candidates.append(((x, height * 0.06, x + board_w, height * 0.06 + board_h), "placard"))

    def hidden(candidate: tuple[Pixels, str]) -> float:
        (x0, y0, x1, y1), _ = candidate
        return sum(max(0, min(x1, b[2]) - max(x0, b[0])) * max(0, min(y1, b[3]) - max(y0, b[1])) for b in avoid)

    # The first candidate wins ties, so the scene's own spot is kept when it is clear.
    return min(candidates, key=hidden)


def _fit_text(draw: ImageDraw.ImageDraw, box: Pixels, words: str, colour, max_lines: int = 2) -> None:
    """The text as large as fits the box, on one line or wrapped onto two, centred."""
    left, top, right, bottom = box
    box_w, box_h = right - left, bottom - top
    best = None
    for lines in range(1, max_lines + 1):
        wrapped = textwrap.wrap(words, width=max(1, -(-len(words) // lines) + 2)) if lines > 1 else [words]
        if len(wrapped) > lines:
            continue
        size = int(box_h / len(wrapped) * 0.8)
        while size > 6:
            face = sign_font(size)
            widest = max(draw.textlength(line, font=face) for line in wrapped)
            if widest <= box_w * 0.9:
                break
            size = int(size * 0.92)
        if best is None or size > best[0]:
            best = (size, wrapped)
    size, wrapped = best
    face = sign_font(size)
    line_h = size * 1.05
    y = (top + bottom) / 2 - line_h * (len(wrapped) - 1) / 2
    for line in wrapped:
        draw.text(((left + right) / 2, y), line, font=face, fill=colour, anchor="mm")
        y += line_h


def _slide(draw: ImageDraw.ImageDraw, screen: Pixels, words: str, width: int, rng: random.Random) -> Pixels:
    """A talk's slide: the title on top, a chart that only goes one way underneath."""
    left, top, right, bottom = screen
    w, h = right - left, bottom - top
    _fit_text(draw, (left + w * 0.05, top + h * 0.06, right - w * 0.05, top + h * 0.42), words, INK)
    line = ink_width(width)
    chart = (left + w * 0.2, top + h * 0.5, right - w * 0.2, bottom - h * 0.1)
    draw.line((chart[0], chart[1], chart[0], chart[3], chart[2], chart[3]), fill=INK, width=line)
    steps = 5
    points = [
        (
            chart[0] + (chart[2] - chart[0]) * k / steps,
            chart[3] - (chart[3] - chart[1]) * (k / steps) ** 2 * rng.uniform(0.85, 1.0),
        )
        for k in range(steps + 1)
    ]
    draw.line(points, fill=SIGN_RED, width=line * 2, joint="curve")
    return screen


def _banner(draw: ImageDraw.ImageDraw, spot: Pixels, words: str, width: int) -> Pixels:
    """A cloth banner strung across the top, with notched ends."""
    left, top, right, bottom = spot
    line = ink_width(width)
    notch = (bottom - top) * 0.4
    for end, direction in ((left, -1), (right, 1)):
        tail = end + direction * (bottom - top) * 0.9
        draw.polygon(
            [
                (end, top + (bottom - top) * 0.2),
                (tail, top + (bottom - top) * 0.2),
                (tail + direction * -notch, (top + bottom) / 2 + (bottom - top) * 0.1),
                (tail, bottom + (bottom - top) * 0.2),
                (end, bottom + (bottom - top) * 0.2),
            ],
            fill=(170, 20, 35),
            outline=INK,
            width=line,
        )
    draw.rectangle(spot, fill=SIGN_RED, outline=INK, width=line)
    _fit_text(
        draw,
        (left + line * 2, top + line * 2, right - line * 2, bottom - line * 2),
        words,
        (255, 245, 220),
        max_lines=1,
    )
    return spot


def _poster(draw: ImageDraw.ImageDraw, spot: Pixels, words: str, width: int) -> Pixels:
    """A poster pinned to the wall."""
    left, top, right, bottom = spot
    line = ink_width(width)
    draw.rectangle(spot, fill=(255, 250, 225), outline=INK, width=line)
    inset = min(line * 3, (bottom - top) * 0.08)  # a thin red rule inside the edge, whatever the size
    draw.rectangle(
        (left + inset, top + inset, right - inset, bottom - inset), outline=SIGN_RED, width=max(1, line // 2)
    )
    _fit_text(draw, (left + inset * 1.6, top + inset * 1.6, right - inset * 1.6, bottom - inset * 1.6), words, SIGN_RED)
    r = line * 1.6
    cx = (left + right) / 2
    draw.ellipse(
        (cx - r, top - r + line, cx + r, top + r + line), fill=(230, 60, 60), outline=INK, width=max(1, line // 2)
    )
    return spot


def _placard(draw: ImageDraw.ImageDraw, spot: Pixels, words: str, width: int, height: int) -> Pixels:
    """A board on a post."""
    left, top, right, bottom = spot
    line = ink_width(width)
    post_x = (left + right) / 2
    draw.rectangle(
        (post_x - line * 2, bottom, post_x + line * 2, bottom + height * 0.1),
        fill=(150, 100, 60),
        outline=INK,
        width=line,
    )
    draw.rectangle(spot, fill=(255, 250, 230), outline=INK, width=line)
    _fit_text(draw, (left + line * 2, top + line * 2, right - line * 2, bottom - line * 2), words, SIGN_RED)
    return spot
