"""The Concept: the only thing a writer hands an artist.

A Concept is a fully worked-out visual joke: who is in it and where they stand, what is happening,
in which style, and the caption that lands it. Writers must return valid Concepts; artists may rely
on nothing else. The JSON schema sent to LLMs for structured output is generated from these models,
so every constraint here is one the model is held to.
"""

from __future__ import annotations

import json
from enum import Enum
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from sightgag.errors import UsageError
from sightgag.hygiene import strip_unsafe

CONCEPT_VERSION = 1

MAX_CAPTION_WORDS = 20
MAX_CAPTION_CHARS = 160
MAX_SIGN_CHARS = 40  # Flux renders short quoted text well and long text badly.


class Device(str, Enum):
    """The comedic device a concept relies on: the mechanism of the joke."""

    incongruity = "incongruity"
    scale_mismatch = "scale mismatch"
    mock_heroic = "mock-heroic"
    anthropomorphism = "anthropomorphism"
    literalized_idiom = "literalized idiom or pun"
    role_reversal = "role reversal"
    deadpan = "deadpan"
    escalation = "escalation"
    parody = "parody"


Role = Literal["hero", "foil", "extra"]
Lettering = Literal["meme", "caption", "balloon", "label", "none"]


def check_lettering(style: str) -> str:
    """The lettering style, if it is one the letterer knows; UsageError if not."""
    if style not in get_args(Lettering):
        raise UsageError(f"unknown lettering {style!r}: use one of {', '.join(get_args(Lettering))}")
    return style


def _model_text(value: object, info: ValidationInfo) -> object:
    # Whoever wrote a concept (an LLM, a planner, a person through the API), its text is cleaned the
    # same way: escapes and controls go, and a field left with nothing visible becomes "" and fails
    # its min_length, so a writer asks its model again. Non-strings are left for pydantic to refuse.
    if not isinstance(value, str) or (info.context or {}).get("as_stored"):
        return value
    return strip_unsafe(value)


# Validation context for records read back from storage: what was accepted when it was written (perhaps
# before these rules) is never refused when read, or a gallery could no longer be listed; whatever
# prints it escapes it there.
AS_STORED = {"as_stored": True}

# Every text field of a Concept: text that reaches a terminal, a prompt, a PNG record and the letterer.
WrittenText = Annotated[str, BeforeValidator(_model_text)]


class _Model(BaseModel):
    # Strings from LLMs often carry stray spaces; junk keys are an error so a schema drift shows.
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")


class Box(_Model):
    """Where a cast member stands, on a unit canvas (0..1, origin top left), as in LLM-grounded diffusion."""

    x: float = Field(ge=0, le=1, description="left edge, 0..1")
    y: float = Field(ge=0, le=1, description="top edge, 0..1")
    w: float = Field(gt=0, le=1, description="width, 0..1")
    h: float = Field(gt=0, le=1, description="height, 0..1")

    @model_validator(mode="after")
    def _inside_canvas(self) -> Box:
        # Clip rather than reject: an LLM's box that spills over by a hair is still a good layout.
        self.w = min(self.w, 1 - self.x) or 0.01
        self.h = min(self.h, 1 - self.y) or 0.01
        return self

    def center(self) -> tuple[float, float]:
        return (self.x + self.w / 2, self.y + self.h / 2)


class CastMember(_Model):
    """One character or object with a part to play in the joke."""

    name: WrittenText = Field(
        min_length=1, max_length=80, description="who or what, e.g. 'Mittens' or 'giant ball of yarn'"
    )
    role: Role = Field(description="hero carries the joke, foil opposes or provokes it, extra fills the scene")
    subject: WrittenText | None = Field(
        default=None,
        max_length=80,
        description="name of the user's personal subject this is (exactly as given), or null",
    )
    kind: WrittenText = Field(
        default="", max_length=40, description="what it is in one or two words: cat, dog, person, yarn ball"
    )
    appearance: WrittenText = Field(default="", max_length=300, description="concrete visual description")
    expression: WrittenText = Field(default="", max_length=120)
    pose: WrittenText = Field(default="", max_length=160)
    props: list[WrittenText] = Field(
        default_factory=list, max_length=6, description="things held or worn: cape, tiny sword"
    )
    box: Box = Field(description="where it stands on the unit canvas")


class Style(_Model):
    """How the picture looks."""

    medium: WrittenText = Field(
        max_length=120, description="e.g. 'cinematic photo', 'Pixar-style 3D render', 'comic book panel'"
    )
    references: list[WrittenText] = Field(
        default_factory=list, max_length=4, description="genres or looks it borrows from"
    )
    palette: WrittenText = Field(default="", max_length=120)
    lighting: WrittenText = Field(default="", max_length=120)
    camera: WrittenText = Field(default="", max_length=120, description="shot and angle, e.g. 'low-angle wide shot'")
    composition: WrittenText = Field(default="", max_length=160)


class Caption(_Model):
    """The words that land the joke, set in real type by the letterer (never painted by the model)."""

    text: WrittenText = Field(
        min_length=1, max_length=MAX_CAPTION_CHARS, description=f"the punchline, at most {MAX_CAPTION_WORDS} words"
    )
    setup: WrittenText = Field(
        default="", max_length=120, description="meme style only: the top line that sets up the punchline"
    )
    lettering: Lettering = Field(default="caption", description="how it is set: meme, caption, balloon, label or none")
    speaker: WrittenText | None = Field(
        default=None, max_length=80, description="balloon style: the cast member who says it"
    )

    @field_validator("text")
    @classmethod
    def _short(cls, text: str) -> str:
        words = len(text.split())
        if words > MAX_CAPTION_WORDS:
            raise ValueError(f"caption has {words} words; at most {MAX_CAPTION_WORDS}")
        return text


class Concept(_Model):
    """A complete visual joke, ready to paint."""

    version: Literal[1] = CONCEPT_VERSION
    title: WrittenText = Field(min_length=1, max_length=80)
    premise: WrittenText = Field(min_length=1, max_length=240, description="the joke in one line")
    device: Device
    cast: list[CastMember] = Field(min_length=1, max_length=5, description="hero first")
    setting: WrittenText = Field(min_length=1, max_length=240, description="where it happens, concretely")
    moment: WrittenText = Field(
        min_length=1, max_length=300, description="what is happening right now, the frozen instant"
    )
    style: Style
    caption: Caption
    sign_text: WrittenText | None = Field(
        default=None,
        max_length=MAX_SIGN_CHARS,
        description="a few words that belong inside the picture (a sign, a banner), painted by the model; or null",
    )
    safety_notes: list[WrittenText] = Field(
        default_factory=list, max_length=4, description="anything kept out on purpose"
    )

    @model_validator(mode="after")
    def _has_a_hero(self) -> Concept:
        if not any(member.role == "hero" for member in self.cast):
            raise ValueError("cast has no hero: mark the main character role 'hero'")
        names = {member.name for member in self.cast}
        if self.caption.speaker is not None and self.caption.speaker not in names:
            # A speaker who is not in the cast has nowhere to point a balloon tail at.
            self.caption.speaker = self.hero.name
        return self

    @property
    def hero(self) -> CastMember:
        return next(member for member in self.cast if member.role == "hero")

    @property
    def foils(self) -> list[CastMember]:
        return [member for member in self.cast if member.role == "foil"]

    @property
    def layout(self) -> list[tuple[str, Box]]:
        """The cast's boxes, in the (name, box) form layout-guided renderers expect."""
        return [(member.name, member.box) for member in self.cast]


class Concepts(_Model):
    """What a writer asks an LLM for: n candidates, best first."""

    concepts: list[Concept] = Field(min_length=1, max_length=8)


def concept_schema() -> dict:
    """The JSON schema of one Concept (stable, for docs and for tools)."""
    return Concept.model_json_schema()


def concepts_schema() -> dict:
    """The JSON schema a writer asks an LLM to fill: a list of candidate Concepts."""
    return Concepts.model_json_schema()


def concept_json(concept: Concept) -> str:
    return json.dumps(concept.model_dump(mode="json"), ensure_ascii=False)
