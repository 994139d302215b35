"""Where things are on the picture (cast boxes, faces) and smooth drawing of balloons and tags."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image, ImageDraw

from sightgag.concept import Box

# The layout marks where each cast member stands; their face is in the top part of that box.
FACE_SHARE = 0.4
# Pillow draws curves without anti-aliasing: shapes are drawn this many times larger and scaled down.
SUPERSAMPLE = 3


@dataclass(frozen=True)
class Rect:
    left: float
    top: float
    right: float
    bottom: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top

    @property
    def area(self) -> float:
        return max(0.0, self.width) * max(0.0, self.height)

    @property
    def center(self) -> tuple[float, float]:
        return ((self.left + self.right) / 2, (self.top + self.bottom) / 2)

    def overlap(self, other: Rect) -> float:
        width = min(self.right, other.right) - max(self.left, other.left)
        height = min(self.bottom, other.bottom) - max(self.top, other.top)
        return max(0.0, width) * max(0.0, height)

    def grow(self, by: float) -> Rect:
        return Rect(self.left - by, self.top - by, self.right + by, self.bottom + by)

    def inside(self, width: float, height: float) -> bool:
        return self.left >= 0 and self.top >= 0 and self.right <= width and self.bottom <= height


def cast_rect(box: Box, image: Image.Image) -> Rect:
    """A cast member's layout box (unit canvas) in the picture's pixels."""
    width, height = image.size
    return Rect(box.x * width, box.y * height, (box.x + box.w) * width, (box.y + box.h) * height)


def face_rect(body: Rect) -> Rect:
    """The top of a cast box, where the face is: lettering keeps off it."""
    return Rect(body.left, body.top, body.right, body.top + FACE_SHARE * body.height)


# paint(ink, paper, at, scale): draw the black outline shapes on `ink` and the white shapes on `paper`,
# both supersampled masks; at(x, y) maps picture pixels onto them.
Painter = Callable[[ImageDraw.ImageDraw, ImageDraw.ImageDraw, Callable[[float, float], tuple[float, float]], int], None]


def paste_smooth(image: Image.Image, area: Rect, paint: Painter) -> None:
    """Draw black-edged white shapes over `area` of the picture, supersampled so curves come out smooth.

    The shapes are drawn as two masks (ink, then paper over it) rather than as a colour layer:
    one byte a pixel, and pasting a colour through a mask needs no conversion.
    """
    left, top = max(0, int(area.left)), max(0, int(area.top))
    right, bottom = min(image.width, int(area.right) + 1), min(image.height, int(area.bottom) + 1)
    if right <= left or bottom <= top:
        return
    size = ((right - left) * SUPERSAMPLE, (bottom - top) * SUPERSAMPLE)
    ink, paper = Image.new("L", size, 0), Image.new("L", size, 0)

    def at(x: float, y: float) -> tuple[float, float]:
        return ((x - left) * SUPERSAMPLE, (y - top) * SUPERSAMPLE)

    paint(ImageDraw.Draw(ink), ImageDraw.Draw(paper), at, SUPERSAMPLE)
    box = (left, top, right, bottom)
    image.paste("black", box, ink.reduce(SUPERSAMPLE))
    image.paste("white", box, paper.reduce(SUPERSAMPLE))
