"""The writer against a real OpenAI-compatible server: llama-cpp-python serving SmolLM2-135M-Instruct.

A 135M model is a weak comedy writer; the point is the plumbing. The server compiles the schema into a
sampling grammar, so the shape of the answer is guaranteed; the writer's re-asks handle what a grammar
can't express.
"""

from __future__ import annotations

import json
import time

import httpx
import jsonschema
import pytest
from llama_server import MODEL_ALIAS, smollm2_server  # noqa: F401  (a fixture)

from sightgag.concept import Concept, MAX_CAPTION_WORDS
from sightgag.errors import SightgagError
from sightgag.settings import Settings
from sightgag.subjects import Subject
from sightgag.writer.openai_compat import UNIT_GRID, OpenAICompatWriter, provider_schema

MITTENS = Subject(name="Mittens", kind="cat", traits=["orange tabby", "one white front paw"])


@pytest.fixture
def settings(monkeypatch, tmp_path) -> Settings:
    monkeypatch.setenv("SIGHTGAG_HOME", str(tmp_path))
    # The server works on one request at a time and keeps generating for a client that gave up,
    # so a retry would only queue behind the abandoned answer: wait long once instead.
    monkeypatch.setenv("SIGHTGAG_WRITER_TIMEOUT", "120")
    monkeypatch.setenv("SIGHTGAG_WRITER_RETRIES", "0")
    monkeypatch.setenv("SIGHTGAG_WRITER_REASKS", "2")
    return Settings()


@pytest.mark.parametrize("n", [1, 3])
def test_the_grammar_schema_compiles_into_a_llama_cpp_grammar(n):
    # The server falls back to "any JSON" without a word when a schema does not compile: make sure ours does.
    llama_grammar = pytest.importorskip("llama_cpp.llama_grammar")
    gbnf = llama_grammar.json_schema_to_gbnf(json.dumps(provider_schema("grammar", n)))
    llama_grammar.LlamaGrammar.from_string(gbnf, verbose=False)
    assert "Caption-text" in gbnf and "Box-x" in gbnf, "the schema was compiled, not replaced by plain JSON"


@pytest.mark.slow
def test_llama_cpp_python_server_rejects_openais_json_schema_form(smollm2_server):
    # Documents the server behaviour the writer adapts to: response_format.type must be "text" or
    # "json_object", and the request validation error comes back as HTTP 500.
    response = httpx.post(
        f"{smollm2_server}/chat/completions",
        json={
            "messages": [{"role": "user", "content": "hi"}],
            "max_tokens": 1,
            "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}},
        },
        timeout=30,
    )
    assert response.status_code == 500
    assert "response_format" in response.text and "json_object" in response.text


@pytest.mark.slow
def test_smollm2_writes_a_valid_concept_under_the_schema_grammar(smollm2_server, settings):
    """What the grammar guarantees, whatever the build: every answer is JSON valid under the schema.

    The wording is the model's and differs between llama.cpp builds and CPUs; so may whether the writer's
    own checks (beyond the grammar) pass within its re-asks. With enough tokens, the shape never differs.
    """
    # A whole concept takes 170-450 tokens after a 1,200-token prompt: 1,500 is room to finish, never a cut.
    writer = OpenAICompatWriter("openai-compat", smollm2_server, settings, max_tokens=1500)
    started = time.monotonic()
    try:
        concepts = writer.write("my cat Mittens as a superhero fighting a giant ball of yarn", [MITTENS], n=1, seed=4)
    except SightgagError as error:
        assert "no usable concepts" in str(error)  # the writer's checks, not the grammar's, said no
        concepts = []
    elapsed = time.monotonic() - started

    assert writer.spec == f"openai-compat:{smollm2_server}#{MODEL_ALIAS}"
    assert writer.wire == "json_object", "the server took the schema in its json_object form"
    assert 1 <= len(writer.exchanges) <= settings.writer_reasks + 1
    schema = provider_schema("grammar", 1)
    for exchange in writer.exchanges:
        answer = json.loads(exchange["response"], strict=False)
        jsonschema.validate(answer, schema)
        # A 135M model left alone writes boxes like x: 20; the grammar keeps them on the unit grid.
        for member in answer["concepts"][0]["cast"]:
            for value in member["box"].values():
                assert 0 <= value <= 1 and abs(value / UNIT_GRID - round(value / UNIT_GRID)) < 1e-6
    for concept in concepts:
        assert isinstance(concept, Concept)
        assert len(concept.caption.text.split()) <= MAX_CAPTION_WORDS
        assert any(member.role == "hero" for member in concept.cast)
    print(f"\n{len(writer.exchanges)} call(s), {elapsed:.1f} s: {[(c.title, c.caption.text) for c in concepts]}")
