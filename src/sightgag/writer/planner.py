"""Read a casual request into the parts a visual joke is built from: hero, role, action, foil, setting.

    plan = plan_request("my cat Mittens as a superhero fighting a giant ball of yarn", subjects)
    plan.hero.name, plan.role, plan.foil.kind, plan.scale  # "Mittens", "superhero", "yarn", "giant"

It is a small rule-based reader for the way people phrase these requests ("X as a Y", "X doing Y about
Z", "X vs Y", "X in the kitchen"), not a general parser: whatever it cannot place stays in `action`,
and the writer invents what is missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lemminflect import getAllLemmas

from sightgag.subjects import Subject
from sightgag.writer.grammar import article, is_inflected_verb, is_plural, past_participle, singular, verb_lemma
from sightgag.writer.languages import gloss
from sightgag.writer.scenes import Scene, describe_place, find_scene

# What kinds of hero there are, for choosing devices and lines. Plurals are singularised first.
ANIMALS = frozenset(
    "cat kitten kitty dog puppy pup doggo hamster goose duck duckling parrot rabbit bunny horse pony cow pig "
    "goat sheep chicken hen rooster squirrel raccoon bear fox owl pigeon seagull llama alpaca penguin frog toad "
    "turtle tortoise fish goldfish snake lizard gecko hedgehog ferret mouse rat corgi pug poodle labrador "
    "retriever chihuahua dachshund beagle husky shiba terrier bulldog collie tabby monkey gorilla elephant "
    "giraffe lion tiger shark dinosaur sloth capybara otter crab lobster octopus bee ant spider bird cockatoo "
    "budgie donkey moose deer badger beaver kangaroo koala panda walrus seal whale dolphin unicorn dragon".split()
)
DOGS = frozenset(
    "dog puppy pup doggo corgi pug poodle labrador retriever chihuahua dachshund beagle husky shiba terrier "
    "bulldog collie".split()
)
CATS = frozenset("cat kitten kitty tabby".split())
FAMILY = {
    "grandma": "grandma",
    "granny": "grandma",
    "nana": "grandma",
    "nan": "grandma",
    "nonna": "grandma",
    "abuela": "grandma",
    "oma": "grandma",
    "grandmother": "grandma",
    "grandpa": "grandpa",
    "grandad": "grandpa",
    "granddad": "grandpa",
    "abuelo": "grandpa",
    "opa": "grandpa",
    "nonno": "grandpa",
    "grandfather": "grandpa",
    "mom": "mom",
    "mum": "mom",
    "mother": "mom",
    "mama": "mom",
    "dad": "dad",
    "father": "dad",
    "papa": "dad",
    "aunt": "aunt",
    "auntie": "aunt",
    "uncle": "uncle",
    "cousin": "cousin",
    "sister": "sister",
    "brother": "brother",
    "wife": "wife",
    "husband": "husband",
    "son": "son",
    "daughter": "daughter",
    "baby": "baby",
    "kid": "kid",
    "niece": "niece",
    "nephew": "nephew",
    "boyfriend": "boyfriend",
    "girlfriend": "girlfriend",
    "partner": "partner",
}
ELDERS = frozenset({"grandma", "grandpa"})
# English puts these before a name as a title ("Grandma Rosa", "Uncle Bob"); every other relation is said
# about someone ("my son Leo"): the name is Leo, and "my son" describes him.
TITLES = frozenset(
    "grandma granny nana nan nonna abuela oma grandpa grandad granddad abuelo opa nonno aunt auntie uncle".split()
)
PEOPLE = frozenset(
    "boss coworker colleague friend neighbor neighbour roommate teacher intern manager landlord barista mailman "
    "postman plumber dentist doctor nurse accountant lawyer chef man woman guy lady person baby toddler kid "
    "teenager student professor coach trainer wizard knight pirate ninja cowboy astronaut king queen twin "
    "child boy girl bride groom tourist".split()
)
COWORKERS = frozenset("boss coworker colleague intern manager accountant".split())
DEPARTMENTS = frozenset("accounting hr it marketing sales legal payroll finance engineering support ops".split())
# A bare name is usually a person; these are usually pets.
PET_NAMES = {
    **dict.fromkeys(
        "mittens whiskers fluffy snowball garfield felix tiger simba nala oreo pickles muffin "
        "salem smudge socks tigger luna cleo".split(),
        "cat",
    ),
    **dict.fromkeys(
        "biscuit rex fido spot buddy scooby lassie rover bingo charlie bruno waffles pepper".split(), "dog"
    ),
}
SCALE_WORDS = {
    "giant": "giant",
    "huge": "giant",
    "enormous": "giant",
    "massive": "giant",
    "colossal": "giant",
    "gigantic": "giant",
    "humongous": "giant",
    "towering": "giant",
    "monstrous": "giant",
    "mega": "giant",
    "tiny": "tiny",
    "miniature": "tiny",
    "mini": "tiny",
    "microscopic": "tiny",
    "teeny": "tiny",
    "itty-bitty": "tiny",
}
DETERMINERS = frozenset("a an the this that these those some my our your his her their its one".split())
ADJECTIVES = frozenset(
    "angry evil suspicious sentient haunted small big old young little fat fluffy grumpy sleepy lazy cute "
    "orange black white grey gray brown red blue green golden fancy brave fierce smug confused nervous "
    "mysterious wild crazy mad very rogue rebellious villainous".split()
)
# "a ball of yarn" is about the yarn.
MEASURES = frozenset(
    "ball pile bag box stack cup bowl plate slice piece herd flock swarm army pack horde gang bunch mountain "
    "sea can jar bottle heap tower wall crate bucket loaf panel crowd team group row crew".split()
)

# Verbs whose object is the foil (fighting X) and verbs whose object is an activity (giving a talk).
CONFRONT_VERBS = frozenset(
    "fight battle chase attack argue face flee escape hunt stalk wrestle box challenge defeat interview confront "
    "sue date marry negotiate stare scold judge hug tame feed eat steal ignore race debate interrogate train "
    "rescue befriend meet annoy haunt herd bark yell glare hiss growl shout scream laugh point guard ambush "
    "outsmart duel vs take walk destroy conquer investigate arrest pet bite stop save defend protect".split()
)
ACTIVITY_VERBS = frozenset(
    "give win run do host attend play make have compete perform lead organize organise present star teach cook "
    "bake file plan throw celebrate learn study open close audition apply ride drive fly pilot sing dance paint "
    "write read practice practise go join visit start launch build fix lose try".split()
)
FINITE_VERBS = frozenset(
    "fights battles takes gives wins runs meets becomes tries learns discovers invents hosts teaches plays rides "
    "eats steals chases attends goes gets does makes loses finds starts opens joins visits applies argues sues "
    "marries dates interviews confronts faces explains presents reviews judges rescues saves defends guards "
    "hunts wrestles throws cooks bakes paints sings dances drives flies builds fixes files walks trains hates "
    "loves refuses demands negotiates competes performs leads".split()
)
NOT_GERUNDS = frozenset(
    "thing king ring string ceiling morning evening wedding pudding darling sibling spring wing swing "
    "nothing something anything everything sing bring sting sling icing stuffing clothing earring viking "
    "duckling ping boing bling accounting marketing engineering offering meeting".split()
)
WEARABLES = frozenset(
    "tuxedo suit costume dress hat tutu armor armour wig cape helmet sweater onesie uniform pajamas pyjamas "
    "sunglasses crown tie scarf boots bowtie".split()
)
VEHICLES = frozenset(
    "skateboard motorcycle bike bicycle horse unicycle roomba surfboard skis scooter tractor segway".split()
)
# After these, "at/with/to/from X" is what the action is aimed at: "barking at the mailman".
AIMED_PREPOSITIONS = frozenset({"at", "with", "to", "from", "against", "for", "into", "over", "off", "down", "of"})
PLACE_PREPOSITIONS = frozenset({"in", "at", "on", "inside", "under", "near", "aboard", "atop", "outside", "during"})
# "in love", "on strike": states, not places; they read as what the hero is doing.
NOT_PLACES = frozenset({"love", "charge", "denial", "trouble", "disguise", "strike", "fire", "time", "vain", "therapy"})
# Words after which an -ing word is a noun or an adjective: "a skateboarding contest", "the living room".
NOUN_CONTEXT = DETERMINERS | {"from", "of", "for", "to", "in", "on", "at", "into", "and"}
CALENDAR = frozenset("monday tuesday wednesday thursday friday saturday sunday mondays christmas january".split())


@dataclass
class Character:
    """One participant as captions and the painter need it."""

    name: str  # the cast name: "Mittens", "Grandma Rosa", "Dave", "Me", "toaster"
    label: str  # how a caption calls it: "Mittens", "Grandma Rosa", "Dave from accounting", "the toaster"
    kind: str  # "cat", "grandma", "office worker", "toaster"
    subject: str | None = None  # the personal subject's exact name
    traits: list[str] = field(default_factory=list)
    descriptors: list[str] = field(default_factory=list)  # "fat", "orange": for the appearance
    plural: bool = False
    phrase: str = ""  # as the request put it: "a giant ball of yarn"
    relation: str = ""  # who the hero is to the asker, as a description: "my son" (of Leo)

    @property
    def groups(self) -> set[str]:
        """What lines and devices fit it: cat, dog, animal, person, elder, coworker, me, object."""
        kind = self.kind.lower()
        groups: set[str] = set()
        if kind in CATS:
            groups |= {"cat", "animal"}
        elif kind in DOGS:
            groups |= {"dog", "animal"}
        elif kind in ANIMALS or kind.split()[-1:] and kind.split()[-1] in ANIMALS:
            groups.add("animal")
        elif kind in FAMILY.values() or kind in PEOPLE or kind in {"person", "office worker", "me"}:
            groups.add("person")
            if kind in ELDERS:
                groups.add("elder")
            if kind in COWORKERS or kind == "office worker":
                groups.add("coworker")
            if self.name == "Me":
                groups.add("me")
        else:
            groups.add("object")
        return groups

    @property
    def proper(self) -> bool:
        """Called by a name ("Zoë"), not a noun ("the pigeon")."""
        return self.label == self.name and self.name[:1].isupper() and self.name != "Me"

    @property
    def is_person(self) -> bool:
        return "person" in self.groups

    @property
    def possessive(self) -> str:
        if self.name == "Me":
            return "my"
        return self.label + ("'" if self.label.endswith("s") else "'s")


@dataclass
class Plan:
    """What the request asks for; None where it says nothing."""

    request: str
    hero: Character
    role: str | None = None  # "superhero"
    action: str | None = None  # "fighting a giant ball of yarn"
    activity: str | None = None  # "TED talk"
    foil: Character | None = None
    topic: str | None = None  # "squirrels"
    place: str | None = None  # "the kitchen"
    place_preposition: str = "in"  # as the request said it: "at the gym"
    props: list[str] = field(default_factory=list)
    scale: str | None = None  # "giant" or "tiny": the size the request gave the foil
    scene: Scene | None = None
    others: list[Character] = field(default_factory=list)  # more cast the request named
    language: str | None = None  # the request's language when it is not English ("Spanish"): read through a gloss
    reading: str = ""  # the request as the planner read it: in English, asides left out

    @property
    def doing(self) -> str:
        """What the hero is doing, in the request's words: "as a superhero fighting a giant ball of yarn"."""
        parts = []
        if self.role:
            parts.append(f"as {_with_article(self.role)}")
        if self.action:
            parts.append(self.action)
        if self.topic and self.action and "about" not in self.action:
            parts.append(f"about {self.topic}")
        if self.foil and not self.action and self.foil.phrase:
            parts.append(f"versus {self.foil.phrase}")
        if self.place:
            parts.append(f"{self.place_preposition} {self.place}")
        return " ".join(parts)


@dataclass
class _Segment:
    kind: str  # head, role, action, foil, topic, with, place, wear
    marker: str = ""
    words: list[str] = field(default_factory=list)


def plan_request(request: str, subjects: list[Subject] | None = None) -> Plan:
    """Read `request` into a Plan; the hero is always found (at worst, the request's first words)."""
    subjects = subjects or []
    english, language = gloss(request)
    # An aside about the hero (", a retired accountant who irons his socks,") describes, it does not act.
    english = _APPOSITIVE.sub(" ", english)
    english = _CALLED.sub("", english)  # "a hamster called Nibbles" is Nibbles the hamster
    words = _words(english)
    segments = _segment(words)

    head = segments[0].words if segments[0].kind == "head" else []
    hero, partner = _parse_head(head, subjects)
    plan = Plan(request=request, hero=hero, language=language, reading=english)
    if partner:
        plan.others.append(partner)

    for segment in segments[1:]:
        text = " ".join(segment.words)
        if segment.kind == "role":
            # "as a royal guard who is very bad at standing still": the role is the royal guard
            cut = next((i for i, word in enumerate(segment.words) if i and word.lower() in _RELATIVES), None)
            plan.role = plan.role or _strip_determiners(segment.words[:cut]) or None
        elif segment.kind == "foil" and _can_be_foil(segment.words):
            plan.foil = plan.foil or parse_character(segment.words, subjects)
        elif segment.kind == "topic" and segment.words:
            plan.topic = plan.topic or " ".join(_strip_determiners(segment.words).split())
        elif segment.kind == "place" and segment.words and not plan.place:
            plan.place_preposition = segment.marker
            plan.place = _with_article(" ".join(_strip_determiners(segment.words).split()[-3:]), definite=True)
        elif segment.kind == "wear" and segment.words:
            plan.props.append(_strip_determiners(segment.words))
        elif segment.kind == "with" and segment.words:
            thing = parse_character(segment.words, subjects)
            if thing.is_person or "animal" in thing.groups or thing.subject:
                plan.others.append(thing)
            else:
                plan.props.append(_strip_determiners(segment.words))
        elif segment.kind == "action":
            _read_action(plan, segment, subjects)
        elif segment.kind in {"head", "clause"} and text:
            plan.action = _join(plan.action, text)

    # A topic is what a talk is against; a named partner ("José and Zoë") is the foil of last resort.
    if plan.foil is None and plan.topic:
        words = plan.topic.split()
        if words[0].lower() in _QUESTION_WORDS:  # "who gets the sunny spot": the sunny spot is at stake
            at = next((i for i, word in enumerate(words) if word.lower() in DETERMINERS), None)
            words = words[at:] if at is not None else []
        if _can_be_foil(words):
            plan.foil = parse_character(words, subjects)
    # "Mittens and Rex sharing a bed": the second hero plays against the first; the bed is only a prop.
    if partner is not None and plan.foil is not None and not (plan.foil.is_person or "animal" in plan.foil.groups):
        plan.props.append(plan.foil.label.removeprefix("the "))
        plan.foil = None
    if plan.foil is None and plan.others:
        plan.foil = plan.others.pop(0)
    if plan.foil is not None:
        plan.scale = _scale_of(plan.foil.phrase)
    if plan.scale is None and re.search(r"\b(shrunk|shrunken|tiny|miniature)\b", " ".join(head).lower()):
        plan.scale = "tiny-hero"
    # The hero's own words stay out of it: "Dave from accounting" is not about taxes.
    rest = " ".join(" ".join(segment.words) for segment in segments[1:])
    plan.scene = find_scene(plan.role or "", plan.activity or "", plan.action or "", plan.place or "", rest)
    return plan


_CALLED = re.compile(r"\b(?:called|named)\s+(?=[A-Z])")
_TIME = re.compile(r"\d[\w:.]*|dawn|noon|midnight|night|sunrise|sunset|daybreak|o'clock")
_APPOSITIVE = re.compile(r",\s*(?:who|which|whose|a|an|the)\b[^,]*,")


def _words(request: str) -> list[str]:
    # Keep apostrophes and hyphens inside words ("Zoë's", "ill-advised"); drop other punctuation.
    return re.findall(r"[^\W_](?:[\w'’-]*[^\W_])?\.?|[&]", request.replace("’", "'"))


def _segment(words: list[str]) -> list[_Segment]:
    """Split the request at the words that start a new part: as, vs, about, with, in, and verbs."""
    segments = [_Segment("head")]
    for index, word in enumerate(words):
        lower = word.lower().rstrip(".")
        current = segments[-1]
        following = words[index + 1].lower() if index + 1 < len(words) else ""
        bare_action = current.kind == "action" and len(current.words) == 1
        if current.kind == "topic" and (current.words[0].lower() if current.words else lower) in _QUESTION_WORDS:
            current.words.append(word)  # "about who gets the sunny spot": the whole question is the topic
        elif lower in {"as", "is", "becomes", "becoming"} and following in {"a", "an", "the"} | {""} or lower == "as":
            segments.append(_Segment("role", lower))
        elif lower in {"vs", "versus", "against", "v"} and not bare_action:
            segments.append(_Segment("foil", lower))
        elif lower == "about":
            segments.append(_Segment("topic", lower))
        elif lower in {"wearing", "holding", "carrying"}:
            segments.append(_Segment("wear", lower))
        elif bare_action and lower in AIMED_PREPOSITIONS:
            current.words.append(word)
        elif lower == "with" and current.kind != "action":
            segments.append(_Segment("with", lower))
        elif lower in PLACE_PREPOSITIONS and following in NOT_PLACES:
            segments.append(_Segment("action", lower, [word]))
        elif lower in PLACE_PREPOSITIONS and _TIME.fullmatch(following):
            current.words.append(word)  # "mowing his lawn at 7am": a time, not a place
        elif lower in PLACE_PREPOSITIONS and following and current.kind != "topic":
            kind = (
                "wear"
                if following in WEARABLES or (words[index + 2 : index + 3] and words[index + 2].lower() in WEARABLES)
                else "place"
            )
            if following in VEHICLES or words[index + 2 : index + 3] and words[index + 2].lower() in VEHICLES:
                kind = "wear"
            segments.append(_Segment(kind, lower))
        elif current.kind == "head" and current.words and lower in _RELATIVES:
            # "a ghost who is scared of the dark", "a wizard whose spells only summon pigeons": a clause about the hero
            if following in {"is", "are", "was"}:
                continue
            segments.append(_Segment("clause", lower))
        elif current.kind == "head" and lower in {"is", "are"} and words[index - 1].lower() in _RELATIVES:
            continue
        elif current.kind in {"head", "clause"} and current.words and _adjective_before_object(lower, following):
            segments.append(_Segment("action", lower, [word]))  # "a knight afraid of a tiny spider"
        elif current.kind == "head" and word[:1].islower() and _is_adverb(lower):
            continue  # "Mittens finally confronting": the manner is not part of who she is
        elif (
            _is_verb(lower, previous=words[index - 1].lower() if index else "", following=following)
            or _verb_after_name(word, current, following)
        ) and (current.kind != "head" or current.words):
            segments.append(_Segment("action", lower, [word]))
        elif lower in {"and", "who", "that", "which", "while"} and _is_verb(following, previous=lower):
            continue
        else:
            current.words.append(word)
    return [segment for segment in segments if segment.words or segment.kind == "head"]


def _verb_after_name(word: str, current: _Segment, following: str) -> bool:
    """ "Karen stuck in traffic", "my dog saved from the Roomba": a verb form after a name or a noun ends it."""
    if current.kind != "head" or not current.words or not word[:1].islower() or not is_inflected_verb(word):
        return False
    previous = current.words[-1].lower()
    after_noun = (
        _is_past_participle(word)  # "saved", and the irregular "stuck", "caught", "frozen"
        and following in {"from", "by", "in", "at", "on", "with", "into", "under", "up", "inside", "behind", "between"}
        and previous not in DETERMINERS
        and "NOUN" in getAllLemmas(previous)
    )
    return current.words[-1][:1].isupper() or after_noun


def _is_past_participle(word: str) -> bool:
    lemma = verb_lemma(word)
    return word.endswith("ed") or (lemma is not None and past_participle(lemma) == word)


_RELATIVES = frozenset({"who", "whose", "that", "which"})


def _doing_after_noun(words: list[str], index: int) -> bool:
    """ "a seagull stealing lunch": a verb in -ing after a noun says what the thing is doing, not what it
    is. After an adjective it is part of a compound noun: "an old washing machine"."""
    word, previous = words[index].lower(), words[index - 1].lower()
    tags = getAllLemmas(previous)
    noun = "NOUN" in tags or singular(previous) in ANIMALS  # lemminflect's lexicon lacks "seagull"
    return word.endswith("ing") and _is_verb(word) and noun and "ADJ" not in tags


def _adjective_before_object(word: str, following: str) -> bool:
    tags = getAllLemmas(word)
    adjective = "ADJ" in tags or word.endswith("ed") and is_inflected_verb(word)  # "afraid", "scared"
    return following in {"of", "about", "at", "with"} and adjective and "NOUN" not in tags


def _is_adverb(word: str) -> bool:
    """ "finally", "extremely": a manner word; short ones ("in", "up") are particles as often as adverbs."""
    return word.endswith("ly") and set(getAllLemmas(word)) == {"ADV"}


def _is_verb(word: str, previous: str = "", following: str = "") -> bool:
    if previous in NOUN_CONTEXT and previous != "and":
        return False
    if word in FINITE_VERBS:
        return True
    if word.endswith("ing"):
        return len(word) > 4 and word not in NOT_GERUNDS
    # "Mittens knocks a glass": a word in -s between a name and an article is a verb.
    return (
        len(word) > 3
        and word.endswith("s")
        and not word.endswith("ss")
        and following in DETERMINERS
        and previous[:1].isalpha()
        and previous not in DETERMINERS
        and word not in ANIMALS
    )


def verb_stems(verb: str) -> set[str]:
    """The word and its base verb: running -> run, chases -> chase, tries -> try."""
    verb = verb.lower()
    return {verb, verb_lemma(verb) or verb}


def _read_action(plan: Plan, segment: _Segment, subjects: list[Subject]) -> None:
    verb, rest = segment.words[0], segment.words[1:]
    stems = verb_stems(verb)
    if verb.lower() in {"in", "on"} and plan.action and " " not in plan.action:
        plan.action = f"{plan.action} {' '.join(segment.words)}"  # "falling in love with ..."
    else:
        plan.action = _join(plan.action, " ".join(segment.words))
    # The object starts after the preposition the verb aims with ("arguing with", "in love with"),
    # unless an article comes first ("fighting a pigeon at dawn").
    lowered = [word.lower() for word in rest]
    aimed_at = next((i for i, word in enumerate(lowered) if word in AIMED_PREPOSITIONS), None)
    first_article = next((i for i, word in enumerate(lowered) if word in DETERMINERS), len(lowered))
    aimed = aimed_at is not None and aimed_at <= first_article
    obj = rest[aimed_at + 1 :] if aimed else rest
    while obj and obj[0].lower() in _PARTICLES:
        obj = obj[1:]
    _find_place_in(plan, obj)
    if verb.lower() in {"in", "on"}:  # "on strike", "in love": a state, and maybe who it is with
        if not aimed:
            return
    if not obj:
        return
    if stems & INFINITIVE_VERBS and aimed and lowered[aimed_at] == "to" and aimed_at == 0 and len(obj) > 1:
        # "trying to assemble IKEA furniture": what is done, and to what, is in the infinitive.
        action = plan.action
        _read_action(plan, _Segment("action", obj[0].lower(), obj), subjects)
        plan.action = action
        return
    # "defending the seeds from the pigeons": the pigeons are the foil, the seeds are at stake.
    lowered_obj = [word.lower() for word in obj]
    if stems & _PROTECT_VERBS and "from" in lowered_obj[1:] and plan.foil is None:
        plan.foil = parse_character(obj[lowered_obj.index("from", 1) + 1 :], subjects)
        return
    # "losing a staring contest to a pigeon", "an argument with the vacuum": the contest, and who it is with.
    contest = _contest_and_opponent(obj, stems)
    if contest is not None:
        plan.activity = plan.activity or _strip_determiners(contest[0])
        if plan.foil is None and _can_be_foil(contest[1]):
            plan.foil = parse_character(contest[1], subjects)
        return
    # "losing to the GPS": whoever you lose to is the foil.
    opponent = aimed and (lowered[aimed_at] in {"at", "with", "against", "from"} or "lose" in stems)
    if stems & ACTIVITY_VERBS and not opponent:
        plan.activity = plan.activity or _strip_determiners(obj)
    elif plan.foil is None and _can_be_foil(obj):
        plan.foil = parse_character(obj, subjects)


CONTESTS = frozenset(
    "contest race match game argument fight battle duel war debate standoff showdown competition feud bet".split()
)


def _contest_and_opponent(words: list[str], stems: set[str]) -> tuple[list[str], list[str]] | None:
    """ "a staring contest | a pigeon" in "losing a staring contest to a pigeon": what is contested and with
    whom, when a contest is named before "with", "against", or "to" after a verb of losing."""
    lowered = [word.lower() for word in words]
    for index in range(1, len(words) - 1):
        marker = lowered[index]
        aimed = marker in {"with", "against"} or marker == "to" and "lose" in stems
        if aimed and singular(lowered[index - 1]) in CONTESTS:
            return words[:index], words[index + 1 :]
    return None


def _can_be_foil(words: list[str]) -> bool:
    """ "beating everyone", "falling asleep", "vs a": no one and nothing to stand against."""
    if all(word.lower() in DETERMINERS for word in words):
        return False
    if len(words) != 1:
        return True
    word = words[0]
    tags = getAllLemmas(word.lower())
    return word.lower() not in _PRONOUNS and (word[:1].isupper() or not tags or "NOUN" in tags)


def _find_place_in(plan: Plan, words: list[str]) -> None:
    """ "a prison break from the fishbowl": the place at the end of an action is still where it happens."""
    lowered = [word.lower() for word in words]
    for at, word in enumerate(lowered):
        if word in {"from", "in", "at", "inside", "on"} and at + 1 < len(words) and not plan.place:
            place = _strip_determiners(words[at + 1 :])
            if place and describe_place(place) != place:
                plan.place_preposition = word if word != "from" else "in"
                plan.place = _with_article(place, definite=True)
            return


def _parse_head(words: list[str], subjects: list[Subject]) -> tuple[Character, Character | None]:
    """The hero (and a partner, for "José and Zoë ..."); an empty head becomes "Me"."""
    if not words:
        return _me(), None
    lowered = [word.lower() for word in words]
    if "and" in lowered[1:] or "&" in lowered[1:]:
        split = next(i for i, word in enumerate(lowered) if word in {"and", "&"} and i > 0)
        # "a very small and extremely brave hamster" is one hero; "José and Zoë" are two.
        describing = all(word in DETERMINERS or _describes(word) for word in lowered[:split])
        if words[split + 1 :] and not describing:
            return parse_character(words[:split], subjects), parse_character(words[split + 1 :], subjects)
    return parse_character(words, subjects), None


def _describes(word: str) -> bool:
    """An adjective or adverb that is no noun: "small", "extremely"."""
    tags = set(getAllLemmas(word))
    return "ADJ" in tags or tags == {"ADV"}


def parse_character(words: list[str], subjects: list[Subject]) -> Character:
    """One noun phrase as a character: 'my cat Mittens', 'grandma Rosa', 'Dave from accounting', 'a toaster'."""
    phrase = " ".join(words).strip()
    lowered = [word.lower() for word in words]
    subject, alias = _find_subject(phrase, subjects)

    if lowered and lowered[0] in {"me", "myself", "i", "yours"}:
        return _me(phrase)

    if all(word.lower() in DETERMINERS for word in words):  # "a", "the": nobody in particular
        return Character(name="someone", label="someone", kind="person", phrase=phrase)
    kept = [
        word for word in words if not (word[:1].islower() and (_is_adverb(word.lower()) or word in _QUALIFIERS))
    ] or list(words)
    if len(kept) < len(words):
        words, lowered = kept, [word.lower() for word in kept]
    determiner = lowered[0] if lowered and lowered[0] in DETERMINERS else None
    body = words[1:] if determiner else list(words)
    descriptors = [word.lower() for word in body if word.lower() in ADJECTIVES or word.lower() in SCALE_WORDS]
    core = [word for word in body if word.lower() not in SCALE_WORDS and word.lower() not in ADJECTIVES] or body
    core_lower = [word.lower() for word in core]

    # "Dave from accounting", "Gary the snail": a name with an epithet.
    if "from" in core_lower[1:] and core[0][:1].isupper():
        at = core_lower.index("from")
        name = " ".join(core[:at])
        group = " ".join(core[at + 1 :])
        kind = "office worker" if group.lower() in DEPARTMENTS else "person"
        return _named(name, f"{name} from {group}", kind, subject, alias, phrase, descriptors)
    if len(core) >= 3 and core_lower[1] == "the" and core[0][:1].isupper():
        name = core[0]
        return _named(
            name, f"{name} the {' '.join(core[2:])}", singular(core_lower[-1]), subject, alias, phrase, descriptors
        )

    # Family titles and kinds before a name: "grandma Rosa", "my cat Mittens", "my boss Karen".
    names = [word for word in core if word[:1].isupper()]
    title = next((FAMILY[word] for word in core_lower if word in FAMILY), None)
    # "the GPS", "the IRS": an acronym with an article is a thing, not someone's name.
    if names and core[-1][:1].isupper() and not (determiner == "the" and core[-1].isupper()):
        # The name is the run of capitalised words that ends the phrase.
        first_name_at = len(core)
        while first_name_at > 0 and core[first_name_at - 1][:1].isupper():
            first_name_at -= 1
        # "our CEO Greg": a title in capitals says what the hero is, it is not part of the name.
        while first_name_at < len(core) - 1 and core[first_name_at].isupper() and len(core[first_name_at]) > 1:
            first_name_at += 1
        before = [word for word in core_lower[:first_name_at] if word not in DETERMINERS]
        name = " ".join(core[first_name_at:])
        relation = before[-1].removesuffix("-in-law") if before else ""
        if relation in TITLES and len(before) == 1:
            label = f"{before[-1].capitalize()} {name}"
            return _named(label, label, FAMILY[relation], subject, alias, phrase, descriptors)
        if before:
            kind = FAMILY.get(relation) or singular(relation)
            described = _named(name, name, kind, subject, alias, phrase, descriptors + before[:-1])
            if determiner in _POSSESSIVES:  # "my son", "our goldfish": who the hero is to the asker
                described.relation = f"{determiner} {before[-1]}"
            return described
        if subject is not None:
            return _named(name, name, subject.kind or "person", subject, alias, phrase, descriptors)
        if name.lower() in CALENDAR:
            return _named(name, name, "calendar", None, None, phrase, descriptors)
        # "the Roomba", "the Olympics": with "the", a capitalised word names a thing, and keeps its article.
        label = f"the {name}" if determiner == "the" else name
        return _named(name, label, PET_NAMES.get(name.lower(), "person"), None, None, phrase, descriptors)
    if subject is not None:
        # A subject named in lower case ("mittens vs the vacuum").
        return _named(
            subject.name, alias or subject.name, subject.kind or "person", subject, alias, phrase, descriptors
        )
    if title and len(core) == 1:
        label = core[0].capitalize() if determiner is None else f"{determiner} {core_lower[0]}"
        return Character(
            name=label[:1].upper() + label[1:], label=label, kind=title, phrase=phrase, descriptors=descriptors
        )

    # A common noun phrase: "a toaster", "the office printer", "squirrels", "a giant ball of yarn".
    if len(core_lower) >= 3 and core_lower[0] in MEASURES and core_lower[1] == "of":
        head_words = core[2:]
    else:
        head_words = core
    # "a glass off the table": the thing is the glass.
    cut = next(
        (
            i
            for i, word in enumerate(head_words)
            if i > 0 and (word in _TRAILING_PREPOSITIONS | _CAPITAL_CUTS or _doing_after_noun(head_words, i))
        ),
        None,
    )
    if cut is not None:
        head_words = head_words[:cut]
    while (
        len(head_words) > 1 and head_words[0].lower() in DETERMINERS
    ):  # "a dragon the size of a pigeon" keeps its "the"
        head_words = head_words[1:]
    head = " ".join(head_words)
    plural = is_plural(head_words[-1]) if head_words else False
    # Compound nouns keep both words ("waffle iron", "office printer"); the kind is never longer,
    # and never counts ("three pigeons" are pigeons).
    counted = [word.lower() for word in head_words[-2:] if word.lower() not in _QUANTITIES]
    kind_words = counted or [word.lower() for word in head_words[-1:]]
    kind = "thing"
    if kind_words:
        acronym = head_words[-1].isupper()  # "the GPS": its S is no plural
        kind = " ".join([*kind_words[:-1], kind_words[-1] if acronym else singular(kind_words[-1])])
    if determiner == "my":
        label = f"my {head}"
    elif determiner in {"his", "her", "their", "our", "your"}:
        label = f"{determiner} {head}"
    elif determiner or not plural and kind not in _MASS_NOUNS:
        label = f"the {head}"
    else:
        label = head
    name = label if determiner in {"my", "his", "her", "their", "our", "your"} else (" ".join(body) if body else head)
    return Character(
        name=name,
        label=label,
        kind=kind,
        subject=subject.name if subject else None,
        traits=list(subject.traits) if subject else [],
        descriptors=descriptors,
        plural=plural,
        phrase=phrase,
    )


_TRAILING_PREPOSITIONS = frozenset(
    "off on from in at with under into onto over near by behind next who that while when because until during "
    "she he they it using like".split()
)
_PRONOUNS = frozenset("everyone everybody someone somebody anyone nobody everything something it them".split())
_CAPITAL_CUTS = frozenset({"Who", "That", "While", "When"})
_PROTECT_VERBS = frozenset("defend protect save guard rescue shield hide".split())
_POSSESSIVES = frozenset("my our your his her their".split())
_QUALIFIERS = frozenset("only just even also still really literally actually".split())  # "only ketchup" is ketchup
_PARTICLES = frozenset("up out down together apart".split())  # "set up a smart speaker": the speaker is the object
_QUESTION_WORDS = frozenset("who what whether why how which".split())
INFINITIVE_VERBS = frozenset("try attempt learn want need refuse pretend plan decide fail struggle manage".split())
_QUANTITIES = frozenset(
    "two three four five six seven eight nine ten twelve dozen dozens several many few both".split()
)
_MASS_NOUNS = frozenset("crime gravity laundry traffic homework taxes bureaucracy capitalism wifi math time".split())


def _named(
    name: str, label: str, kind: str, subject: Subject | None, alias: str | None, phrase: str, descriptors: list[str]
) -> Character:
    if subject is not None:
        kind = subject.kind or kind
    return Character(
        name=name,
        label=label,
        kind=kind or "person",
        subject=subject.name if subject else None,
        traits=list(subject.traits) if subject else [],
        descriptors=descriptors,
        phrase=phrase,
    )


def _me(phrase: str = "me") -> Character:
    return Character(name="Me", label="yours truly", kind="person", phrase=phrase)


def _find_subject(phrase: str, subjects: list[Subject]) -> tuple[Subject | None, str | None]:
    """The subject a phrase names (by name or alias, any case), and the word it was called by."""
    best: tuple[int, Subject, str] | None = None
    for subject in subjects:
        for name in [subject.name, *subject.aliases]:
            match = re.search(rf"(?<!\w){re.escape(name)}(?!\w)", phrase, flags=re.IGNORECASE)
            if match and (best is None or match.start() < best[0]):
                best = (match.start(), subject, match.group(0))
    return (best[1], best[2]) if best else (None, None)


def find_subjects(text: str, subjects: list[Subject]) -> list[Subject]:
    """The subjects a text names, in order of appearance."""
    found = []
    for subject in subjects:
        for name in [subject.name, *subject.aliases]:
            match = re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, flags=re.IGNORECASE)
            if match:
                found.append((match.start(), subject))
                break
    return [subject for _, subject in sorted(found, key=lambda item: item[0])]


def _scale_of(phrase: str) -> str | None:
    for word in re.findall(r"[\w-]+", phrase.lower()):
        if word in SCALE_WORDS:
            return SCALE_WORDS[word]
        if re.fullmatch(r"\d+-(foot|feet|meter|metre|story|storey)", word):
            return "giant"
    return None


def _strip_determiners(words: list[str]) -> str:
    while words and words[0].lower() in DETERMINERS:
        words = words[1:]
    return " ".join(words)


def _with_article(noun: str, definite: bool = False) -> str:
    # "Paris" takes no article, "a Zoom meeting" does: a name is capitalised all through.
    if not noun or noun.split()[0].lower() in DETERMINERS or all(word[:1].isupper() for word in noun.split()):
        return noun
    if definite:
        return f"the {noun}"
    return article(noun)


def _join(first: str | None, second: str) -> str:
    return f"{first} and {second}" if first else second
