"""The Strip: a joke told in 3 or 4 panels, with one cast that looks the same in every panel.

A Strip is to a comic strip what a Concept is to a single panel: the only thing a writer hands the
artist and the letterer. The cast is written once (who, what they look like, what they carry) and
each panel only says where each character stands and how they look right now, so a character cannot
change coat between panels. Dialogue is lettered, never painted: any number of balloons per panel,
each said by someone in the cast, and an optional caption box of narration.

An artist paints a strip panel by panel through `Strip.panel_concept(i)`: an ordinary Concept whose
cast carries the shared descriptions word for word, so every artist paints strips with no change.
"""

from __future__ import annotations

import json
from typing import Literal

from pydantic import Field, field_validator, model_validator

from sightgag.concept import (
    MAX_CAPTION_CHARS,
    MAX_CAPTION_WORDS,
    MAX_SIGN_CHARS,
    Box,
    Caption,
    CastMember,
    Concept,
    Device,
    Role,
    Style,
    WrittenText,
    _Model,
)
from sightgag.errors import UsageError

STRIP_VERSION = 1
PANEL_COUNTS = (3, 4)
MAX_BALLOON_WORDS = 16
MAX_BALLOON_CHARS = 100
MAX_BALLOONS = 3  # more than three voices in one small panel is a wall of text

Beat = Literal["setup", "development", "turn", "punchline"]
Layout = Literal["row", "grid", "column"]
LAYOUTS: tuple[str, ...] = ("row", "grid", "column")


class Character(_Model):
    """A member of the strip's cast: what never changes from panel to panel."""

    name: WrittenText = Field(min_length=1, max_length=80, description="who or what, e.g. 'Mittens'")
    role: Role = Field(description="hero carries the joke, foil opposes or provokes it, extra fills the scene")
    subject: WrittenText | None = Field(
        default=None,
        max_length=80,
        description="name of the user's personal subject this is (exactly as given), or null",
    )
    kind: WrittenText = Field(default="", max_length=40, description="what it is in one or two words: cat, person")
    appearance: WrittenText = Field(
        default="", max_length=300, description="concrete visual description, the same in every panel"
    )
    props: list[WrittenText] = Field(default_factory=list, max_length=6, description="things always held or worn")


class Staging(_Model):
    """Where a character stands in one panel, and how they look right now."""

    name: WrittenText = Field(min_length=1, max_length=80, description="a cast member's name")
    box: Box = Field(description="where it stands on the panel's unit canvas")
    expression: WrittenText = Field(default="", max_length=120)
    pose: WrittenText = Field(default="", max_length=160)


class Line(_Model):
    """One speech balloon: who says it, and what."""

    speaker: WrittenText = Field(min_length=1, max_length=80, description="a cast member's name")
    text: WrittenText = Field(
        min_length=1, max_length=MAX_BALLOON_CHARS, description=f"at most {MAX_BALLOON_WORDS} words"
    )

    @field_validator("text")
    @classmethod
    def _short(cls, text: str) -> str:
        words = len(text.split())
        if words > MAX_BALLOON_WORDS:
            raise ValueError(f"a balloon has {words} words; at most {MAX_BALLOON_WORDS}")
        return text


class Panel(_Model):
    """One beat of the strip, frozen in one picture."""

    beat: Beat = Field(description="setup, development, turn or punchline (the last panel)")
    moment: WrittenText = Field(min_length=1, max_length=300, description="what is happening in this panel")
    setting: WrittenText = Field(min_length=1, max_length=240, description="where, concretely")
    camera: WrittenText = Field(default="", max_length=120, description="shot and angle")
    cast: list[Staging] = Field(min_length=1, max_length=5, description="who is in this panel, hero first")
    balloons: list[Line] = Field(
        default_factory=list, max_length=MAX_BALLOONS, description="dialogue in reading order; none for a silent panel"
    )
    # As long as a single panel's caption may be: a gag's punchline can become a strip's last caption box.
    caption: WrittenText | None = Field(
        default=None, max_length=MAX_CAPTION_CHARS, description="narration in a box at the panel's corner, or null"
    )
    sign_text: WrittenText | None = Field(default=None, max_length=MAX_SIGN_CHARS)


class Strip(_Model):
    """A whole comic strip, ready to paint and letter."""

    version: Literal[1] = STRIP_VERSION
    title: WrittenText = Field(min_length=1, max_length=80)
    premise: WrittenText = Field(min_length=1, max_length=240, description="the joke in one line")
    device: Device
    cast: list[Character] = Field(min_length=1, max_length=5, description="everyone in the strip, hero first")
    style: Style
    panels: list[Panel] = Field(min_length=min(PANEL_COUNTS), max_length=max(PANEL_COUNTS))

    @model_validator(mode="after")
    def _one_cast(self) -> Strip:
        if not any(member.role == "hero" for member in self.cast):
            raise ValueError("cast has no hero: mark the main character role 'hero'")
        names = {member.name for member in self.cast}
        if len(names) != len(self.cast):
            raise ValueError("two cast members share a name: give each character its own")
        for number, panel in enumerate(self.panels, start=1):
            for staged in panel.cast:
                if staged.name not in names:
                    raise ValueError(f"panel {number} stages {staged.name!r}, who is not in the cast: use a cast name")
            for line in panel.balloons:
                # A tail has to point at someone: a speaker outside the cast is a writing error to fix.
                if line.speaker not in names:
                    raise ValueError(f"panel {number}: {line.speaker!r} speaks but is not in the cast")
                if line.speaker not in {staged.name for staged in panel.cast}:
                    raise ValueError(f"panel {number}: {line.speaker!r} speaks but is not staged in that panel")
        return self

    @property
    def hero(self) -> Character:
        return next(member for member in self.cast if member.role == "hero")

    def character(self, name: str) -> Character:
        return next(member for member in self.cast if member.name == name)

    def panel_concept(self, index: int) -> Concept:
        """Panel `index` as a Concept: the shared cast word for word, staged as this panel says."""
        panel = self.panels[index]
        staged = sorted(panel.cast, key=lambda member: self.character(member.name).role != "hero")
        cast = []
        for member in staged:
            character = self.character(member.name)
            cast.append(
                CastMember(
                    **character.model_dump(),
                    expression=member.expression,
                    pose=member.pose,
                    box=member.box,
                )
            )
        if not any(member.role == "hero" for member in cast):
            cast[0] = cast[0].model_copy(update={"role": "hero"})  # the artist stages around whoever is here
        first = panel.balloons[0] if panel.balloons else None
        words = first.text if first else (panel.caption or panel.moment)
        return Concept(
            title=self.title,
            premise=self.premise,
            device=self.device,
            cast=cast,
            setting=panel.setting,
            moment=panel.moment,
            style=self.style.model_copy(update={"camera": panel.camera or self.style.camera}),
            # Lettering is the strip letterer's: the panel is painted clean.
            caption=Caption(
                text=" ".join(words.split()[:20])[:160], lettering="none", speaker=first.speaker if first else None
            ),
            sign_text=panel.sign_text,
        )

    def panel_concepts(self) -> list[Concept]:
        return [self.panel_concept(index) for index in range(len(self.panels))]

    def as_concept(self) -> Concept:
        """The whole strip as one Concept, for an editor that ranks Concepts (its candidates are strips).

        A strip's joke is its story and its last words, so that is what the Concept holds: the premise,
        the story beat by beat with who says what (the moment), and the punchline's words (the caption),
        staged as the punchline panel is. An editor reads it as it reads a gag: the LLM judge is shown
        it, the offline editor ties the last words to the request and checks them against the story.
        """
        last = self.panels[-1]
        if last.caption:
            words, lettering, speaker = last.caption, "caption", None
        elif last.balloons:
            words, lettering, speaker = last.balloons[-1].text, "balloon", last.balloons[-1].speaker
        else:
            words, lettering, speaker = last.moment, "caption", None  # a silent punchline: what is seen lands it
        caption = {
            "text": _shortened(" ".join(words.split()[:MAX_CAPTION_WORDS]), MAX_CAPTION_CHARS),
            "lettering": lettering,
            "speaker": speaker,
        }
        punchline = self.panel_concept(len(self.panels) - 1).model_dump()
        # Validated like any Concept: the story and the words are held to its limits.
        return Concept.model_validate({**punchline, "moment": _story(self, said_last=words), "caption": caption})


STORY_CHARS = 300  # as long as a Concept's moment may be
MIN_MOMENT_CHARS = 30  # of each panel's moment in the story, however much its lines would take


def _story(strip: Strip, said_last: str) -> str:
    """Each panel's moment and lines in order, each panel given an even share of STORY_CHARS.

    The punchline's words are left out of the last panel (they are the caption), and so are narration
    boxes before it (the setting says where). A panel that needs less than its share leaves the rest to
    the panels after it; one that needs more shortens its moment first (down to MIN_MOMENT_CHARS), since
    a strip's jokes are carried by its lines at least as much as by its pictures.
    """
    budget = STORY_CHARS
    beats = []
    for number, panel in enumerate(strip.panels, 1):
        last = number == len(strip.panels)
        lines = [(line.speaker, line.text) for line in panel.balloons if not (last and line.text == said_last)]
        if last and panel.caption and panel.caption != said_last:
            lines.append(("box", panel.caption))
        share = budget // (len(strip.panels) - number + 1) - 1  # less the space between beats
        head = f"{number}. "
        said = _said(lines, share - len(head) - MIN_MOMENT_CHARS - 1)
        moment = _shortened(panel.moment, share - len(head) - len(said) - (1 if said else 0))
        beat = f"{head}{moment} {said}".strip()
        beats.append(beat)
        budget -= len(beat) + 1
    return " ".join(beats)


def _said(lines: list[tuple[str, str]], limit: int) -> str:
    """`Speaker: "words"` for each line, in at most `limit` characters: each line gets an even share."""
    parts = []
    for index, (speaker, text) in enumerate(lines):
        share = (limit - sum(len(part) + 1 for part in parts)) // (len(lines) - index) - 1
        room = share - len(speaker) - 4  # the colon, the space and the two quotes
        if room < 12:
            break  # too little room to say anything: the moment tells it
        parts.append(f'{speaker}: "{_shortened(text, room)}"')
    return " ".join(parts)


def _shortened(text: str, limit: int) -> str:
    """`text`, cut at a word to at most `limit` characters with an ellipsis when it is longer."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[: max(limit - 1, 0)]
    if " " in head:
        head = head.rsplit(" ", 1)[0]
    return head.rstrip(" ,;:.") + "…"


def check_layout(layout: str) -> str:
    if layout not in LAYOUTS:
        raise UsageError(f"unknown layout {layout!r}: use one of {', '.join(LAYOUTS)}")
    return layout


def check_panels(panels: int) -> int:
    if panels not in PANEL_COUNTS:
        raise UsageError(f"a strip has 3 or 4 panels, not {panels}")
    return panels


def strip_schema() -> dict:
    """The JSON schema of one Strip (stable, for docs and for tools and LLM structured output)."""
    return Strip.model_json_schema()


def strip_json(strip: Strip) -> str:
    return json.dumps(strip.model_dump(mode="json"), ensure_ascii=False)
