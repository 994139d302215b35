"""Mixed-font lines of type: each character drawn by the first face that has it, emoji in colour.

A line is split into runs, one per face: the style's own face, then its fallbacks (Greek,
Cyrillic, CJK, symbols), and OpenMoji for emoji. Runs share one baseline, so a line mixing a
condensed sans, a kanji and an emoji still sits straight.
"""

from __future__ import annotations

import logging
import math
import unicodedata
from dataclasses import dataclass
from functools import cached_property, lru_cache

import emoji
from PIL import Image, ImageDraw

from sightgag.letterer.fonts import OPENMOJI, Typeface, covers, font

log = logging.getLogger(__name__)

# OpenMoji's glyphs stand taller than capitals at the same size; this evens them out.
EMOJI_SCALE = 0.9


@dataclass(frozen=True)
class Setting:
    """How a style sets type: its faces (own first, then fallbacks), leading and outline."""

    faces: tuple[Typeface, ...]
    leading: float = 1.15  # line advance, in font sizes
    outline: float = 0.0  # outline width, in font sizes: a meme's black edge grows with its letters
    upper: bool = False  # all caps, as memes and comic balloons are lettered

    @property
    def primary(self) -> Typeface:
        return self.faces[0]

    def outline_width(self, size: int) -> int:
        return max(1, round(size * self.outline)) if self.outline else 0


def all_caps(text: str) -> str:
    """Text in capitals; Greek capitals drop their accents (not the diaeresis), as Greek typesetting does."""
    upper = text.upper()
    if not any(_is_greek(character) for character in upper):
        return upper
    kept, base = [], ""
    for character in unicodedata.normalize("NFD", upper):
        if unicodedata.combining(character) and character != "\u0308" and _is_greek(base):
            continue
        kept.append(character)
        if not unicodedata.combining(character):
            base = character
    return unicodedata.normalize("NFC", "".join(kept))


def _is_greek(character: str) -> bool:
    return "\u0370" <= character <= "\u03ff" or "\u1f00" <= character <= "\u1fff"


@dataclass(frozen=True)
class Run:
    """Characters drawn with one face."""

    text: str
    face: Typeface

    def size(self, size: int) -> int:
        return max(1, round(size * EMOJI_SCALE)) if self.face.color else size


@lru_cache(maxsize=4096)
def runs(text: str, faces: tuple[Typeface, ...]) -> tuple[Run, ...]:
    """Split text into runs by face: emoji sequences to OpenMoji, other characters by coverage."""
    pieces: list[Run] = []
    start = 0
    for match in emoji.emoji_list(text):
        pieces += _runs_by_coverage(text[start : match["match_start"]], faces)
        sequence = match["emoji"]
        # A lone ©, ™ or ↔ has a text form too: the text face draws it if it can.
        text_form = len(sequence) == 1 and covers(faces[0], sequence)
        if not text_form and covers(OPENMOJI, sequence[0]):
            pieces.append(Run(sequence, OPENMOJI))
        else:
            pieces += _runs_by_coverage(sequence, faces)
        start = match["match_end"]
    pieces += _runs_by_coverage(text[start:], faces)
    return tuple(_merge(pieces))


def _runs_by_coverage(text: str, faces: tuple[Typeface, ...]) -> list[Run]:
    pieces: list[Run] = []
    current = faces[0]
    for character in text:
        # Spaces, joiners and combining marks stay with the run they are in.
        attached = character.isspace() or unicodedata.category(character) in ("Mn", "Me", "Cf")
        if not attached:
            current = next((face for face in faces if not face.color and covers(face, character)), None)
            if current is None:
                log.warning("no installed font has %r (U+%04X); it is drawn as a box", character, ord(character))
                current = faces[0]
        pieces.append(Run(character, current))
    return pieces


def _merge(pieces: list[Run]) -> list[Run]:
    merged: list[Run] = []
    for piece in pieces:
        if merged and merged[-1].face == piece.face:
            merged[-1] = Run(merged[-1].text + piece.text, piece.face)
        else:
            merged.append(piece)
    return merged


@lru_cache(maxsize=16384)
def advance_width(text: str, setting: Setting, size: int) -> float:
    """The advance width of one line of text, in pixels, with its outline."""
    advance = sum(font(run.face, run.size(size)).getlength(run.text) for run in runs(text, setting.faces))
    return advance + 2 * setting.outline_width(size)


@lru_cache(maxsize=16384)
def ink_box(text: str, setting: Setting, size: int) -> tuple[float, float, float, float]:
    """The ink box of one line drawn from (0, baseline 0): left, top, right, bottom."""
    stroke = setting.outline_width(size)
    left = top = float("inf")
    right = bottom = float("-inf")
    x = 0.0
    for run in runs(text, setting.faces):
        face_font = font(run.face, run.size(size))
        run_stroke = 0 if run.face.color else stroke
        box = face_font.getbbox(run.text, anchor="ls", stroke_width=run_stroke)
        if box[2] > box[0]:  # spaces have no ink
            left, top = min(left, x + box[0]), min(top, box[1])
            right, bottom = max(right, x + box[2]), max(bottom, box[3])
        x += face_font.getlength(run.text)
    if left == float("inf"):
        return (0.0, 0.0, 0.0, 0.0)
    return (left, top, right, bottom)


@dataclass(frozen=True)
class Block:
    """Lines of type at one size, centred on each other; coordinates relative to the first baseline."""

    lines: tuple[str, ...]
    setting: Setting
    size: int

    @property
    def advance(self) -> float:
        return self.size * self.setting.leading

    @cached_property
    def line_ink(self) -> list[tuple[float, float, float, float]]:
        """Each line's ink box, the line centred on x = 0 and its baseline at y = i * advance."""
        boxes = []
        for i, line in enumerate(self.lines):
            left, top, right, bottom = ink_box(line, self.setting, self.size)
            shift = -advance_width(line, self.setting, self.size) / 2 + self.setting.outline_width(self.size)
            baseline = i * self.advance
            boxes.append((left + shift, top + baseline, right + shift, bottom + baseline))
        return boxes

    @cached_property
    def ink(self) -> tuple[float, float, float, float]:
        boxes = self.line_ink
        return (
            min(box[0] for box in boxes),
            min(box[1] for box in boxes),
            max(box[2] for box in boxes),
            max(box[3] for box in boxes),
        )

    @property
    def width(self) -> float:
        left, _, right, _ = self.ink
        return right - left

    @property
    def height(self) -> float:
        _, top, _, bottom = self.ink
        return bottom - top

    @property
    def text(self) -> str:
        return " ".join(self.lines)


@dataclass(frozen=True)
class DrawnText:
    """A block of text as drawn: what it says and where its ink is, in the output image's pixels."""

    text: str
    lines: tuple[str, ...]
    box: tuple[int, int, int, int]  # left, top, right, bottom (exclusive)
    line_boxes: tuple[tuple[int, int, int, int], ...]  # each line's ink, the same way
    size: int
    outline: int


def draw_block(
    draw: ImageDraw.ImageDraw,
    block: Block,
    center_x: float,
    top: float,
    *,
    fill: str | tuple[int, ...],
    outline_fill: str | tuple[int, ...] = "black",
) -> DrawnText:
    """Draw a block whose ink is centred on center_x and starts at top; return where it landed."""
    left_ink, top_ink, right_ink, _ = block.ink
    dx = center_x - (left_ink + right_ink) / 2
    dy = top - top_ink
    stroke = block.setting.outline_width(block.size)
    for i, line in enumerate(block.lines):
        x = dx - advance_width(line, block.setting, block.size) / 2 + stroke
        y = dy + i * block.advance
        for run in runs(line, block.setting.faces):
            face_font = font(run.face, run.size(block.size))
            if run.face.color:
                draw.text((x, y), run.text, font=face_font, anchor="ls", embedded_color=True)
            else:
                draw.text(
                    (x, y),
                    run.text,
                    font=face_font,
                    anchor="ls",
                    fill=fill,
                    stroke_width=stroke,
                    stroke_fill=outline_fill,
                )
            x += face_font.getlength(run.text)
    return DrawnText(
        text=block.text,
        lines=block.lines,
        box=_pixels(block.ink, dx, dy),
        line_boxes=tuple(_pixels(line, dx, dy) for line in block.line_ink),
        size=block.size,
        outline=stroke,
    )


def _pixels(box: tuple[float, float, float, float], dx: float, dy: float) -> tuple[int, int, int, int]:
    """A box moved by (dx, dy), rounded outwards to whole pixels."""
    left, top, right, bottom = box
    return (math.floor(left + dx), math.floor(top + dy), math.ceil(right + dx), math.ceil(bottom + dy))


@dataclass
class Lettered:
    """A lettered picture and every block of text on it, for checks (OCR, bounds) and debugging."""

    image: Image.Image
    style: str
    texts: list[DrawnText]


def min_legible_size(image: Image.Image) -> int:
    """The smallest type a style may shrink to: 2.5% of the short side, never under 12 px."""
    return max(12, round(0.025 * min(image.size)))
