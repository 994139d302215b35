"""The `sketch` artist: an offline storyboard cartoon drawn from OpenMoji art.

No GPU, no network, no model: a comic panel composed from the Concept. The setting picks a drawn
scene, each cast member is played by an OpenMoji glyph standing in its layout box (facing whoever it
is up against), and the comedic device shows: a giant foil for a scale mismatch, a cape and a
starburst for the mock-heroic, a spotlight for deadpan and parody, a crowd of foils for escalation.
The moment adds speed lines, impacts and sweat drops; sign text goes on a placard. The caption is
left to the letterer.

Art: OpenMoji (https://openmoji.org), CC BY-SA 4.0, credited in every picture's metadata.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw

from sightgag.artist.base import Painting, Progress
from sightgag.artist.sketch import effects
from sightgag.artist.sketch.emoji import cast_glyph, lookup
from sightgag.artist.sketch.scenes import INK, draw_scene, ink_width, pick_scene
from sightgag.concept import Box, CastMember, Concept, Device
from sightgag.errors import UsageError
from sightgag.settings import Settings
from sightgag.subjects import Subject
from sightgag.subjects.traits import COLOUR_NAMES

CREDIT = "OpenMoji, CC BY-SA 4.0"
MIN_SIDE, MAX_SIDE = 256, 2048
Pixels = tuple[float, float, float, float]


class SketchArtist:
    """Draws each concept as a comic panel; image i is deterministic for seeds[i]."""

    spec = "sketch"

    def __init__(self, model: str | None = None, settings: Settings | None = None):
        if model:
            raise UsageError(f"the sketch artist has no models (got sketch:{model}): use plain `sketch`")

    def paint(
        self,
        concepts: list[Concept],
        *,
        seeds: list[int],
        width: int,
        height: int,
        subjects: Sequence[Subject] = (),
        progress: Progress | None = None,
    ) -> Painting:
        if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
            raise UsageError(f"sketch sizes run from {MIN_SIDE} to {MAX_SIDE} px a side, not {width}x{height}")
        images, panels = [], []
        for index, (concept, seed) in enumerate(zip(concepts, seeds, strict=True)):
            image, panel = draw_panel(concept, seed, width, height, subjects)
            images.append(image)
            panels.append(panel)
            if progress is not None:
                progress(index + 1, len(concepts))
        return Painting(images=images, details={"model": "sketch", "credit": CREDIT, "seeds": list(seeds), "panels": panels})


def draw_panel(concept: Concept, seed: int, width: int, height: int, subjects: Sequence[Subject] = ()) -> tuple[Image.Image, dict]:
    """One comic panel for one concept, and what was drawn where (for tests and the record)."""
    rng = random.Random(seed)
    scene = pick_scene(concept.setting)
    image = draw_scene(scene, width, height, rng)
    draw = ImageDraw.Draw(image)
    text = f"{concept.moment} {concept.premise}"

    hero = concept.hero
    foils = concept.foils
    boxes = {member.name: _pixels(member.box, width, height) for member in concept.cast}
    if concept.device == Device.scale_mismatch and foils:
        boxes[foils[0].name] = _scaled(boxes[foils[0].name], 1.45, width, height)
        boxes[hero.name] = _scaled(boxes[hero.name], 0.7, width, height)
    if concept.device == Device.role_reversal and foils:
        # The one who should be small looms: swap the hero's and the foil's sizes in place.
        boxes[hero.name], boxes[foils[0].name] = _swap_sizes(boxes[hero.name], boxes[foils[0].name], width, height)

    hero_x = effects.center(boxes[hero.name])[0]
    rival_x = effects.center(boxes[foils[0].name])[0] if foils else width / 2
    hero_facing = 1 if rival_x >= hero_x else -1
    effects_drawn = []

    # Behind everyone: what frames the hero.
    if concept.device in (Device.deadpan, Device.parody) or scene == "stage":
        effects.spotlight(draw, boxes[hero.name], width, height)
        effects_drawn.append("spotlight")
    if concept.device == Device.mock_heroic:
        effects.burst(draw, boxes[hero.name], rng)
        effects_drawn.append("burst")
    if effects.wants(effects.ACTION, text) and foils:
        effects.impact(draw, boxes[hero.name], boxes[foils[0].name], rng)
        effects_drawn.append("impact")
    if effects.wants(effects.MOTION, text):
        effects.speed_lines(draw, boxes[hero.name], hero_facing, rng, width)
        effects_drawn.append("speed lines")

    placements = []
    subject_of = {subject.name.casefold(): subject for subject in subjects}
    order = [m for m in concept.cast if m.role == "extra"] + foils + [hero]
    for member in order:
        box = boxes[member.name]
        subject = subject_of.get((member.subject or "").casefold())
        glyph = cast_glyph(member, subject)
        facing = hero_facing if member is hero else -hero_facing
        if concept.device == Device.escalation and member in foils:
            _crowd(image, glyph, box, facing, rng, width, height)
            effects_drawn.append("escalation")
        tint = _subject_colour(subject)
        if member is hero and concept.device == Device.mock_heroic:
            effects.cape(draw, _landing(glyph, box, facing, tint), rng, hero_facing)
            effects_drawn.append("cape")
        _shadow(draw, box)
        drawn = _stamp(image, glyph, box, facing, tint=tint)
        placements.append({"name": member.name, "role": member.role, "glyph": glyph, "box": [round(v) for v in drawn]})
        if effects.wants(effects.PANIC, member.expression):
            effects.sweat(draw, drawn, rng)
        _props(image, member, drawn, facing, skip_capes=concept.device == Device.mock_heroic)
        if member is hero and concept.device == Device.anthropomorphism and not member.props:
            _stamp(image, "👔", _beside(drawn, 0.32, facing, low=True), 1)

    if concept.sign_text:
        _placard(image, concept.sign_text, [p["box"] for p in placements], rng)
    effects.frame(draw, width, height)
    return image, {"scene": scene, "device": concept.device.value, "cast": placements, "effects": effects_drawn}


# -- layout -------------------------------------------------------------------------------------


def _pixels(box: Box, width: int, height: int) -> Pixels:
    return (box.x * width, box.y * height, (box.x + box.w) * width, (box.y + box.h) * height)


def _scaled(box: Pixels, factor: float, width: int, height: int) -> Pixels:
    cx, cy = effects.center(box)
    half_w, half_h = (box[2] - box[0]) * factor / 2, (box[3] - box[1]) * factor / 2
    half_w, half_h = min(half_w, width * 0.48), min(half_h, height * 0.48)
    # Keep the feet where they were (a giant stands on the same floor), then keep it on the canvas.
    bottom = min(box[3], height * 0.98)
    left = min(max(cx - half_w, width * 0.01), width * 0.99 - 2 * half_w)
    top = max(bottom - 2 * half_h, height * 0.01)
    return (left, top, left + 2 * half_w, top + 2 * half_h)


def _swap_sizes(a: Pixels, b: Pixels, width: int, height: int) -> tuple[Pixels, Pixels]:
    size_a, size_b = (a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1])
    ratio = (size_b / size_a) ** 0.5 if size_a else 1
    return _scaled(a, ratio, width, height), _scaled(b, 1 / ratio, width, height)


def _fit_box(box: Pixels) -> Pixels:
    """The square a glyph fills inside a box: centred horizontally, standing on the box's bottom."""
    side = min(box[2] - box[0], box[3] - box[1])
    cx = (box[0] + box[2]) / 2
    return (cx - side / 2, box[3] - side, cx + side / 2, box[3])


def _beside(box: Pixels, scale: float, facing: int, low: bool = False) -> Pixels:
    side = (box[2] - box[0]) * scale
    x = box[2] - side * 0.4 if facing > 0 else box[0] - side * 0.6
    y = box[3] - side * (1.2 if low else 1.9)
    return (x, y, x + side, y + side)


# -- drawing ------------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _glyph(glyph: str, size: int, facing: int, tint: tuple[int, int, int] | None) -> Image.Image:
    """A glyph rendered at `size` px, cropped to its ink, mirrored to face right when asked, tinted."""
    from sightgag.letterer.fonts import OPENMOJI, font

    face = font(OPENMOJI, size)
    canvas = Image.new("RGBA", (size * 2, size * 2), (0, 0, 0, 0))
    ImageDraw.Draw(canvas).text((size // 2, size // 2), glyph, font=face, embedded_color=True)
    canvas = canvas.crop(canvas.getbbox() or (0, 0, 1, 1))
    # OpenMoji's animals look left; someone facing right is mirrored.
    if facing > 0:
        canvas = canvas.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    if tint is not None:
        canvas = _tinted(canvas, tint)
    return canvas


def _art(glyph: str, box: Pixels, facing: int, tint=None) -> tuple[Image.Image, int, int]:
    """A glyph as large as fits the box, standing on its bottom edge, and where its corner goes."""
    side = max(8, int(min(box[2] - box[0], box[3] - box[1])))
    art = _glyph(glyph, side, facing, tint)
    scale = side / max(art.size)
    if scale != 1:
        art = art.resize((max(1, int(art.width * scale)), max(1, int(art.height * scale))), Image.Resampling.LANCZOS)
    return art, int((box[0] + box[2]) / 2 - art.width / 2), int(box[3] - art.height)


def _landing(glyph: str, box: Pixels, facing: int, tint=None) -> Pixels:
    """Where `_stamp` will draw a glyph, without drawing it (to put a cape behind it first)."""
    art, x, y = _art(glyph, box, facing, tint)
    return (x, y, x + art.width, y + art.height)


def _stamp(image: Image.Image, glyph: str, box: Pixels, facing: int, tint=None) -> Pixels:
    """Draw a glyph in a box; returns where it landed."""
    art, x, y = _art(glyph, box, facing, tint)
    image.paste(art, (x, y), art)
    return (x, y, x + art.width, y + art.height)


def _shadow(draw: ImageDraw.ImageDraw, box: Pixels) -> None:
    fit = _fit_box(box)
    w = fit[2] - fit[0]
    draw.ellipse((fit[0] + w * 0.1, fit[3] - w * 0.06, fit[2] - w * 0.1, fit[3] + w * 0.05), fill=_shade(draw, fit))


def _shade(draw: ImageDraw.ImageDraw, box: Pixels) -> tuple[int, int, int]:
    # A flat shadow a bit darker than the ground it falls on.
    image = draw._image  # type: ignore[attr-defined]
    x = int(min(max((box[0] + box[2]) / 2, 0), image.width - 1))
    y = int(min(max(box[3], 0), image.height - 1))
    r, g, b = image.getpixel((x, y))[:3]
    return (int(r * 0.7), int(g * 0.7), int(b * 0.7))


def _crowd(image: Image.Image, glyph: str, box: Pixels, facing: int, rng: random.Random, width: int, height: int) -> None:
    """Escalation: more and more of the foil, growing toward the back."""
    w = box[2] - box[0]
    for step in range(3, 0, -1):
        scale = 0.45 + 0.12 * step
        dx = -facing * w * 0.35 * step + rng.uniform(-w * 0.05, w * 0.05)
        ghost = _scaled((box[0] + dx, box[1] - w * 0.1 * step, box[2] + dx, box[3] - w * 0.1 * step), scale, width, height)
        _stamp(image, glyph, ghost, facing)


def _props(image: Image.Image, member: CastMember, drawn: Pixels, facing: int, skip_capes: bool) -> None:
    placed = 0
    for prop in member.props:
        if skip_capes and re.search(r"cape|mask", prop.lower()):
            continue
        glyph = lookup(prop)
        if glyph is None:
            continue
        slot = _beside(drawn, 0.38, facing if placed == 0 else -facing)
        _stamp(image, glyph, slot, facing)
        placed += 1
        if placed == 2:
            break


def _placard(image: Image.Image, text: str, avoid: list[list[int]], rng: random.Random) -> None:
    """The sign text on a board on a post, where it hides the cast least."""
    from sightgag.letterer.fonts import SOURCE_SANS_BLACK, font

    width, height = image.size
    board_w, board_h = int(width * 0.36), int(height * 0.13)
    candidates = [(int(width * 0.04), int(height * 0.05)), (width - board_w - int(width * 0.04), int(height * 0.05)), ((width - board_w) // 2, int(height * 0.04))]

    def overlap(x: int, y: int) -> float:
        return sum(max(0, min(x + board_w, b[2]) - max(x, b[0])) * max(0, min(y + board_h, b[3]) - max(y, b[1])) for b in avoid)

    x, y = min(candidates, key=lambda spot: overlap(*spot))
    draw = ImageDraw.Draw(image)
    line = ink_width(width)
    draw.rectangle((x + board_w // 2 - line * 2, y + board_h, x + board_w // 2 + line * 2, y + board_h + int(height * 0.1)), fill=(150, 100, 60), outline=INK, width=line)
    draw.rectangle((x, y, x + board_w, y + board_h), fill=(255, 250, 230), outline=INK, width=line)
    words = text.upper()
    size = int(board_h * 0.62)
    face = font(SOURCE_SANS_BLACK, size)
    while size > 8 and draw.textlength(words, font=face) > board_w * 0.88:
        size -= 2
        face = font(SOURCE_SANS_BLACK, size)
    draw.text((x + board_w / 2, y + board_h / 2), words, font=face, fill=(200, 30, 40), anchor="mm")


def _subject_colour(subject: Subject | None) -> tuple[int, int, int] | None:
    """The colour a subject's traits name first ("orange tabby" -> orange), to tint its glyph."""
    if subject is None:
        return None
    traits = " ".join(subject.traits).lower()
    for name in sorted(COLOUR_NAMES, key=len, reverse=True):
        if re.search(rf"\b{re.escape(name)}\b", traits):
            return COLOUR_NAMES[name]
    return None


def _tinted(art: Image.Image, colour: tuple[int, int, int]) -> Image.Image:
    """Recolour a glyph's fill toward a colour, keeping its ink lines and shading."""
    rgba = np.asarray(art).astype(np.float32)
    rgb, alpha = rgba[..., :3], rgba[..., 3:]
    brightness = rgb.mean(axis=2, keepdims=True)
    saturation = rgb.max(axis=2, keepdims=True) - rgb.min(axis=2, keepdims=True)
    # Only the coloured fill changes: the black outlines (dark) and white highlights (unsaturated) stay.
    fill = (brightness > 70) & (saturation > 40)
    shade = brightness / max(1.0, float(brightness[fill[..., 0]].mean()) if fill.any() else 1.0)
    target = np.clip(np.array(colour, dtype=np.float32) * shade, 0, 255)
    out = np.where(fill, target, rgb)
    return Image.fromarray(np.concatenate([out, alpha], axis=2).astype(np.uint8), "RGBA")
