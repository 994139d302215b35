"""An example sightgag plugin: `--writer hello` writes a greeting gag, `--artist hello` paints it flat.

Installed with `pip install -e tests/plugins/hello`; sightgag finds both through the entry points in
this package's pyproject.toml. Each factory is called as factory(model, settings), `model` being what
follows the colon in a spec (`hello:shouty` -> "shouty") or None.
"""

from __future__ import annotations

import zlib

from PIL import Image, ImageDraw

from sightgag.artist import Painting, Progress
from sightgag.concept import Box, Caption, CastMember, Concept, Device, Style
from sightgag.settings import Settings
from sightgag.subjects import Subject


class HelloWriter:
    """Writes the same joke about whatever is asked for: someone waving hello at it."""

    def __init__(self, model: str | None, settings: Settings):
        self.greeting = "HELLO" if model == "shouty" else "hello"
        self.spec = f"hello:{model}" if model else "hello"  # recorded with every gag

    def write(self, request: str, subjects: list[Subject], n: int = 1, seed: int | None = None) -> list[Concept]:
        hero = subjects[0].name if subjects else "a small robot"
        return [
            Concept(
                title=f"Greeting {number}",
                premise=f"{hero} greets {request!r} as if it were an old friend.",
                device=Device.deadpan,
                cast=[CastMember(name=hero, role="hero", kind="greeter", box=Box(x=0.1, y=0.3, w=0.35, h=0.6))],
                setting="a plain studio backdrop",
                moment=f"{hero} waves at the viewer",
                style=Style(medium="flat vector illustration"),
                caption=Caption(text=f"{self.greeting}, {request}"[:80], lettering="caption"),
            )
            for number in range(1, n + 1)
        ]


class HelloArtist:
    """Paints a flat colour field per concept, with a box where the hero stands."""

    def __init__(self, model: str | None, settings: Settings):
        self.spec = "hello"

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
        images = []
        for index, (concept, seed) in enumerate(zip(concepts, seeds)):
            colour = tuple(zlib.crc32(f"{concept.title}{seed}".encode()) >> shift & 255 for shift in (0, 8, 16))
            image = Image.new("RGB", (width, height), colour)
            box = concept.hero.box
            ImageDraw.Draw(image).rectangle(
                [box.x * width, box.y * height, (box.x + box.w) * width, (box.y + box.h) * height], outline="white", width=4
            )
            images.append(image)
            if progress:
                progress(index + 1, len(concepts))
        return Painting(images=images, details={"plugin": "sightgag-hello", "seeds": list(seeds)})
