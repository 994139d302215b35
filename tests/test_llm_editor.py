"""The LLM editor against a real small model: SmolLM2-135M served by llama.cpp's OpenAI-compatible server.

The model is tiny, so what it thinks of a joke means little; what is tested is the plumbing: the rubric
asked as structured output and read back, close calls asked in both orders, junk asked again and then
set aside for the writer's order, with a note.
"""

from __future__ import annotations

import json

import pytest
from llama_server import smollm2_server  # noqa: F401  (a fixture)

from sightgag.editor import load_editor
from sightgag.editor.judge import RUBRIC, LLMEditor
from sightgag.settings import Settings
from sightgag.studio import Studio
from sightgag.writer.offline import OfflineWriter
from sightgag.writer.openai_compat import OpenAICompatWriter

pytestmark = pytest.mark.slow

HAMSTER = "a tiny hamster guarding a bank vault"


def candidates(count: int):
    return OfflineWriter(None, Settings()).write(HAMSTER, [], n=count, seed=1)


def llm(url: str, **options) -> OpenAICompatWriter:
    return OpenAICompatWriter("openai-compat", url, Settings(), temperature=0.0, **options)


def test_the_rubric_is_asked_as_structured_output_and_every_candidate_gets_a_score_and_reason(smollm2_server):
    editor = load_editor(f"openai-compat:{smollm2_server}", Settings())
    concepts = candidates(3)

    ranking = editor.rank(HAMSTER, [], concepts, n=2)

    rubric_call = editor.exchanges[0]
    marks = json.loads(rubric_call["response"])
    assert set(marks) == {"candidate_1", "candidate_2", "candidate_3"}
    for item in marks.values():
        assert set(item) == {*RUBRIC, "reason"} and all(0 <= item[name] <= 10 for name in RUBRIC)
    assert len(ranking.kept) == 2 and len({c.premise for c in ranking.kept}) == 2
    assert sorted(j.candidate for j in ranking.judgements) == [0, 1, 2]
    by_candidate = {j.candidate: j for j in ranking.judgements}
    means = [sum(item[name] for name in RUBRIC) / len(RUBRIC) for item in marks.values()]
    for number, mean in enumerate(means):
        judgement = by_candidate[number]
        if "preferred in a pairwise call" in judgement.reason:
            # A close call won both ways moves the winner just above the candidate it beat.
            assert any(judgement.score == pytest.approx(other + 0.01, abs=0.02) for other in means) and judgement.score >= mean
        else:
            assert judgement.score == pytest.approx(mean, abs=0.02)
    assert all(isinstance(j.reason, str) for j in ranking.judgements)


def test_a_close_call_is_asked_in_both_orders(smollm2_server):
    editor = LLMEditor(llm(smollm2_server))
    first, second = candidates(2)

    verdict = editor.compare(HAMSTER, first, second)

    asked = [exchange["messages"][-1]["content"] for exchange in editor.exchanges]
    assert len(asked) == 2
    assert asked[0].index(first.title) < asked[0].index(second.title)  # A then B ...
    assert asked[1].index(second.title) < asked[1].index(first.title)  # ... and B then A
    answers = [json.loads(exchange["response"])["better"] for exchange in editor.exchanges]
    assert set(answers) <= {"A", "B"}
    # The same letter both times means the position chose, not the joke: no verdict.
    assert verdict == (None if answers[0] == answers[1] else 0 if answers[0] == "A" else 1)


def test_a_junk_answer_is_asked_again_then_the_writers_order_is_kept_with_a_note(smollm2_server):
    # Eight tokens cut every answer off mid-JSON: junk, however good the model.
    editor = LLMEditor(llm(smollm2_server, max_tokens=8))
    concepts = candidates(3)

    ranking = editor.rank(HAMSTER, [], concepts, n=2)

    assert len(editor.exchanges) == 2  # asked, and asked again
    assert all(exchange["error"].startswith("unusable answer") for exchange in editor.exchanges)
    assert "unusable" in editor.exchanges[1]["messages"][-1]["content"]
    assert ranking.kept == concepts[:2]
    assert any("the writer's order is kept" in note for note in ranking.notes)


def test_the_studio_files_the_judges_ranking_and_logs_its_calls(smollm2_server, tmp_path):
    studio = Studio("offline", "sketch", settings=Settings(home=tmp_path), editor=f"openai-compat:{smollm2_server}")

    gag = studio.make(HAMSTER, n=1, candidates=2, seed=3, size=(256, 256))

    assert gag.editor.editor.startswith("openai-compat:") and gag.editor.candidates == 2
    assert len(gag.editor.ranking) == 2
    logged = studio.gallery.exchanges(gag.id)
    assert logged and all(row["provider"] == "openai-compat" for row in logged)


def test_punch_up_rewrites_the_kept_captions_once_and_keeps_the_originals(smollm2_server, tmp_path):
    studio = Studio("offline", "sketch", settings=Settings(home=tmp_path), editor=f"openai-compat:{smollm2_server}")
    written = studio.concept(HAMSTER, n=2, seed=3, editor="none")

    gag = studio.make(HAMSTER, n=2, seed=3, size=(256, 256), editor=f"openai-compat:{smollm2_server}", punch_up=True)

    punch_calls = [row for row in studio.gallery.exchanges(gag.id) if "Punch up" in row["prompt"]]
    assert len(punch_calls) == 1  # once
    originals = {concept.caption.text for concept in written} | {j.caption for j in gag.editor.ranking}
    for change in gag.editor.punch_up:
        assert change.original in originals and change.caption != change.original
        assert gag.concepts[change.concept].caption.text == change.caption
        assert len(change.caption.split()) <= 20
    assert gag.editor.punch_up or gag.editor.notes  # rewritten, or said why not
