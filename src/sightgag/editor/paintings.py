"""Checking paintings after the artist and before anything is written: repaint what fails, keep the best try.

Each picture is checked in turn by the safety check (a blocked picture is never kept or written), the
sign reader when the concept has `sign_text`, and the vision judge when one is configured. A picture that
fails is painted again with the next seed (seed + 1, + 2, ...), up to `retries` times; the repaints of a
round go to the artist in one batch. The best try is kept: one that passed, else the one whose sign read
closest. Every try is recorded, so the gag says what was repainted and why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from PIL import Image

from sightgag.artist.base import Artist, Progress, reference_subject
from sightgag.concept import Box, Concept
from sightgag.editor.record import Attempt, PictureChecks
from sightgag.editor.safety import SafetyCheck
from sightgag.editor.vision import VisionJudge
from sightgag.subjects import Subject


@dataclass
class Checks:
    """What looks at each painting, and how many repaints a failing one gets."""

    safety: SafetyCheck
    retries: int = 2
    vision: VisionJudge | None = None
    vision_reason: str = ""
    read_signs: bool = True


@dataclass
class CheckedPainting:
    """Per concept: the kept picture (None when every try was blocked), what lettering keeps off, the record."""

    images: list[Image.Image | None]
    keep_clear: list[list[Box]]
    pictures: list[PictureChecks]
    details: dict = field(default_factory=dict)


def paint_checked(
    artist: Artist,
    concepts: Sequence[Concept],
    *,
    seeds: Sequence[int],
    width: int,
    height: int,
    subjects: Sequence[Subject],
    checks: Checks,
    progress: Progress | None = None,
) -> CheckedPainting:
    concepts = list(concepts)
    painting = artist.paint(
        concepts, seeds=list(seeds), width=width, height=height, subjects=list(subjects), progress=progress
    )
    painted_clear = [list(boxes) for boxes in painting.keep_clear] + [
        [] for _ in range(len(concepts) - len(painting.keep_clear))
    ]
    records = [PictureChecks(concept=index) for index in range(len(concepts))]
    tries: list[list[tuple[Image.Image, list[Box]]]] = [[] for _ in concepts]
    references = _references(concepts, subjects) if checks.vision is not None else [None] * len(concepts)

    heroes: list[list[Box | None]] = [[] for _ in concepts]
    round_images = {index: (image, painted_clear[index]) for index, image in enumerate(painting.images)}
    round_heroes = {index: drawn_hero(painting.details, index, width, height) for index in round_images}
    for round_number in range(max(checks.retries, 0) + 1):
        failing = []
        pictures = list(round_images)
        verdicts = checks.safety.check([round_images[index][0] for index in pictures])
        for index, blocked in zip(pictures, verdicts):
            image, clear = round_images[index]
            attempt = Attempt(seed=seeds[index] + round_number, blocked=blocked)
            if blocked is None:
                attempt = _look(image, concepts[index], attempt, checks, references[index])
                if not clear and attempt.sign is not None:
                    clear = list(attempt.sign.boxes)  # Flux puts signs anywhere: where OCR found it is where it is
            records[index].attempts.append(attempt)
            # A blocked picture is dropped here and now: it is never kept, lettered or written.
            tries[index].append((image, clear) if blocked is None else (None, []))
            heroes[index].append(round_heroes[index])
            if not attempt.passed:
                failing.append(index)
        if not failing or round_number == checks.retries:
            break
        repaint = artist.paint(
            [concepts[index] for index in failing],
            seeds=[seeds[index] + round_number + 1 for index in failing],
            width=width,
            height=height,
            subjects=list(subjects),
        )
        repaint_clear = [list(boxes) for boxes in repaint.keep_clear] + [
            [] for _ in range(len(failing) - len(repaint.keep_clear))
        ]
        round_images = {index: (image, clear) for index, image, clear in zip(failing, repaint.images, repaint_clear)}
        round_heroes = {
            index: drawn_hero(repaint.details, position, width, height) for position, index in enumerate(failing)
        }

    images: list[Image.Image | None] = []
    keep_clear: list[list[Box]] = []
    for index, record in enumerate(records):
        kept = _best(record.attempts)
        record.kept = kept
        if kept is None:
            record.notes.append(f"every one of {len(record.attempts)} tries was blocked by the safety check")
            images.append(None)
            keep_clear.append([])
            continue
        image, clear = tries[index][kept]
        record.hero = heroes[index][kept]
        images.append(image)
        keep_clear.append(clear)
        chosen = record.attempts[kept]
        if chosen.sign is not None and not chosen.sign.ok:
            record.notes.append(
                f"the sign never came out right in {len(record.attempts)} tries: "
                f"kept seed {chosen.seed}, read {chosen.sign.read!r} for {chosen.sign.expected!r}"
            )
        if chosen.vision is not None and not chosen.vision.passed:
            record.notes.append(f"no try passed the vision check: kept seed {chosen.seed}")
    details = dict(painting.details)
    kept_seeds = [record.attempts[record.kept].seed if record.kept is not None else None for record in records]
    if any(record.rerolls for record in records):
        details["kept_seeds"] = kept_seeds  # which try of each picture was kept, when there was more than one
    return CheckedPainting(images, keep_clear, records, details)


def drawn_hero(details: dict, position: int, width: int, height: int) -> Box | None:
    """Where an artist that reports its panels (the sketch artist) drew the hero, on the unit canvas."""
    try:
        cast = details["panels"][position]["cast"]
        left, top, right, bottom = next(member["box"] for member in cast if member["role"] == "hero")
    except (KeyError, IndexError, TypeError, ValueError, StopIteration):
        return None
    left, top = min(max(left / width, 0.0), 0.99), min(max(top / height, 0.0), 0.99)
    return Box(x=left, y=top, w=max(min(right / width, 1.0) - left, 0.01), h=max(min(bottom / height, 1.0) - top, 0.01))


def _look(image: Image.Image, concept: Concept, attempt: Attempt, checks: Checks, reference) -> Attempt:
    if checks.read_signs and concept.sign_text:
        from sightgag.editor.signs import check_sign

        attempt.sign = check_sign(image, concept.sign_text)
    if checks.vision is not None:
        attempt.vision = checks.vision.judge(image, concept, reference)
    return attempt


def _best(attempts: list[Attempt]) -> int | None:
    def worth(index: int) -> tuple:
        attempt = attempts[index]
        sign = attempt.sign.similarity if attempt.sign is not None else 1.0
        vision = attempt.vision is None or attempt.vision.passed
        return (attempt.passed, vision, sign, -index)  # the earliest of equals: its seed is the expected one

    allowed = [index for index, attempt in enumerate(attempts) if attempt.blocked is None]
    return max(allowed, key=worth) if allowed else None


def _references(concepts: Sequence[Concept], subjects: Sequence[Subject]) -> list[Image.Image | None]:
    """The reference photo of each concept's pictured subject, for the vision judge to compare with."""
    found: list[Image.Image | None] = []
    for concept in concepts:
        match = reference_subject(concept, list(subjects))
        image = None
        if match is not None:
            try:
                with Image.open(match[1].photos[0]) as photo:
                    image = photo.convert("RGB")
            except OSError:
                image = None
        found.append(image)
    return found
