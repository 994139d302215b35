"""A stateless painter: what to paint in, PNG bytes and details out.

Scale-out (the Ray batch and `serve --ray`) paints on other processes and machines, which have no
gallery and no subject library: they get a `PaintOrder` that holds everything painting needs (concepts,
seeds, size, the artist spec, the subjects with their LoRA and reference paths) and send back a
`PaintedWork`. The process that owns the gallery then letters and files it with the studio as usual,
handing `Studio.finish` a `Prepainted` artist that replays the work instead of painting.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from PIL import Image

from sightgag.artist import Artist, load_artist
from sightgag.artist.base import Painting, Progress
from sightgag.concept import Box, Concept
from sightgag.settings import Settings
from sightgag.subjects import Subject


@dataclass
class PaintOrder:
    """One artist call: every concept painted at one size, concept i with seeds[i]."""

    artist: str
    concepts: list[Concept]
    seeds: list[int]
    width: int
    height: int
    subjects: list[Subject] = field(default_factory=list)

    def compatible_key(self) -> tuple:
        """Orders with equal keys can be painted in one call (as the server's batch_key says)."""
        return (self.artist, self.width, self.height, tuple(sorted(subject.name for subject in self.subjects)))

    def to_wire(self) -> dict:
        return {
            "artist": self.artist,
            "concepts": [concept.model_dump(mode="json") for concept in self.concepts],
            "seeds": list(self.seeds),
            "width": self.width,
            "height": self.height,
            "subjects": [subject.model_dump(mode="json") for subject in self.subjects],
        }

    @classmethod
    def from_wire(cls, data: dict) -> PaintOrder:
        return cls(
            artist=data["artist"],
            concepts=[Concept.model_validate(concept) for concept in data["concepts"]],
            seeds=[int(seed) for seed in data["seeds"]],
            width=int(data["width"]),
            height=int(data["height"]),
            subjects=[Subject.model_validate(subject) for subject in data["subjects"]],
        )


@dataclass
class PaintedWork:
    """An order painted: one PNG per concept, what lettering must keep clear, and the artist's details."""

    pngs: list[bytes]
    details: dict = field(default_factory=dict)
    keep_clear: list[list[Box]] = field(default_factory=list)

    def to_wire(self) -> dict:
        return {
            "pngs": list(self.pngs),
            "details": self.details,
            "keep_clear": [[box.model_dump(mode="json") for box in boxes] for boxes in self.keep_clear],
        }

    @classmethod
    def from_wire(cls, data: dict) -> PaintedWork:
        keep_clear = [[Box.model_validate(box) for box in boxes] for boxes in data.get("keep_clear", [])]
        return cls(pngs=list(data["pngs"]), details=dict(data.get("details", {})), keep_clear=keep_clear)

    def images(self) -> list[Image.Image]:
        return [_decode(png) for png in self.pngs]


class Painter:
    """Paints orders with one loaded artist per spec, kept for the next order (a pipeline loads once)."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings()
        self._artists: dict[str, Artist] = {}
        self._lock = threading.Lock()

    def artist(self, spec: str) -> Artist:
        with self._lock:
            if spec not in self._artists:
                self._artists[spec] = load_artist(spec, self.settings)
            return self._artists[spec]

    def paint(self, order: PaintOrder, progress: Progress | None = None) -> PaintedWork:
        painting = self.artist(order.artist).paint(
            order.concepts,
            seeds=order.seeds,
            width=order.width,
            height=order.height,
            subjects=order.subjects,
            progress=progress,
        )
        return PaintedWork(
            pngs=[_encode(image) for image in painting.images], details=painting.details, keep_clear=painting.keep_clear
        )


def paint_together(painter: Painter, orders: Sequence[PaintOrder]) -> list[PaintedWork | Exception]:
    """Paint orders, compatible ones in one call each; per order its work, or the error that failed it.

    When a call of several orders fails, they are painted again one by one, so that one order (a size
    too big, a bad subject) does not fail its neighbours.
    """
    results: list[PaintedWork | Exception | None] = [None] * len(orders)
    groups: dict[tuple, list[int]] = {}
    for index, order in enumerate(orders):
        groups.setdefault(order.compatible_key(), []).append(index)
    for members in groups.values():
        _paint_group(painter, orders, members, results)
    return results  # type: ignore[return-value]


def _paint_group(painter: Painter, orders: Sequence[PaintOrder], members: list[int], results: list) -> None:
    first = orders[members[0]]
    together = PaintOrder(
        artist=first.artist,
        concepts=[concept for index in members for concept in orders[index].concepts],
        seeds=[seed for index in members for seed in orders[index].seeds],
        width=first.width,
        height=first.height,
        subjects=first.subjects,
    )
    try:
        work = painter.paint(together)
    except Exception as error:
        if len(members) > 1:
            for index in members:
                _paint_group(painter, orders, [index], results)
        else:
            results[members[0]] = error
        return
    offset = 0
    for index in members:
        count = len(orders[index].concepts)
        # Not "batch": that is the studio's, the gags painted in one call, known only where they are filed.
        details = dict(work.details, orders_in_call=len(members)) if len(members) > 1 else work.details
        keep_clear = work.keep_clear[offset : offset + count] if work.keep_clear else []
        results[index] = PaintedWork(work.pngs[offset : offset + count], details, keep_clear)
        offset += count


class Prepainted:
    """An artist that hands back work painted elsewhere, for `Studio.finish` to letter and file."""

    def __init__(self, spec: str, work: PaintedWork):
        self.spec = spec
        self.work = work

    def check(self, width: int, height: int) -> None:
        pass

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
        if len(concepts) != len(self.work.pngs):
            raise ValueError(f"painted {len(self.work.pngs)} pictures for {len(concepts)} concepts")
        if progress is not None:
            progress(1, 1)
        return Painting(images=self.work.images(), details=dict(self.work.details), keep_clear=self.work.keep_clear)


def _encode(image: Image.Image) -> bytes:
    # A fast, lossless encoding: the renders are filed as PNGs anyway, and compressing harder costs the painter time.
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def _decode(png: bytes) -> Image.Image:
    with Image.open(io.BytesIO(png)) as image:
        return image.convert("RGB")
