"""What the editor decided about a gag, kept with it: the ranking, the punch-up, and each picture's checks.

`gallery show` prints it, `--json` carries it, and the page shows it on the concept cards.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from sightgag.concept import Box


class Judgement(BaseModel):
    """One candidate concept as the editor saw it."""

    candidate: int = Field(description="its place in the writer's order, from 0")
    title: str
    caption: str
    score: float = Field(description="0..10, higher is better")
    reason: str = Field(default="", description="one line: why it scored so")
    kept: bool = False


class PunchUp(BaseModel):
    """A kept caption the editor rewrote, and what the writer had."""

    concept: int = Field(description="the kept concept's place in the gag, from 0")
    original: str
    caption: str


class SignReading(BaseModel):
    """The sign the concept asked for, and what OCR read off the painting."""

    expected: str
    read: str = ""
    similarity: float = Field(default=0.0, description="0..1, 1 when read exactly (case, spaces and punctuation aside)")
    ok: bool = False
    boxes: list[Box] = Field(default_factory=list, description="where the sign was read, on the unit canvas")


class VisionVerdict(BaseModel):
    """What a vision model answered when asked whether the picture shows the concept."""

    passed: bool
    problems: list[str] = Field(default_factory=list)
    model: str = ""


class Attempt(BaseModel):
    """One painting of one concept, and what the checks made of it."""

    seed: int
    sign: SignReading | None = None
    vision: VisionVerdict | None = None
    blocked: str | None = Field(default=None, description="why the safety check blocked it; it was never written")

    @property
    def passed(self) -> bool:
        return (
            self.blocked is None and (self.sign is None or self.sign.ok) and (self.vision is None or self.vision.passed)
        )


class PictureChecks(BaseModel):
    """Every try at one picture, and which was kept."""

    concept: int
    attempts: list[Attempt] = Field(default_factory=list)
    kept: int | None = Field(default=None, description="index of the kept attempt; None when every try was blocked")
    hero: Box | None = Field(
        default=None, description="where the artist says it drew the hero (unit canvas), if it says"
    )
    notes: list[str] = Field(default_factory=list)

    @property
    def rerolls(self) -> int:
        return max(len(self.attempts) - 1, 0)


class EditorRecord(BaseModel):
    """The editor's part of a gag."""

    editor: str = Field(
        description="the editor spec that ranked: an LLM spec, 'offline', 'none', or 'given' (concepts handed in)"
    )
    candidates: int = Field(default=0, description="how many concepts the writer drafted")
    ranking: list[Judgement] = Field(default_factory=list, description="every candidate, best first")
    punch_up: list[PunchUp] = Field(default_factory=list)
    pictures: list[PictureChecks] = Field(default_factory=list)
    safety: str = Field(default="", description="which safety check looked at the pictures, or why none did")
    vision: str = Field(default="", description="which vision model looked at the pictures, or why none did")
    blocked: int = Field(default=0, description="pictures the safety check blocked (never written)")
    retries: int | None = Field(
        default=None, description="repaints a failing picture was allowed; a rerender allows as many (None: not recorded)"
    )
    notes: list[str] = Field(default_factory=list)

    def rerolls(self) -> int:
        return sum(picture.rerolls for picture in self.pictures)
