"""Labels: small tags on cast members, as in "expectation vs reality" or "the dog / the homework" jokes.

A caption with one part per cast member ("Expectation | Reality", "Me vs. Monday", "the plan / the
result") labels the cast in order, one part each. Any other caption is set as a title tag over the
picture, and the cast is labelled with their names.
"""

from __future__ import annotations

import re

from PIL import Image, ImageDraw

from sightgag.concept import Concept
from sightgag.letterer.fit import fit
from sightgag.letterer.fonts import DEJAVU_SANS_BOLD, NOTO_SANS_CJK_BOLD, SOURCE_SANS_BOLD
from sightgag.letterer.shapes import Rect, cast_rect, face_rect, paste_smooth
from sightgag.letterer.text import Block, Lettered, Setting, draw_block, min_legible_size

SETTING = Setting(faces=(SOURCE_SANS_BOLD, NOTO_SANS_CJK_BOLD, DEJAVU_SANS_BOLD), leading=1.1)
PARTS = re.compile(r"\s*\|\s*|\s+/\s+|\s*;\s*|\s*\n\s*|\s+vs\.?\s+", re.IGNORECASE)
MAX_SIZE = 0.04  # of the picture's short side
MARGIN = 0.02  # kept from the picture's edges, as a share of the short side
TAG_WIDTH = (0.2, 0.45)  # the narrowest and widest text in a member's tag, as shares of the picture's width
TITLE_WIDTH = 0.8
TAG_HEIGHT = 0.16
PADDING_X, PADDING_Y = 0.45, 0.3  # around the text, in font sizes
OUTLINE = 0.08  # the tag's edge, in font sizes
CHEST = 0.68  # where a member's tag is centred, down their layout box


def letter_label(image: Image.Image, concept: Concept, text: str) -> Lettered:
    """Tags on the cast members (the caption's parts, or their names plus the caption as a title)."""
    lettered = image.copy()
    width, height = lettered.size
    short = min(width, height)
    bodies = [cast_rect(member.box, lettered) for member in concept.cast]
    faces = [face_rect(body) for body in bodies]

    parts = [part for part in PARTS.split(text) if part]
    if 2 <= len(parts) <= len(concept.cast):
        tags: list[tuple[Rect | None, str]] = list(zip(bodies, parts))
    else:
        tags = [(body, member.name) for body, member in zip(bodies, concept.cast)] + [(None, text)]

    min_size = min_legible_size(lettered)
    max_size = max(round(MAX_SIZE * short), min_size)

    def set_tag(body: Rect | None, words: str, size: int) -> Block:
        if body is None:
            text_width = TITLE_WIDTH * width
        else:
            text_width = min(max(body.width, TAG_WIDTH[0] * width), TAG_WIDTH[1] * width)
        return fit(words, SETTING, text_width, TAG_HEIGHT * height, max_size=size, min_size=min_size)

    # All tags share one size, the largest at which every one of them fits: a set of labels reads as one.
    common = min(set_tag(body, words, max_size).size for body, words in tags)
    blocks = [set_tag(body, words, common) for body, words in tags]

    draw = ImageDraw.Draw(lettered)
    margin = MARGIN * short
    placed: list[Rect] = []
    texts = []
    for (body, _), block in zip(tags, blocks):
        pad_x, pad_y = PADDING_X * block.size, PADDING_Y * block.size
        tag_width, tag_height = block.width + 2 * pad_x, block.height + 2 * pad_y
        tag = _place(tag_width, tag_height, body, faces, placed, width, height, margin)
        placed.append(tag)
        _draw_tag(lettered, tag, block.size)
        texts.append(draw_block(draw, block, tag.center[0], tag.top + pad_y, fill="black"))
    return Lettered(lettered, "label", texts)


def _place(
    tag_width: float,
    tag_height: float,
    body: Rect | None,
    faces: list[Rect],
    placed: list[Rect],
    width: int,
    height: int,
    margin: float,
) -> Rect:
    """The first spot that covers no face and no other tag: on the chest, at the box's foot, below
    it, above it (a title: top or bottom of the picture). Failing that, the least covered."""
    gap = margin / 2
    if body is None:
        center_x = width / 2
        tops = [margin, height - margin - tag_height]
    else:
        center_x = body.center[0]
        face = face_rect(body)
        # The chest first (well clear of the face a painter may draw bigger than the layout says), then
        # the foot of the box, below it, above it.
        chest = max(face.bottom + gap, body.top + CHEST * body.height - tag_height / 2)
        tops = [chest, body.bottom - gap - tag_height, body.bottom + gap, body.top - gap - tag_height]
    center_x = min(max(center_x, margin + tag_width / 2), width - margin - tag_width / 2)
    candidates = []
    for top in tops:
        top = min(max(top, margin), height - margin - tag_height)
        tag = Rect(center_x - tag_width / 2, top, center_x + tag_width / 2, top + tag_height)
        covered = sum(tag.overlap(face) for face in faces) + 10 * sum(tag.overlap(other) for other in placed)
        if covered == 0:
            return tag
        candidates.append((covered, tag))
    return min(candidates, key=lambda candidate: candidate[0])[1]


def _draw_tag(image: Image.Image, tag: Rect, size: int) -> None:
    outline = max(2, round(OUTLINE * size))
    radius = 0.35 * size

    def paint(ink: ImageDraw.ImageDraw, paper: ImageDraw.ImageDraw, at, scale: int) -> None:
        left, top = at(tag.left, tag.top)
        right, bottom = at(tag.right, tag.bottom)
        line = outline * scale
        ink.rounded_rectangle((left, top, right, bottom), radius=radius * scale, fill=255)
        paper.rounded_rectangle(
            (left + line, top + line, right - line, bottom - line), radius=(radius - outline) * scale, fill=255
        )

    paste_smooth(image, tag.grow(2), paint)
