"""What every editor's ranking shares: scored candidates in, the N best distinct ones out.

An editor scores each candidate (0..10, with a one-line reason); `keep_best` then keeps the N best,
never two with the same premise or caption, and prefers a device not yet kept when scores are close,
so three kept gags are three different jokes rather than three takes on one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sightgag.concept import Concept
from sightgag.editor.record import Judgement

MAX_CANDIDATES = 8  # what a writer drafts at most in one call (the Concepts schema's limit)
DEVICE_REPEAT_PENALTY = 1.5  # points: a repeated device is kept only when clearly the better joke


@dataclass
class Ranking:
    """The kept concepts, best first, and every candidate's judgement (the kept ones marked)."""

    kept: list[Concept]
    judgements: list[Judgement]
    notes: list[str] = field(default_factory=list)


def default_candidates(n: int) -> int:
    """Twice as many as asked for, as many as a writer can draft in one call at most."""
    return min(2 * n, MAX_CANDIDATES)


def keep_best(concepts: Sequence[Concept], scores: Sequence[float], reasons: Sequence[str], n: int) -> Ranking:
    """Keep the `n` best distinct concepts; `scores[i]` and `reasons[i]` belong to `concepts[i]`."""
    remaining = list(range(len(concepts)))
    chosen: list[int] = []
    while remaining and len(chosen) < n:
        devices = {concepts[index].device for index in chosen}
        premises = {_plain(concepts[index].premise) for index in chosen}
        captions = {_plain(concepts[index].caption.text) for index in chosen}

        def worth(index: int) -> tuple[float, int]:
            concept = concepts[index]
            value = scores[index] - (DEVICE_REPEAT_PENALTY if concept.device in devices else 0.0)
            return (value, -index)  # ties go to the writer's order

        distinct = [
            index
            for index in remaining
            if _plain(concepts[index].premise) not in premises and _plain(concepts[index].caption.text) not in captions
        ]
        pick = max(distinct or remaining, key=worth)
        chosen.append(pick)
        remaining.remove(pick)
    order = chosen + sorted(remaining, key=lambda index: (-scores[index], index))
    judgements = [
        Judgement(
            candidate=index,
            title=concepts[index].title,
            caption=concepts[index].caption.text,
            score=round(float(scores[index]), 2),
            reason=reasons[index],
            kept=index in chosen,
        )
        for index in order
    ]
    return Ranking([concepts[index] for index in chosen], judgements)


def writers_order(concepts: Sequence[Concept], n: int, reason: str) -> Ranking:
    """No judging: the writer's first `n`, as it ordered them."""
    return Ranking(
        list(concepts[:n]),
        [
            Judgement(
                candidate=index,
                title=concept.title,
                caption=concept.caption.text,
                score=0.0,
                reason=reason,
                kept=index < n,
            )
            for index, concept in enumerate(concepts)
        ],
    )


def _plain(text: str) -> str:
    return " ".join("".join(ch for ch in text.casefold() if ch.isalnum() or ch.isspace()).split())
