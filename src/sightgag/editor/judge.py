"""The LLM editor: a judge scores each candidate on a short rubric, breaks close calls pairwise, punches up.

A gag is judged as one picture with a caption; a comic strip (`rank_strips`) on a rubric of its own,
since a strip's joke is timed over its panels and told in its lines, and is never seen in one second.

It talks to the LLM through the OpenAI-compatible writer's client (same keys, URLs, retries, schema
styles and exchange log). The rubric is asked as structured output with one fixed field per candidate,
so even a grammar-bound small model cannot skip or repeat one. LLM judges prefer the first option they
are shown, so a close call is asked both ways round and only a verdict that survives the swap counts.
An answer that is junk is asked for once more; a second junk answer leaves the writer's order, noted.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sightgag.concept import MAX_CAPTION_WORDS, Concept
from sightgag.editor.ranking import Ranking, keep_best, writers_order
from sightgag.editor.record import PunchUp
from sightgag.errors import SightgagError
from sightgag.hygiene import strip_unsafe
from sightgag.subjects import Subject
from sightgag.writer.openai_compat import OpenAICompatWriter

RUBRIC = {
    "fit": "fits the request and its subjects",
    "surprise": "the surprise: the gap between what you expect and what you see",
    "readable": "readable in one second",
    "caption_adds": "the caption adds what the picture cannot show",
    "kind": "kind: laughs with its subjects, not at them",
}
STRIP_RUBRIC = {
    "fit": "fits the request and its subjects",
    "turn": "the last panel turns what the first panels set up into a surprise",
    "timing": "every panel moves the story on; none could be cut",
    "lines": "the lines sound like their speakers and are short enough for a balloon",
    "kind": "kind: laughs with its subjects, not at them",
}


@dataclass(frozen=True)
class Form:
    """What is judged, as the judge is told: a gag's picture or a whole strip, and its rubric."""

    name: str
    rubric: dict[str, str]
    moment: str  # what a candidate's moment holds
    caption: str  # and its caption


PICTURE = Form("picture", RUBRIC, "Moment", "Caption")
# A strip reaches the judge as one Concept (Strip.as_concept): its story beat by beat, its last words.
STRIP = Form("comic strip", STRIP_RUBRIC, "Story, panel by panel", "Punchline")

CLOSE_CALL = 1.0  # points of the rubric's mean: closer than this, ask the pair
MAX_PAIRS = 3  # pairwise questions per ranking at most (each is two calls)
JUDGE_TRIES = 2  # the question, and one re-ask after a junk answer
REASON_CHARS = 120

SYSTEM = (
    "You are the editor of a studio that makes funny pictures. You judge joke concepts honestly and briefly. "
    "Answer with JSON only, in exactly the shape asked for."
)


class LLMEditor:
    """An editor that asks an LLM (any OpenAI-compatible writer spec) to judge and punch up."""

    def __init__(self, llm: OpenAICompatWriter):
        self.llm = llm

    @property
    def spec(self) -> str:
        return self.llm.spec

    @property
    def exchanges(self) -> list[dict]:
        return self.llm.exchanges

    # -- ranking --------------------------------------------------------------------------------

    def rank(
        self, request: str, subjects: list[Subject], concepts: Sequence[Concept], n: int, *, form: Form = PICTURE
    ) -> Ranking:
        if len(concepts) <= 1:
            return writers_order(concepts, n, "the only candidate")
        try:
            rubric = self.score(request, concepts, form)
        except JunkAnswer as junk:
            ranking = writers_order(concepts, n, "not judged")
            ranking.notes.append(f"the judge's answers were unusable ({junk}): the writer's order is kept")
            return ranking
        scores = [sum(marks.values()) / len(marks) for marks, _ in rubric]
        reasons = [reason for _, reason in rubric]
        notes = self._break_close_calls(request, concepts, scores, reasons, n, form)
        ranking = keep_best(concepts, scores, reasons, n)
        ranking.notes += notes
        return ranking

    def rank_strips(self, request: str, subjects: list[Subject], strips: Sequence[Concept], n: int) -> Ranking:
        """Whole strips, each shown as one Concept (`Strip.as_concept`), judged as strips."""
        return self.rank(request, subjects, strips, n, form=STRIP)

    def score(
        self, request: str, concepts: Sequence[Concept], form: Form = PICTURE
    ) -> list[tuple[dict[str, int], str]]:
        """Per candidate, its rubric marks (0..10) and the judge's one-line reason."""
        schema = rubric_schema(len(concepts), self.llm.provider.schema_style, form.rubric)
        prompt = (
            f"The request: {request}\n\nThe candidates are {form.name}s.\n\n{_listing(concepts, form)}\n\n"
            "Mark every candidate from 0 to 10 on each of these, then give one short reason:\n"
            + "\n".join(f"- {name}: {meaning}" for name, meaning in form.rubric.items())
        )
        data = self._ask([{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}], schema, "rubric")
        marks = []
        for number in range(1, len(concepts) + 1):
            item = data.get(f"candidate_{number}")
            if not isinstance(item, dict):
                raise JunkAnswer(f"no marks for candidate_{number}")
            values = {}
            for name in form.rubric:
                value = item.get(name)
                if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 10:
                    raise JunkAnswer(f"candidate_{number}.{name} is {value!r}, not a mark from 0 to 10")
                values[name] = int(round(value))
            marks.append((values, _reason(item.get("reason"))))
        return marks

    def compare(self, request: str, first: Concept, second: Concept, form: Form = PICTURE) -> int | None:
        """0 when `first` is the better joke both ways round, 1 for `second`, None when the order decided."""
        picks = []
        for shown in ((first, second), (second, first)):
            prompt = (
                f"The request: {request}\n\nA: {_describe(shown[0], form)}\n\nB: {_describe(shown[1], form)}\n\n"
                f"Which is the funnier {form.name} for this request, A or B?"
            )
            answer = self._ask(
                [{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}],
                pairwise_schema(self.llm.provider.schema_style),
                "pairwise",
            )
            better = answer.get("better")
            if better not in ("A", "B"):
                raise JunkAnswer(f"'better' is {better!r}, not A or B")
            picks.append(shown[0] if better == "A" else shown[1])
        if picks[0] is picks[1]:
            return 0 if picks[0] is first else 1
        return None

    def _break_close_calls(
        self, request: str, concepts: Sequence[Concept], scores: list[float], reasons: list[str], n: int, form: Form
    ) -> list[str]:
        """Ask close neighbours near the cut both ways round; a consistent winner moves just above the other."""
        notes = []
        order = sorted(range(len(concepts)), key=lambda index: (-scores[index], index))
        asked = 0
        for upper, lower in zip(order, order[1 : n + 1]):
            if asked == MAX_PAIRS or scores[upper] - scores[lower] > CLOSE_CALL:
                continue
            asked += 1
            try:
                verdict = self.compare(request, concepts[upper], concepts[lower], form)
            except JunkAnswer as junk:
                notes.append(f"a close call was left to the marks: the pairwise answer was unusable ({junk})")
                continue
            if verdict is None:
                notes.append(
                    f"candidates {upper + 1} and {lower + 1}: the pairwise verdict flipped with the order, marks kept"
                )
            elif verdict == 1:
                scores[lower] = scores[upper] + 0.01
                reasons[lower] += " (preferred in a pairwise call, both orders)"
        return notes

    # -- punch-up -------------------------------------------------------------------------------

    def punch_up(self, request: str, concepts: Sequence[Concept]) -> tuple[list[Concept], list[PunchUp], list[str]]:
        """Each caption rewritten once (tighter, funnier, within the word limit); the originals recorded."""
        style = self.llm.provider.schema_style
        prompt = (
            f"The request: {request}\n\n{_listing(concepts)}\n\n"
            f"Punch up each candidate's caption once: tighter and funnier, at most {MAX_CAPTION_WORDS} words, "
            "the same joke. Keep a caption that cannot be bettered as it is."
        )
        try:
            answer = self._ask(
                [{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}],
                punch_up_schema(len(concepts), style),
                "punch_up",
            )
        except JunkAnswer as junk:
            return list(concepts), [], [f"punch-up skipped: the answer was unusable ({junk})"]
        improved, changes, notes = [], [], []
        for index, concept in enumerate(concepts):
            text = " ".join(strip_unsafe(str(answer.get(f"caption_{index + 1}") or "")).split())
            if not text or text == concept.caption.text:
                improved.append(concept)
                continue
            data = concept.model_dump()
            data["caption"]["text"] = text
            try:
                rewritten = Concept.model_validate(data)
            except ValueError as error:
                notes.append(f"punch-up of caption {index + 1} refused ({str(error).splitlines()[-1].strip()})")
                improved.append(concept)
                continue
            improved.append(rewritten)
            changes.append(PunchUp(concept=index, original=concept.caption.text, caption=text))
        return improved, changes, notes

    # -- one question ---------------------------------------------------------------------------

    def _ask(self, messages: list[dict], schema: dict, name: str) -> dict:
        problem = ""
        for attempt in range(JUDGE_TRIES):
            asked = messages
            if attempt:
                asked = messages + [
                    {"role": "user", "content": f"Your last answer was unusable ({problem}). Answer again."}
                ]
            answer, finish_reason = self.llm.ask_json(asked, schema, name=f"sightgag_{name}")
            try:
                data = json.loads(answer, strict=False)
                if not isinstance(data, dict):
                    raise ValueError("not a JSON object")
                return data
            except ValueError as error:
                problem = "cut off at the length limit" if finish_reason == "length" else f"not JSON: {error}"
                self.llm.exchanges[-1]["error"] = f"unusable answer: {problem}"
        raise JunkAnswer(problem)


class JunkAnswer(SightgagError):
    """The judge's answer could not be read, even when asked again."""


# -- schemas, in the style each server enforces ---------------------------------------------------


def rubric_schema(count: int, style: str, rubric: dict[str, str] = RUBRIC) -> dict:
    mark = (
        {"type": "integer", "enum": list(range(11))}
        if style == "grammar"
        else {"type": "integer", "minimum": 0, "maximum": 10}
    )
    item = {
        "type": "object",
        "properties": {**{name: dict(mark) for name in rubric}, "reason": _text(style, REASON_CHARS)},
        "required": [*rubric, "reason"],
        "additionalProperties": False,
    }
    return _object({f"candidate_{number}": item for number in range(1, count + 1)})


def pairwise_schema(style: str) -> dict:
    return _object({"better": {"type": "string", "enum": ["A", "B"]}, "reason": _text(style, REASON_CHARS)})


def punch_up_schema(count: int, style: str) -> dict:
    caption = _text(style, 160)
    if style == "grammar":
        word = r'[^ "\\\x00-\x1F\x7F]{1,24}'
        caption["pattern"] = f"^{word}( {word}){{0,{MAX_CAPTION_WORDS - 1}}}$"
    return _object({f"caption_{number}": dict(caption) for number in range(1, count + 1)})


def _object(properties: dict) -> dict:
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


def _text(style: str, limit: int) -> dict:
    # OpenAI's strict mode takes no string lengths; the others bound what a small model rambles.
    return {"type": "string"} if style == "openai_strict" else {"type": "string", "maxLength": limit}


# -- how candidates are shown ---------------------------------------------------------------------


def _listing(concepts: Sequence[Concept], form: Form = PICTURE) -> str:
    return "\n\n".join(
        f"candidate_{number}: {_describe(concept, form)}" for number, concept in enumerate(concepts, 1)
    )


def _describe(concept: Concept, form: Form = PICTURE) -> str:
    cast = ", ".join(f"{member.name} ({member.role})" for member in concept.cast)
    caption = f"{concept.caption.setup} / {concept.caption.text}" if concept.caption.setup else concept.caption.text
    return (
        f"{concept.title}. {concept.premise} Cast: {cast}. Setting: {concept.setting}. "
        f'{form.moment}: {concept.moment} {form.caption}: "{caption}"'
    )


def _reason(value: object) -> str:
    text = " ".join(strip_unsafe(str(value or "")).split())
    return text[:REASON_CHARS]
