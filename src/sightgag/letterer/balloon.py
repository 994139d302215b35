"""Speech balloons: an ellipse of comic lettering near the speaker, its tail pointing at them, off the faces.

The balloon is placed by trying sizes (down to the minimum legible one) and positions over the
picture, and scoring each: covering a face costs most, covering a cast member's body some, then
distance from the speaker's head, sitting below it, and smaller lettering.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from sightgag.concept import Box, Concept
from sightgag.letterer.errors import CaptionTooLongError
from sightgag.letterer.fit import fit
from sightgag.letterer.fonts import COMIC_NEUE_BOLD, DEJAVU_SANS_BOLD, NOTO_SANS_CJK_BOLD, SOURCE_SANS_BOLD
from sightgag.letterer.shapes import Rect, cast_rect, face_rect, paste_smooth
from sightgag.letterer.text import Block, Lettered, Setting, draw_block, min_legible_size

# Comic balloons are lettered in caps, in a hand-lettering face.
SETTING = Setting(
    faces=(COMIC_NEUE_BOLD, SOURCE_SANS_BOLD, NOTO_SANS_CJK_BOLD, DEJAVU_SANS_BOLD), leading=1.12, upper=True
)
MAX_SIZE = 0.05  # of the picture's short side
# The balloon's text column, as shares of the picture's width: narrow and round first, then wide and flat.
TEXT_WIDTHS = (0.3, 0.45, 0.6)
TEXT_HEIGHT = 0.4
MAX_LINES = 5  # a long speech takes a tall balloon rather than tiny type
MARGIN = 0.02  # kept between the balloon and the picture's edges, as a share of the short side
PADDING = 0.4  # white space inside the balloon around the text, in font sizes
OUTLINE = 0.09  # the balloon's outline, in font sizes
SHRINK = 0.85  # the sizes tried, each this much smaller than the last
GRID = 17  # positions tried across and down
# What a spot costs: covering faces most, then the picture's own text (a sign is half the joke),
# then bodies, distance from the speaker's head, sitting below it, and smaller lettering.
FACE_COST, SIGN_COST, BODY_COST, BELOW_COST, SMALL_COST = 50.0, 50.0, 2.0, 1.0, 0.6


# extra(xs, ys, radius_x, radius_y): a further cost over the grid of centres (a strip keeps reading order with it).
ExtraCost = Callable[[np.ndarray, np.ndarray, float, float], np.ndarray]


@dataclass(frozen=True)
class Balloon:
    center: tuple[float, float]
    radii: tuple[float, float]
    block: Block
    cost: float
    covers_a_face: bool


def letter_balloon(image: Image.Image, concept: Concept, text: str, keep_clear: Sequence[Box] = ()) -> Lettered:
    """The caption in a speech balloon near concept.caption.speaker (the hero when no speaker is named),
    off the faces and off `keep_clear` (unit-canvas boxes of text painted in the picture)."""
    lettered = image.copy()
    speaker_name = concept.caption.speaker or concept.hero.name
    speaker = next((member for member in concept.cast if member.name == speaker_name), concept.hero)
    bodies = [cast_rect(member.box, lettered) for member in concept.cast]
    faces = [face_rect(body) for body in bodies]
    speaker_face = face_rect(cast_rect(speaker.box, lettered))
    signs = [cast_rect(box, lettered) for box in keep_clear]

    balloon = place_balloon(lettered, text, speaker_face, faces, bodies, signs)
    outline = max(2, round(balloon.block.size * OUTLINE))
    tail = balloon_tail(balloon, speaker_face, gap=0.015 * min(lettered.size))
    draw_balloon(lettered, balloon, tail, outline)

    center_x, center_y = balloon.center
    drawn = draw_block(
        ImageDraw.Draw(lettered), balloon.block, center_x, center_y - balloon.block.height / 2, fill="black"
    )
    return Lettered(lettered, "balloon", [drawn])


def place_balloon(
    image: Image.Image,
    text: str,
    speaker_face: Rect,
    faces: list[Rect],
    bodies: list[Rect],
    signs: list[Rect],
    extra: ExtraCost | None = None,
) -> Balloon:
    """The best-scoring balloon over every size from the largest down to the minimum legible one."""
    width, height = image.size
    min_size = min_legible_size(image)
    max_size = max(round(MAX_SIZE * min(width, height)), min_size)
    best: Balloon | None = None
    tried: set[tuple[int, tuple[str, ...]]] = set()
    size = max_size
    while True:
        for block in _blocks(text, width, height, size, min_size):
            if (block.size, block.lines) in tried:
                continue
            tried.add((block.size, block.lines))
            balloon = _best_position(image, block, speaker_face, faces, bodies, signs, max_size, extra)
            if balloon is not None and (best is None or balloon.cost < best.cost):
                best = balloon
        if size <= min_size:
            break
        size = max(min_size, math.floor(size * SHRINK))
    if best is None:
        raise CaptionTooLongError(
            f"a {width}x{height} picture has no room for this balloon: shorten the caption or use --lettering caption"
        )
    return best


def _blocks(text: str, width: int, height: int, size: int, min_size: int) -> list[Block]:
    """The text set in each column width that can hold it at a legible size."""
    blocks = []
    for share in TEXT_WIDTHS:
        try:
            blocks.append(
                fit(
                    text,
                    SETTING,
                    share * width,
                    TEXT_HEIGHT * height,
                    max_size=size,
                    min_size=min_size,
                    max_lines=MAX_LINES,
                )
            )
        except CaptionTooLongError:
            continue  # too long for this column; a wider one may hold it
    return blocks


def _radii(block: Block) -> tuple[float, float]:
    """The smallest ellipse (of a pleasing height) that holds every line with padding around it."""
    pad = PADDING * block.size
    _, top, _, bottom = block.ink
    middle = (top + bottom) / 2
    radius_y = 1.3 * (bottom - top) / 2 + pad
    radius_x = 0.0
    for line_left, line_top, line_right, line_bottom in block.line_ink:
        half_width = max(abs(line_left), abs(line_right)) + pad
        reach = max(abs(line_top - middle), abs(line_bottom - middle)) + pad / 2
        radius_x = max(radius_x, half_width / math.sqrt(max(0.05, 1 - (reach / radius_y) ** 2)))
    return radius_x, radius_y


def _best_position(
    image: Image.Image,
    block: Block,
    speaker_face: Rect,
    faces: list[Rect],
    bodies: list[Rect],
    signs: list[Rect],
    max_size: int,
    extra: ExtraCost | None = None,
) -> Balloon | None:
    """The cheapest spot for a balloon holding `block`, over a grid of centres (None if it cannot fit)."""
    width, height = image.size
    margin = MARGIN * min(width, height) + block.size * OUTLINE
    radius_x, radius_y = _radii(block)
    if 2 * (radius_x + margin) > width or 2 * (radius_y + margin) > height:
        return None
    xs = np.linspace(margin + radius_x, width - margin - radius_x, GRID)[:, None]
    ys = np.linspace(margin + radius_y, height - margin - radius_y, GRID)[None, :]
    # The rectangle with the ellipse's area stands in for it when measuring overlaps.
    half_x, half_y = radius_x * math.sqrt(math.pi) / 2, radius_y * math.sqrt(math.pi) / 2
    area = 4 * half_x * half_y

    def overlap(rect: Rect) -> np.ndarray:
        overlap_x = np.clip(np.minimum(xs + half_x, rect.right) - np.maximum(xs - half_x, rect.left), 0, None)
        overlap_y = np.clip(np.minimum(ys + half_y, rect.bottom) - np.maximum(ys - half_y, rect.top), 0, None)
        return overlap_x * overlap_y

    def covered(rects: list[Rect]) -> np.ndarray:
        """The share of the balloon over `rects`."""
        return sum((overlap(rect) for rect in rects), np.zeros((GRID, GRID))) / area

    def hidden(rects: list[Rect]) -> np.ndarray:
        """How much of each of `rects` the balloon hides (a small sign under a big balloon is all gone)."""
        return sum((overlap(rect) / max(rect.width * rect.height, 1.0) for rect in rects), np.zeros((GRID, GRID)))

    face_cover = covered(faces)
    head_x, head_y = speaker_face.center[0], speaker_face.top
    distance = np.hypot(xs - head_x, ys + radius_y - head_y) / math.hypot(width, height)
    # Comics put balloons above the speaker's head; a balloon below it reads as someone else's.
    below = np.clip(ys - head_y, 0, None) / height
    smaller = 1 - block.size / max_size
    cost = (
        FACE_COST * face_cover
        + SIGN_COST * hidden(signs)
        + BODY_COST * covered(bodies)
        + distance
        + BELOW_COST * below
        + SMALL_COST * smaller
    )
    if extra is not None:
        cost = cost + extra(xs, ys, radius_x, radius_y)
    i, j = np.unravel_index(np.argmin(cost), cost.shape)
    return Balloon(
        (float(xs[i, 0]), float(ys[0, j])), (radius_x, radius_y), block, float(cost[i, j]), bool(face_cover[i, j] > 0)
    )


def balloon_tail(balloon: Balloon, speaker_face: Rect, gap: float) -> list[tuple[float, float]]:
    """A curved wedge from inside the balloon towards the speaker's face, stopping just short of it."""
    center_x, center_y = balloon.center
    radius_x, radius_y = balloon.radii
    target_x, target_y = speaker_face.center
    distance = math.hypot(target_x - center_x, target_y - center_y)
    if distance < 1:
        return []
    ux, uy = (target_x - center_x) / distance, (target_y - center_y) / distance

    def edge(dx: float, dy: float) -> float:
        """How far the ellipse's edge is from its centre in direction (dx, dy)."""
        return 1 / math.sqrt((dx / radius_x) ** 2 + (dy / radius_y) ** 2)

    reach = _distance_to_rect(center_x, center_y, ux, uy, speaker_face) - gap
    length = max(reach, edge(ux, uy) + 0.3 * radius_y)
    tip = (center_x + ux * length, center_y + uy * length)

    # The tail's base sits well inside the balloon, where the white ellipse hides its seam.
    half_base = max(0.45 * balloon.block.size, 0.12 * min(radius_x, radius_y))
    root = 0.7 * edge(ux, uy)
    root_x, root_y = center_x + ux * root, center_y + uy * root
    base = [(root_x - uy * half_base, root_y + ux * half_base), (root_x + uy * half_base, root_y - ux * half_base)]

    # Both sides bow the same way, so the tail sweeps like a hand-drawn one.
    bow = 0.12 * (length - edge(ux, uy))
    normal = (-uy * bow, ux * bow)
    side_a = _bezier(base[0], _midpoint(base[0], tip, normal), tip)
    side_b = _bezier(tip, _midpoint(tip, base[1], normal), base[1])
    return side_a + side_b[1:]


def _distance_to_rect(x: float, y: float, ux: float, uy: float, rect: Rect) -> float:
    """How far a ray from (x, y) travels before it enters rect (0 if it starts inside)."""
    entry, leave = 0.0, math.inf
    for origin, direction, low, high in ((x, ux, rect.left, rect.right), (y, uy, rect.top, rect.bottom)):
        if abs(direction) < 1e-9:
            if not low <= origin <= high:
                return 0.0
            continue
        near, far = sorted(((low - origin) / direction, (high - origin) / direction))
        entry, leave = max(entry, near), min(leave, far)
    return entry if entry <= leave else 0.0


def _midpoint(a: tuple[float, float], b: tuple[float, float], offset: tuple[float, float]) -> tuple[float, float]:
    return ((a[0] + b[0]) / 2 + offset[0], (a[1] + b[1]) / 2 + offset[1])


def _bezier(start, control, end, steps: int = 12) -> list[tuple[float, float]]:
    points = []
    for step in range(steps + 1):
        t = step / steps
        points.append(
            (
                (1 - t) ** 2 * start[0] + 2 * (1 - t) * t * control[0] + t**2 * end[0],
                (1 - t) ** 2 * start[1] + 2 * (1 - t) * t * control[1] + t**2 * end[1],
            )
        )
    return points


def draw_balloon(image: Image.Image, balloon: Balloon, tail: list[tuple[float, float]], outline: int) -> None:
    center_x, center_y = balloon.center
    radius_x, radius_y = balloon.radii
    ellipse = Rect(center_x - radius_x, center_y - radius_y, center_x + radius_x, center_y + radius_y)
    area = ellipse
    if tail:
        xs, ys = [x for x, _ in tail], [y for _, y in tail]
        area = Rect(min(area.left, *xs), min(area.top, *ys), max(area.right, *xs), max(area.bottom, *ys))

    def paint(ink: ImageDraw.ImageDraw, paper: ImageDraw.ImageDraw, at, scale: int) -> None:
        line = outline * scale
        left, top = at(ellipse.left, ellipse.top)
        right, bottom = at(ellipse.right, ellipse.bottom)
        points = [at(x, y) for x, y in tail]
        # Ink is each shape grown by the outline; paper is the shapes: one outline around both.
        ink.ellipse((left - line, top - line, right + line, bottom + line), fill=255)
        paper.ellipse((left, top, right, bottom), fill=255)
        if points:
            ink.polygon(points, fill=255)
            ink.line([*points, points[0]], fill=255, width=2 * line, joint="curve")
            paper.polygon(points, fill=255)

    paste_smooth(image, area.grow(outline + 2), paint)
