"""Strip lettering: balloons and caption boxes on each panel, then the panels on a page under the title.

Each panel is lettered on its own, so nothing ever crosses a border: the caption box (narration) goes
in the corner that hides the fewest faces, then each balloon, in reading order, with the same
placement and measured fitting as a single panel's balloon (sightgag.letterer.balloon), keeping off
faces, off the caption box and off the balloons already placed, and reading after the one before it
(to its right, or below it). The lettered panels are then laid out in a row, a 2-column grid or a
column, with gutters, black borders and the title fitted across the top.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw

from sightgag.concept import Box
from sightgag.letterer import balloon as balloons
from sightgag.letterer.errors import CaptionTooLongError
from sightgag.letterer.fit import fit
from sightgag.letterer.fonts import COMIC_NEUE_BOLD, DEJAVU_SANS_BOLD, NOTO_SANS_CJK_BOLD, SOURCE_SANS_BOLD
from sightgag.letterer.shapes import Rect, cast_rect, face_rect
from sightgag.letterer.text import DrawnText, Setting, draw_block, min_legible_size
from sightgag.strip import Panel, Strip, check_layout

FACES = (COMIC_NEUE_BOLD, SOURCE_SANS_BOLD, NOTO_SANS_CJK_BOLD, DEJAVU_SANS_BOLD)  # as the balloons are lettered
TITLE_SETTING = Setting(faces=FACES, leading=1.1, upper=True)
CAPTION_SETTING = Setting(faces=FACES, leading=1.15)
CAPTION_FILL = (255, 236, 150)  # the pale yellow of a narration box
CAPTION_WIDTH = 0.5  # of the panel's width, at most
CAPTION_SIZE = 0.042  # of the panel's short side, at most
CAPTION_PAD = 0.35  # in font sizes
GUTTER = 0.035  # between panels and around the page, as a share of a panel's short side
BORDER = 0.008  # each panel's black border, likewise
TITLE_SIZE = 0.085  # the title's largest size, likewise
ORDER_COST = 8.0  # a balloon that reads before the one said before it
BALLOON_GAP = 0.02  # kept between two balloons, as a share of the panel's short side
FACE_ROOM = 0.02  # kept between a balloon and a face, as a share of the panel's short side
PAPER = "white"


@dataclass
class PlacedBalloon:
    """A balloon as lettered, in page pixels: who says it, its ellipse, its tail's tip, where the speaker is."""

    panel: int
    speaker: str
    text: DrawnText
    ellipse: Rect
    tail_tip: tuple[float, float] | None
    speaker_box: Rect


@dataclass
class PlacedCaption:
    panel: int
    text: DrawnText
    box: Rect


@dataclass
class LetteredStrip:
    """The page and what is on it (for checks and tests): panels' places, balloons, caption boxes, title."""

    page: Image.Image
    layout: str
    panels: list[Rect]
    balloons: list[PlacedBalloon] = field(default_factory=list)
    captions: list[PlacedCaption] = field(default_factory=list)
    title: DrawnText | None = None
    faces: list[list[Rect]] = field(default_factory=list)  # per panel, in page pixels


def letter_strip(
    renders: Sequence[Image.Image],
    strip: Strip,
    layout: str = "row",
    cast_boxes: Sequence[Mapping[str, Box]] = (),
    keep_clear: Sequence[Sequence[Box]] = (),
) -> LetteredStrip:
    """Letter every panel of a strip and lay them out on one page under its title.

    cast_boxes: per panel, where the artist says it drew each character (the sketch artist knows);
    a character it does not name is where the panel's staging put it.
    keep_clear: per panel, text the artist painted (a sign) that lettering keeps off.
    """
    check_layout(layout)
    if len(renders) != len(strip.panels):
        raise ValueError(f"{len(strip.panels)} panels but {len(renders)} pictures")
    lettered = []
    for index, (render, panel) in enumerate(zip(renders, strip.panels)):
        drawn = cast_boxes[index] if index < len(cast_boxes) else {}
        clear = keep_clear[index] if index < len(keep_clear) else ()
        boxes = {staged.name: drawn.get(staged.name, staged.box) for staged in panel.cast}
        lettered.append(_letter_panel(render.convert("RGB"), index, panel, boxes, clear))
    return _compose(lettered, strip.title, layout)


@dataclass
class _LetteredPanel:
    """One panel lettered, with what is on it in the panel's own pixels."""

    image: Image.Image
    faces: list[Rect]
    balloons: list[PlacedBalloon] = field(default_factory=list)
    captions: list[PlacedCaption] = field(default_factory=list)

    def moved(self, dx: float, dy: float) -> _LetteredPanel:
        """The same marks in page pixels, for a panel whose top left corner is at (dx, dy)."""
        return _LetteredPanel(
            self.image,
            [_moved(face, dx, dy) for face in self.faces],
            [
                PlacedBalloon(
                    b.panel,
                    b.speaker,
                    _moved_text(b.text, dx, dy),
                    _moved(b.ellipse, dx, dy),
                    None if b.tail_tip is None else (b.tail_tip[0] + dx, b.tail_tip[1] + dy),
                    _moved(b.speaker_box, dx, dy),
                )
                for b in self.balloons
            ],
            [PlacedCaption(c.panel, _moved_text(c.text, dx, dy), _moved(c.box, dx, dy)) for c in self.captions],
        )


# -- one panel ------------------------------------------------------------------------------------


def _letter_panel(
    image: Image.Image, index: int, panel: Panel, boxes: Mapping[str, Box], keep_clear: Sequence[Box]
) -> _LetteredPanel:
    image = image.copy()
    bodies = {name: cast_rect(box, image) for name, box in boxes.items()}
    faces = [face_rect(body) for body in bodies.values()]
    obstacles = [cast_rect(box, image) for box in keep_clear]
    lettered = _LetteredPanel(image, faces)
    if panel.caption:
        caption = _caption_box(image, index, panel.caption, faces + obstacles)
        obstacles.append(caption.box)
        lettered.captions.append(caption)
    previous: balloons.Balloon | None = None
    gap = BALLOON_GAP * min(image.size)
    for line in panel.balloons:
        speaker = bodies.get(line.speaker) or next(iter(bodies.values()))
        speaker_face = face_rect(speaker)
        extra = _reads_after(previous) if previous is not None else None
        # Faces are kept off with room to spare: the placement grid is coarse and a sliver over a face still shows.
        spaced = [face.grow(FACE_ROOM * min(image.size)) for face in faces]
        try:
            balloon = balloons.place_balloon(
                image, line.text, speaker_face, spaced, list(bodies.values()), obstacles, extra
            )
        except CaptionTooLongError:
            width, height = image.size
            raise CaptionTooLongError(
                f"a {width}x{height} panel has no room for the balloon {line.text!r}: use a larger --size"
            ) from None
        outline = max(2, round(balloon.block.size * balloons.OUTLINE))
        tail = balloons.balloon_tail(balloon, speaker_face, gap=0.015 * min(image.size))
        balloons.draw_balloon(image, balloon, tail, outline)
        center_x, center_y = balloon.center
        text = draw_block(
            ImageDraw.Draw(image), balloon.block, center_x, center_y - balloon.block.height / 2, fill="black"
        )
        radius_x, radius_y = balloon.radii
        ellipse = Rect(center_x - radius_x, center_y - radius_y, center_x + radius_x, center_y + radius_y)
        obstacles.append(ellipse.grow(gap + outline))
        tip = _tip(tail)
        lettered.balloons.append(PlacedBalloon(index, line.speaker, text, ellipse, tip, speaker))
        previous = balloon
    return lettered


def _reads_after(before: balloons.Balloon):
    """A cost for centres that would read before `before`: neither to its right nor below it."""
    (center_x, center_y), (_, radius_y_before) = before.center, before.radii

    def cost(xs: np.ndarray, ys: np.ndarray, radius_x: float, radius_y: float) -> np.ndarray:
        right_of = xs > center_x
        below = (ys - radius_y) > (center_y + radius_y_before)
        return ORDER_COST * ~(right_of | below)

    return cost


def _tip(tail: list[tuple[float, float]]) -> tuple[float, float] | None:
    # The tail is drawn base -> tip -> base: its middle point is the tip.
    return tail[len(tail) // 2] if tail else None


def _caption_box(image: Image.Image, index: int, text: str, keep_off: list[Rect]) -> PlacedCaption:
    """Narration in a yellow box in the corner that hides least of faces and painted signs (top left
    first, where it is read first)."""
    width, height = image.size
    min_size = min_legible_size(image)
    max_size = max(round(CAPTION_SIZE * min(width, height)), min_size)
    try:
        block = fit(text, CAPTION_SETTING, CAPTION_WIDTH * width, 0.3 * height, max_size=max_size, min_size=min_size)
    except CaptionTooLongError:
        try:  # a long punchline takes a box across the panel rather than tiny type
            block = fit(
                text, CAPTION_SETTING, 0.9 * width, 0.4 * height, max_size=max_size, min_size=min_size, max_lines=5
            )
        except CaptionTooLongError:
            raise CaptionTooLongError(
                f"a {width}x{height} panel has no room for the caption box {text!r}: use a larger --size"
            ) from None
    pad = CAPTION_PAD * block.size
    box_w, box_h = block.width + 2 * pad, block.height + 2 * pad
    inset = max(3, round(BORDER * min(width, height) * 2))
    corners = [
        Rect(inset, inset, inset + box_w, inset + box_h),
        Rect(width - inset - box_w, inset, width - inset, inset + box_h),
        Rect(inset, height - inset - box_h, inset + box_w, height - inset),
        Rect(width - inset - box_w, height - inset - box_h, width - inset, height - inset),
    ]
    box = min(corners, key=lambda corner: sum(corner.overlap(rect) for rect in keep_off))
    draw = ImageDraw.Draw(image)
    outline = max(2, round(block.size * 0.08))
    draw.rectangle((box.left, box.top, box.right, box.bottom), fill=CAPTION_FILL, outline="black", width=outline)
    center_x = (box.left + box.right) / 2
    drawn = draw_block(draw, block, center_x, box.top + pad, fill="black", outline_fill="black")
    return PlacedCaption(index, drawn, box)


# -- the page -------------------------------------------------------------------------------------


def _grid(count: int, layout: str) -> list[tuple[int, int]]:
    """(row, column) of each panel."""
    if layout == "row":
        return [(0, column) for column in range(count)]
    if layout == "column":
        return [(row, 0) for row in range(count)]
    return [(index // 2, index % 2) for index in range(count)]


def _compose(panels: list[_LetteredPanel], title: str, layout: str) -> LetteredStrip:
    panel_w, panel_h = panels[0].image.size
    short = min(panel_w, panel_h)
    gutter = max(6, round(GUTTER * short))
    border = max(2, round(BORDER * short))
    cells = _grid(len(panels), layout)
    rows = max(row for row, _ in cells) + 1
    columns = max(column for _, column in cells) + 1
    page_w = columns * panel_w + (columns + 1) * gutter

    # The title is fitted across the page's width, as large as a panel's short side allows.
    min_size = max(14, round(0.04 * short))
    block = fit(
        title,
        TITLE_SETTING,
        page_w - 2 * gutter,
        0.25 * panel_h,
        max_size=max(round(TITLE_SIZE * short), min_size),
        min_size=min_size,
        max_lines=2,
    )
    title_h = math.ceil(block.height + 1.2 * gutter)
    top = gutter + title_h
    page_h = top + rows * panel_h + rows * gutter
    page = Image.new("RGB", (page_w, page_h), PAPER)
    draw = ImageDraw.Draw(page)
    drawn_title = draw_block(draw, block, page_w / 2, gutter + 0.4 * gutter, fill="black", outline_fill="black")

    lettered = LetteredStrip(page, layout, [], title=drawn_title)
    for panel, (row, column) in zip(panels, cells):
        left = gutter + column * (panel_w + gutter)
        if layout == "grid" and len(panels) % 2 and row == rows - 1:
            left = (page_w - panel_w) // 2  # an odd last panel sits in the middle of its row
        panel_top = top + row * (panel_h + gutter)
        page.paste(panel.image, (left, panel_top))
        draw.rectangle(
            (left - border, panel_top - border, left + panel_w + border - 1, panel_top + panel_h + border - 1),
            outline="black",
            width=border,
        )
        lettered.panels.append(Rect(left, panel_top, left + panel_w, panel_top + panel_h))
        on_page = panel.moved(left, panel_top)
        lettered.faces.append(on_page.faces)
        lettered.balloons += on_page.balloons
        lettered.captions += on_page.captions
    return lettered


def _moved(rect: Rect, dx: float, dy: float) -> Rect:
    return Rect(rect.left + dx, rect.top + dy, rect.right + dx, rect.bottom + dy)


def _moved_text(text: DrawnText, dx: int, dy: int) -> DrawnText:
    def move(box):
        return (box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy)

    lines = tuple(move(box) for box in text.line_boxes)
    return DrawnText(text.text, text.lines, move(text.box), lines, text.size, text.outline)
