"""The LLM strip writer: the Strip schema as a llama.cpp grammar, a real SmolLM2 server, and re-asks.

A 135M model is a weak comedy writer; what is tested is the plumbing: every answer the server gives is
valid under the grammar schema, and an answer that breaks the Strip contract is sent back to be fixed.
"""

from __future__ import annotations

import json
import time

import jsonschema
import pytest
from llama_server import smollm2_server  # noqa: F401  (a fixture)

from sightgag.errors import SightgagError
from sightgag.settings import Settings
from sightgag.strip import Strip
from sightgag.subjects import Subject
from sightgag.writer.openai_compat import UNIT_GRID, OpenAICompatWriter, UnusableAnswer
from sightgag.writer.strip_llm import parse_strip, strip_provider_schema
from sightgag.writer.strips import write_strip

MITTENS = Subject(name="Mittens", kind="cat", traits=["orange tabby", "one white front paw"])


@pytest.fixture
def settings(monkeypatch, tmp_path) -> Settings:
    monkeypatch.setenv("SIGHTGAG_HOME", str(tmp_path))
    monkeypatch.setenv("SIGHTGAG_WRITER_TIMEOUT", "180")
    monkeypatch.setenv("SIGHTGAG_WRITER_RETRIES", "0")
    monkeypatch.setenv("SIGHTGAG_WRITER_REASKS", "1")
    return Settings()


def a_strip_answer(panels: int = 3) -> dict:
    from sightgag.writer.offline import OfflineWriter

    strip = write_strip(OfflineWriter(None, Settings()), "my cat Mittens vs the vacuum", [], panels, 1)
    return strip.model_dump(mode="json")


def test_an_answer_that_breaks_the_contract_says_what_to_fix():
    answer = a_strip_answer()
    answer["panels"][1]["balloons"][0]["speaker"] = "The Narrator"
    with pytest.raises(UnusableAnswer, match="not in the cast"):
        parse_strip(json.dumps(answer), 3)
    with pytest.raises(UnusableAnswer, match="exactly 4"):
        parse_strip(json.dumps(a_strip_answer(3)), 4)
    with pytest.raises(UnusableAnswer, match="cut off"):
        parse_strip(json.dumps(answer)[:200], 3, "length")
    # A name that differs only in case is the cast member's.
    answer["panels"][1]["balloons"][0]["speaker"] = answer["cast"][0]["name"].upper()
    assert isinstance(parse_strip(json.dumps(answer), 3), Strip)


@pytest.mark.parametrize("panels", (3, 4))
def test_the_grammar_schema_compiles_and_takes_a_valid_strip(panels):
    pytest.importorskip("llama_cpp", reason="needs llama-cpp-python (the test extra)")
    from llama_cpp import LlamaGrammar

    schema = strip_provider_schema("grammar", panels)
    LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)
    answer = a_strip_answer(panels)
    for panel in answer["panels"]:  # the offline writer's boxes, onto the grammar's grid
        for staged in panel["cast"]:
            box = staged["box"]
            staged["box"] = {key: round(max(1, round(value / UNIT_GRID)) * UNIT_GRID, 2) for key, value in box.items()}
    jsonschema.validate(answer, schema)


@pytest.mark.slow
def test_smollm2_writes_strips_under_the_grammar_and_is_asked_again(smollm2_server, settings):
    writer = OpenAICompatWriter("openai-compat", smollm2_server, settings, max_tokens=2500)
    started = time.monotonic()
    try:
        strip = write_strip(writer, "my cat Mittens as a superhero fighting a giant ball of yarn", [MITTENS], 3, seed=4)
    except SightgagError as error:
        assert "no usable strip" in str(error)  # the contract's checks, not the grammar's, said no
        strip = None
    elapsed = time.monotonic() - started

    assert 1 <= len(writer.exchanges) <= settings.writer_reasks + 1
    schema = strip_provider_schema("grammar", 3)
    for number, exchange in enumerate(writer.exchanges):
        answer = json.loads(exchange["response"], strict=False)
        jsonschema.validate(answer, schema)
        if number:  # a re-ask carried the problem back
            assert "could not be used" in exchange["messages"][-1]["content"]
        if exchange["error"] is None:
            assert strip is not None
    if strip is not None:
        assert len(strip.panels) == 3 and strip.hero
    print(f"\n{len(writer.exchanges)} call(s), {elapsed:.1f} s: {strip.title if strip else None}")


@pytest.mark.slow
def test_a_refused_strip_goes_back_to_the_real_model_with_the_problem(smollm2_server, settings, monkeypatch):
    from sightgag.writer import strip_llm

    parse = strip_llm.parse_strip
    answers: list[str] = []

    def refuse_the_first(answer, panels, finish_reason=None):
        answers.append(answer)
        if len(answers) == 1:
            raise UnusableAnswer("- panels.1: 'The Narrator' speaks but is not in the cast")
        return parse(answer, panels, finish_reason)

    monkeypatch.setattr(strip_llm, "parse_strip", refuse_the_first)
    writer = OpenAICompatWriter("openai-compat", smollm2_server, settings, max_tokens=2500)
    try:
        write_strip(writer, "my dog Rex at a job interview", [], 3, seed=8)
    except SightgagError as error:
        assert "no usable strip" in str(error)

    assert len(writer.exchanges) == 2
    first, second = writer.exchanges
    assert "The Narrator" in first["error"]
    assert second["messages"][-2] == {"role": "assistant", "content": first["response"]}
    assert "The Narrator" in second["messages"][-1]["content"]
    jsonschema.validate(json.loads(second["response"], strict=False), strip_provider_schema("grammar", 3))
