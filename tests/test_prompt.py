"""The Concept -> Flux prompt compiler, counted with the tiny pipeline's own (locally trained) tokenizers."""

from __future__ import annotations

import re

import pytest
from transformers import AutoTokenizer

from examples import MITTENS_CAPTION, mittens_concept, mittens_subject
from sightgag.artist.prompt import CLIP_MAX_TOKENS, compile_prompt, describe
from sightgag.concept import Caption


@pytest.fixture(scope="module")
def clip_tokenizer(tiny_flux_dir):
    return AutoTokenizer.from_pretrained(tiny_flux_dir / "tokenizer")


@pytest.fixture(scope="module")
def t5_tokenizer(tiny_flux_dir):
    return AutoTokenizer.from_pretrained(tiny_flux_dir / "tokenizer_2")


def tokens(tokenizer, text: str) -> int:
    # Special tokens included, as the encoders see them; verbose=False: too long is what is being measured.
    return len(tokenizer(text, verbose=False)["input_ids"])


def sentences(text: str) -> list[str]:
    return re.split(r"(?<=\.) ", text)


def test_describe_tells_the_whole_scene_style_first_and_hero_before_foil():
    concept = mittens_concept()
    text = describe(concept)

    assert text.startswith("Cinematic photo.")
    hero, foil, extra = concept.cast
    in_order = ["Mittens the cat:", "Giant ball of yarn:", concept.moment, concept.setting]
    positions = [text.index(part) for part in in_order]
    assert positions == sorted(positions)
    for part in [hero.appearance, hero.expression, hero.pose, foil.appearance, extra.appearance]:
        assert part in text
    for part in [*concept.style.references, concept.style.palette, concept.style.lighting, concept.style.camera]:
        assert part in text


def test_clip_prompt_fits_77_tokens_and_leads_with_hero_foil_and_style(clip_tokenizer, t5_tokenizer):
    concept = mittens_concept()
    prompt = compile_prompt(concept, clip_tokenizer=clip_tokenizer, t5_tokenizer=t5_tokenizer, t5_budget=256)

    assert prompt.clip_tokens == tokens(clip_tokenizer, prompt.clip) <= CLIP_MAX_TOKENS
    assert prompt.clip.startswith("Mittens the cat, giant ball of yarn, cinematic photo, 1980s superhero movie poster")
    # The whole scene does not fit in 77 tokens, so something was left out, as a whole phrase.
    assert tokens(clip_tokenizer, describe(concept)) > CLIP_MAX_TOKENS
    assert concept.style.composition not in prompt.clip
    whole_phrases = [concept.moment, concept.setting, 'a sign that reads "KNIT HAPPENS"', concept.style.lighting,
                     concept.style.palette, concept.style.camera, *concept.style.references]  # fmt: skip
    assert any(prompt.clip.endswith(phrase) for phrase in whole_phrases)


@pytest.mark.parametrize("budget", [256, 512])
def test_t5_prompt_fits_the_model_budget_by_whole_sentences(clip_tokenizer, t5_tokenizer, budget):
    concept = mittens_concept()
    prompt = compile_prompt(concept, clip_tokenizer=clip_tokenizer, t5_tokenizer=t5_tokenizer, t5_budget=budget)

    assert prompt.t5_tokens == tokens(t5_tokenizer, prompt.t5) <= budget
    scene = sentences(describe(concept))
    kept = sentences(prompt.t5)
    assert [sentence for sentence in scene if sentence in kept] == kept  # whole sentences, in reading order
    assert concept.moment + "." in kept and "Cinematic photo." in kept
    assert any(sentence.startswith("Mittens the cat:") for sentence in kept)
    assert any(sentence.startswith("Giant ball of yarn:") for sentence in kept)


def test_t5_prompt_keeps_everything_when_it_fits_and_trims_least_important_first(clip_tokenizer, t5_tokenizer):
    concept = mittens_concept()
    full = describe(concept)
    assert tokens(t5_tokenizer, full) <= 512 < tokens(t5_tokenizer, full) * 2

    roomy = compile_prompt(concept, clip_tokenizer=clip_tokenizer, t5_tokenizer=t5_tokenizer, t5_budget=512)
    tight = compile_prompt(
        concept, clip_tokenizer=clip_tokenizer, t5_tokenizer=t5_tokenizer, t5_budget=tokens(t5_tokenizer, full) - 1
    )

    assert roomy.t5 == full
    assert tight.t5 == full.replace(" Composition: " + concept.style.composition + ".", "")


def test_a_hero_too_long_for_the_budget_is_cut_at_a_word_boundary(clip_tokenizer, t5_tokenizer):
    prompt = compile_prompt(mittens_concept(), clip_tokenizer=clip_tokenizer, t5_tokenizer=t5_tokenizer, t5_budget=12)

    assert prompt.t5_tokens <= 12
    assert prompt.t5.startswith("Mittens the cat:")
    assert "Mittens the cat: small fluffy cat in a red satin cape".startswith(prompt.t5)


def test_the_caption_is_never_painted(clip_tokenizer, t5_tokenizer):
    concept = mittens_concept()
    concept.caption = Caption(text=MITTENS_CAPTION, setup="When the yarn fights back", lettering="meme")

    prompt = compile_prompt(concept, clip_tokenizer=clip_tokenizer, t5_tokenizer=t5_tokenizer, t5_budget=512)

    for text in (prompt.t5, prompt.clip, describe(concept)):
        assert MITTENS_CAPTION not in text and "Nine lives" not in text
        assert "yarn fights back" not in text


def test_sign_text_is_painted_as_short_quoted_text(clip_tokenizer, t5_tokenizer):
    concept = mittens_concept()
    prompt = compile_prompt(concept, clip_tokenizer=clip_tokenizer, t5_tokenizer=t5_tokenizer, t5_budget=512)
    assert 'A sign that reads "KNIT HAPPENS".' in prompt.t5

    concept.sign_text = 'NO "YARN" ZONE'
    assert "A sign that reads \"NO 'YARN' ZONE\"." in describe(concept)

    concept.sign_text = None
    assert "sign" not in describe(concept)


def test_a_subject_brings_its_traits_and_its_lora_trigger_word(clip_tokenizer, t5_tokenizer):
    concept = mittens_concept()
    plain = compile_prompt(concept, clip_tokenizer=clip_tokenizer, t5_tokenizer=t5_tokenizer, t5_budget=512)
    personal = compile_prompt(
        concept,
        clip_tokenizer=clip_tokenizer,
        t5_tokenizer=t5_tokenizer,
        t5_budget=512,
        subjects=[mittens_subject(trigger="mttnz")],
    )

    assert "orange tabby" not in plain.t5 and "mttnz" not in plain.t5
    assert personal.clip.startswith("mttnz Mittens the cat, giant ball of yarn")
    assert "mttnz Mittens the cat: orange tabby, one white front paw, green eyes, small fluffy cat" in personal.t5
    assert personal.clip_tokens <= CLIP_MAX_TOKENS and personal.t5_tokens <= 512


def test_a_subject_is_found_by_alias_and_traits_come_without_a_trigger():
    concept = mittens_concept()
    concept.cast[0].subject = "mitty"

    text = describe(concept, [mittens_subject()])

    assert "Mittens the cat: orange tabby, one white front paw, green eyes," in text


class MergingTokenizer:
    """A tokenizer that merges across spaces and commas (one token per four characters, whatever they are).

    CLIP's and T5's tokenizers count a joined text as the sum of its parts, which the compiler plans
    with; a tokenizer that does not must still get prompts within budget, fitted phrase by phrase.
    """

    model_max_length = 77

    def __call__(self, texts, verbose=False):
        return {"input_ids": [[0] * self.count(text) for text in texts]}

    @staticmethod
    def count(text: str) -> int:
        return 1 + -(-len(text) // 4)  # an end token, then a token per four characters, rounded up


@pytest.mark.parametrize("budget", [20, 40, 80])
def test_a_tokenizer_that_merges_across_phrases_still_gets_prompts_within_budget(budget):
    tokenizer = MergingTokenizer()
    prompt = compile_prompt(mittens_concept(), clip_tokenizer=tokenizer, t5_tokenizer=tokenizer, t5_budget=budget)

    assert prompt.t5_tokens == tokenizer.count(prompt.t5) <= budget
    assert prompt.clip_tokens == tokenizer.count(prompt.clip) <= CLIP_MAX_TOKENS
    assert prompt.clip.startswith("Mittens the cat")
    assert "Mittens the cat:" in prompt.t5
