"""The artist interface: Concepts in, pictures out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol

from PIL import Image

from sightgag.concept import Box, CastMember, Concept
from sightgag.subjects import Subject

# Called as progress(done, total) while painting, for progress bars and server events.
Progress = Callable[[int, int], None]

# What an artist that paints from a reference picture (Kontext) is told when the reference is a strip's
# first panel rather than a subject's photo: carry the characters over, change the moment.
CARRY_OVER = (
    "Keep every character exactly as in this picture (faces, markings, colours, clothes and props) "
    "and show the next moment:"
)


@dataclass
class Painting:
    """What an artist made: one image per concept, and the details needed to make them again."""

    images: list[Image.Image]
    details: dict = field(default_factory=dict)  # model id, steps, guidance, prompts...
    # Per image, what lettering must not cover: text the artist painted into the scene (a sign, a
    # slide), as boxes on the unit canvas. Empty when the artist cannot know (Flux puts signs anywhere).
    keep_clear: list[list[Box]] = field(default_factory=list)


class Artist(Protocol):
    spec: str  # recorded with every gag: "flux:schnell", "bfl:flux-pro-1.1", "sketch"

    def check(self, width: int, height: int) -> None:
        """Raise UsageError for what `paint` would refuse whatever the concepts: a size it cannot paint,
        a missing key. Cheap and offline, so a server can answer a request with it before queuing.
        Optional for plugins (see `check_artist`)."""
        ...

    def paint(
        self,
        concepts: list[Concept],
        *,
        seeds: list[int],
        width: int,
        height: int,
        subjects: list[Subject] = (),
        progress: Progress | None = None,
    ) -> Painting:
        """Paint each concept once, concept i with seeds[i], in one batch where the backend can.

        Per-image seeds let the studio batch several gags (each with its own seed) into one call.
        """
        ...


def check_artist(artist: Artist, width: int, height: int) -> None:
    """The artist's own `check`, where it has one: a plugin written without it is checked by painting."""
    check = getattr(artist, "check", None)
    if check is not None:
        check(width, height)


def reference_subject(concept: Concept, subjects: list[Subject]) -> tuple[CastMember, Subject] | None:
    """The cast member (hero first) who is one of the user's subjects with a photo, and that subject.

    What an artist that paints from a reference photo (FLUX.1 Kontext, local or hosted) starts from.
    """
    by_name: dict[str, Subject] = {}
    for subject in subjects:
        for name in (subject.name, *subject.aliases):
            by_name.setdefault(name.casefold(), subject)
    cast = sorted(concept.cast, key=lambda member: member.role != "hero")
    for member in cast:
        subject = by_name.get((member.subject or "").casefold())
        if subject is not None and subject.photos:
            return member, subject
    return None
