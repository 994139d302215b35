"""Strip writing: a request in, a Strip of 3 or 4 beats out.

A writer that writes strips itself (an LLM given the strip brief) has a `write_strip` method. Any
other writer writes strips through `plan_strip`: its best single-panel concept becomes the
punchline, and the beats before it are planned backwards from it (the hero at ease in the same
place, the foil turning up, the hero squaring up), with the same cast, setting and style throughout.
That is the offline strip writer, and it works on top of every writer, plugins included.
"""

from __future__ import annotations

import random
import re
import zlib
from collections.abc import Sequence

from sightgag.concept import Box, Concept, Device
from sightgag.strip import (
    MAX_BALLOON_CHARS,
    MAX_BALLOON_WORDS,
    Character,
    Line,
    Panel,
    Staging,
    Strip,
    check_panels,
)
from sightgag.subjects import Subject
from sightgag.writer.base import Writer
from sightgag.writer.grammar import singular

# Beats, in order, for each length: the punchline always lands in the last panel.
BEATS = {3: ("setup", "development", "punchline"), 4: ("setup", "development", "turn", "punchline")}

# The hero's lines before the punchline: short, so a balloon holds them in big type.
SETUP_LINES = (
    "Another quiet day.",
    "Nothing ever happens around here.",
    "I have a good feeling about today.",
    "Everything is under control.",
    "Ah. Peace and quiet.",
)
NOTICE_LINES = (
    "Is that... the {foil}?",
    "Oh no. Not the {foil}.",
    "Nobody warned me about the {foil}.",
    "Wait. What is THAT?",
)
NOTICE_LINES_PLURAL = (
    "Are those... {foil}?",
    "Oh no. Not the {foil}.",
    "Nobody warned me about the {foil}.",
    "Wait. Who are THEY?",
)
SECOND_LOOK_LINES = ("It's looking at me.", "Stay calm. Stay calm.", "Did it just move?", "I can take it.")
FOIL_LINES = ("We meet again, {hero}.", "Hello, {hero}.", "You're in my spot, {hero}.", "Oh. It's you.")
TURN_LINES = (
    "Stand back. I've trained for this.",
    "This calls for a professional.",
    "Fine. We do this my way.",
    "Hold my snack.",
)
TURN_CAPTIONS = ("Moments later...", "Seconds later...", "Then...")

# Devices whose foil acts like a person, and so may talk back.
TALKING_FOILS = (Device.anthropomorphism, Device.role_reversal, Device.deadpan, Device.parody)
PEOPLE = ("person", "man", "woman", "boss", "teacher", "office", "coworker", "neighbour", "neighbor", "human")

# Where the cast stands in each beat before the punchline (x, y, w, h on the unit canvas): low in the
# panel, so the top is free for balloons.
HERO_ALONE = (0.30, 0.40, 0.40, 0.56)
HERO_LEFT = (0.06, 0.44, 0.36, 0.52)
FOIL_RIGHT = (0.56, 0.38, 0.38, 0.58)
HERO_CLOSE = (0.10, 0.34, 0.46, 0.62)
FOIL_FAR = (0.66, 0.52, 0.28, 0.40)


def write_strip(
    writer: Writer, request: str, subjects: list[Subject], panels: int = 4, seed: int | None = None
) -> Strip:
    """A strip from any writer: its own strip if it writes them, else planned from its best concepts."""
    check_panels(panels)
    own = getattr(writer, "write_strip", None)
    if own is not None:
        return own(request, subjects, panels=panels, seed=seed)
    concepts = writer.write(request, subjects, n=1, seed=seed)
    return plan_strip(concepts, panels, seed=seed if seed is not None else zlib.crc32(request.encode()))


def plan_strip(concepts: Sequence[Concept], panels: int = 4, *, seed: int = 0) -> Strip:
    """A strip whose punchline is concepts[0], with the beats leading up to it planned backwards."""
    check_panels(panels)
    punchline = concepts[0]
    rng = random.Random(seed)
    hero = punchline.hero
    foil = next((member for member in punchline.cast if member.role == "foil"), None)
    members = [hero] + ([foil] if foil else [])
    cast = [
        Character(
            name=member.name,
            role=member.role,
            subject=member.subject,
            kind=member.kind,
            appearance=member.appearance,
            props=member.props,
        )
        for member in members
    ]
    words = {"hero": hero.name, "foil": foil.name if foil else "trouble"}
    place = _place(punchline.setting)

    def staged(member, box, expression="", pose="") -> Staging:
        return Staging(name=member.name, box=_box(box), expression=expression, pose=pose)

    planned: list[Panel] = []
    for beat in BEATS[panels]:
        if beat == "setup":
            planned.append(
                Panel(
                    beat=beat,
                    moment=f"{hero.name} relaxes, content and unaware of what is coming",
                    setting=punchline.setting,
                    camera="wide establishing shot",
                    cast=[staged(hero, HERO_ALONE, "content, relaxed", "at ease")],
                    balloons=[Line(speaker=hero.name, text=rng.choice(SETUP_LINES))],
                    caption=_sentence(place),
                )
            )
        elif beat == "development":
            stage = [staged(hero, HERO_LEFT, "alarmed, eyes wide", "frozen mid-step")]
            notices = NOTICE_LINES_PLURAL if foil is not None and _is_plural(foil.name) else NOTICE_LINES
            lines = [Line(speaker=hero.name, text=rng.choice(notices).format(**words))]
            if foil is not None:
                stage.append(staged(foil, FOIL_RIGHT, foil.expression, foil.pose))
                if punchline.device in TALKING_FOILS or any(word in foil.kind.lower() for word in PEOPLE):
                    lines.append(Line(speaker=foil.name, text=rng.choice(FOIL_LINES).format(**words)))
                else:
                    lines.append(Line(speaker=hero.name, text=rng.choice(SECOND_LOOK_LINES)))
            planned.append(
                Panel(
                    beat=beat,
                    moment=f"{hero.name} spots the {words['foil']} for the first time and freezes",
                    setting=punchline.setting,
                    camera="medium shot",
                    cast=stage,
                    balloons=lines,
                )
            )
        elif beat == "turn":
            stage = [staged(hero, HERO_CLOSE, "determined, narrowed eyes", "squaring up")]
            if foil is not None:
                stage.append(staged(foil, FOIL_FAR, foil.expression, foil.pose))
            planned.append(
                Panel(
                    beat=beat,
                    moment=f"{hero.name} squares up to the {words['foil']}, ready for anything",
                    setting=punchline.setting,
                    camera=f"close-up on {hero.name}",
                    cast=stage,
                    balloons=[Line(speaker=hero.name, text=rng.choice(TURN_LINES))],
                    caption=rng.choice(TURN_CAPTIONS),
                )
            )
        else:
            planned.append(_punchline_panel(punchline, members))
    return Strip(
        title=punchline.title,
        premise=punchline.premise,
        device=punchline.device,
        cast=cast,
        style=punchline.style,
        panels=planned,
    )


def _punchline_panel(concept: Concept, members) -> Panel:
    """The concept itself, as the last panel: its staging, its moment, its caption as the last word."""
    said = concept.caption
    balloons, caption = [], said.text
    names = {member.name for member in members}
    fits_a_balloon = len(said.text) <= MAX_BALLOON_CHARS and len(said.text.split()) <= MAX_BALLOON_WORDS
    if said.lettering == "balloon" and fits_a_balloon and (said.speaker or concept.hero.name) in names:
        balloons, caption = [Line(speaker=said.speaker or concept.hero.name, text=said.text)], None
    return Panel(
        beat="punchline",
        moment=concept.moment,
        setting=concept.setting,
        camera=concept.style.camera,
        cast=[
            Staging(name=member.name, box=member.box, expression=member.expression, pose=member.pose)
            for member in members
        ],
        balloons=balloons,
        caption=caption,
        sign_text=concept.sign_text,
    )


def _place(setting: str) -> str:
    """The setting's first clause, as a place to be in: 'a city rooftop at night'."""
    return re.split(r"[,;:(]", setting)[0].strip()


def _is_plural(name: str) -> bool:
    last = name.split()[-1] if name.split() else name
    return singular(last) != last


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "."


def _box(xywh: tuple[float, float, float, float]) -> Box:
    x, y, w, h = xywh
    return Box(x=x, y=y, w=w, h=h)
