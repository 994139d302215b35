"""The writers' shared brief: it teaches every device, carries the subjects, and stays short."""

from __future__ import annotations

import pytest

from sightgag.concept import MAX_CAPTION_WORDS, Caption, CastMember, Concept, Device, Style
from sightgag.subjects import Subject
from sightgag.writer.brief import DEVICE_GUIDE, reask_prompt, system_prompt, user_prompt

MITTENS = Subject(name="Mittens", kind="cat", traits=["orange tabby", "one white front paw"], aliases=["Mitty"])
GRANDPA = Subject(name="Grandpa Joe", kind="person", traits=["white walrus moustache", "red braces"])


def test_every_device_is_named_with_its_explanation():
    prompt = system_prompt()
    assert set(DEVICE_GUIDE) == set(Device), "a device the model is never taught can't be chosen well"
    for device in Device:
        assert f"- {device.value}: {DEVICE_GUIDE[device]}" in prompt


def test_the_brief_names_every_field_the_model_must_fill():
    # A grammar-constrained model sees keys, never the schema's descriptions: the brief must name them.
    prompt = system_prompt()
    fields = set(Concept.model_fields) - {"version"}
    fields |= set(CastMember.model_fields) | set(Style.model_fields) | set(Caption.model_fields)
    missing = [name for name in sorted(fields) if name not in prompt]
    assert not missing, f"brief never mentions {missing}"


def test_the_brief_states_the_rules_the_validator_enforces():
    prompt = system_prompt()
    assert f"at most {MAX_CAPTION_WORDS} words" in prompt
    for lettering in ("meme", "caption", "balloon", "label", "none"):
        assert f'"{lettering}"' in prompt
    assert "DISTINCT" in prompt and "best first" in prompt
    assert "exact name" in prompt


def test_the_brief_is_short_enough_for_small_local_models():
    # About 3.7 characters per token for SmolLM2's tokenizer on this text; 1,500 tokens is the budget.
    assert len(system_prompt()) / 3.5 < 1500


def test_user_prompt_carries_the_request_and_each_subject_profile():
    prompt = user_prompt("Mittens and Grandpa Joe rob a bank", [MITTENS, GRANDPA], n=3)
    assert "Mittens and Grandpa Joe rob a bank" in prompt
    assert MITTENS.profile() in prompt and GRANDPA.profile() in prompt
    assert "also called Mitty" in prompt and "white walrus moustache" in prompt
    assert "Write 3 distinct concepts" in prompt


def test_user_prompt_without_subjects_lets_the_writer_invent_the_cast():
    prompt = user_prompt("a pigeon applies for a mortgage", [], n=1)
    assert "No personal subjects" in prompt
    assert "Write 1 concept" in prompt


@pytest.mark.parametrize("n", [1, 2, 5])
def test_user_prompt_asks_for_exactly_n(n):
    assert f"Write {n} " in user_prompt("a cat", [], n=n)


def test_reask_prompt_carries_the_error_and_asks_for_the_whole_object():
    error = "- concepts.0.device: Input should be 'incongruity', 'scale mismatch' or ..."
    prompt = reask_prompt(error)
    assert error in prompt
    assert '{"concepts": [...]}' in prompt


def test_reask_prompt_keeps_a_long_error_short():
    error = "\n".join(f"- concepts.0.cast.{i}.box.x: Input should be less than or equal to 1" for i in range(200))
    prompt = reask_prompt(error)
    assert "cast.0.box.x" in prompt
    assert len(prompt) < 1500
