"""Lettering never hides the hero: the final picture is checked, and the lettering moves when it would.

A meme's bottom line over a hero the layout put low (the sketch's scale-mismatch layout puts Mittens in
the lower left, under the giant yarn) leaves nothing of her to see. The hero's face is the top of its
cast box (where the artist put it). When the lettering covers more than a little of it, the letterer
tries, in order: the whole meme on top, the whole meme at the bottom, then, unless the user asked for
that style, the caption band under the picture, which covers nothing. The least-covering try is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image

from sightgag.concept import Box, Concept
from sightgag.letterer import Lettered, letter_with_boxes
from sightgag.letterer.meme import letter_meme
from sightgag.letterer.shapes import Rect, cast_rect, face_rect

COVER_LIMIT = 0.2  # share of the hero's face that lettering may cover before it moves


@dataclass
class Placed:
    lettered: Lettered
    covered: float  # share of the hero's face under the lettering, 0..1
    moved: str = ""  # what was done to keep it clear, if anything


def hero_face(image: Image.Image, concept: Concept, drawn: Box | None = None) -> Rect:
    """The top of the hero as the artist drew it when it says where, else of its cast box."""
    return face_rect(cast_rect(drawn or concept.hero.box, image))


def covered_share(lettered: Lettered, face: Rect) -> float:
    """How much of the face the lettering's ink covers, counted over the picture only (not a band under it)."""
    if face.area <= 0:
        return 0.0
    boxes = [Rect(*map(float, line)) for text in lettered.texts for line in text.line_boxes]
    return min(1.0, sum(face.overlap(box) for box in boxes) / face.area)


def letter_clear_of_hero(
    image: Image.Image,
    concept: Concept,
    style: str | None,
    keep_clear: Sequence[Box] = (),
    *,
    forced: bool = False,
    hero: Box | None = None,
) -> Placed:
    """The lettered picture, moved off the hero's face when the first placement covers it.

    `hero`: where the artist drew the hero, when it reports it; `forced`: the user chose the style.
    """
    lettered = letter_with_boxes(image, concept, style, keep_clear=keep_clear)
    face = hero_face(image, concept, hero)
    first = Placed(lettered, covered_share(lettered, face))
    if first.covered <= COVER_LIMIT or lettered.style not in ("meme", "label"):
        return first
    tries = [first]
    picture = image if image.mode == "RGB" else image.convert("RGB")
    if lettered.style == "meme":
        words = " ".join(text.text for text in lettered.texts)
        for top, bottom, what in ((words, "", "meme set on top only"), ("", words, "meme set at the bottom only")):
            moved = letter_meme(picture, top, bottom)
            tries.append(Placed(moved, covered_share(moved, face), what))
    if not forced:
        band = letter_with_boxes(image, concept, "caption")
        tries.append(Placed(band, 0.0, f"{lettered.style} switched to a caption band"))
    # The first try that clears the face wins; failing that, whichever covers least.
    clear = [placed for placed in tries if placed.covered <= COVER_LIMIT]
    return clear[0] if clear else min(tries, key=lambda placed: placed.covered)
