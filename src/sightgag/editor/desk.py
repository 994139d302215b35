"""The editor's desk: what the studio calls, before painting and after it.

    kept, record = edit_concepts(editor, request, subjects, candidates, n=2, punch_up=False)
    checked = paint_checked(artist, kept, seeds=..., checks=build_checks(settings, editor))

Kept apart from the studio so the studio's pipeline stays a few calls long.
"""

from __future__ import annotations

from collections.abc import Sequence

from sightgag.concept import Concept
from sightgag.editor import Editor
from sightgag.editor.paintings import Checks
from sightgag.editor.record import EditorRecord
from sightgag.errors import UsageError
from sightgag.settings import Settings
from sightgag.subjects import Subject

MAX_RETRIES = 5  # repaints per picture at most: each is a full painting


def edit_concepts(
    editor: Editor, request: str, subjects: list[Subject], candidates: Sequence[Concept], n: int, *, punch_up: bool = False
) -> tuple[list[Concept], EditorRecord]:
    """The `n` best of the writer's candidates, punched up if asked, and the record of how they were chosen."""
    ranking = editor.rank(request, subjects, candidates, n)
    record = EditorRecord(editor=editor.spec, candidates=len(candidates), ranking=ranking.judgements, notes=list(ranking.notes))
    kept = ranking.kept
    if punch_up:
        rewrite = getattr(editor, "punch_up", None)
        if rewrite is None:
            record.notes.append(f"no punch-up: the {editor.spec} editor has no LLM to rewrite with")
        else:
            kept, record.punch_up, notes = rewrite(request, kept)
            record.notes += notes
    return kept, record


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
