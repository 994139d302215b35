"""Backgrounds: a scene drawn for the concept's setting, in a flat comic style with bold ink.

`pick_scene` reads the setting for keywords; each scene is a small function that draws the whole
panel with Pillow primitives (flat colours, ink outlines, halftone dots) and says where a sign
would hang. The seed varies colours and details, so two panels of one place differ a little.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from PIL import Image, ImageDraw

from sightgag.artist.sketch.figures import glyph_art, with_outline

INK = (28, 28, 34)
Colour = tuple[int, int, int]
Pixels = tuple[float, float, float, float]


@dataclass
class Scenery:
    """A drawn background, and the spot where sign text belongs in it (a screen, a banner...)."""

    name: str
    image: Image.Image
    sign_spot: Pixels | None = None
    sign_kind: str = "placard"  # placard, banner, screen or poster
    night: bool = False
    props: list[str] = field(default_factory=list)  # OpenMoji glyphs drawn into the place: 🌋, 🏰, 🖼️


Scene = Callable[[Image.Image, ImageDraw.ImageDraw, random.Random, bool], Scenery]


def ink_width(width: int) -> int:
    return max(2, width // 170)


def darker(colour: Colour, amount: float = 0.75) -> Colour:
    return tuple(int(channel * amount) for channel in colour)  # type: ignore[return-value]


def _jitter(colour: Colour, rng: random.Random, amount: int = 14) -> Colour:
    return tuple(max(0, min(255, channel + rng.randint(-amount, amount))) for channel in colour)  # type: ignore[return-value]


def _bands(draw: ImageDraw.ImageDraw, box: Pixels, top: Colour, bottom: Colour, bands: int = 7) -> None:
    # Flat bands read as comic colouring; a smooth ramp would read as a photo.
    x0, y0, x1, y1 = box
    for band in range(bands):
        t = band / (bands - 1)
        colour = tuple(int(a + (b - a) * t) for a, b in zip(top, bottom))
        draw.rectangle((x0, y0 + (y1 - y0) * band / bands, x1, y0 + (y1 - y0) * (band + 1) / bands + 1), fill=colour)


@lru_cache(maxsize=8)
def _dot_mask(width: int, height: int, step: int) -> Image.Image:
    """Printed-comic halftone: a grid of dots growing toward the bottom, as an alpha mask."""
    mask = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(mask)
    for row, y in enumerate(range(0, height + step, step)):
        radius = step * (0.1 + 0.32 * y / height)
        for x in range(-step, width + step, step):
            cx = x + (step // 2 if row % 2 else 0)
            draw.ellipse((cx - radius, y - radius, cx + radius, y + radius), fill=255)
    return mask


def halftone(image: Image.Image, box: Pixels, colour: Colour, strength: int = 255) -> None:
    """Halftone dots of one colour over part of the panel."""
    x0, y0, x1, y1 = (int(v) for v in box)
    width, height = image.size
    mask = _dot_mask(width, height, max(8, width // 64)).crop((x0, y0, x1, y1))
    if strength < 255:
        mask = mask.point(lambda v: v * strength // 255)
    image.paste(colour, (x0, y0, x1, y1), mask)


def _cloud(draw: ImageDraw.ImageDraw, cx: float, cy: float, r: float, line: int, fill=(255, 255, 255)) -> None:
    puffs = [(-1.1, 0.25, 0.75), (-0.4, -0.15, 1.0), (0.45, -0.05, 0.85), (1.1, 0.3, 0.65)]
    for dx, dy, s in puffs:
        draw.ellipse((cx + dx * r - s * r, cy + dy * r - s * r, cx + dx * r + s * r, cy + dy * r + s * r), fill=INK)
    for dx, dy, s in puffs:
        inner = s * r - line
        draw.ellipse((cx + dx * r - inner, cy + dy * r - inner, cx + dx * r + inner, cy + dy * r + inner), fill=fill)
    draw.rectangle((cx - r * 1.6, cy + r * 0.35, cx + r * 1.6, cy + r * 0.9), fill=fill)
    draw.line((cx - r * 1.6, cy + r * 0.9, cx + r * 1.6, cy + r * 0.9), fill=INK, width=line)


def _sun(draw: ImageDraw.ImageDraw, cx: float, cy: float, r: float, line: int) -> None:
    for k in range(12):
        angle = k * math.pi / 6
        draw.line(
            (
                cx + math.cos(angle) * r * 1.25,
                cy + math.sin(angle) * r * 1.25,
                cx + math.cos(angle) * r * 1.6,
                cy + math.sin(angle) * r * 1.6,
            ),
            fill=(255, 180, 40),
            width=line,
        )
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(255, 215, 60), outline=INK, width=line)


def _sky(image: Image.Image, draw: ImageDraw.ImageDraw, rng: random.Random, night: bool, until: float) -> None:
    width, height = image.size
    line = ink_width(width)
    sky = (0, 0, width, height * until)
    if night:
        _bands(draw, sky, (18, 22, 64), (70, 50, 120))
        for _ in range(40):
            x, y, r = rng.uniform(0, width), rng.uniform(0, height * until * 0.8), width / rng.choice([300, 220, 160])
            draw.ellipse((x - r, y - r, x + r, y + r), fill=(255, 250, 210))
        mx, my, mr = width * rng.uniform(0.6, 0.85), height * 0.14, width * 0.06
        draw.ellipse((mx - mr, my - mr, mx + mr, my + mr), fill=(250, 240, 190), outline=INK, width=line)
        draw.ellipse((mx - mr * 0.3, my - mr * 1.05, mx + mr * 1.5, my + mr * 0.75), fill=(18, 22, 64))
        return
    _bands(draw, sky, _jitter((95, 175, 245), rng, 10), (215, 240, 255))
    halftone(image, sky, (150, 205, 250), strength=120)
    _sun(draw, width * rng.choice([0.12, 0.85]), height * 0.12, width * 0.055, line)
    for _ in range(2):
        _cloud(draw, width * rng.uniform(0.25, 0.75), height * rng.uniform(0.08, until * 0.45), width * 0.045, line)


# -- the scenes ---------------------------------------------------------------------------------


def comic_sky(image, draw, rng, night) -> Scenery:
    """Nowhere in particular: pop-art rays of two colours, halftone dots, and a horizon."""
    width, height = image.size
    base = _jitter(rng.choice([(255, 214, 90), (120, 200, 250), (255, 160, 180), (170, 230, 160)]), rng)
    draw.rectangle((0, 0, width, height), fill=base)
    cx, cy, reach = width * rng.uniform(0.35, 0.65), height * 0.55, (width + height) * 1.5
    rays = 18
    for k in range(0, rays * 2, 2):
        a0, a1 = 2 * math.pi * k / (rays * 2), 2 * math.pi * (k + 1) / (rays * 2)
        draw.polygon(
            [
                (cx, cy),
                (cx + reach * math.cos(a0), cy + reach * math.sin(a0)),
                (cx + reach * math.cos(a1), cy + reach * math.sin(a1)),
            ],
            fill=darker(base, 0.9),
        )
    halftone(image, (0, 0, width, height), darker(base, 0.8), strength=200)
    ground = int(height * 0.8)
    draw.rectangle((0, ground, width, height), fill=darker(base, 0.7))
    draw.line((0, ground, width, ground), fill=INK, width=ink_width(width))
    return Scenery("comic sky", image, night=night)


def living_room(image, draw, rng, night) -> Scenery:
    width, height = image.size
    line = ink_width(width)
    wall = _jitter(rng.choice([(250, 226, 190), (205, 225, 240), (235, 215, 235), (215, 235, 205)]), rng)
    floor_y = int(height * 0.72)
    draw.rectangle((0, 0, width, floor_y), fill=wall)
    stripe = darker(wall, 0.93)
    for x in range(0, width, max(12, width // 14)):
        draw.rectangle((x, 0, x + max(4, width // 40), floor_y), fill=stripe)
    draw.rectangle((0, floor_y, width, height), fill=_jitter((176, 120, 78), rng))
    for x in range(-width, width * 2, width // 7):
        draw.line((x, floor_y, x - (x - width / 2) * 0.6, height), fill=(150, 100, 62), width=max(1, line // 2))
    draw.rectangle((0, floor_y - line * 3, width, floor_y), fill=(250, 250, 245), outline=INK, width=line)
    # A window with the moon or the sky outside, and a framed picture of a mountain.
    left_side = rng.random() < 0.5
    wx = int(width * (0.07 if left_side else 0.64))
    window = (wx, int(height * 0.1), wx + int(width * 0.28), int(height * 0.42))
    draw.rectangle(
        (window[0] - line * 2, window[1] - line * 2, window[2] + line * 2, window[3] + line * 2),
        fill=(255, 255, 255),
        outline=INK,
        width=line,
    )
    draw.rectangle(window, fill=(30, 40, 100) if night else (150, 210, 250), outline=INK, width=line)
    if night:
        mx, my, mr = window[0] + (window[2] - window[0]) * 0.7, window[1] + (window[3] - window[1]) * 0.3, width * 0.03
        draw.ellipse((mx - mr, my - mr, mx + mr, my + mr), fill=(250, 240, 190))
    else:
        _cloud(
            draw,
            window[0] + (window[2] - window[0]) * 0.4,
            window[1] + (window[3] - window[1]) * 0.35,
            width * 0.025,
            max(1, line // 2),
        )
    mid_x, mid_y = (window[0] + window[2]) // 2, (window[1] + window[3]) // 2
    draw.line((mid_x, window[1], mid_x, window[3]), fill=INK, width=line)
    draw.line((window[0], mid_y, window[2], mid_y), fill=INK, width=line)
    # Curtains either side of the window.
    curtain = _jitter((200, 70, 80), rng, 20)
    for side in (window[0] - line * 2, window[2] + line * 2):
        draw.polygon(
            [
                (side - width * 0.035, window[1] - line * 4),
                (side + width * 0.035, window[1] - line * 4),
                (side + width * 0.015, window[3] + height * 0.05),
                (side - width * 0.015, window[3] + height * 0.05),
            ],
            fill=curtain,
            outline=INK,
            width=line,
        )
    px = int(width * (0.68 if left_side else 0.12))
    picture = (px, int(height * 0.13), px + int(width * 0.2), int(height * 0.3))
    draw.rectangle(picture, fill=(255, 248, 225), outline=INK, width=line * 2)
    draw.polygon(
        [
            (picture[0] + line * 3, picture[3] - line * 3),
            ((picture[0] + picture[2]) / 2, picture[1] + line * 5),
            (picture[2] - line * 3, picture[3] - line * 3),
        ],
        fill=(110, 170, 120),
        outline=INK,
        width=max(1, line // 2),
    )
    # A sofa against the wall.
    sofa = _jitter(rng.choice([(90, 130, 190), (120, 170, 110), (190, 110, 70)]), rng)
    sx0, sx1 = width * 0.18, width * 0.82
    sy = floor_y - height * 0.2
    draw.rounded_rectangle((sx0, sy, sx1, floor_y + line), radius=width // 40, fill=sofa, outline=INK, width=line)
    draw.rounded_rectangle(
        (sx0 - width * 0.03, sy + height * 0.07, sx0 + width * 0.05, floor_y + line * 2),
        radius=width // 60,
        fill=darker(sofa, 0.85),
        outline=INK,
        width=line,
    )
    draw.rounded_rectangle(
        (sx1 - width * 0.05, sy + height * 0.07, sx1 + width * 0.03, floor_y + line * 2),
        radius=width // 60,
        fill=darker(sofa, 0.85),
        outline=INK,
        width=line,
    )
    draw.line((sx0 + width * 0.05, sy + height * 0.11, sx1 - width * 0.05, sy + height * 0.11), fill=INK, width=line)
    draw.line((width / 2, sy + height * 0.11, width / 2, floor_y), fill=INK, width=line)
    draw.ellipse(
        (width * 0.1, height * 0.8, width * 0.9, height * 0.98),
        fill=_jitter((200, 70, 70), rng),
        outline=INK,
        width=line,
    )
    draw.ellipse((width * 0.18, height * 0.83, width * 0.82, height * 0.95), outline=(240, 200, 120), width=line)
    return Scenery(
        "living room",
        image,
        sign_spot=(width * 0.33, height * 0.06, width * 0.62, height * 0.2),
        sign_kind="poster",
        night=night,
    )


def stage(image, draw, rng, night) -> Scenery:
    """A talk or a show: dark hall, red curtains, a slide screen, a round red carpet on the boards."""
    width, height = image.size
    line = ink_width(width)
    draw.rectangle((0, 0, width, height), fill=(32, 28, 52))
    halftone(image, (0, 0, width, height), (48, 42, 78))
    floor_y = int(height * 0.74)
    draw.rectangle((0, floor_y, width, height), fill=(120, 76, 48))
    for x in range(-width, width * 2, width // 9):
        draw.line((x, floor_y, x - (x - width / 2) * 0.5, height), fill=(96, 60, 38), width=max(1, line // 2))
    draw.line((0, floor_y, width, floor_y), fill=INK, width=line)
    # The round red carpet of every talk stage.
    draw.ellipse(
        (width * 0.2, floor_y + height * 0.04, width * 0.8, floor_y + height * 0.2),
        fill=(200, 35, 45),
        outline=INK,
        width=line,
    )
    # The slide screen, where the sign text goes.
    screen = (width * 0.3, height * 0.12, width * 0.7, height * 0.42)
    draw.rectangle((screen[0] - line * 2, screen[1] - line * 2, screen[2] + line * 2, screen[3] + line * 2), fill=INK)
    draw.rectangle(screen, fill=(245, 245, 250))
    curtain = _jitter((190, 30, 45), rng, 10)
    fold = darker(curtain, 0.7)
    for side in (0, 1):
        x0, x1 = (0, width * 0.16) if side == 0 else (width * 0.84, width)
        draw.rectangle((x0, 0, x1, height), fill=curtain)
        for x in range(int(x0) + width // 80, int(x1), max(8, width // 45)):
            draw.line((x, 0, x, height), fill=fold, width=max(2, line))
        draw.line((x1 if side == 0 else x0, 0, x1 if side == 0 else x0, height), fill=INK, width=line)
    draw.rectangle((0, 0, width, height * 0.07), fill=curtain, outline=INK, width=line)
    for x in range(0, width, width // 12):
        draw.chord((x, height * 0.03, x + width // 12, height * 0.11), 0, 180, fill=curtain, outline=INK, width=line)
    return Scenery("stage", image, sign_spot=screen, sign_kind="screen", night=night)


def city(image, draw, rng, night) -> Scenery:
    """A street or a rooftop: a skyline of lit windows, and the searchlight a hero answers to."""
    width, height = image.size
    line = ink_width(width)
    _sky(image, draw, rng, night, until=0.8)
    x = -rng.randint(0, width // 10)
    while x < width:
        building_w = rng.randint(width // 9, width // 5)
        top = int(height * rng.uniform(0.22, 0.5))
        colour = _jitter((70, 80, 120) if night else (150, 160, 190), rng, 20)
        draw.rectangle((x, top, x + building_w, height * 0.8), fill=colour, outline=INK, width=line)
        step_x, step_y = max(14, width // 30), max(14, height // 26)
        for wy in range(top + step_y // 2, int(height * 0.76), step_y):
            for wx in range(x + step_x // 2, x + building_w - step_x // 2, step_x):
                lit = rng.random() < (0.55 if night else 0.15)
                draw.rectangle(
                    (wx, wy, wx + step_x // 2, wy + step_y // 2), fill=(255, 225, 110) if lit else darker(colour, 0.7)
                )
        x += building_w + rng.randint(0, width // 40)
    roof_y = int(height * 0.8)
    draw.rectangle((0, roof_y, width, height), fill=(96, 92, 104))
    halftone(image, (0, roof_y, width, height), (80, 76, 88))
    draw.line((0, roof_y, width, roof_y), fill=INK, width=line)
    return Scenery(
        "city",
        image,
        sign_spot=(width * 0.06, height * 0.06, width * 0.4, height * 0.18),
        sign_kind="placard",
        night=night,
    )


def outdoors(image, draw, rng, night) -> Scenery:
    width, height = image.size
    line = ink_width(width)
    _sky(image, draw, rng, night, until=0.7)
    hill = (40, 90, 60) if night else (120, 190, 90)
    draw.ellipse((-width * 0.3, height * 0.5, width * 0.7, height * 1.2), fill=hill, outline=INK, width=line)
    draw.ellipse(
        (width * 0.35, height * 0.55, width * 1.4, height * 1.25), fill=darker(hill, 0.9), outline=INK, width=line
    )
    for _ in range(3):
        tx = rng.uniform(0.05, 0.95) * width
        ty = height * rng.uniform(0.48, 0.56)
        draw.rectangle(
            (tx - width * 0.012, ty, tx + width * 0.012, ty + height * 0.14),
            fill=(120, 80, 50),
            outline=INK,
            width=line,
        )
        for dx, dy, r in ((0, -0.07, 0.055), (-0.035, -0.02, 0.045), (0.035, -0.02, 0.045)):
            draw.ellipse(
                (
                    tx + dx * width - r * width,
                    ty + dy * height - r * width,
                    tx + dx * width + r * width,
                    ty + dy * height + r * width,
                ),
                fill=(60, 150, 70) if not night else (30, 80, 50),
                outline=INK,
                width=line,
            )
    ground = int(height * 0.76)
    draw.rectangle((0, ground, width, height), fill=darker(hill, 0.95))
    halftone(image, (0, ground, width, height), darker(hill, 0.8))
    draw.line((0, ground, width, ground), fill=INK, width=line)
    for _ in range(14):
        gx, gy = rng.uniform(0, width), rng.uniform(ground + line * 3, height)
        draw.line((gx, gy, gx - line * 2, gy - line * 5), fill=INK, width=max(1, line // 2))
        draw.line((gx, gy, gx + line * 2, gy - line * 5), fill=INK, width=max(1, line // 2))
    return Scenery(
        "outdoors",
        image,
        sign_spot=(width * 0.3, height * 0.05, width * 0.7, height * 0.16),
        sign_kind="banner",
        night=night,
    )


def skate_park(image, draw, rng, night) -> Scenery:
    """Sky, a half-pipe seen from the side, concrete in front."""
    width, height = image.size
    line = ink_width(width)
    _sky(image, draw, rng, night, until=0.7)
    top, ground = height * 0.36, int(height * 0.7)
    # The ramp's U: flat decks at the sides, quarter-circle walls down to the flat bottom.
    rx, ry = width * 0.24, ground - top
    curve = []
    for k in range(17):
        angle = math.pi / 2 * k / 16
        curve.append((width * 0.1 + rx * (1 - math.cos(angle)), top + ry * math.sin(angle)))
    right = [(width - x, y) for x, y in reversed(curve)]
    ramp = [(0, top), *curve, *right, (width, top), (width, ground), (0, ground)]
    draw.polygon(ramp, fill=(185, 190, 200))
    halftone(image, (0, top, width, ground), (165, 170, 182), strength=160)
    draw.line([(0, top), *curve, *right, (width, top)], fill=INK, width=line)
    for x0, x1 in ((0, width * 0.1), (width * 0.9, width)):
        draw.rectangle((x0, top - line * 3, x1, top), fill=(90, 95, 110), outline=INK, width=line)
    graffiti = [(240, 80, 140), (80, 200, 220), (250, 200, 60)]
    for k, gx in enumerate((0.02, 0.4, 0.82)):
        gy = height * rng.uniform(0.6, 0.64)
        draw.rounded_rectangle(
            (width * gx, gy, width * (gx + 0.14), gy + height * 0.045),
            radius=width // 50,
            fill=graffiti[k],
            outline=INK,
            width=max(1, line // 2),
        )
    draw.rectangle((0, ground, width, height), fill=(205, 205, 210))
    halftone(image, (0, ground, width, height), (182, 182, 190))
    draw.line((0, ground, width, ground), fill=INK, width=line)
    return Scenery(
        "skate park",
        image,
        sign_spot=(width * 0.28, height * 0.05, width * 0.72, height * 0.16),
        sign_kind="banner",
        night=night,
    )


def office(image, draw, rng, night) -> Scenery:
    width, height = image.size
    line = ink_width(width)
    wall = _jitter((215, 222, 228), rng)
    draw.rectangle((0, 0, width, height), fill=wall)
    floor_y = int(height * 0.74)
    blinds = (width * 0.58, height * 0.08, width * 0.92, height * 0.36)
    draw.rectangle(blinds, fill=(30, 40, 90) if night else (160, 210, 245), outline=INK, width=line)
    for y in range(int(blinds[1]), int(blinds[3]), max(6, height // 50)):
        draw.line((blinds[0], y, blinds[2], y), fill=(235, 240, 245), width=max(1, line // 2))
    # Cubicle walls across the back, a clock stuck at five to five.
    draw.rectangle((0, height * 0.5, width, floor_y), fill=(150, 165, 185), outline=INK, width=line)
    for x in range(0, width, width // 4):
        draw.rectangle(
            (x, height * 0.48, x + line * 2, floor_y), fill=(110, 120, 140), outline=INK, width=max(1, line // 2)
        )
    halftone(image, (0, int(height * 0.5) + line, width, floor_y), (135, 150, 170))
    clock = (width * 0.1, height * 0.1, width * 0.2, height * 0.1 + width * 0.1)
    draw.ellipse(clock, fill=(255, 255, 255), outline=INK, width=line)
    cx, cy = (clock[0] + clock[2]) / 2, (clock[1] + clock[3]) / 2
    draw.line((cx, cy, cx, clock[1] + line * 3), fill=INK, width=line)
    draw.line((cx, cy, cx - width * 0.025, cy + width * 0.012), fill=INK, width=line)
    draw.rectangle((0, floor_y, width, height), fill=(110, 118, 135))
    halftone(image, (0, floor_y, width, height), (96, 104, 120))
    draw.line((0, floor_y, width, floor_y), fill=INK, width=line)
    # The water cooler.
    wx = width * (0.9 if rng.random() < 0.5 else 0.04)
    draw.rectangle((wx, height * 0.5, wx + width * 0.07, floor_y), fill=(235, 235, 240), outline=INK, width=line)
    draw.rounded_rectangle(
        (wx + width * 0.005, height * 0.38, wx + width * 0.065, height * 0.5),
        radius=width // 60,
        fill=(150, 200, 250),
        outline=INK,
        width=line,
    )
    return Scenery(
        "office",
        image,
        sign_spot=(width * 0.26, height * 0.08, width * 0.54, height * 0.22),
        sign_kind="poster",
        night=night,
    )


def kitchen(image, draw, rng, night) -> Scenery:
    width, height = image.size
    line = ink_width(width)
    draw.rectangle((0, 0, width, height), fill=(250, 246, 236))
    tile = max(16, width // 12)
    tile_colour = _jitter(rng.choice([(170, 215, 220), (240, 190, 170), (200, 220, 170)]), rng, 6)
    for y in range(0, int(height * 0.6), tile):
        for x in range(0, width, tile):
            if (x // tile + y // tile) % 2:
                draw.rectangle((x, y, x + tile, y + tile), fill=tile_colour)
    # Cupboards above, a counter, and a fridge.
    for x in range(0, width, width // 4):
        draw.rectangle(
            (x + line * 2, 0, x + width // 4 - line * 2, height * 0.2), fill=(205, 160, 110), outline=INK, width=line
        )
    draw.rectangle((0, height * 0.6, width, height * 0.66), fill=(90, 90, 100), outline=INK, width=line)
    draw.rectangle((0, height * 0.66, width, height), fill=(205, 150, 95))
    for x in range(0, width, width // 4):
        draw.rectangle((x + line * 2, height * 0.7, x + width // 4 - line * 2, height * 0.97), outline=INK, width=line)
    fx = width * (0.76 if rng.random() < 0.5 else 0.02)
    draw.rounded_rectangle(
        (fx, height * 0.22, fx + width * 0.22, height * 0.97),
        radius=width // 50,
        fill=(240, 242, 246),
        outline=INK,
        width=line,
    )
    draw.line((fx, height * 0.45, fx + width * 0.22, height * 0.45), fill=INK, width=line)
    return Scenery(
        "kitchen",
        image,
        sign_spot=(width * 0.3, height * 0.26, width * 0.62, height * 0.4),
        sign_kind="poster",
        night=night,
    )


def space(image, draw, rng, night) -> Scenery:
    width, height = image.size
    line = ink_width(width)
    draw.rectangle((0, 0, width, height), fill=(14, 12, 40))
    halftone(image, (0, 0, width, height), (30, 24, 70))
    for _ in range(90):
        x, y, r = rng.uniform(0, width), rng.uniform(0, height), rng.uniform(0.6, 2.2) * width / 500
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(255, 255, rng.randint(180, 255)))
    px, py, pr = width * rng.uniform(0.6, 0.85), height * rng.uniform(0.15, 0.3), width * 0.12
    draw.ellipse((px - pr, py - pr, px + pr, py + pr), fill=(230, 120, 80), outline=INK, width=line)
    draw.arc(
        (px - pr * 1.7, py - pr * 0.4, px + pr * 1.7, py + pr * 0.4), 200, 340, fill=(250, 210, 140), width=line * 2
    )
    draw.ellipse(
        (-width * 0.2, height * 0.78, width * 1.2, height * 1.5), fill=(150, 150, 165), outline=INK, width=line
    )
    for _ in range(5):
        cx, cy, r = rng.uniform(0, width), rng.uniform(height * 0.85, height), width * rng.uniform(0.02, 0.05)
        draw.ellipse(
            (cx - r, cy - r * 0.5, cx + r, cy + r * 0.5), fill=(120, 120, 135), outline=INK, width=max(1, line // 2)
        )
    return Scenery(
        "space",
        image,
        sign_spot=(width * 0.06, height * 0.06, width * 0.42, height * 0.18),
        sign_kind="placard",
        night=True,
    )


def beach(image, draw, rng, night) -> Scenery:
    width, height = image.size
    line = ink_width(width)
    _sky(image, draw, rng, night, until=0.52)
    draw.rectangle((0, height * 0.5, width, height * 0.68), fill=(40, 140, 200))
    for x in range(0, width, width // 8):
        draw.arc((x, height * 0.55, x + width // 8, height * 0.6), 180, 360, fill=(255, 255, 255), width=line)
    draw.line((0, height * 0.5, width, height * 0.5), fill=INK, width=line)
    draw.rectangle((0, height * 0.68, width, height), fill=(245, 215, 150))
    halftone(image, (0, int(height * 0.68), width, height), (225, 190, 120))
    draw.line((0, height * 0.68, width, height * 0.68), fill=INK, width=line)
    return Scenery(
        "beach",
        image,
        sign_spot=(width * 0.06, height * 0.08, width * 0.42, height * 0.2),
        sign_kind="placard",
        night=night,
    )


# -- places a request names: drawn where a glyph would not say it, OpenMoji landmarks where one does ----


@lru_cache(maxsize=128)
def _landmark_art(glyph: str, side: int, outline: int) -> Image.Image:
    return with_outline(glyph_art(glyph, side), outline)


def _landmark(image: Image.Image, glyph: str, at: tuple[float, float], side: float) -> None:
    """An OpenMoji glyph pasted into the scenery, centred at `at` (fractions of the panel), `side` of its width."""
    width, height = image.size
    art = _landmark_art(glyph, int(width * side), max(2, width // 200))
    image.paste(art, (int(width * at[0] - art.width / 2), int(height * at[1] - art.height / 2)), art)


def volcano(image, draw, rng, night) -> Scenery:
    """An erupting cone against a red sky: lava down its flanks, ash clouds overhead."""
    width, height = image.size
    line = ink_width(width)
    _bands(draw, (0, 0, width, height * 0.75), (90, 30, 40), (250, 140, 70))
    cx = width * rng.uniform(0.45, 0.6)
    top, base = height * 0.2, height * 0.75
    cone = [(cx - width * 0.09, top), (cx + width * 0.09, top), (cx + width * 0.55, base), (cx - width * 0.55, base)]
    draw.polygon(cone, fill=(95, 70, 60), outline=INK)
    draw.line(cone + cone[:1], fill=INK, width=line)
    halftone(image, (0, top, width, base), (75, 55, 48), strength=140)
    # Lava: a glowing crater and three streams running down the slope.
    draw.ellipse((cx - width * 0.1, top - height * 0.025, cx + width * 0.1, top + height * 0.025), fill=(255, 120, 30))
    for dx in (-0.06, 0.0, 0.07):
        x = cx + width * dx
        points = [(x, top)]
        for step in range(1, 7):
            x += width * rng.uniform(-0.03, 0.03) + width * dx * 0.5
            points.append((x, top + (base - top) * step / 6))
        draw.line(points, fill=(255, 90, 20), width=line * 3)
        draw.line(points, fill=(255, 210, 60), width=line)
    for _ in range(3):  # ash and smoke
        _cloud(
            draw,
            cx + width * rng.uniform(-0.2, 0.2),
            top - height * rng.uniform(0.06, 0.14),
            width * 0.05,
            line,
            fill=(120, 110, 115),
        )
    for _ in range(6):  # flying lava rocks
        x, y, r = cx + width * rng.uniform(-0.3, 0.3), height * rng.uniform(0.02, 0.18), width * 0.012
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(255, 150, 40), outline=INK, width=max(1, line // 2))
    draw.rectangle((0, base, width, height), fill=(70, 55, 50))
    halftone(image, (0, base, width, height), (55, 42, 40))
    draw.line((0, base, width, base), fill=INK, width=line)
    return Scenery(
        "volcano",
        image,
        sign_spot=(width * 0.05, height * 0.05, width * 0.36, height * 0.16),
        night=night,
        props=["🌋"],
    )


def fishbowl(image, draw, rng, night) -> Scenery:
    """Inside a round goldfish bowl: water, gravel, a castle ornament, weed and bubbles; the room beyond."""
    width, height = image.size
    line = ink_width(width)
    draw.rectangle((0, 0, width, height), fill=_jitter((235, 225, 200), rng))
    draw.rectangle((0, height * 0.86, width, height), fill=(176, 120, 78))
    bowl = (width * 0.03, height * 0.06, width * 0.97, height * 0.97)
    draw.ellipse(bowl, fill=(150, 210, 240), outline=INK, width=line * 2)
    water_top = height * 0.2
    draw.chord(bowl, 180, 360, fill=(205, 232, 246))  # air above the water line
    draw.line((width * 0.1, water_top, width * 0.9, water_top), fill=(255, 255, 255), width=line)
    halftone(image, (int(width * 0.1), int(water_top), int(width * 0.9), int(height * 0.9)), (125, 190, 230), 110)
    draw.chord((bowl[0], height * 0.55, bowl[2], bowl[3]), 20, 160, fill=_jitter((90, 130, 200), rng, 10))
    for _ in range(40):  # gravel
        x, y, r = width * rng.uniform(0.2, 0.8), height * rng.uniform(0.86, 0.93), width * 0.012
        draw.ellipse((x - r, y - r, x + r, y + r), fill=rng.choice([(240, 120, 120), (120, 200, 240), (250, 220, 90)]))
    for _ in range(12):  # bubbles
        x, y, r = width * rng.uniform(0.15, 0.85), height * rng.uniform(0.25, 0.8), width * rng.uniform(0.006, 0.016)
        draw.ellipse((x - r, y - r, x + r, y + r), outline=(255, 255, 255), width=max(1, line // 2))
    draw.arc((width * 0.1, height * 0.12, width * 0.5, height * 0.6), 190, 250, fill=(255, 255, 255), width=line * 2)
    _landmark(image, "🏰", (0.78, 0.77), 0.2)
    _landmark(image, "🌿", (0.18, 0.8), 0.14)
    return Scenery(
        "fishbowl",
        image,
        sign_spot=(width * 0.3, height * 0.08, width * 0.7, height * 0.17),
        sign_kind="banner",
        night=night,
        props=["🏰", "🌿"],
    )


def race_track(image, draw, rng, night) -> Scenery:
    """A Formula 1 straight: grandstand of fans, kerbs in red and white, chequered flags and a car."""
    width, height = image.size
    line = ink_width(width)
    _sky(image, draw, rng, night, until=0.3)
    stand = (0, height * 0.22, width, height * 0.5)
    draw.rectangle(stand, fill=(90, 95, 110), outline=INK, width=line)
    for row in range(5):  # the crowd: rows of coloured heads
        y = stand[1] + (stand[3] - stand[1]) * (row + 0.5) / 5
        for x in range(int(width * 0.02), width, max(6, width // 40)):
            r = width * 0.008
            colour = rng.choice([(240, 80, 80), (250, 220, 90), (90, 160, 240), (250, 250, 250), (120, 200, 120)])
            draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    draw.rectangle((0, height * 0.5, width, height * 0.56), fill=(240, 240, 240), outline=INK, width=line)
    for k, x in enumerate(range(0, width, max(10, width // 16))):  # kerb
        draw.rectangle(
            (x, height * 0.56, x + width // 16, height * 0.6), fill=(220, 40, 40) if k % 2 else (255, 255, 255)
        )
    draw.rectangle((0, height * 0.6, width, height), fill=(80, 80, 88))
    halftone(image, (0, int(height * 0.6), width, height), (66, 66, 74))
    for x in range(0, width, width // 5):  # the dashed centre line
        draw.rectangle((x, height * 0.79, x + width // 10, height * 0.805), fill=(245, 245, 245))
    draw.line((0, height * 0.6, width, height * 0.6), fill=INK, width=line)
    _landmark(image, "🏁", (0.08, 0.14), 0.12)
    _landmark(image, "🏁", (0.92, 0.14), 0.12)
    _landmark(image, "🏎️", (0.83, 0.64), 0.16)
    return Scenery(
        "race track",
        image,
        sign_spot=(width * 0.3, height * 0.04, width * 0.7, height * 0.18),
        sign_kind="banner",
        night=night,
        props=["🏁", "🏎️"],
    )


def video_call(image, draw, rng, night) -> Scenery:
    """A video call: a laptop screen of faces in tiles, the middle tile left for the hero."""
    width, height = image.size
    line = ink_width(width)
    draw.rectangle((0, 0, width, height), fill=(40, 44, 52))
    faces = ["🧑", "👩", "👨", "🧑‍💼", "👵", "🐈", "🧔", "👩‍💼"]
    rng.shuffle(faces)
    tile_w, tile_h, gap = width * 0.31, height * 0.27, width * 0.02
    drawn_faces = []
    for row in range(3):
        for col in range(3):
            x0 = gap + col * (tile_w + gap * 0.5)
            y0 = gap + row * (tile_h + gap * 0.5)
            colour = _jitter(rng.choice([(200, 215, 230), (230, 210, 190), (205, 230, 205), (225, 205, 230)]), rng)
            draw.rounded_rectangle(
                (x0, y0, x0 + tile_w, y0 + tile_h), radius=width // 60, fill=colour, outline=INK, width=line
            )
            if (row, col) in ((1, 1), (2, 1)):
                continue  # the hero's tile, and the one under it where the hero's body stands
            face = faces[(row * 3 + col) % len(faces)]
            _landmark(image, face, ((x0 + tile_w / 2) / width, (y0 + tile_h * 0.55) / height), 0.13)
            drawn_faces.append(face)
            draw.rectangle(
                (x0 + line, y0 + tile_h - height * 0.035, x0 + tile_w * 0.4, y0 + tile_h - line), fill=(30, 30, 36)
            )
    bar = (0, height * 0.9, width, height)
    draw.rectangle(bar, fill=(24, 24, 28))
    for k, x in enumerate((0.4, 0.5, 0.6)):  # mute, camera, hang up
        r = width * 0.025
        draw.ellipse(
            (width * x - r, height * 0.95 - r, width * x + r, height * 0.95 + r),
            fill=(220, 50, 50) if k == 2 else (90, 90, 100),
        )
    return Scenery(
        "video call",
        image,
        sign_spot=(width * 0.04, height * 0.905, width * 0.34, height * 0.99),
        sign_kind="placard",
        night=night,
        props=sorted(set(drawn_faces)),
    )


def museum(image, draw, rng, night) -> Scenery:
    """A gallery: a red wall of gilt-framed paintings, velvet ropes, a chequered marble floor."""
    width, height = image.size
    line = ink_width(width)
    wall = _jitter((150, 40, 50), rng, 10)
    floor_y = int(height * 0.72)
    draw.rectangle((0, 0, width, floor_y), fill=wall)
    tile = max(16, width // 10)
    for y in range(floor_y, height, tile // 2):
        for x in range(0, width, tile):
            dark = (x // tile + (y - floor_y) // (tile // 2)) % 2
            draw.rectangle((x, y, x + tile, y + tile // 2), fill=(70, 70, 80) if dark else (235, 232, 225))
    draw.line((0, floor_y, width, floor_y), fill=INK, width=line)
    for x0, art in ((0.06, "🖼️"), (0.4, "🌅"), (0.72, "🗿")):
        frame = (width * x0, height * 0.12, width * (x0 + 0.22), height * 0.42)
        draw.rectangle(frame, fill=(215, 170, 60), outline=INK, width=line)
        inner = (frame[0] + width * 0.02, frame[1] + width * 0.02, frame[2] - width * 0.02, frame[3] - width * 0.02)
        draw.rectangle(inner, fill=(250, 240, 215), outline=INK, width=max(1, line // 2))
        _landmark(image, art, ((inner[0] + inner[2]) / 2 / width, (inner[1] + inner[3]) / 2 / height), 0.13)
    for x in (0.12, 0.5, 0.88):  # velvet rope on brass posts
        draw.rectangle((width * x - line, height * 0.6, width * x + line, floor_y + height * 0.04), fill=(200, 160, 60))
    draw.arc((width * 0.12, height * 0.56, width * 0.5, height * 0.7), 0, 180, fill=(170, 20, 40), width=line * 2)
    draw.arc((width * 0.5, height * 0.56, width * 0.88, height * 0.7), 0, 180, fill=(170, 20, 40), width=line * 2)
    return Scenery(
        "museum",
        image,
        sign_spot=(width * 0.33, height * 0.46, width * 0.67, height * 0.54),
        sign_kind="placard",
        night=night,
        props=["🖼️", "🌅", "🗿"],
    )


def _with_landmarks(base: Scene, name: str, marks: tuple[tuple[str, tuple[float, float], float], ...]) -> Scene:
    """A place drawn as a familiar scene with its landmarks in the background: a castle, a barn, a plane."""

    def scene(image, draw, rng, night) -> Scenery:
        scenery = base(image, draw, rng, night)
        for glyph, at, side in marks:
            _landmark(image, glyph, at, side)
        scenery.name = name
        scenery.props = [*scenery.props, *(glyph for glyph, _, _ in marks)]
        return scenery

    return scene


DEFAULT_SCENE = "comic sky"  # where a setting that names no known place is drawn

SCENES: dict[str, Scene] = {
    "stage": stage,
    "space": space,
    "office": office,
    "kitchen": kitchen,
    "skate park": skate_park,
    "beach": beach,
    "living room": living_room,
    "city": city,
    "outdoors": outdoors,
    "comic sky": comic_sky,
    "volcano": volcano,
    "fishbowl": fishbowl,
    "race track": race_track,
    "video call": video_call,
    "museum": museum,
    "castle": _with_landmarks(outdoors, "castle", (("🏰", (0.5, 0.36), 0.38),)),
    "farm": _with_landmarks(outdoors, "farm", (("🛖", (0.2, 0.5), 0.22), ("🚜", (0.85, 0.62), 0.16))),
    "mountains": _with_landmarks(outdoors, "mountains", (("🏔️", (0.5, 0.3), 0.5),)),
    "desert": _with_landmarks(beach, "desert", (("🏜️", (0.5, 0.33), 0.4), ("🌵", (0.12, 0.62), 0.14))),
    "theme park": _with_landmarks(outdoors, "theme park", (("🎢", (0.5, 0.3), 0.44), ("🎡", (0.12, 0.4), 0.2))),
    "clinic": _with_landmarks(office, "clinic", (("🏥", (0.16, 0.25), 0.16), ("🦷", (0.84, 0.26), 0.12))),
    "classroom": _with_landmarks(office, "classroom", (("🏫", (0.16, 0.25), 0.16), ("📚", (0.84, 0.3), 0.13))),
    "gym": _with_landmarks(office, "gym", (("🏋️", (0.16, 0.28), 0.18), ("🏆", (0.84, 0.3), 0.12))),
    "library": _with_landmarks(living_room, "library", (("📚", (0.15, 0.3), 0.2), ("📚", (0.85, 0.3), 0.2))),
    "supermarket": _with_landmarks(kitchen, "supermarket", (("🛒", (0.5, 0.3), 0.2), ("🥫", (0.2, 0.3), 0.1))),
    "airport": _with_landmarks(city, "airport", (("✈️", (0.55, 0.18), 0.26), ("🛄", (0.1, 0.7), 0.12))),
    "subway": _with_landmarks(city, "subway", (("🚇", (0.5, 0.36), 0.3),)),
    "paris": _with_landmarks(city, "paris", (("🗼", (0.5, 0.33), 0.45),)),
    "ship": _with_landmarks(beach, "ship", (("🚢", (0.5, 0.42), 0.36),)),
    "underwater": _with_landmarks(fishbowl, "underwater", (("⚓", (0.2, 0.3), 0.12), ("🐙", (0.8, 0.35), 0.12))),
    "spa": _with_landmarks(living_room, "spa", (("♨️", (0.5, 0.25), 0.16), ("🧖", (0.85, 0.55), 0.14))),
    "prom": _with_landmarks(stage, "prom", (("🪩", (0.5, 0.12), 0.16),)),
    "party": _with_landmarks(living_room, "party", (("🎈", (0.1, 0.2), 0.12), ("🎉", (0.9, 0.2), 0.12))),
    "rain": _with_landmarks(city, "rain", (("⛈️", (0.3, 0.12), 0.2), ("🌧️", (0.75, 0.12), 0.2))),
    "rooftop": _with_landmarks(city, "rooftop", (("🏠", (0.8, 0.6), 0.2), ("🎅", (0.15, 0.15), 0.1))),
}

# Words in a setting that say which scene it is; checked in this order, whole words only
# ("searchlight" is not the sea).
KEYWORDS = {
    "fishbowl": r"fish ?bowl|goldfish bowl",
    "underwater": r"aquarium|submarine|underwater|ocean floor|reef|deep sea",
    "volcano": r"volcan\w*|erupt\w*|lava|magma",
    "race track": r"formula (?:1|one)|f1|race ?track|grand prix|pit lane|racing circuit",
    "video call": r"video call|zoom|webcam|teams call|facetime",
    "museum": r"museum|gallery|louvre|exhibition",
    "castle": r"castle|palace|throne room|kingdom",
    "paris": r"eiffel tower|paris",
    "theme park": r"theme park|roller ?coaster|amusement park|funfair",
    "mountains": r"everest|summit|mountain peaks?|alps",
    "desert": r"desert|sahara|dunes?",
    "farm": r"farm\w*|barn",
    "clinic": r"clinic|hospital|vet's|vet|dentist's|dentist|surgery",
    "prom": r"prom|disco",
    "party": r"party|parties|balloons|birthday|streamers",
    "classroom": r"classroom|school|chalkboard",
    "gym": r"gym|weights|treadmill",
    "library": r"library|bookshelves",
    "supermarket": r"supermarket|grocery|aisle",
    "airport": r"airport|departure gate|runway",
    "subway": r"subway|metro|underground train",
    "ship": r"ship|deck|boat|sail\w*",
    "spa": r"spa|sauna|mud bath",
    "stage": (
        r"stage|ted|ted-style|talk|podium|lectern|concert|theat\w*|auditorium|conference|keynote|show|comedy club"
        r"|awards?|opera|festival"
    ),
    "space": r"space|planet|moon|orbit|galaxy|asteroid|mars|rocket|spaceship",
    "office": r"office|cubicles?|desk|meeting|boardroom|workplace|accounting|copier|printer room|interview",
    "kitchen": r"kitchen|bakery|diner|restaurant|cooking|fridge|counter",
    "skate park": r"skate ?park|half-?pipe|skateboard\w*|ramp",
    "beach": r"beach|sea|ocean|shore|surf|island|pool",
    "living room": r"living room|couch|sofa|home|house|apartment|bedroom|bathroom|bath|lounge|rug|carpet|hallway",
    "city": r"city|street|rooftops?|downtown|skyline|alley|road|traffic|metropolis|town|parking",
    "outdoors": r"park|garden|backyard|yard|forest|field|meadow|mountains?|lawn|outdoors?|camp\w*|farm|woods|lake|river|hills?",
    "rain": r"rain|thunderstorm|storm",
    "rooftop": r"chimney",
}


def pick_scene(setting: str) -> str:
    text = setting.lower()
    for name, pattern in KEYWORDS.items():
        if re.search(rf"\b(?:{pattern})\b", text):
            return name
    # Nowhere in particular: the comic-book sky, which suits any joke.
    return DEFAULT_SCENE


def is_night(setting: str) -> bool:
    return re.search(r"\b(night|midnight|dark|evening|moonlit|late)\b", setting.lower()) is not None


def draw_scene(name: str, width: int, height: int, rng: random.Random, night: bool = False) -> Scenery:
    image = Image.new("RGB", (width, height), (255, 255, 255))
    return SCENES[name](image, ImageDraw.Draw(image), rng, night)
