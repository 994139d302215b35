"""The editor's desk: what the studio calls, before painting and after it.

    kept, record = edit_concepts(editor, request, subjects, candidates, n=2, punch_up=False)
    best, record = edit_strips(editor, request, subjects, strips)      # whole strips, the best one
    checked = paint_checked(artist, kept, seeds=..., checks=build_checks(settings, editor))

Kept apart from the studio so the studio's pipeline stays a few calls long.
"""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image

from sightgag.concept import Concept
from sightgag.editor import Editor, Ranking
from sightgag.editor.paintings import CheckedPainting, Checks
from sightgag.editor.record import EditorRecord
from sightgag.editor.safety import PicturesBlocked
from sightgag.errors import UsageError
from sightgag.gag import Gag
from sightgag.settings import Settings
from sightgag.strip import Strip
from sightgag.subjects import Subject

MAX_RETRIES = 5  # repaints per picture at most: each is a full painting


def edit_concepts(
    editor: Editor,
    request: str,
    subjects: list[Subject],
    candidates: Sequence[Concept],
    n: int,
    *,
    punch_up: bool = False,
) -> tuple[list[Concept], EditorRecord]:
    """The `n` best of the writer's candidates, punched up if asked, and the record of how they were chosen."""
    ranking = editor.rank(request, subjects, candidates, n)
    record = _record(editor, ranking, len(candidates))
    kept = ranking.kept
    if punch_up:
        rewrite = getattr(editor, "punch_up", None)
        if rewrite is None:
            record.notes.append(f"no punch-up: the {editor.spec} editor has no LLM to rewrite with")
        else:
            kept, record.punch_up, notes = rewrite(request, kept)
            record.notes += notes
    return kept, record


def edit_strips(
    editor: Editor, request: str, subjects: list[Subject], strips: Sequence[Strip]
) -> tuple[Strip, EditorRecord]:
    """The best of the writer's strips, and the record of how it was chosen.

    The editor ranks Concepts, so each strip is shown as the one Concept that tells its joke
    (`Strip.as_concept`): the story beat by beat, the punchline's words as the caption. An editor with a
    rubric for strips (`rank_strips`, the LLM editor's) judges them as strips; any other as gags.
    """
    concepts = [strip.as_concept() for strip in strips]
    rank = getattr(editor, "rank_strips", editor.rank)
    ranking = rank(request, subjects, concepts, 1)
    record = _record(editor, ranking, len(concepts))
    best = next(judgement.candidate for judgement in record.ranking if judgement.kept)
    return strips[best], record


def _record(editor: Editor, ranking: Ranking, candidates: int) -> EditorRecord:
    return EditorRecord(editor=editor.spec, candidates=candidates, ranking=ranking.judgements, notes=list(ranking.notes))


def check_candidates(candidates: int | None, n: int) -> int | None:
    from sightgag.editor.ranking import MAX_CANDIDATES

    if candidates is not None and not n <= candidates <= MAX_CANDIDATES:
        raise UsageError(f"--candidates must be between --n ({n}) and {MAX_CANDIDATES}, not {candidates}")
    return candidates


def check_retries(retries: int | None) -> int | None:
    if retries is not None and not 0 <= retries <= MAX_RETRIES:
        raise UsageError(f"--retries must be between 0 and {MAX_RETRIES}, not {retries}")
    return retries


def build_checks(settings: Settings, editor: Editor | None = None, retries: int | None = None) -> Checks:
    """The checks settings ask for; the vision judge is the editor's LLM when it can see."""
    from sightgag.editor.safety import load_safety
    from sightgag.editor.vision import load_vision

    vision, reason = load_vision(settings, getattr(editor, "llm", None))
    return Checks(
        safety=load_safety(settings),
        retries=check_retries(retries) if retries is not None else settings.retries,
        vision=vision,
        vision_reason=reason,
    )


def refuse_blocked(images: Sequence[Image.Image | None], checks: Checks) -> None:
    """Stop before anything of a gag is written when every one of its pictures was blocked: one line says so."""
    if all(image is None for image in images):
        tries = max(checks.retries, 0) + 1
        raise PicturesBlocked(
            f"the safety check ({checks.safety.name}) blocked every picture of this gag in "
            f"{tries} {'try' if tries == 1 else 'tries'} each; nothing was saved: rephrase the request"
        )


def keep_checked(gag: Gag, painting: CheckedPainting, span: slice, checks: Checks) -> list[Image.Image]:
    """The gag's kept pictures (its `span` of the batch), its record of the checks filled in.

    Concepts whose every try was blocked are dropped from the gag, and the record says so.
    """
    record = gag.editor or EditorRecord(editor="given")  # concepts handed in: nothing was ranked
    pictures = painting.pictures[span]
    images, clear = painting.images[span], painting.keep_clear[span]
    kept = [index for index, image in enumerate(images) if image is not None]
    record.blocked = sum(1 for picture in pictures for attempt in picture.attempts if attempt.blocked)
    for number, picture in enumerate(pictures):
        picture.concept = number
    record.pictures = pictures
    record.safety = checks.safety.name
    if not checks.replay:  # a rerender's record keeps the original's: its vision verdicts were replayed
        record.vision = checks.vision.name if checks.vision else checks.vision_reason
    record.retries = checks.retries
    if len(kept) < len(images):
        record.notes.append(f"{len(images) - len(kept)} concept(s) dropped: every picture of them was blocked")
    gag.concepts = [gag.concepts[index] for index in kept]
    gag.keep_clear = [clear[index] for index in kept]
    gag.editor = record
    return [images[index] for index in kept]
