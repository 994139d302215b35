"""The animator interface: a painted still in, a few seconds of panel frames out.

An animator moves the picture only: the studio letters the frames afterwards (sightgag.animator.
lettering), so the caption is the letterer's exact type on every animator's clip.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from PIL import Image

from sightgag.concept import Concept
from sightgag.errors import UsageError
from sightgag.subjects import Subject

FORMATS = ("mp4", "gif", "webp")
MIN_SECONDS, MAX_SECONDS = 1.0, 10.0
MIN_FPS, MAX_FPS = 6, 30
# The caption lands on the last beat and stays for this long (or half the clip, if that is shorter).
LETTERED_SECONDS = 1.0


@dataclass
class Shot:
    """What there is to animate: one painted picture of a gag, and how it was painted."""

    still: Image.Image  # the clean render, before lettering
    concept: Concept
    seed: int  # the seed the picture was painted with
    artist: str  # the artist's spec: the sketch animator takes the sketch artist's panels apart
    subjects: Sequence[Subject] = ()


@dataclass
class Motion:
    """An animator's frames (all the still's size, unlettered) and how they were made."""

    frames: list[Image.Image]
    lettered_from: int  # the frame the caption lands on; it stays to the end
    details: dict = field(default_factory=dict)  # model, method, what moved: filed in the clip's record


class Animator(Protocol):
    spec: str

    def animate(self, shot: Shot, *, seconds: float, fps: int, seed: int) -> Motion:
        """round(seconds * fps) frames; the same seed gives the same frames where the backend can."""
        ...


def check_clip(seconds: float, fps: int, fmt: str) -> None:
    """UsageError for a clip length, frame rate or format outside what animating supports."""
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise UsageError(f"--seconds must be between {MIN_SECONDS:g} and {MAX_SECONDS:g}, not {seconds:g}")
    if not MIN_FPS <= fps <= MAX_FPS:
        raise UsageError(f"--fps must be between {MIN_FPS} and {MAX_FPS}, not {fps}")
    if fmt not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")


def frame_count(seconds: float, fps: int) -> int:
    return max(2, round(seconds * fps))


def lettered_frames(total: int, fps: int) -> int:
    """How many frames at the end carry the caption: a second's worth, or half a short clip."""
    return max(1, min(round(fps * LETTERED_SECONDS), total // 2))
