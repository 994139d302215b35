"""The `sketch` artist: an offline storyboard cartoon drawn from OpenMoji art.

No GPU, no network, no model: a comic panel composed from the Concept. The setting picks a drawn
scene; each cast member is played by an OpenMoji glyph made into a cut-out actor (people get legs,
an animal acting like a person gets a suit) standing in its layout box and facing whoever it is up
against. The comedic device shows: a giant foil for a scale mismatch, a cape and a starburst for
the mock-heroic, a suit for anthropomorphism, a growing crowd of foils for escalation, a spotlight
or a gilt frame for incongruity and parody, stillness for deadpan. The moment adds impacts, speed
lines, dust, sweat and confetti; sign text goes on a slide, a banner, a poster or a placard. The
caption is left to the letterer.

Art: OpenMoji (https://openmoji.org), CC BY-SA 4.0, credited in every painting's details.
"""

from __future__ import annotations

import random
import re
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw

from sightgag.artist.base import Painting, Progress
from sightgag.artist.sketch import effects
from sightgag.artist.sketch.casting import GENERIC, cast_glyph, face_of, is_bust, is_crowd, lookup, worn
from sightgag.artist.sketch.crowds import draw_crowd
from sightgag.artist.sketch.figures import Actor, figure, glyph_art, person, suited, with_outline
from sightgag.artist.sketch.layers import Layer, Tape
from sightgag.artist.sketch.scenes import DEFAULT_SCENE, draw_scene, is_night, pick_scene
from sightgag.artist.sketch.signs import paint_sign
from sightgag.concept import Box, CastMember, Concept, Device
from sightgag.errors import UsageError
from sightgag.settings import Settings
from sightgag.subjects import Subject
from sightgag.subjects.traits import COLOUR_NAMES

__all__ = ["CREDIT", "SketchArtist", "draw_layers", "draw_panel"]

CREDIT = "OpenMoji, CC BY-SA 4.0"
MIN_SIDE, MAX_SIDE = 256, 2048
# Pillow draws shapes without anti-aliasing: panels up to this size are drawn at twice the size and
# halved, which smooths the ink lines for a few tens of milliseconds.
SUPERSAMPLE_UP_TO = 1024
Pixels = tuple[float, float, float, float]

# An animal doing one of these stands up like a person.
UPRIGHT = (
    r"upright|like a person|\btalk|lectur|present|speech|keynote|typing|meeting|interview|\bdesk|testif|preach|negotiat"
)


class SketchArtist:
    """Draws each concept as a comic panel; image i is deterministic for seeds[i]."""

    spec = "sketch"

    def __init__(self, model: str | None = None, settings: Settings | None = None):
        if model:
            raise UsageError(f"the sketch artist has no models (got sketch:{model}): use plain `sketch`")

    def check(self, width: int, height: int) -> None:
        """Refuse now what painting would refuse: a size outside the sketch's range."""
        if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
            raise UsageError(f"sketch sizes run from {MIN_SIDE} to {MAX_SIDE} px a side, not {width}x{height}")

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
        self.check(width, height)
        images, panels = [], []
        for index, (concept, seed) in enumerate(zip(concepts, seeds, strict=True)):
            image, panel = draw_panel(concept, seed, width, height, subjects)
            images.append(image)
            panels.append(panel)
            if progress is not None:
                progress(index + 1, len(concepts))
        return Painting(
            images=images,
            details={"model": "sketch", "credit": CREDIT, "seeds": list(seeds), "panels": panels},
            keep_clear=[_signs(panel, width, height) for panel in panels],
        )


def _signs(panel: dict, width: int, height: int) -> list[Box]:
    """The panel's painted sign, if it has one, on the unit canvas: a balloon over it would hide half the joke."""
    if not panel["sign"]:
        return []
    left, top, right, bottom = panel["sign"]
    return [Box(x=left / width, y=top / height, w=(right - left) / width, h=(bottom - top) / height)]


@dataclass
class Role:
    """One cast member on the panel: who, played by which glyph, where, facing which way."""

    member: CastMember
    glyph: str
    box: Pixels
    facing: int = -1  # -1 looks left, +1 right
    subject: Subject | None = None
    build: str = "figure"  # figure, person, suit or crowd
    drawn: Pixels | None = None


def draw_layers(
    concept: Concept, seed: int, width: int, height: int, subjects: Sequence[Subject] = ()
) -> tuple[Image.Image, list[Layer], dict]:
    """The panel draw_panel draws, taken apart: its scene, and a layer per thing drawn on it, in order.

    Pasting the layers on the scene in order gives draw_panel's image exactly (see sketch.layers).
    """
    tape = Tape()
    image, panel = draw_panel(concept, seed, width, height, subjects, tape=tape)
    background, layers = tape.layers(2 if max(width, height) <= SUPERSAMPLE_UP_TO else 1)
    return background, layers, panel


def draw_panel(
    concept: Concept, seed: int, width: int, height: int, subjects: Sequence[Subject] = (), *, tape: Tape | None = None
) -> tuple[Image.Image, dict]:
    """One comic panel for one concept, and what was drawn where (for tests and the record).

    A tape, if given, records the canvas after each thing drawn (for draw_layers).
    """
    rng = random.Random(seed)
    mark = tape.mark if tape is not None else _no_mark
    scale = 2 if max(width, height) <= SUPERSAMPLE_UP_TO else 1
    w, h = width * scale, height * scale
    scene = pick_scene(concept.setting)
    scenery = draw_scene(scene, w, h, rng, night=is_night(concept.setting))
    image = scenery.image
    draw = ImageDraw.Draw(image)
    moment = f"{concept.moment} {concept.premise}".lower()
    device = concept.device
    drawn_effects: list[str] = []

    roles = _cast(concept, subjects, w, h)
    # "Pinky vs the submarine": a foil that is the place itself is already drawn as the scene, not as a box.
    # Not a foil that names no place at all: the comic sky, where anything goes, is no place.
    roles = [
        role
        for role in roles
        if not (
            role.member.role == "foil"
            and role.glyph == GENERIC["thing"]
            and pick_scene(role.member.name) == scene != DEFAULT_SCENE
        )
    ]
    hero = next(role for role in roles if role.member.role == "hero")
    foil = next((role for role in roles if role.member.role == "foil" and role.build != "crowd"), None)
    _stage_device(device, hero, foil, w, h)
    _face_each_other(roles, hero, foil)
    hero_actor = _actor(hero, concept, rng, min(w, h))
    mark(image, "scene")

    # Behind everyone: what frames the hero.
    if scenery.night and scene == "city" and (device == Device.mock_heroic or _wears(hero, "cape")):
        effects.searchlight(image, draw, hero_actor.image, rng)
        drawn_effects.append("searchlight")
    if device in (Device.parody, Device.incongruity) or scene == "stage":
        effects.spotlight(image, hero.box)
        drawn_effects.append("spotlight")
    mark(image, "light", name="light")
    if device == Device.mock_heroic:
        effects.burst(draw, _fit(hero_actor, hero.box), rng, w)
        drawn_effects.append("burst")
        mark(image, "effect", "hero", "burst")

    # The sign belongs to the scene: painted before the cast, where it hides behind them least.
    sign = paint_sign(scenery, concept.sign_text, [role.box for role in roles], rng) if concept.sign_text else None
    mark(image, "prop", name="sign")

    moving = effects.wants(effects.MOTION, moment) and device != Device.deadpan
    crowds_in_front = []
    for role in _one_of_each_crowd(roles):
        if role.build == "crowd":
            if role.box[3] >= h * 0.9:
                crowds_in_front.append(role)
            else:
                _draw_crowd(image, role, concept, rng, drawn_effects)
                mark(image, "cast", role.member.role, role.member.name)

    for role in [r for r in roles if r.build != "crowd" and r is not hero] + [hero]:
        actor = hero_actor if role is hero else _actor(role, concept, rng, min(w, h))
        if role is foil and device == Device.escalation:
            role.drawn = _escalate(image, actor, role, hero, w, mark)
            drawn_effects.append("escalation")
            continue
        if role is foil and device == Device.literalized_idiom:
            _rain(image, role, rng, w, h)
            drawn_effects.append("raining foils")
        _place(image, draw, actor, role, concept, rng, w, h, drawn_effects, moving and role is hero, mark)

    if foil is not None and effects.wants(effects.ACTION, moment) and device != Device.deadpan:
        effects.impact(draw, hero.drawn, foil.drawn, hero.facing, rng, w)
        drawn_effects.append("impact")
        mark(image, "effect", "", "impact")
    if foil is not None and (device == Device.deadpan or effects.wants(effects.CHAOS, moment)):
        effects.worry_marks(draw, foil.drawn, rng, w)
        drawn_effects.append("chaos marks")
        mark(image, "effect", "foil", "chaos marks")
    if effects.wants(effects.TRIUMPH, moment):
        effects.confetti(draw, w, h, rng)
        drawn_effects.append("confetti")
        mark(image, "effect", "", "confetti")
    for role in crowds_in_front:
        _draw_crowd(image, role, concept, rng, drawn_effects)
        mark(image, "cast", role.member.role, role.member.name)

    if device == Device.parody:
        effects.gilt_frame(draw, w, h)
        drawn_effects.append("gilt frame")
    else:
        effects.frame(draw, w, h)
    mark(image, "frame")

    if scale > 1:
        image = image.reduce(scale)
    cast = [
        {
            "name": role.member.name,
            "role": role.member.role,
            "glyph": role.glyph,
            "build": role.build,
            "box": [round(v / scale) for v in (role.drawn or role.box)],
        }
        for role in roles
    ]
    panel = {
        "scene": scenery.name,
        "night": scenery.night,
        "device": device.value,
        "cast": cast,
        "effects": drawn_effects,
        "sign": [round(v / scale) for v in sign] if sign else None,
        "scenery_props": list(scenery.props),
    }
    return image, panel


# Called as mark(image, kind, owner, name, part) after each thing drawn; see sketch.layers.Tape.
Mark = Callable[..., None]


def _no_mark(image: Image.Image, kind: str, owner: str = "", name: str = "", part: int = 0) -> None:
    pass


# -- casting and staging --------------------------------------------------------------------------


def _cast(concept: Concept, subjects: Sequence[Subject], width: int, height: int) -> list[Role]:
    roles = []
    for member in concept.cast:
        subject = _subject_of(member, subjects)
        glyph = cast_glyph(member, subject)
        build = "crowd" if member.role != "hero" and is_crowd(member) else "figure"
        on_floor = member.box.y + member.box.h > 0.6
        if build == "figure" and is_bust(glyph) and (on_floor or member.role == "hero"):
            build = "person"  # a bust up in the air stays a bust: someone in the distance, not a floating body
        roles.append(Role(member, glyph, _pixels(member.box, width, height), subject=subject, build=build))
    hero = next(role for role in roles if role.member.role == "hero")
    acting = f"{concept.moment} {hero.member.pose}".lower()
    upright = concept.device in (Device.anthropomorphism, Device.role_reversal) or re.search(UPRIGHT, acting)
    if upright and hero.build == "figure" and face_of(hero.glyph):
        hero.build = "suit"
    return roles


def _subject_of(member: CastMember, subjects: Sequence[Subject]) -> Subject | None:
    if not member.subject:
        return None
    wanted = member.subject.casefold()
    return next((s for s in subjects if wanted in {s.name.casefold(), *(a.casefold() for a in s.aliases)}), None)


def _stage_device(device: Device, hero: Role, foil: Role | None, width: int, height: int) -> None:
    """Resize and move hero and foil so the device reads at a glance."""
    if device == Device.scale_mismatch and foil is not None:
        foil.box = _scaled(foil.box, 1.5, width, height)
        hero.box = _scaled(hero.box, 0.75, width, height)
    elif device == Device.role_reversal and foil is not None:
        hero.box, foil.box = _swap_sizes(hero.box, foil.box, width, height)
    elif device == Device.deadpan:
        # Deadpan: the hero square in the middle, facing us, not moving a muscle; the trouble off to
        # one side behind.
        half = (hero.box[2] - hero.box[0]) / 2
        hero.box = (width / 2 - half, hero.box[1], width / 2 + half, hero.box[3])
        if foil is not None:
            side = 1 if effects.center(foil.box)[0] >= width / 2 else -1
            foil.box = _scaled(foil.box, 0.75, width, height)
            shift = width / 2 + side * width * 0.3 - effects.center(foil.box)[0]
            foil.box = _scaled((foil.box[0] + shift, foil.box[1], foil.box[2] + shift, foil.box[3]), 1.0, width, height)
    # The hero is never lost: at least a quarter of the panel's short side.
    floor = min(width, height) * 0.25
    if min(hero.box[2] - hero.box[0], hero.box[3] - hero.box[1]) < floor:
        hero.box = _scaled(hero.box, floor / min(hero.box[2] - hero.box[0], hero.box[3] - hero.box[1]), width, height)


def _face_each_other(roles: list[Role], hero: Role, foil: Role | None) -> None:
    hero_x = effects.center(hero.box)[0]
    rival_x = effects.center(foil.box)[0] if foil else hero_x + 1
    hero.facing = 1 if rival_x >= hero_x else -1
    for role in roles:
        if role is not hero:
            role.facing = 1 if hero_x >= effects.center(role.box)[0] else -1


def _actor(role: Role, concept: Concept, rng: random.Random, short_side: int) -> Actor:
    """The cut-out for a role, sized to its box and facing its way."""
    box_w, box_h = role.box[2] - role.box[0], role.box[3] - role.box[1]
    if role.member.role == "hero" and _airborne(role, concept):
        box_h *= 0.78  # headroom for the jump or the skateboard under the feet
    tint = _subject_colour(role.subject)
    striding = (
        role.member.role == "hero"
        and concept.device != Device.deadpan
        and effects.wants(effects.MOTION, f"{concept.moment} {role.member.pose}")
    )
    if role.build == "person":
        actor = person(role.glyph, int(min(box_h, box_w * 1.7)), tint, striding)
    elif role.build == "suit":
        # The suit follows the character, not the dice: a strip's panels (each its own seed) dress them alike.
        suit = zlib.crc32(role.member.name.encode()) % 4
        actor = suited(face_of(role.glyph), int(min(box_h, box_w * 1.6)), tint, suit, striding)
    else:
        side = min(box_w, box_h)
        if role.member.role == "hero":  # the hero reads at a glance, however small the device makes it
            side = max(side, short_side * 0.3)
        actor = figure(role.glyph, int(side), tint)
    return actor.mirrored() if role.facing > 0 else actor


def _place(
    image: Image.Image,
    draw: ImageDraw.ImageDraw,
    actor: Actor,
    role: Role,
    concept: Concept,
    rng: random.Random,
    width: int,
    height: int,
    drawn_effects: list[str],
    moving: bool,
    mark: Mark,
) -> None:
    """Shadow, cape, the actor itself, what it wears and holds, and its motion marks."""
    box = _fit(actor, role.box)
    acting = f"{concept.moment} {role.member.pose}".lower()
    is_hero = role.member.role == "hero"
    skating = is_hero and _skating(concept, role)
    leaping = is_hero and _leaping(concept, role)
    lift = (box[3] - box[1]) * (0.14 if leaping else 0.0)
    board = None
    if skating:
        board = glyph_art("🛹", int((box[2] - box[0]) * 1.1))
        lift += board.height * 0.7
    if box[3] > height * 0.6:  # only those standing on the floor cast a shadow on it
        _shadow(draw, box)
    art = actor.image
    angle = 0.0
    if leaping or skating:
        angle = -12.0 * role.facing  # leaning into the jump, toward the foil
    lift = max(0.0, min(lift, box[1] - height * 0.03))  # never out of the top of the panel
    drawn = (box[0], box[1] - lift, box[2], box[3] - lift)
    if moving:
        effects.speed_lines(draw, drawn, role.facing, rng, width)
        effects.dust(draw, box, role.facing, rng, width)
        drawn_effects.append("speed lines")
    if is_hero and (_wears(role, "cape") or concept.device == Device.mock_heroic):
        x = drawn[0] + actor.shoulders[0] * (drawn[2] - drawn[0])
        y = drawn[1] + actor.shoulders[1] * (drawn[3] - drawn[1])
        frontal = role.build in ("person", "suit")
        effects.cape(draw, (x, y), (drawn[3] - drawn[1]) * (0.65 if frontal else 1.0), role.facing, rng, frontal)
        drawn_effects.append("cape")
    if board is not None:
        bx = int((drawn[0] + drawn[2]) / 2 - board.width / 2)
        board_art = with_outline(
            board.transpose(Image.Transpose.FLIP_LEFT_RIGHT) if role.facing > 0 else board, max(2, board.width // 60)
        )
        # Under the feet, wherever the feet are: on the floor, or mid-ollie.
        image.paste(board_art, (bx, int(drawn[3] - board.height * 0.45)), board_art)
        drawn_effects.append("skateboard")
    if angle:
        rotated = art.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
        dx, dy = (rotated.width - art.width) / 2, (rotated.height - art.height) / 2
        image.paste(rotated, (int(drawn[0] - dx), int(drawn[1] - dy)), rotated)
    else:
        image.paste(art, (int(drawn[0]), int(drawn[1])), art)
    role.drawn = drawn
    owner = role.member.role
    mark(image, "cast", owner, role.member.name)
    _dress(image, draw, actor, role, drawn, concept, rng, drawn_effects)
    mark(image, "prop", owner, f"{role.member.name}'s props")
    if is_hero and effects.wants(effects.FALL, acting):
        effects.fall_lines(draw, drawn, rng, width)
        drawn_effects.append("fall lines")
    if effects.wants(effects.PANIC, f"{role.member.expression} {acting if role.member.role == 'foil' else ''}"):
        effects.sweat(draw, _part(actor.head, drawn), rng)
        drawn_effects.append("sweat")
    mark(image, "effect", owner, f"{role.member.name}'s marks")


def _dress(
    image: Image.Image,
    draw: ImageDraw.ImageDraw,
    actor: Actor,
    role: Role,
    drawn: Pixels,
    concept: Concept,
    rng: random.Random,
    drawn_effects: list[str],
) -> None:
    """Put on what the cast member wears (mask, hat, medal) and hold up to two props."""
    head = _part(actor.head, drawn)
    front_face = role.build in ("person", "suit")
    size = drawn[3] - drawn[1]
    held = 0
    props = list(role.member.props)
    if (
        role.member.role == "hero"
        and concept.device == Device.anthropomorphism
        and role.build == "figure"
        and not props
    ):
        props = ["glasses", "tie"]
    if (
        role.member.role == "hero"
        and effects.wants(effects.TRIUMPH, concept.moment)
        and not any("trophy" in p.lower() for p in props)
    ):
        props.append("trophy")
    for prop in props:
        garment = worn(prop)
        if garment == "cape":
            continue  # drawn behind the actor
        if garment == "mask":
            if front_face:
                effects.domino_mask(
                    draw,
                    (head[0], head[1] + (head[3] - head[1]) * 0.12, head[2], head[3] - (head[3] - head[1]) * 0.08),
                    role.facing,
                )
                drawn_effects.append("mask")
            continue
        glyph = lookup(prop)
        if glyph is None or glyph == role.glyph:
            continue
        if garment == "hat":
            _stick(
                image,
                glyph,
                (head[2] - head[0]) * 0.8,
                ((head[0] + head[2]) / 2, head[1] + (head[3] - head[1]) * 0.05),
                anchor="bottom",
            )
        elif garment == "medal":
            _stick(
                image, glyph, (head[2] - head[0]) * 0.45, ((head[0] + head[2]) / 2, head[3] + size * 0.02), anchor="top"
            )
        elif glyph in ("👓", "🕶️") and front_face:
            _stick(
                image,
                glyph,
                (head[2] - head[0]) * 0.8,
                ((head[0] + head[2]) / 2, head[1] + (head[3] - head[1]) * 0.5),
                anchor="center",
            )
        elif held < 2:
            hand_x = drawn[0] + actor.hand[0] * (drawn[2] - drawn[0])
            hand_y = drawn[1] + actor.hand[1] * (drawn[3] - drawn[1])
            if held == 1:  # the second prop goes in the other hand
                hand_x = drawn[2] - (hand_x - drawn[0])
            _stick(image, glyph, size * 0.32, (hand_x, hand_y), anchor="center", mirrored=role.facing > 0)
            held += 1
        drawn_effects.append(f"prop {glyph}")


def _stick(
    image: Image.Image, glyph: str, side: float, at: tuple[float, float], anchor: str, mirrored: bool = False
) -> None:
    art = glyph_art(glyph, int(max(8, side)))
    if mirrored:
        art = art.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    art = with_outline(art, max(2, art.width // 30))
    x = at[0] - art.width / 2
    y = {"bottom": at[1] - art.height, "top": at[1], "center": at[1] - art.height / 2}[anchor]
    image.paste(art, (int(x), int(y)), art)


def _escalate(image: Image.Image, actor: Actor, foil: Role, hero: Role, width: int, mark: Mark) -> Pixels:
    """Escalation: a row of the foil, each bigger than the last, from the hero to the panel's edge.

    Returns where the biggest (the foil itself) landed.
    """
    growth = (0.35, 0.55, 0.78, 1.0)
    away = 1 if effects.center(foil.box)[0] >= effects.center(hero.box)[0] else -1
    start = hero.box[2] if away > 0 else hero.box[0]
    span = (width * 0.98 - start) if away > 0 else (start - width * 0.02)
    base = actor.image
    total = sum(base.width * g for g in growth) * 0.9  # neighbours overlap a little
    fit = min(1.0, max(0.2, span / total))
    bottom, x = foil.box[3], start
    placed = []
    for g in growth:
        size = (max(1, int(base.width * g * fit)), max(1, int(base.height * g * fit)))
        copy = base.resize(size, Image.Resampling.BILINEAR)
        left = x if away > 0 else x - copy.width
        placed.append((copy, (left, bottom - copy.height)))
        x += away * copy.width * 0.9
    # The biggest at the back, so each smaller one in front of it stays whole.
    for part, (copy, (left, top)) in reversed(list(enumerate(placed))):
        image.paste(copy, (int(left), int(top)), copy)
        mark(image, "cast", "foil", foil.member.name, part)  # part 0 is the smallest, nearest the hero
    copy, (left, top) = placed[-1]
    return (left, top, left + copy.width, top + copy.height)


def _rain(image: Image.Image, foil: Role, rng: random.Random, width: int, height: int) -> None:
    """A literalised idiom: it is raining foils."""
    side = int(min(width, height) * 0.09)
    for _ in range(7):
        art = glyph_art(foil.glyph, int(side * rng.uniform(0.7, 1.2)))
        art = art.rotate(rng.uniform(-35, 35), resample=Image.Resampling.BICUBIC, expand=True)
        image.paste(art, (int(rng.uniform(0.05, 0.9) * width), int(rng.uniform(0.02, 0.4) * height)), art)


def _draw_crowd(image: Image.Image, role: Role, concept: Concept, rng: random.Random, drawn_effects: list[str]) -> None:
    triumph = effects.wants(effects.TRIUMPH, concept.moment)
    scores = ["10", "10", "10"] if triumph else rng.sample(["2", "10", "7", "9.5", "3", "0"], 3)
    drawn_effects.append(draw_crowd(image, role.member.name, role.box, rng, scores))
    role.drawn = role.box


def _skating(concept: Concept, role: Role) -> bool:
    return re.search(r"skat", f"{concept.moment} {role.member.pose} {concept.setting}".lower()) is not None


def _leaping(concept: Concept, role: Role) -> bool:
    return concept.device != Device.deadpan and effects.wants(effects.LEAP, f"{concept.moment} {role.member.pose}")


def _airborne(role: Role, concept: Concept) -> bool:
    return _skating(concept, role) or _leaping(concept, role)


def _one_of_each_crowd(roles: list[Role]) -> list[Role]:
    """Crowds to draw: one table of judges is enough even if the writer cast the judges twice."""
    kept: dict[str, Role] = {}
    for role in roles:
        if role.build == "crowd":
            kind = "judges" if re.search(r"judge|jury|panel", role.member.name.lower()) else "audience"
            if kind not in kept or role.box[3] > kept[kind].box[3]:
                kept[kind] = role
    return list(kept.values())


def _wears(role: Role, garment: str) -> bool:
    return any(worn(prop) == garment for prop in role.member.props)


# -- geometry --------------------------------------------------------------------------------------


def _pixels(box: Box, width: int, height: int) -> Pixels:
    return (box.x * width, box.y * height, (box.x + box.w) * width, (box.y + box.h) * height)


def _part(fraction: tuple[float, float, float, float], drawn: Pixels) -> Pixels:
    w, h = drawn[2] - drawn[0], drawn[3] - drawn[1]
    return (
        drawn[0] + fraction[0] * w,
        drawn[1] + fraction[1] * h,
        drawn[0] + fraction[2] * w,
        drawn[1] + fraction[3] * h,
    )


def _fit(actor: Actor, box: Pixels) -> Pixels:
    """Where an actor stands in its box: centred, feet on the box's bottom edge."""
    cx = (box[0] + box[2]) / 2
    return (cx - actor.image.width / 2, box[3] - actor.image.height, cx + actor.image.width / 2, box[3])


def _scaled(box: Pixels, factor: float, width: int, height: int) -> Pixels:
    cx = (box[0] + box[2]) / 2
    half_w, half_h = (box[2] - box[0]) * factor / 2, (box[3] - box[1]) * factor / 2
    half_w, half_h = min(half_w, width * 0.48), min(half_h, height * 0.47)
    # Keep the feet where they were (a giant stands on the same floor), then keep it on the canvas.
    bottom = min(max(box[3], height * 0.55), height * 0.97)
    left = min(max(cx - half_w, width * 0.02), width * 0.98 - 2 * half_w)
    top = max(bottom - 2 * half_h, height * 0.02)
    return (left, top, left + 2 * half_w, top + 2 * half_h)


def _swap_sizes(a: Pixels, b: Pixels, width: int, height: int) -> tuple[Pixels, Pixels]:
    size_a, size_b = (a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1])
    ratio = (size_b / size_a) ** 0.5 if size_a else 1
    return _scaled(a, ratio, width, height), _scaled(b, 1 / ratio, width, height)


def _shadow(draw: ImageDraw.ImageDraw, box: Pixels) -> None:
    w = box[2] - box[0]
    image = draw._image  # type: ignore[attr-defined]
    x = int(min(max((box[0] + box[2]) / 2, 0), image.width - 1))
    y = int(min(max(box[3], 0), image.height - 1))
    # A flat shadow a bit darker than the ground it falls on.
    r, g, b = image.getpixel((x, y))[:3]
    draw.ellipse(
        (box[0] + w * 0.1, box[3] - w * 0.06, box[2] - w * 0.1, box[3] + w * 0.05),
        fill=(int(r * 0.7), int(g * 0.7), int(b * 0.7)),
    )


def _subject_colour(subject: Subject | None) -> tuple[int, int, int] | None:
    """The colour a subject's traits name first ("orange tabby" -> orange), to tint its glyph."""
    if subject is None:
        return None
    traits = " ".join(subject.traits).lower()
    for name in sorted(COLOUR_NAMES, key=len, reverse=True):
        if re.search(rf"\b{re.escape(name)}\b", traits):
            return COLOUR_NAMES[name]
    return None
