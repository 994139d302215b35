"""Backgrounds: a scene drawn for the concept's setting, in a flat comic style with bold ink.

Each scene is a small function that draws on the whole panel; `pick_scene` reads the setting (and the
style) for keywords. The seed varies colours and details, so two panels of one place differ a little.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

from PIL import Image, ImageDraw

INK = (28, 28, 34)

Scene = Callable[[ImageDraw.ImageDraw, int, int, random.Random], None]


def ink_width(width: int) -> int:
    return max(2, width // 170)


def _jitter(colour: tuple[int, int, int], rng: random.Random, amount: int = 14) -> tuple[int, int, int]:
    return tuple(max(0, min(255, channel + rng.randint(-amount, amount))) for channel in colour)  # type: ignore[return-value]


def _sky(draw: ImageDraw.ImageDraw, width: int, height: int, top, bottom, until: float = 1.0) -> None:
    # A banded gradient: flat bands read as comic colouring, a smooth ramp would read as a photo.
    bands = 8
    for band in range(bands):
        t = band / (bands - 1)
        colour = tuple(int(a + (b - a) * t) for a, b in zip(top, bottom))
        draw.rectangle((0, int(height * until * band / bands), width, int(height * until * (band + 1) / bands) + 1), fill=colour)


def halftone(draw, width, height, rng) -> None:
    """The comic-book default: a bright sky of halftone dots."""
    base = _jitter(rng.choice([(255, 214, 90), (120, 200, 250), (255, 150, 170), (170, 230, 160)]), rng)
    dots = tuple(max(0, channel - 45) for channel in base)
    draw.rectangle((0, 0, width, height), fill=base)
    step = max(10, width // 48)
    for row, y in enumerate(range(0, height + step, step)):
        for x in range(-step, width + step, step):
            cx = x + (step // 2 if row % 2 else 0)
            # Dots grow toward the bottom right, as printed shading does.
            radius = step * (0.12 + 0.28 * ((cx / width + y / height) / 2))
            draw.ellipse((cx - radius, y - radius, cx + radius, y + radius), fill=dots)


def living_room(draw, width, height, rng) -> None:
    wall = _jitter(rng.choice([(250, 226, 190), (205, 225, 240), (235, 215, 235)]), rng)
    stripe = tuple(max(0, channel - 18) for channel in wall)
    floor_y = int(height * 0.72)
    draw.rectangle((0, 0, width, floor_y), fill=wall)
    for x in range(0, width, max(12, width // 20)):
        draw.rectangle((x, 0, x + max(4, width // 60), floor_y), fill=stripe)
    draw.rectangle((0, floor_y, width, height), fill=_jitter((176, 120, 78), rng))
    line = ink_width(width)
    for x in range(0, width, width // 6):
        draw.line((x, floor_y, x - width // 10, height), fill=(150, 100, 62), width=line // 2 + 1)
    draw.line((0, floor_y, width, floor_y), fill=INK, width=line)
    # A window with night or day outside, and a picture frame.
    wx = int(width * rng.uniform(0.58, 0.7))
    window = (wx, int(height * 0.1), wx + int(width * 0.26), int(height * 0.42))
    draw.rectangle(window, fill=rng.choice([(40, 50, 110), (150, 210, 250)]), outline=INK, width=line)
    mid_x, mid_y = (window[0] + window[2]) // 2, (window[1] + window[3]) // 2
    draw.line((mid_x, window[1], mid_x, window[3]), fill=INK, width=line)
    draw.line((window[0], mid_y, window[2], mid_y), fill=INK, width=line)
    frame = (int(width * 0.1), int(height * 0.14), int(width * 0.28), int(height * 0.32))
    draw.rectangle(frame, fill=(255, 250, 235), outline=INK, width=line)
    draw.polygon([(frame[0] + 8, frame[3] - 8), ((frame[0] + frame[2]) // 2, frame[1] + 12), (frame[2] - 8, frame[3] - 8)], fill=(120, 180, 120))
    # A rug on the floor.
    draw.ellipse((int(width * 0.15), int(height * 0.8), int(width * 0.85), int(height * 0.97)), fill=_jitter((200, 70, 70), rng), outline=INK, width=line)


def stage(draw, width, height, rng) -> None:
    """A talk or show: dark back wall, red curtains, a spotlight on the boards."""
    draw.rectangle((0, 0, width, height), fill=(30, 26, 48))
    floor_y = int(height * 0.74)
    draw.polygon([(width * 0.3, 0), (width * 0.7, 0), (width * 0.92, floor_y), (width * 0.08, floor_y)], fill=(70, 64, 96))
    draw.ellipse((width * 0.08, floor_y - height * 0.06, width * 0.92, floor_y + height * 0.1), fill=(250, 236, 170))
    draw.rectangle((0, floor_y, width, height), fill=(150, 95, 55))
    draw.ellipse((width * 0.12, floor_y - height * 0.02, width * 0.88, floor_y + height * 0.08), fill=(235, 200, 140))
    line = ink_width(width)
    draw.line((0, floor_y, width, floor_y), fill=INK, width=line)
    curtain = _jitter((190, 30, 45), rng, 10)
    fold = tuple(max(0, channel - 50) for channel in curtain)
    for side in (0, 1):
        x0, x1 = (0, int(width * 0.14)) if side == 0 else (int(width * 0.86), width)
        draw.rectangle((x0, 0, x1, height), fill=curtain)
        for x in range(x0 + 6, x1, max(8, width // 60)):
            draw.line((x, 0, x, height), fill=fold, width=max(2, line // 2))
    draw.rectangle((0, 0, width, int(height * 0.07)), fill=curtain, outline=INK, width=line)
    # A round red carpet, as on every talk stage.
    draw.ellipse((width * 0.25, floor_y + height * 0.05, width * 0.75, floor_y + height * 0.2), fill=(205, 40, 50), outline=INK, width=line)


def city(draw, width, height, rng) -> None:
    night = rng.random() < 0.35
    _sky(draw, width, height, (20, 24, 70) if night else (110, 180, 245), (90, 60, 130) if night else (250, 220, 180), until=0.75)
    line = ink_width(width)
    x = -rng.randint(0, width // 10)
    while x < width:
        building_w = rng.randint(width // 10, width // 5)
        top = int(height * rng.uniform(0.18, 0.5))
        colour = _jitter((90, 100, 130) if night else (150, 160, 185), rng, 20)
        draw.rectangle((x, top, x + building_w, int(height * 0.78)), fill=colour, outline=INK, width=line)
        for wy in range(top + 12, int(height * 0.74), max(14, height // 30)):
            for wx in range(x + 8, x + building_w - 10, max(14, width // 36)):
                lit = rng.random() < (0.55 if night else 0.2)
                draw.rectangle((wx, wy, wx + max(5, width // 90), wy + max(6, height // 80)), fill=(255, 230, 120) if lit else (60, 70, 100))
        x += building_w + rng.randint(0, width // 40)
    draw.rectangle((0, int(height * 0.78), width, height), fill=(70, 70, 78))
    for lane in range(0, width, width // 6):
        draw.rectangle((lane, int(height * 0.89), lane + width // 12, int(height * 0.9) + line), fill=(240, 220, 90))
    draw.line((0, int(height * 0.78), width, int(height * 0.78)), fill=INK, width=line)


def outdoors(draw, width, height, rng) -> None:
    _sky(draw, width, height, (100, 175, 245), (200, 235, 255), until=0.65)
    line = ink_width(width)
    sun_x = int(width * rng.uniform(0.1, 0.9))
    draw.ellipse((sun_x - width // 14, height // 14, sun_x + width // 14, height // 14 + width // 7), fill=(255, 215, 60), outline=INK, width=line)
    for _ in range(2):
        cx, cy = rng.uniform(0.1, 0.9) * width, rng.uniform(0.08, 0.3) * height
        for dx in (-1, 0, 1):
            r = width * 0.045
            draw.ellipse((cx + dx * r * 1.2 - r, cy - r, cx + dx * r * 1.2 + r, cy + r), fill=(255, 255, 255))
    draw.ellipse((-width * 0.3, height * 0.5, width * 0.7, height * 1.2), fill=(120, 190, 90), outline=INK, width=line)
    draw.ellipse((width * 0.35, height * 0.55, width * 1.4, height * 1.25), fill=(100, 175, 80), outline=INK, width=line)
    draw.rectangle((0, int(height * 0.75), width, height), fill=(110, 185, 85))
    for _ in range(3):
        tx = rng.uniform(0.05, 0.95) * width
        ty = height * rng.uniform(0.45, 0.55)
        draw.rectangle((tx - width * 0.012, ty, tx + width * 0.012, ty + height * 0.16), fill=(120, 80, 50), outline=INK, width=line // 2 + 1)
        draw.ellipse((tx - width * 0.06, ty - height * 0.1, tx + width * 0.06, ty + height * 0.04), fill=(60, 150, 70), outline=INK, width=line)


def office(draw, width, height, rng) -> None:
    draw.rectangle((0, 0, width, height), fill=_jitter((215, 222, 228), rng))
    line = ink_width(width)
    floor_y = int(height * 0.74)
    for x in range(0, width, max(20, width // 8)):
        draw.line((x, 0, x, floor_y), fill=(195, 203, 210), width=max(1, line // 2))
    blinds = (int(width * 0.55), int(height * 0.08), int(width * 0.9), int(height * 0.38))
    draw.rectangle(blinds, fill=(170, 215, 245), outline=INK, width=line)
    for y in range(blinds[1], blinds[3], max(6, height // 60)):
        draw.line((blinds[0], y, blinds[2], y), fill=(235, 240, 245), width=max(1, line // 2))
    draw.rectangle((0, floor_y, width, height), fill=(120, 125, 140))
    draw.rectangle((int(width * 0.05), int(height * 0.62), int(width * 0.4), int(height * 0.66)), fill=(160, 115, 75), outline=INK, width=line)
    draw.rectangle((int(width * 0.12), int(height * 0.46), int(width * 0.3), int(height * 0.6)), fill=(50, 60, 80), outline=INK, width=line)
    draw.line((0, floor_y, width, floor_y), fill=INK, width=line)
    # The clock every office has, stuck at five to five.
    clock = (int(width * 0.1), int(height * 0.1), int(width * 0.2), int(height * 0.1) + int(width * 0.1))
    draw.ellipse(clock, fill=(255, 255, 255), outline=INK, width=line)


def kitchen(draw, width, height, rng) -> None:
    draw.rectangle((0, 0, width, height), fill=(250, 246, 236))
    tile = max(16, width // 14)
    line = ink_width(width)
    for y in range(0, int(height * 0.6), tile):
        for x in range(0, width, tile):
            if (x // tile + y // tile) % 2:
                draw.rectangle((x, y, x + tile, y + tile), fill=_jitter((170, 215, 220), rng, 4))
    draw.rectangle((0, int(height * 0.6), width, int(height * 0.66)), fill=(90, 90, 100), outline=INK, width=line)
    draw.rectangle((0, int(height * 0.66), width, height), fill=(205, 150, 95))
    for x in range(0, width, width // 4):
        draw.rectangle((x + 6, int(height * 0.7), x + width // 4 - 6, int(height * 0.95)), outline=INK, width=line)


def space(draw, width, height, rng) -> None:
    draw.rectangle((0, 0, width, height), fill=(14, 12, 40))
    for _ in range(140):
        x, y, r = rng.uniform(0, width), rng.uniform(0, height), rng.uniform(0.6, 2.2) * width / 600
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(255, 255, rng.randint(180, 255)))
    line = ink_width(width)
    px, py, pr = width * rng.uniform(0.6, 0.85), height * rng.uniform(0.15, 0.3), width * 0.12
    draw.ellipse((px - pr, py - pr, px + pr, py + pr), fill=(230, 120, 80), outline=INK, width=line)
    draw.arc((px - pr * 1.7, py - pr * 0.4, px + pr * 1.7, py + pr * 0.4), 200, 340, fill=(250, 210, 140), width=line)
    draw.ellipse((-width * 0.2, height * 0.78, width * 1.2, height * 1.5), fill=(150, 150, 165), outline=INK, width=line)


def beach(draw, width, height, rng) -> None:
    _sky(draw, width, height, (90, 180, 250), (210, 240, 255), until=0.55)
    line = ink_width(width)
    draw.rectangle((0, int(height * 0.5), width, int(height * 0.68)), fill=(40, 140, 200))
    for x in range(0, width, width // 10):
        draw.arc((x, int(height * 0.55), x + width // 10, int(height * 0.6)), 180, 360, fill=(255, 255, 255), width=line)
    draw.rectangle((0, int(height * 0.68), width, height), fill=(245, 215, 150))
    draw.line((0, int(height * 0.68), width, int(height * 0.68)), fill=INK, width=line)
    draw.ellipse((width * 0.8, height * 0.06, width * 0.94, height * 0.06 + width * 0.14), fill=(255, 220, 70), outline=INK, width=line)


SCENES: dict[str, Scene] = {
    "stage": stage,
    "living room": living_room,
    "office": office,
    "kitchen": kitchen,
    "space": space,
    "beach": beach,
    "city": city,
    "outdoors": outdoors,
    "halftone": halftone,
}

# Words in a setting that say which scene it is; checked in this order.
KEYWORDS = {
    "stage": r"stage|ted|talk|podium|lectern|concert|theat|auditorium|conference|keynote|show|comedy club|award",
    "space": r"space|planet|moon|orbit|galaxy|asteroid|mars|rocket",
    "office": r"office|cubicle|desk|meeting|boardroom|workplace|accounting|copier|printer room",
    "kitchen": r"kitchen|bakery|diner|restaurant|cooking|fridge|counter",
    "beach": r"beach|sea|ocean|shore|surf|island|pool",
    "living room": r"living room|couch|sofa|home|house|apartment|bedroom|bathroom|bath|lounge|rug|carpet|hallway",
    "city": r"city|street|rooftop|downtown|skyline|alley|road|traffic|metropolis|town|skate ?park|parking",
    "outdoors": r"park|garden|backyard|yard|forest|field|meadow|mountain|lawn|outdoor|camp|farm|woods|lake|river|hill",
}


def pick_scene(setting: str) -> str:
    text = setting.lower()
    for name, pattern in KEYWORDS.items():
        if re.search(pattern, text):
            return name
    # Nowhere in particular: the comic-book sky, which suits any joke.
    return "halftone"


def draw_scene(name: str, width: int, height: int, rng: random.Random) -> Image.Image:
    image = Image.new("RGB", (width, height), (255, 255, 255))
    SCENES[name](ImageDraw.Draw(image), width, height, rng)
    return image
