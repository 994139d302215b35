"""Concept -> Flux prompts.

FLUX.1 reads a prompt twice. CLIP (`pipe.tokenizer`) sees 77 tokens only, start and end tokens
included, and steers the overall look, so its prompt is a short list of tags with the hero, the foil
and the style first. T5 (`pipe.tokenizer_2`) reads the whole scene, up to the model's
`max_sequence_length` (256 for schnell, 512 for dev). Both are fitted by whole phrases, most
important first, counted with the pipeline's own tokenizers, so the encoders never cut one mid-word.

The caption is never part of a prompt: the letterer sets it in real type. Only `sign_text`, short by
contract, is painted, quoted, because Flux renders short quoted text well.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sightgag.concept import CastMember, Concept
from sightgag.subjects import Subject

CLIP_MAX_TOKENS = 77


@dataclass(frozen=True)
class FluxPrompt:
    """The two prompts FluxPipeline takes: `prompt` (CLIP) and `prompt_2` (T5), with their token counts."""

    t5: str
    clip: str
    t5_tokens: int
    clip_tokens: int


@dataclass(frozen=True)
class _Phrase:
    text: str
    keep: int  # importance: when the budget is short, the least important phrases are left out


def describe(concept: Concept, subjects: Sequence[Subject] = ()) -> str:
    """The whole scene as plain prose: an image prompt for hosted models, and the record of what was asked."""
    return _join_sentences(_scene_phrases(concept, subjects))


def compile_prompt(
    concept: Concept,
    *,
    clip_tokenizer,
    t5_tokenizer,
    t5_budget: int,
    subjects: Sequence[Subject] = (),
) -> FluxPrompt:
    """Both Flux prompts for `concept`, each within its encoder's token budget.

    `clip_tokenizer` and `t5_tokenizer` are the pipeline's `tokenizer` and `tokenizer_2`; `t5_budget`
    is the `max_sequence_length` the pipeline is called with. Budgets count special tokens.
    """
    clip_budget = min(CLIP_MAX_TOKENS, clip_tokenizer.model_max_length)
    clip, clip_tokens = _fit(_tag_phrases(concept, subjects), _join_tags, clip_tokenizer, clip_budget)
    t5, t5_tokens = _fit(_scene_phrases(concept, subjects), _join_sentences, t5_tokenizer, t5_budget)
    return FluxPrompt(t5=t5, clip=clip, t5_tokens=t5_tokens, clip_tokens=clip_tokens)


def _scene_phrases(concept: Concept, subjects: Sequence[Subject]) -> list[_Phrase]:
    """Sentences in reading order, for T5 and for `describe`."""
    style = concept.style
    phrases = [_Phrase(_sentence(style.medium), 80)]
    if style.references:
        phrases.append(_Phrase(_sentence("in the style of " + _and(style.references)), 45))
    for member in concept.cast:
        keep = {"hero": 100, "foil": 85, "extra": 30}[member.role]
        subject = _subject_of(member, subjects)
        portrait = _portrait(member, subject)
        # A LoRA trigger word must reach the encoder exactly as it was trained, lower case included.
        sentence = portrait + "." if subject and subject.trigger else _sentence(portrait)
        phrases.append(_Phrase(sentence, keep))
    phrases.append(_Phrase(_sentence(concept.moment), 90))
    phrases.append(_Phrase(_sentence("setting: " + concept.setting), 70))
    if concept.sign_text:
        phrases.append(_Phrase(_sentence(_sign(concept.sign_text)), 65))
    for label, value, keep in [
        ("lighting", style.lighting, 50),
        ("colour palette", style.palette, 35),
        ("camera", style.camera, 40),
        ("composition", style.composition, 20),
    ]:
        if value:
            phrases.append(_Phrase(_sentence(f"{label}: {value}"), keep))
    return phrases


def _tag_phrases(concept: Concept, subjects: Sequence[Subject]) -> list[_Phrase]:
    """Short tags for CLIP: who, against whom, in which style, then the rest."""
    style = concept.style
    hero = concept.hero
    hero_subject = _subject_of(hero, subjects)
    phrases = [_Phrase(_who(hero, hero_subject), 100)]
    phrases += [_Phrase(_who(foil, _subject_of(foil, subjects)), 90) for foil in concept.foils]
    phrases.append(_Phrase(style.medium, 85))
    phrases += [_Phrase(reference, 80) for reference in style.references]
    if hero_subject and hero_subject.traits:
        phrases.append(_Phrase(", ".join(hero_subject.traits), 75))
    phrases.append(_Phrase(_strip(concept.moment), 60))
    if hero.appearance:
        phrases.append(_Phrase(_strip(hero.appearance), 58))
    phrases.append(_Phrase(_strip(concept.setting), 55))
    if concept.sign_text:
        phrases.append(_Phrase(_sign(concept.sign_text), 50))
    phrases += [_Phrase(_strip(value), keep) for value, keep in [(style.lighting, 40), (style.palette, 35)] if value]
    phrases += [_Phrase(_strip(value), keep) for value, keep in [(style.camera, 30), (style.composition, 20)] if value]
    return phrases


def _who(member: CastMember, subject: Subject | None) -> str:
    """'Mittens the cat', with the subject's LoRA trigger word in front when it has one."""
    name = member.name
    kind = member.kind or (subject.kind if subject else "")
    # "giant ball of yarn the yarn ball" says nothing new: add the kind only when the name lacks it.
    if kind and not set(kind.lower().split()) <= set(name.lower().split()):
        name = f"{name} the {kind}"
    if subject and subject.trigger:
        name = f"{subject.trigger} {name}"
    return name


def _portrait(member: CastMember, subject: Subject | None) -> str:
    details = list(subject.traits) if subject else []
    details += [_strip(text) for text in (member.appearance, member.expression, member.pose) if text]
    if member.props:
        details.append("with " + _and(member.props))
    who = _who(member, subject)
    return f"{who}: {', '.join(details)}" if details else who


def _subject_of(member: CastMember, subjects: Sequence[Subject]) -> Subject | None:
    if not member.subject:
        return None
    wanted = member.subject.casefold()
    for subject in subjects:
        if wanted in {name.casefold() for name in [subject.name, *subject.aliases]}:
            return subject
    return None


def _sign(text: str) -> str:
    # Straight double quotes delimit the painted text; any inside it would end the quote early.
    return 'a sign that reads "{}"'.format(text.replace('"', "'"))


def _fit(phrases: list[_Phrase], join, tokenizer, budget: int) -> tuple[str, int]:
    """Join the most important `phrases` that fit `budget` together, in their reading order; and its token count.

    The most important phrase is always there. The others are tried in order of importance and each
    is kept if the text still fits, so a short phrase of little weight can use the room a long one left.
    """
    order = sorted(range(len(phrases)), key=lambda index: -phrases[index].keep)
    first = phrases[order[0]]
    if _count(tokenizer, first.text) > budget:
        # Only a hero described at absurd length gets here: cut it at a word boundary.
        words = first.text.split()
        while len(words) > 1 and _count(tokenizer, " ".join(words)) > budget:
            words.pop()
        text = " ".join(words)
        return text, _count(tokenizer, text)

    # CLIP's and T5's tokenizers split at spaces and punctuation before they merge, so a joined text
    # counts what its parts count. Plan with the parts, counted in one batch, and check the plan with
    # one real count: a handful of tokenizer calls, not one per phrase. Only a tokenizer that merges
    # across the joins (none that Flux uses) takes the slow road, counting every trial for real.
    empty = _Phrase("", 0)
    specials, *alone = _counts(tokenizer, ["", join([empty, empty]), *(phrase.text for phrase in phrases)])
    separator = alone.pop(0) - specials

    def planned(indices: list[int]) -> int:
        return specials + sum(alone[i] - specials for i in indices) + separator * (len(indices) - 1)

    def real(indices: list[int]) -> int:
        return _count(tokenizer, join([phrases[i] for i in indices]))

    kept = _most_important_that_fit(order, planned, budget)
    tokens = real(kept)
    if tokens > budget or tokens != planned(kept):
        kept = _most_important_that_fit(order, real, budget)
        tokens = real(kept)
    return join([phrases[i] for i in kept]), tokens


def _most_important_that_fit(order: list[int], count, budget: int) -> list[int]:
    """The phrases kept, tried in order of importance, each kept if the text still fits; in reading order."""
    kept = [order[0]]
    for index in order[1:]:
        trial = sorted([*kept, index])
        if count(trial) <= budget:
            kept = trial
    return kept


def _count(tokenizer, text: str) -> int:
    return _counts(tokenizer, [text])[0]


def _counts(tokenizer, texts: list[str]) -> list[int]:
    # verbose=False: counting a too-long text is the point here, not a mistake to warn about.
    return [len(ids) for ids in tokenizer(texts, verbose=False)["input_ids"]]


def _join_sentences(phrases: list[_Phrase]) -> str:
    return " ".join(phrase.text for phrase in phrases)


def _join_tags(phrases: list[_Phrase]) -> str:
    return ", ".join(phrase.text for phrase in phrases)


def _sentence(text: str) -> str:
    text = _strip(text)
    return text[:1].upper() + text[1:] + "."


def _strip(text: str) -> str:
    return text.strip().rstrip(".;,: ")


def _and(items: Sequence[str]) -> str:
    items = [_strip(item) for item in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
