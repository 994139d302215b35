"""Comic effects: what makes a device or a moment visible in a sketch.

Each is a small function drawing on the panel around pixel boxes (left, top, right, bottom): the
mock-heroic's burst and cape, the impact between hero and foil, speed lines, sweat drops, confetti,
a spotlight, the panel's border.
"""

from __future__ import annotations

import math
import random
import re

from PIL import Image, ImageDraw

from sightgag.artist.sketch.scenes import INK, ink_width

Pixels = tuple[float, float, float, float]

# Words of the moment (or a pose) that call for an effect.
ACTION = r"\b(fight|battl|attack|punch|hit\b|clash|duel|wrestl|tackl|smash|kick|versus|vs\b|pounc|strik|brawl|swing)"
MOTION = r"\b(run|chas|leap|jump|fly|flying|rac(e|ing)|dash|sprint|skat|swoop|charg|flee|zoom|rid(e|ing)|grind|ollie)"
FALL = r"\b(fall|tumbl|toppl|trip)"
PANIC = r"\b(panic|scared|terrif|nervous|sweat|horrif|shock|startl|flee|alarm|worri)"
TRIUMPH = r"\b(win|won\b|victor|champion|trophy|celebrat|triumph|gold medal|first place|finals)"
LEAP = r"\b(leap|jump|pounc|mid-air|midair|airborne|fly|flying|ollie)"
CHAOS = r"\b(chaos|mayhem|havoc|erupt|explod|boil|smok|catch fire|spew|pour)"


def wants(pattern: str, text: str) -> bool:
    return re.search(pattern, text.lower()) is not None


def center(box: Pixels) -> tuple[float, float]:
    return ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)


def _star(cx: float, cy: float, outer: float, inner: float, points: int, rng: random.Random, spin: float = 0) -> list:
    polygon = []
    for index in range(points * 2):
        angle = spin + math.pi * index / points + rng.uniform(-0.08, 0.08)
        radius = outer * rng.uniform(0.85, 1.1) if index % 2 == 0 else inner
        polygon.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return polygon


def burst(draw: ImageDraw.ImageDraw, box: Pixels, rng: random.Random, width: int) -> None:
    """The mock-heroic halo: sunburst rays and a jagged star behind the hero."""
    cx, cy = center(box)
    outer = min(max(box[2] - box[0], box[3] - box[1]) * 0.58, width * 0.32)
    for k in range(16):
        angle = 2 * math.pi * k / 16 + rng.uniform(-0.05, 0.05)
        spread = 0.07
        draw.polygon(
            [
                (cx, cy),
                (cx + outer * 1.5 * math.cos(angle - spread), cy + outer * 1.5 * math.sin(angle - spread)),
                (cx + outer * 1.5 * math.cos(angle + spread), cy + outer * 1.5 * math.sin(angle + spread)),
            ],
            fill=(255, 245, 170),
        )
    draw.polygon(_star(cx, cy, outer, outer * 0.66, 14, rng), fill=(255, 222, 70), outline=INK, width=ink_width(width))


def impact(
    draw: ImageDraw.ImageDraw, hero: Pixels, foil: Pixels, facing: int, rng: random.Random, width: int
) -> Pixels:
    """A POW-style bang (no letters) where the hero strikes, with flying debris. Returns its box."""
    hero_w, hero_h = hero[2] - hero[0], hero[3] - hero[1]
    # Just in front of the hero, at the height of its upper third: where a blow would land.
    front = hero[2] if facing > 0 else hero[0]
    gap = (foil[0] - hero[2]) if facing > 0 else (hero[0] - foil[2])
    size = max(min(hero_w, hero_h) * 0.3, width * 0.05)
    mx = front + facing * max(size * 0.8, min(gap / 2, hero_w * 0.4))
    my = hero[1] + hero_h * 0.35
    line = ink_width(width)
    draw.polygon(_star(mx, my, size, size * 0.5, 11, rng), fill=(240, 70, 50), outline=INK, width=line)
    draw.polygon(
        _star(mx, my, size * 0.62, size * 0.32, 9, rng, spin=0.3), fill=(255, 225, 60), outline=INK, width=line
    )
    for _ in range(5):
        angle = rng.uniform(0, 2 * math.pi)
        r0, r1 = size * 1.1, size * rng.uniform(1.35, 1.6)
        draw.line(
            (
                mx + r0 * math.cos(angle),
                my + r0 * math.sin(angle),
                mx + r1 * math.cos(angle),
                my + r1 * math.sin(angle),
            ),
            fill=INK,
            width=line,
        )
    return (mx - size, my - size, mx + size, my + size)


def speed_lines(draw: ImageDraw.ImageDraw, box: Pixels, direction: int, rng: random.Random, width: int) -> None:
    """Strokes trailing behind a moving figure (direction +1: moving right)."""
    left, top, right, bottom = box
    tail = left if direction > 0 else right
    line = ink_width(width)
    for k in range(7):
        y = top + (bottom - top) * (0.15 + 0.7 * k / 6) + rng.uniform(-line, line)
        length = (right - left) * rng.uniform(0.3, 0.7)
        start = tail - direction * (right - left) * rng.uniform(0.02, 0.12)
        draw.line((start, y, start - direction * length, y), fill=INK, width=line)


def dust(draw: ImageDraw.ImageDraw, box: Pixels, direction: int, rng: random.Random, width: int) -> None:
    """Puffs kicked up behind the feet."""
    left, _, right, bottom = box
    tail = left if direction > 0 else right
    r = (right - left) * 0.08
    for k in range(3):
        x = tail - direction * r * (1 + 1.6 * k)
        y = bottom - r * (0.6 + 0.3 * k)
        rr = r * (1 - 0.2 * k)
        draw.ellipse(
            (x - rr, y - rr, x + rr, y + rr), fill=(245, 240, 230), outline=INK, width=max(1, ink_width(width) // 2)
        )


def fall_lines(draw: ImageDraw.ImageDraw, box: Pixels, rng: random.Random, width: int) -> None:
    """Vertical strokes above someone dropping."""
    left, top, right, _ = box
    for k in range(5):
        x = left + (right - left) * (0.15 + 0.7 * k / 4)
        draw.line(
            (x, top - (right - left) * rng.uniform(0.2, 0.4), x, top - (right - left) * 0.05),
            fill=INK,
            width=ink_width(width),
        )


def cape(
    draw: ImageDraw.ImageDraw,
    anchor: tuple[float, float],
    size: float,
    facing: int,
    rng: random.Random,
    frontal: bool = False,
) -> None:
    """A red cape from the shoulders (drawn before the hero, so the hero stands over it).

    Side-on figures (animals) trail it behind like a flag; front-on people wear it hanging and
    flaring out behind their back, billowing away from where they face.
    """
    x, y = anchor
    back = -facing
    line = max(2, int(size / 45))
    flutter = rng.uniform(-0.05, 0.05)
    if frontal:
        half = size * 0.32
        billow = back * size * 0.35
        hem_y = y + size * 0.8
        hem = [(x + billow + half * 1.5 - k * half * 3 / 6, hem_y + (size * 0.05 if k % 2 else 0)) for k in range(7)]
        polygon = [(x - half, y), (x + half, y), *hem]
        draw.polygon(polygon, fill=(215, 35, 45), outline=INK, width=line)
        draw.line([(x + half * 0.3, y + size * 0.05), (x + billow + half * 0.6, hem_y)], fill=(150, 20, 30), width=line)
        return
    # Out behind and down, its hem in scallops, like a cape in the wind.
    points = [(x - back * size * 0.12, y - size * 0.04), (x + back * size * 0.1, y - size * 0.08)]
    points += [
        (x + back * size * 0.55, y - size * (0.05 + flutter)),
        (x + back * size * 0.95, y + size * (0.05 + flutter)),
    ]
    hem = [
        (x + back * size * 1.0, y + size * 0.2),
        (x + back * size * 0.8, y + size * 0.32),
        (x + back * size * 0.65, y + size * 0.38),
        (x + back * size * 0.45, y + size * 0.44),
        (x + back * size * 0.25, y + size * 0.46),
        (x + back * size * 0.05, y + size * 0.5),
    ]
    polygon = points + hem + [(x - back * size * 0.1, y + size * 0.3)]
    draw.polygon(polygon, fill=(215, 35, 45), outline=INK, width=line)
    draw.line(
        [(x + back * size * 0.2, y + size * 0.02), (x + back * size * 0.55, y + size * 0.3)],
        fill=(150, 20, 30),
        width=line,
    )


def domino_mask(draw: ImageDraw.ImageDraw, head: Pixels, facing: int) -> None:
    """A black superhero eye mask across the face."""
    left, top, right, bottom = head
    w, h = right - left, bottom - top
    cy = top + h * 0.5
    line = max(2, int(w / 30))
    draw.rounded_rectangle((left + w * 0.12, cy - h * 0.1, right - w * 0.12, cy + h * 0.1), radius=h * 0.09, fill=INK)
    for ex in (left + w * 0.34, right - w * 0.34):
        draw.ellipse((ex - w * 0.07, cy - h * 0.05, ex + w * 0.07, cy + h * 0.05), fill=(255, 255, 255))
    tail_x = right - w * 0.12 if facing < 0 else left + w * 0.12
    draw.line((tail_x, cy, tail_x - facing * w * 0.25, cy + h * 0.15), fill=INK, width=line * 2)


def sweat(draw: ImageDraw.ImageDraw, head: Pixels, rng: random.Random) -> None:
    """Drops flying off a worried head."""
    left, top, right, _ = head
    r = (right - left) * 0.07
    for index in range(3):
        x = right + r * (0.5 + index * 1.5)
        y = top + (right - left) * (0.05 + 0.15 * index)
        draw.polygon([(x, y - r * 2), (x + r, y), (x - r, y)], fill=(120, 200, 255))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(120, 200, 255), outline=INK, width=max(1, int(r / 4)))


def worry_marks(draw: ImageDraw.ImageDraw, box: Pixels, rng: random.Random, width: int) -> None:
    """Little shake lines around something in a state of chaos."""
    left, top, right, bottom = box
    line = ink_width(width)
    for side in (-1, 1):
        x = right + line * 3 if side > 0 else left - line * 3
        for k in range(3):
            y = top + (bottom - top) * (0.25 + 0.2 * k)
            draw.arc(
                (x - line * 6, y - line * 3, x + line * 6, y + line * 3),
                90 if side > 0 else 270,
                270 if side > 0 else 450,
                fill=INK,
                width=line,
            )


def confetti(draw: ImageDraw.ImageDraw, width: int, height: int, rng: random.Random) -> None:
    """Celebration: confetti raining over the top half of the panel."""
    colours = [(240, 70, 90), (60, 160, 240), (255, 210, 50), (90, 200, 120), (200, 100, 220)]
    size = width / 70
    for _ in range(45):
        x, y = rng.uniform(0, width), rng.uniform(0, height * 0.6)
        angle = rng.uniform(0, math.pi)
        dx, dy = math.cos(angle) * size, math.sin(angle) * size * 0.5
        draw.polygon(
            [
                (x - dx, y - dy),
                (x + dx, y + dy),
                (x + dx + size * 0.3, y + dy + size * 0.5),
                (x - dx + size * 0.3, y - dy + size * 0.5),
            ],
            fill=rng.choice(colours),
        )


def spotlight(image: Image.Image, box: Pixels) -> None:
    """A pale cone from above onto someone: the star of a stage, a parody, a deadpan stare."""
    cx = (box[0] + box[2]) / 2
    half = (box[2] - box[0]) * 0.75
    layer = Image.new("L", image.size, 0)
    draw = ImageDraw.Draw(layer)
    draw.polygon([(cx - half * 0.3, 0), (cx + half * 0.3, 0), (cx + half, box[3]), (cx - half, box[3])], fill=110)
    h = (box[3] - box[1]) * 0.09
    draw.ellipse((cx - half, box[3] - h, cx + half, box[3] + h), fill=150)
    _light(image, layer, (255, 248, 200))


def _light(image: Image.Image, mask: Image.Image, colour) -> None:
    """Lay a translucent colour over the panel through a mask, touching only the lit region."""
    region = mask.getbbox()
    if region:
        image.paste(colour, region, mask.crop(region))


def searchlight(image: Image.Image, draw: ImageDraw.ImageDraw, silhouette: Image.Image, rng: random.Random) -> None:
    """A signal in the night sky with the hero's silhouette in it, as a city calls its hero."""
    width, height = image.size
    sx, sy = width * rng.uniform(0.55, 0.75), height * 0.14
    rx, ry = width * 0.15, height * 0.085
    beam = Image.new("L", image.size, 0)
    ImageDraw.Draw(beam).polygon(
        [
            (width * 0.95, height * 0.8),
            (width * 0.99, height * 0.8),
            (sx + rx * 0.8, sy + ry * 0.5),
            (sx - rx * 0.6, sy + ry * 0.8),
        ],
        fill=90,
    )
    _light(image, beam, (255, 245, 190))
    draw.ellipse((sx - rx, sy - ry, sx + rx, sy + ry), fill=(255, 235, 120), outline=INK, width=ink_width(width))
    shape = silhouette.copy()
    shape.thumbnail((int(rx * 1.4), int(ry * 1.4)))
    ink = Image.new("RGBA", shape.size, INK + (255,))
    ink.putalpha(shape.getchannel("A").point(lambda v: 255 if v > 128 else 0))
    image.paste(ink, (int(sx - shape.width / 2), int(sy - shape.height / 2)), ink)


def gilt_frame(draw: ImageDraw.ImageDraw, width: int, height: int) -> None:
    """Parody: the whole panel hung like an old master in a gold frame."""
    band = max(10, width // 22)
    draw.rectangle((0, 0, width - 1, height - 1), outline=(200, 150, 50), width=band)
    draw.rectangle(
        (band // 3, band // 3, width - band // 3 - 1, height - band // 3 - 1),
        outline=(240, 200, 90),
        width=max(2, band // 4),
    )
    draw.rectangle((band - 2, band - 2, width - band + 1, height - band + 1), outline=INK, width=ink_width(width))


def frame(draw: ImageDraw.ImageDraw, width: int, height: int) -> None:
    """The panel's border, as on a printed comic page."""
    line = max(4, width // 90)
    draw.rectangle((0, 0, width - 1, height - 1), outline=(255, 255, 255), width=line * 2)
    draw.rectangle((line, line, width - line - 1, height - line - 1), outline=INK, width=line)
