"""Checking paintings after the artist and before anything is written: repaint what fails, keep the best try.

Each picture is checked in turn by the safety check (a blocked picture is never kept or written), the
sign reader when the concept has `sign_text`, and the vision judge when one is configured. A picture that
fails is painted again with the next seed (seed + 1, + 2, ...), up to `retries` times; the repaints of a
round go to the artist in one batch. The best try is kept: one that passed, else the one whose sign read
closest. Every try is recorded, so the gag says what was repainted and why.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from PIL import Image

from sightgag.artist.base import Artist, Progress, reference_subject
from sightgag.concept import Box, Concept
from sightgag.editor.record import Attempt, PictureChecks
from sightgag.editor.safety import SafetyCheck
from sightgag.editor.vision import VisionJudge
from sightgag.subjects import Subject

MAX_LOOKS_AT_ONCE = 8  # vision calls in flight for one round of pictures


@dataclass
class Checks:
    """What looks at each painting, and how many repaints a failing one gets."""

    safety: SafetyCheck
    retries: int = 2
    vision: VisionJudge | None = None
    vision_reason: str = ""
    read_signs: bool = True
    # A rerender's record of the original's tries, one per concept painted: a try the original made with
    # the same seed takes its vision verdict from there instead of asking. A vision model answers
    # differently from one day to the next (and may not be configured where the rerender runs), while the
    # safety check and the sign reader give the same answer for the same pixels: they look again.
    replay: list[PictureChecks] = field(default_factory=list)


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
    reference: Image.Image | None = None,
) -> CheckedPainting:
    """Paint concept i with seeds[i], check it, repaint it while it fails; every try recorded, the best kept.

    `reference` is the picture every try is painted from (a strip's kept first panel), for an artist that
    takes one (`takes_reference_image`).
    """
    concepts = list(concepts)
    # Only an artist that paints from a picture is handed one: the Artist protocol's paint() takes no reference.
    from_reference = {"reference": reference} if reference is not None else {}
    painting = artist.paint(
        concepts,
        seeds=list(seeds),
        width=width,
        height=height,
        subjects=list(subjects),
        progress=progress,
        **from_reference,
    )
    painted_clear = [list(boxes) for boxes in painting.keep_clear] + [
        [] for _ in range(len(concepts) - len(painting.keep_clear))
    ]
    records = [PictureChecks(concept=index) for index in range(len(concepts))]
    tries: list[list[tuple[Image.Image, list[Box]]]] = [[] for _ in concepts]
    references = _references(concepts, subjects) if checks.vision is not None else [None] * len(concepts)

    # Per try, what the artist reported drawing (the sketch artist says where each character stands).
    reports: list[list[dict | None]] = [[] for _ in concepts]
    round_images = {index: (image, painted_clear[index]) for index, image in enumerate(painting.images)}
    round_reports = {index: _drawn(painting.details, index) for index in round_images}
    for round_number in range(max(checks.retries, 0) + 1):
        failing = []
        pictures = list(round_images)
        verdicts = checks.safety.check([round_images[index][0] for index in pictures])
        attempts = {
            index: Attempt(seed=seeds[index] + round_number, blocked=blocked) for index, blocked in zip(pictures, verdicts)
        }
        looks = []
        for index in pictures:
            image, attempt = round_images[index][0], attempts[index]
            if attempt.blocked is not None:
                continue
            _read_sign(image, concepts[index], attempt, checks)
            recorded = _recorded(checks.replay, index, round_number, attempt.seed)
            if recorded is not None:  # a rerender: the original's verdict (None when no vision model looked)
                attempt.vision = recorded.vision
            else:
                looks.append((image, concepts[index], attempt, references[index]))
        _look_at_all(looks, checks)
        for index in pictures:
            image, clear = round_images[index]
            attempt = attempts[index]
            if attempt.blocked is None and not clear and attempt.sign is not None:
                clear = list(attempt.sign.boxes)  # Flux puts signs anywhere: where OCR found it is where it is
            records[index].attempts.append(attempt)
            # A blocked picture is dropped here and now: it is never kept, lettered or written.
            tries[index].append((image, clear) if attempt.blocked is None else (None, []))
            reports[index].append(round_reports[index])
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
            **from_reference,
        )
        repaint_clear = [list(boxes) for boxes in repaint.keep_clear] + [
            [] for _ in range(len(failing) - len(repaint.keep_clear))
        ]
        round_images = {index: (image, clear) for index, image, clear in zip(failing, repaint.images, repaint_clear)}
        round_reports = {index: _drawn(repaint.details, position) for position, index in enumerate(failing)}

    details = dict(painting.details)
    drawn = list(details["panels"]) if isinstance(details.get("panels"), list) else None
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
        report = reports[index][kept]
        record.hero = hero_box(report, width, height)
        if drawn is not None and report is not None and index < len(drawn):
            drawn[index] = report  # what was drawn in the picture kept, not in the first try
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
    if drawn is not None:
        details["panels"] = drawn
    seeds_kept = kept_seeds(records)
    if seeds_kept is not None:
        details["kept_seeds"] = seeds_kept
    return CheckedPainting(images, keep_clear, records, details)


def kept_seeds(pictures: Sequence[PictureChecks]) -> list[int | None] | None:
    """Which try of each picture was kept (by its seed), when any picture was tried more than once."""
    if not any(picture.rerolls for picture in pictures):
        return None
    return [picture.attempts[picture.kept].seed if picture.kept is not None else None for picture in pictures]


def _drawn(details: dict, position: int) -> dict | None:
    """What an artist that reports its panels (the sketch artist) drew in picture `position`."""
    try:
        report = details["panels"][position]
    except (KeyError, IndexError, TypeError):
        return None
    return report if isinstance(report, dict) else None


def hero_box(drawn: dict | None, width: int, height: int) -> Box | None:
    """Where an artist that reports its panels (the sketch artist) drew the hero, on the unit canvas."""
    try:
        cast = drawn["cast"]  # type: ignore[index]
        left, top, right, bottom = next(member["box"] for member in cast if member["role"] == "hero")
    except (KeyError, IndexError, TypeError, ValueError, StopIteration):
        return None
    left, top = min(max(left / width, 0.0), 0.99), min(max(top / height, 0.0), 0.99)
    return Box(x=left, y=top, w=max(min(right / width, 1.0) - left, 0.01), h=max(min(bottom / height, 1.0) - top, 0.01))


def _read_sign(image: Image.Image, concept: Concept, attempt: Attempt, checks: Checks) -> None:
    if checks.read_signs and concept.sign_text:
        from sightgag.editor.signs import check_sign

        attempt.sign = check_sign(image, concept.sign_text)


def _look_at_all(looks: list[tuple[Image.Image, Concept, Attempt, Image.Image | None]], checks: Checks) -> None:
    """The vision model's verdict on every picture of a round, asked at once: each answer takes seconds,
    mostly waiting on the network. What each call asked and was answered joins this thread's log, in
    the pictures' order, as if asked one by one (a writer's log is kept per thread: writer/base.py)."""
    vision = checks.vision
    if vision is None or not looks:
        return

    def look(image: Image.Image, concept: Concept, attempt: Attempt, reference: Image.Image | None) -> list[dict]:
        attempt.vision = vision.judge(image, concept, reference)
        made = getattr(vision, "exchanges", None)
        if made is None:
            return []
        calls = list(made)
        made.clear()
        return calls

    with ThreadPoolExecutor(max_workers=min(len(looks), MAX_LOOKS_AT_ONCE)) as pool:
        calls = list(pool.map(lambda args: look(*args), looks))
    log = getattr(vision, "exchanges", None)
    if log is not None:
        for made in calls:
            log.extend(made)


def _recorded(replay: Sequence[PictureChecks], index: int, round_number: int, seed: int) -> Attempt | None:
    """The original's try that this one repeats (a rerender's): the same picture, round and seed."""
    if index >= len(replay) or round_number >= len(replay[index].attempts):
        return None
    recorded = replay[index].attempts[round_number]
    return recorded if recorded.seed == seed and recorded.blocked is None else None


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
