"""A Gag: one finished result, with everything needed to make it again."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from sightgag.concept import Box, Concept
from sightgag.editor.record import EditorRecord
from sightgag.strip import Strip


class Gag(BaseModel):
    """One request made into pictures: one image per concept, best concept first.

    `images` are the lettered pictures a person looks at; `renders` are the clean paintings the
    letterer started from, kept so a gag can be re-lettered without painting again.
    """

    id: str
    created: str
    request: str
    subjects: list[str] = Field(default_factory=list)
    concepts: list[Concept]
    images: list[Path]
    renders: list[Path]
    writer: str
    artist: str
    artist_details: dict = Field(default_factory=dict, description="model id, steps, guidance, prompts: what the artist used")
    keep_clear: list[list[Box]] = Field(
        default_factory=list, description="per image, where the artist painted text that lettering keeps off"
    )
    seed: int
    width: int
    height: int
    lettering: str | None = None
    parent: str | None = Field(default=None, description="the gag this one re-renders, if any")
    # A comic strip is filed as one gag: `concepts` and `renders` are its panels, `images` its page.
    strip: Strip | None = Field(default=None, description="the whole strip, when this gag is one")
    layout: str | None = Field(default=None, description="a strip's page layout: row, grid or column")
    timings: dict[str, float] = Field(default_factory=dict)
    editor: EditorRecord | None = Field(default=None, description="the ranking, punch-up and picture checks")

    @property
    def concept(self) -> Concept:
        return self.concepts[0]

    def summary(self) -> dict:
        """The `--json` form of the command-line contract."""
        return {
            "id": self.id,
            "images": [str(path) for path in self.images],
            "renders": [str(path) for path in self.renders],
            "concept": self.concept.model_dump(mode="json"),
            "concepts": [concept.model_dump(mode="json") for concept in self.concepts],
            "request": self.request,
            "subjects": self.subjects,
            "writer": self.writer,
            "artist": self.artist,
            "artist_details": self.artist_details,
            "seed": self.seed,
            "size": f"{self.width}x{self.height}",
            "lettering": self.lettering,
            "timings": self.timings,
            "created": self.created,
            "parent": self.parent,
            "editor": self.editor.model_dump(mode="json") if self.editor else None,
            **({"strip": self.strip.model_dump(mode="json"), "layout": self.layout} if self.strip else {}),
        }
