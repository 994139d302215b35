"""Crowds: a cast member that is many people ("audience", "judges") is drawn as many people.

An audience is a row of heads seen from behind, a comic's classic front row; a panel of judges sits
at a table holding up score cards.
"""

from __future__ import annotations

import random
import re

from PIL import Image, ImageDraw

from sightgag.artist.sketch.figures import glyph_art
from sightgag.artist.sketch.scenes import INK, Pixels, ink_width
from sightgag.artist.sketch.signs import sign_font

HAIR = [(40, 30, 25), (120, 70, 30), (230, 190, 90), (90, 90, 95), (170, 60, 30), (220, 220, 215)]
SHIRTS = [(70, 110, 200), (200, 70, 80), (90, 170, 110), (240, 190, 60), (140, 90, 180), (60, 60, 70)]
JUDGES = r"judge|jury|panel"


def draw_crowd(image: Image.Image, name: str, box: Pixels, rng: random.Random, scores: list[str]) -> str:
    """Draw the crowd a cast member names inside its box; returns what was drawn."""
    if re.search(JUDGES, name.lower()):
        judges_table(image, box, rng, scores)
        return "judges"
    audience(image, box, rng)
    return "audience"


def audience(image: Image.Image, box: Pixels, rng: random.Random) -> None:
    """Heads and shoulders from behind, in a row or two filling the box's width."""
    draw = ImageDraw.Draw(image)
    width = image.width
    line = ink_width(width)
    left, top, right, bottom = box
    head = max(width * 0.025, min((bottom - top) * 0.25, (right - left) / 12, width * 0.045))
    for row, y_shift in enumerate((0.0, 0.45)):
        x = left - head * (0.2 + 0.9 * row)
        while x < right + head:
            cy = bottom - head * (1.2 - y_shift) + rng.uniform(-head * 0.15, head * 0.15)
            shirt = rng.choice(SHIRTS)
            draw.chord(
                (x - head * 1.3, cy + head * 0.6, x + head * 1.3, cy + head * 3.2),
                180,
                360,
                fill=shirt,
                outline=INK,
                width=line,
            )
            r = head * rng.uniform(0.85, 1.05)
            draw.ellipse((x - r, cy - r, x + r, cy + r), fill=rng.choice(HAIR), outline=INK, width=line)
            x += head * rng.uniform(2.1, 2.6)


def judges_table(image: Image.Image, box: Pixels, rng: random.Random, scores: list[str]) -> None:
    """Three judges behind a draped table, each holding up a score card."""
    draw = ImageDraw.Draw(image)
    line = ink_width(image.width)
    width, height = image.size
    left, top, right, bottom = box
    # However much room the writer gave them, judges sit at a table of a sensible size.
    w, h = min(right - left, width * 0.5), min(bottom - top, height * 0.32)
    left, top = (left + right) / 2 - w / 2, bottom - h
    right = left + w
    seat = w / 3
    people = ["🧑", "👩", "👨"]
    rng.shuffle(people)
    table_top = top + h * 0.55
    for k, (glyph, score) in enumerate(zip(people, scores)):
        cx = left + seat * (k + 0.5)
        art = glyph_art(glyph, int(min(seat * 0.85, h * 0.6)))
        image.paste(art, (int(cx - art.width / 2), int(table_top - art.height * 0.9)), art)
        # The card, held up beside the head.
        card_w, card_h = seat * 0.36, h * 0.26
        card_x, card_y = cx + seat * 0.1, table_top - art.height * 0.95 - card_h * 0.2
        draw.line((card_x + card_w * 0.5, card_y + card_h, card_x + card_w * 0.4, table_top), fill=INK, width=line * 2)
        draw.rectangle(
            (card_x, card_y, card_x + card_w, card_y + card_h), fill=(255, 255, 255), outline=INK, width=line
        )
        face = sign_font(max(8, int(min(card_h * 0.7, card_w * 1.5 / max(1, len(score))))))
        draw.text((card_x + card_w / 2, card_y + card_h / 2), score, font=face, fill=INK, anchor="mm")
    draw.rectangle((left, table_top, right, bottom), fill=(60, 80, 150), outline=INK, width=line)
    draw.rectangle((left, table_top, right, table_top + h * 0.08), fill=(240, 200, 70), outline=INK, width=line)
