"""Comic effects: what makes a device or a moment visible in a sketch.

Each is a small function drawing on the panel around pixel boxes (left, top, right, bottom).
"""

from __future__ import annotations

import math
import random
import re

from PIL import ImageDraw

from sightgag.artist.sketch.scenes import INK, ink_width

Pixels = tuple[float, float, float, float]

ACTION = r"fight|battl|attack|punch|hit|clash|duel|wrestl|tackl|smash|kick|versus|vs\b|boss fight|pounc|strik"
MOTION = r"run|chas|leap|jump|fly|flying|race|racing|dash|sprint|skat|swoop|charg|fall|flee|zoom|rid"
PANIC = r"panic|scared|terrif|nervous|sweat|horrif|shock|startl|flee|alarm"


def center(box: Pixels) -> tuple[float, float]:
    return ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)


def burst(draw: ImageDraw.ImageDraw, box: Pixels, rng: random.Random, colour=(255, 236, 90), points: int = 14) -> None:
    """A jagged starburst behind someone: the mock-heroic halo, or the bang of an impact."""
    cx, cy = center(box)
    outer = max(box[2] - box[0], box[3] - box[1]) * 0.55
    polygon = []
    for index in range(points * 2):
        angle = math.pi * index / points + rng.uniform(-0.08, 0.08)
        radius = outer if index % 2 == 0 else outer * rng.uniform(0.55, 0.7)
        polygon.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    draw.polygon(polygon, fill=colour, outline=INK, width=max(2, int(outer / 40)))


def speed_lines(draw: ImageDraw.ImageDraw, box: Pixels, direction: int, rng: random.Random, width: int) -> None:
    """Horizontal strokes trailing behind a moving figure (direction +1: moving right)."""
    left, top, right, bottom = box
    tail = left if direction > 0 else right
    for _ in range(6):
        y = rng.uniform(top + (bottom - top) * 0.2, bottom - (bottom - top) * 0.15)
        length = (right - left) * rng.uniform(0.35, 0.8)
        draw.line((tail - direction * length * 0.15, y, tail - direction * length, y), fill=INK, width=ink_width(width))


def impact(draw: ImageDraw.ImageDraw, a: Pixels, b: Pixels, rng: random.Random) -> None:
    """A bang where hero and foil meet, with a few flying debris marks."""
    (ax, ay), (bx, by) = center(a), center(b)
    size = min(a[2] - a[0], b[2] - b[0]) * 0.45
    mx, my = (ax + bx) / 2, (ay + by) / 2
    burst(draw, (mx - size, my - size, mx + size, my + size), rng, colour=(255, 120, 60), points=10)
    inner = size * 0.45
    burst(draw, (mx - inner, my - inner, mx + inner, my + inner), rng, colour=(255, 240, 120), points=8)


def cape(draw: ImageDraw.ImageDraw, drawn: Pixels, rng: random.Random, facing: int) -> None:
    """A red cape streaming back from the hero's shoulders (drawn first, so the hero stands over it)."""
    left, top, right, bottom = drawn
    w, h = right - left, bottom - top
    # Shoulders sit toward the front and top of the figure; the cape flies out behind and down.
    front = right if facing > 0 else left
    shoulder_x, shoulder_y = front - facing * w * 0.3, top + h * 0.3
    back = -facing
    polygon = [
        (shoulder_x - back * w * 0.08, shoulder_y - h * 0.05),
        (shoulder_x + back * w * 0.12, shoulder_y - h * 0.08),
        (shoulder_x + back * w * 0.95, shoulder_y - h * 0.35),
        (shoulder_x + back * w * 0.85, shoulder_y - h * 0.1),
        (shoulder_x + back * w * 1.0, shoulder_y + h * 0.05),
        (shoulder_x + back * w * 0.75, shoulder_y + h * 0.22),
        (shoulder_x + back * w * 0.2, shoulder_y + h * 0.35),
    ]
    draw.polygon(polygon, fill=(215, 35, 45), outline=INK, width=max(2, int(w / 50)))


def sweat(draw: ImageDraw.ImageDraw, box: Pixels, rng: random.Random) -> None:
    """Drops flying off a worried head."""
    left, top, right, _ = box
    r = (right - left) * 0.05
    for index in range(3):
        x = right - (right - left) * 0.05 + index * r * 1.8
        y = top + (right - left) * (0.05 + 0.1 * index)
        draw.ellipse((x - r, y - r * 1.4, x + r, y + r), fill=(120, 200, 255), outline=INK, width=max(1, int(r / 4)))


def spotlight(draw: ImageDraw.ImageDraw, box: Pixels, width: int, height: int) -> None:
    """A pale cone from above onto someone: the mock-serious, the parody, the deadpan star."""
    cx = (box[0] + box[2]) / 2
    half = (box[2] - box[0]) * 0.7
    draw.polygon([(cx - half * 0.25, 0), (cx + half * 0.25, 0), (cx + half, box[3]), (cx - half, box[3])], fill=(255, 248, 200))
    draw.ellipse((cx - half, box[3] - (box[3] - box[1]) * 0.08, cx + half, box[3] + (box[3] - box[1]) * 0.08), fill=(255, 240, 170))


def frame(draw: ImageDraw.ImageDraw, width: int, height: int) -> None:
    """The panel's border, as on a printed comic page."""
    line = max(4, width // 90)
    draw.rectangle((line // 2, line // 2, width - line // 2 - 1, height - line // 2 - 1), outline=INK, width=line)


def wants(pattern: str, text: str) -> bool:
    return re.search(pattern, text.lower()) is not None
