"""The offline editor: ranks concepts by what can be read off the request and the concept, no model.

A caption lands when it is tied to what the person asked for: it names or plays on the hero, the foil,
the action, the role, the topic or the place. It misfires when it points at something the picture does
not hold ("the vacuum" in a picture with no vacuum), when it runs long (a caption is read in a second),
or when it just repeats the request. These are the features scored here; `keep_best` then keeps the N
best with different devices.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sightgag.concept import Concept
from sightgag.editor.ranking import Ranking, keep_best
from sightgag.subjects import Subject
from sightgag.writer.planner import Plan, plan_request, singular

BASE_SCORE = 5.0
TIED_FIRST, TIED_MORE = 2.5, 0.75  # points for the first part of the request a caption plays on, and each other
FROM_NOWHERE = 1.25  # points off for each thing the caption names that the picture does not hold
LONG_AFTER = 12  # words; beyond this a caption is no longer read at a glance
CROWD_AFTER = 3  # cast members; more and the moment is hard to read in one second

STOP = frozenset(
    "a an the and or but of to in on at by for with from as is are was were be been it its this that these those "
    "my your his her our their me you he she we they i not no yes so too very just all one two what who why how "
    "when where than then now again more most some any can will would should could do does did has have had "
    "into out up down over off about after before".split()
)
# Words after which a caption names a thing it expects to be seen: "the vacuum", "my sandwich".
POINTERS = frozenset("the this that my your his her our their".split())
WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")


class OfflineEditor:
    """Scores each candidate on the request's parts its caption plays on, then keeps the N best, distinct."""

    spec = "offline"

    def rank(self, request: str, subjects: list[Subject], concepts: Sequence[Concept], n: int) -> Ranking:
        plan = plan_request(request, subjects)
        parts = request_parts(plan)
        scored = [score_concept(concept, request, parts) for concept in concepts]
        return keep_best(concepts, [score for score, _ in scored], [reason for _, reason in scored], n)


def request_parts(plan: Plan) -> dict[str, set[str]]:
    """The stems of each part of the request a caption can play on: hero, foil, role, action, topic, place."""
    parts: dict[str, set[str]] = {
        "hero": stems(f"{plan.hero.name} {plan.hero.kind}"),
        "role": stems(plan.role or ""),
        "action": stems(" ".join(filter(None, [plan.action, plan.activity]))),
        "topic": stems(plan.topic or ""),
        "place": stems(plan.place or ""),
    }
    if plan.foil is not None:
        parts["foil"] = stems(f"{plan.foil.name} {plan.foil.kind}")
    for other in plan.others:
        parts.setdefault("foil", set()).update(stems(f"{other.name} {other.kind}"))
    parts["action"] -= parts.get("foil", set()) | parts["hero"]  # "fighting a giant ball of yarn": yarn is the foil's
    return {name: found for name, found in parts.items() if found}


def tied_parts(caption: str, parts: dict[str, set[str]]) -> list[str]:
    """Which parts of the request a caption plays on, in the order of `parts`."""
    said = stems(caption)
    return [name for name, found in parts.items() if said & found]


def score_concept(concept: Concept, request: str, parts: dict[str, set[str]]) -> tuple[float, str]:
    caption = " ".join(filter(None, [concept.caption.setup, concept.caption.text]))
    score = BASE_SCORE
    reasons: list[str] = []

    tied = tied_parts(caption, parts)
    if tied:
        score += TIED_FIRST + TIED_MORE * (len(tied) - 1)
        reasons.append("plays on the " + " and ".join(tied))
    else:
        reasons.append("not tied to the request")

    strays = things_from_nowhere(concept, request)
    if strays:
        score -= FROM_NOWHERE * len(strays)
        reasons.append("names what the picture lacks: " + ", ".join(strays))

    words = len(caption.split())
    if words > LONG_AFTER:
        score -= 0.25 * (words - LONG_AFTER)
        reasons.append(f"long ({words} words)")
    if _plain(request) and _plain(request) in _plain(caption):
        score -= 2.0
        reasons.append("repeats the request")
    if len(concept.cast) > CROWD_AFTER:
        score -= 0.5 * (len(concept.cast) - CROWD_AFTER)
        reasons.append("crowded")
    return max(0.0, min(10.0, score)), "; ".join(reasons)


def things_from_nowhere(concept: Concept, request: str) -> list[str]:
    """Things the caption points at ("the vacuum") that neither the picture nor the request holds."""
    seen = stems(" ".join([request, _concept_text(concept)]))
    words = [word.casefold() for word in WORD.findall(concept.caption.text)]
    strays = []
    for previous, word in zip(words, words[1:]):
        if previous in POINTERS and word not in STOP and len(word) > 2 and _stem(word) not in seen:
            strays.append(f"{previous} {word}")
    return strays


def stems(text: str) -> set[str]:
    return {_stem(word.casefold()) for word in WORD.findall(text) if word.casefold() not in STOP and len(word) > 1}


def _stem(word: str) -> str:
    word = word.removesuffix("'s")
    word = singular(word)
    # A crude stemmer is enough to match "fighting" with "fight" and "knitted" with "knit".
    for suffix in ("ing", "ed", "er"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)].rstrip("e")
    return word.rstrip("e") if len(word) > 3 else word


def _concept_text(concept: Concept) -> str:
    pieces = [concept.title, concept.premise, concept.setting, concept.moment, concept.sign_text or ""]
    for member in concept.cast:
        pieces += [member.name, member.kind, member.appearance, member.pose, member.expression, *member.props]
    return " ".join(pieces)


def _plain(text: str) -> str:
    return " ".join(WORD.findall(text.casefold()))
