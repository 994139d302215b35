"""The offline writer: funny, valid concepts with no LLM, no network and no keys."""

from __future__ import annotations

import re

import pytest

from sightgag.concept import MAX_CAPTION_WORDS, Concept, Device
from sightgag.errors import UsageError
from sightgag.settings import Settings
from sightgag.subjects import Subject
from sightgag.writer.offline import OfflineWriter

# (request, who the hero must be, a word the foil's name must contain or None when the request names none)
REQUESTS = [
    ("my cat Mittens as a superhero fighting a giant ball of yarn", "Mittens", "yarn"),
    ("my dog Biscuit giving a TED talk about squirrels", "Biscuit", "squirrels"),
    ("grandma Rosa winning a skateboarding contest", "Grandma Rosa", None),
    ("Dave from accounting vs the office printer", "Dave", "printer"),
    ("me at the gym", "Me", None),
    ("a toaster falling in love with a waffle iron", "toaster", "waffle iron"),
    ("Mittens", "Mittens", None),
    ("José fighting a pigeon", "José", "pigeon"),
    ("Zoë as a pirate", "Zoë", None),
    ("my boss Karen in the kitchen", "Karen", None),
    ("grandpa arguing with the self-checkout machine", "Grandpa", "self-checkout machine"),
    ("a tiny hamster guarding a bank vault", "hamster", "bank vault"),
    ("my dog barking at the mailman", "my dog", "mailman"),
    ("me vs Monday", "Me", "Monday"),
    ("the office printer on strike", "office printer", None),
    ("José and Zoë dancing the tango", "José", "Zoë"),
    ("Mittens knocks a glass off the table", "Mittens", "glass"),
    ("an angry goose running for mayor", "goose", None),
    ("my kids building a fort in the living room", "my kids", None),
    ("Biscuit wearing a tuxedo at a wedding", "Biscuit", None),
    ("grandma as a DJ", "Grandma", None),
    ("a penguin doing my taxes", "penguin", None),
    ("Mittens vs. the vacuum cleaner in the kitchen", "Mittens", "vacuum cleaner"),
    ("my roommate trying to assemble IKEA furniture", "my roommate", "IKEA furniture"),
    ("my husband losing to the GPS", "My husband", "GPS"),
    ("my two cats arguing about who gets the sunny spot", "my two cats", "sunny spot"),
]


@pytest.fixture(scope="module")
def writer() -> OfflineWriter:
    return OfflineWriter(None, Settings())


def words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text.casefold())


@pytest.mark.parametrize("request_text, hero, foil", REQUESTS)
def test_the_named_subject_is_the_hero_and_the_foil_is_found(writer, request_text, hero, foil):
    for concept in writer.write(request_text, [], n=3, seed=1):
        assert concept.cast[0].role == "hero"
        assert hero in concept.hero.name
    if foil is not None:
        first = writer.write(request_text, [], n=1, seed=1)[0]
        assert foil in first.foils[0].name


@pytest.mark.parametrize("request_text, hero, foil", REQUESTS)
def test_three_distinct_concepts_whose_captions_do_not_restate_the_request(writer, request_text, hero, foil):
    concepts = writer.write(request_text, [], n=3, seed=7)

    assert len(concepts) == 3
    assert len({concept.premise for concept in concepts}) == 3
    assert len({concept.caption.text for concept in concepts}) == 3
    assert len({concept.device for concept in concepts}) == 3  # different angles, not paraphrases
    for concept in concepts:
        Concept.model_validate(concept.model_dump())  # survives a round trip through the contract
        caption = concept.caption.text
        assert "{" not in caption and "}" not in caption
        assert len(caption.split()) <= MAX_CAPTION_WORDS
        assert caption.casefold() != request_text.casefold()
        if len(request_text.split()) >= 3:  # a bare name may well appear in its own caption
            assert request_text.casefold() not in caption.casefold()
        shared = set(words(caption)) & set(words(request_text)) - {"a", "the", "my", "of", "to", "in", "is"}
        assert len(shared) <= max(2, len(set(words(caption))) // 2), f"{caption!r} repeats {request_text!r}"


def test_a_personal_subject_is_linked_by_its_exact_name_even_when_called_by_an_alias(writer):
    mittens = Subject(name="Mittens", kind="cat", traits=["orange tabby", "one white paw"], aliases=["Mitty"])

    concept = writer.write("Mitty vs the vacuum cleaner", [mittens], n=1, seed=3)[0]

    assert concept.hero.subject == "Mittens"
    assert concept.hero.kind == "cat"
    assert "orange tabby" in concept.hero.appearance
    assert all(member.subject is None for member in concept.cast[1:])


def test_without_subjects_the_hero_keeps_its_name_and_kind_but_links_nothing(writer):
    concept = writer.write("my cat Mittens as a superhero", [], n=1, seed=3)[0]

    assert (concept.hero.name, concept.hero.kind, concept.hero.subject) == ("Mittens", "cat", None)


def test_the_same_seed_gives_the_same_concepts_and_other_seeds_vary(writer):
    request = "my dog Biscuit giving a TED talk about squirrels"

    first = writer.write(request, [], n=3, seed=42)
    again = writer.write(request, [], n=3, seed=42)
    others = [writer.write(request, [], n=3, seed=seed) for seed in range(8)]

    assert [concept.model_dump() for concept in first] == [concept.model_dump() for concept in again]
    captions = {tuple(concept.caption.text for concept in concepts) for concepts in others}
    assert len(captions) > 1


def test_a_talk_gets_a_slide_about_its_topic(writer):
    concept = writer.write("my dog Biscuit giving a TED talk about squirrels", [], n=1, seed=0)[0]

    assert concept.sign_text is not None and "SQUIRRELS" in concept.sign_text
    assert "stage" in concept.setting


def test_a_giant_foil_is_staged_as_a_scale_mismatch_with_a_big_foil_box(writer):
    concept = writer.write("my cat Mittens fighting a giant ball of yarn", [], n=1, seed=0)[0]
    hero, foil = concept.hero.box, concept.foils[0].box

    assert concept.device is Device.scale_mismatch
    assert foil.w * foil.h > 3 * hero.w * hero.h


def test_a_superhero_request_brings_a_cape_and_a_rooftop(writer):
    concepts = writer.write("my cat Mittens as a superhero", [], n=3, seed=5)
    heroic = next(concept for concept in concepts if concept.device is Device.mock_heroic)

    assert "cape" in " ".join(heroic.hero.props)
    assert "rooftop" in heroic.setting


def test_a_bare_name_gets_an_invented_foil_and_up_to_eight_distinct_concepts(writer):
    concepts = writer.write("Mittens", [], n=8, seed=2)

    assert len({concept.premise for concept in concepts}) == 8
    assert len({concept.caption.text for concept in concepts}) == 8
    assert all(concept.foils for concept in concepts)


@pytest.mark.parametrize(
    "request_text, hero, kind",
    [("three pigeons running a bakery", "Three pigeons", "pigeon"), ("the twins building a sandcastle", "The twins", "twin")],
)
def test_a_plural_hero_is_counted_out_of_its_kind_and_its_verbs_agree(writer, request_text, hero, kind):
    concepts = writer.write(request_text, [], n=8, seed=3)

    assert {concept.hero.kind for concept in concepts} == {kind}
    for concept in concepts:
        for text in (concept.premise, concept.moment):
            assert not re.search(rf"^{hero}(, [^,]+,)? (stays|stands|sits|treats|squares|stares|is)\b", text), text
            assert f"being a {kind}" not in text
    assert any(re.search(rf"^{hero}(, [^,]+,)? (stay|stand|sit|treat|square|stare)\b", c.premise + c.moment) for c in concepts)


def test_a_person_is_never_told_apart_by_acting_like_one_the_foil_comes_to_life_instead(writer):
    concepts = writer.write("my husband losing to the GPS", [], n=8, seed=1)
    (brought_to_life,) = [concept for concept in concepts if concept.device is Device.anthropomorphism]

    assert "despite being" not in brought_to_life.premise
    assert "the GPS has a face" in brought_to_life.premise
    assert brought_to_life.hero.name.lower() == "my husband"


def test_the_writer_says_what_it_is_and_calls_no_model(writer):
    writer.write("me vs Monday", [], n=2, seed=1)

    assert writer.spec == "offline"
    assert writer.exchanges == []


@pytest.mark.parametrize("request_text", ["", "   ", "x" * 5000, "cat\x1b[31m"])
def test_bad_requests_are_usage_errors(writer, request_text):
    with pytest.raises(UsageError):
        writer.write(request_text, [], n=1)


@pytest.mark.parametrize("n", [0, 9])
def test_n_out_of_range_is_a_usage_error(writer, n):
    with pytest.raises(UsageError):
        writer.write("my cat Mittens", [], n=n)
