"""The offline writer: good concepts with no LLM, no network and no GPU, in milliseconds.

    writer = OfflineWriter(None, Settings())
    concepts = writer.write("my dog Biscuit giving a TED talk about squirrels", [], n=3, seed=7)

It works like a comedy writer with a notebook: the planner reads the request (hero, role, action,
foil, setting), the writer ranks the comedic devices that fit it, and stages one concept per device
from curated knowledge (scenes.py, devices.py) and caption lines (jokes.py). The same request and
seed always give the same concepts.

`offline:smollm2` (or `offline:/path/model.gguf`) also lets a small model draft captions, filtered
hard, which replace the curated line when one survives (see drafts.py). It is off by default: the
135M model mostly restates the premise, so few drafts survive and those are rarely funnier.
"""

from __future__ import annotations

import random
import re
import zlib

from sightgag.concept import MAX_SIGN_CHARS, Box, Caption, CastMember, Concept, Device, Style
from sightgag.errors import UsageError
from sightgag.settings import Settings
from sightgag.subjects import Subject
from sightgag.writer.base import ExchangeLog
from sightgag.writer.devices import FOIL_COMES_TO_LIFE, LIMBS, PARODIES, PARODY_KEYS, STAGINGS, Parody, Staging
from sightgag.writer.grammar import article, gerund, past_participle, plural, singular, third_person, verb_lemma
from sightgag.writer.jokes import (
    DEFAULT_TREAT,
    GROUP_LINES,
    IDIOMS,
    LINES,
    TREATS,
    Idiom,
    Line,
    content_lemmas,
    fill,
    ties,
    usable,
)
from sightgag.writer.planner import INFINITIVE_VERBS, Character, Plan, parse_character, plan_request
from sightgag.writer.request import clean_request
from sightgag.writer.scenes import DEFAULT_SETTINGS, describe_place

MAX_CANDIDATES = 8
DRAFTS_PER_CONCEPT = 3  # small-model samples per concept when drafting is on

# "{hero} has", "{hero} remains": lines that only agree with one hero ("my kids" are several).
_SINGULAR_VERB_AFTER_HERO = re.compile(r"\{hero\} (\w+ly )?(\w+s|is|isn't|was|has|does|doesn't)\b")
# The same in titles: "{Hero} Has a Plan" is no title for "the twins".
_SINGULAR_VERB_IN_TITLE = re.compile(r"\{Hero\} (Has|Is|Rises|Means|Runs|Was)\b")

# "Who's a good {foil_bare}?": lines that only work with one foil.
_SINGULAR_FOIL = re.compile(r"\ba (good )?\{foil_bare\}|\{foil\} (is|has|was)\b")
# Verbs that say how things are, not what the hero does: no line about "stick" or "fall" reads well.
_FLAT_VERBS = frozenset(
    "be have get go do fall stick become seem feel want need try stand sit lie stay sleep "
    "give make take hold put set look host stage run use find keep let".split()
)

# What the hero looks like when no subject describes it.
LOOKS: dict[str, str] = {
    "cat": "a fluffy house cat",
    "dog": "a scruffy, friendly dog",
    "grandma": "a small elderly woman with curly grey hair, round glasses and a cardigan",
    "grandpa": "an elderly man with a white moustache, flat cap and cardigan",
    "office worker": "an office worker in a short-sleeved shirt, tie and lanyard",
    "boss": "a manager in a crisp suit with a coffee mug",
    "person": "a person in everyday clothes",
    "kid": "a small kid with messy hair and sneakers",
    "mom": "a mom in a comfy sweater",
    "dad": "a dad in a polo shirt and cargo shorts",
    "son": "a boy in a striped T-shirt and sneakers",
    "daughter": "a girl with pigtails and sneakers",
    "nephew": "a boy in a striped T-shirt and sneakers",
    "niece": "a girl with pigtails and sneakers",
    "brother": "a young man in a hoodie",
    "sister": "a young woman in a denim jacket",
    "husband": "a man in a checked shirt",
    "wife": "a woman in a cardigan",
    "boyfriend": "a young man in a hoodie",
    "girlfriend": "a young woman in a denim jacket",
    "uncle": "a big-bellied man in a Hawaiian shirt",
    "aunt": "a woman with big earrings and a bright scarf",
    "cousin": "a young person in a band T-shirt",
}

# Foils for requests that name none, by what the hero is: its natural enemies.
NEMESES: dict[str, tuple[str, ...]] = {
    "cat": ("the vacuum cleaner", "a cucumber", "the bath", "a closed door", "the red laser dot", "the dog next door"),
    "dog": ("the mailman", "the vacuum cleaner", "a squirrel", "the bath", "the doorbell", "the neighbour's cat"),
    "animal": ("a suspicious cucumber", "the vacuum cleaner", "a pigeon with attitude", "the bath"),
    "elder": ("the TV remote", "a smartphone", "the self-checkout machine", "the wifi router"),
    "coworker": ("the office printer", "a reply-all email storm", "the office microwave", "Monday"),
    "me": ("the laundry pile", "the alarm clock", "an inbox with 9,999 emails", "Monday"),
    "person": ("a pigeon with attitude", "the self-checkout machine", "a flat-pack wardrobe", "the alarm clock"),
    "object": ("a pigeon", "the cat", "an instruction manual", "a very wet sponge"),
}

# Natural enemies of heroes more particular than "animal".
KIND_NEMESES: dict[str, tuple[str, ...]] = {
    "goldfish": ("the cat watching the bowl", "the castle ornament", "the fish food flakes"),
    "fish": ("the cat watching the bowl", "the castle ornament", "the fish food flakes"),
    "parrot": ("the mirror", "the cat", "a cracker"),
    "budgie": ("the mirror", "the cat", "a cracker"),
    "hamster": ("the exercise wheel", "the cat", "a sunflower seed"),
    "guinea pig": ("the vacuum cleaner", "a carrot", "the cat"),
    "rabbit": ("a carrot", "the garden hose", "the cat"),
    "tortoise": ("a lettuce leaf", "a hare", "the garden steps"),
    "turtle": ("a lettuce leaf", "a hare", "the garden steps"),
    "horse": ("a carrot", "a plastic bag", "the farrier"),
    "snake": ("a mouse", "the vet", "a mirror"),
    "goose": ("the park ranger", "a picnic", "a jogger"),
    "duck": ("a loaf of bread", "the park ranger", "a rubber duck"),
    "pig": ("the mud", "the farmer", "a bucket of slop"),
    "goat": ("a tin can", "the farmer", "the fence"),
    "chicken": ("the fox", "the farmer", "an egg timer"),
    "cow": ("the milking machine", "the farmer", "a fly"),
}

# Who the hero swaps places with in a role reversal.
COUNTERPARTS: dict[str, str] = {
    "cat": "the human",
    "dog": "the human",
    "animal": "the zookeeper",
    "elder": "a teenager",
    "coworker": "the boss",
    "me": "my cat",
    "person": "the dog",
    "object": "the owner",
}


def _group_key(character: Character, table: dict) -> str:
    groups = character.groups
    for key in ("me", "cat", "dog", "elder", "coworker", "animal", "person", "object"):
        if key in groups and key in table:
            return key
    return next(iter(table))


class OfflineWriter:
    """A Writer that needs nothing but this package: a comedy planner and curated caption lines."""

    def __init__(self, model: str | None, settings: Settings):
        self.settings = settings
        self.model = model
        self._log = ExchangeLog()
        self.drafter = None
        if model:
            from sightgag.writer.drafts import CaptionDrafter  # only loads llama.cpp when asked for

            self.drafter = CaptionDrafter(model, settings, self._log)

    @property
    def exchanges(self) -> list[dict]:
        """This thread's LLM calls not yet logged: the studio logs and clears them after each gag."""
        return self._log.calls

    @property
    def spec(self) -> str:
        return f"offline:{self.model}" if self.model else "offline"

    def write(self, request: str, subjects: list[Subject], n: int = 1, seed: int | None = None) -> list[Concept]:
        """Return `n` distinct Concepts for the request, best first."""
        request = clean_request(request)
        if not 1 <= n <= MAX_CANDIDATES:
            raise UsageError(f"n must be between 1 and {MAX_CANDIDATES}, not {n}")
        # Without a seed the request itself seeds the dice, so the same request reads the same way.
        rng = random.Random(seed if seed is not None else zlib.crc32(request.encode()))
        plan = plan_request(request, subjects)
        if plan.role and any(key in plan.role.lower() for key in PARODY_KEYS):
            plan.role = None  # "as a nature documentary" names a format, not a job
        devices = rank_devices(plan, rng)

        concepts: list[Concept] = []
        used_captions: set[str] = set()
        used_foils: set[str] = set()
        for device in devices:
            if len(concepts) == n:
                break
            concept = _Staged(plan, device, rng, used_foils, used_captions, first=not concepts).concept()
            if concept.premise in {existing.premise for existing in concepts}:
                continue
            if self.drafter:
                # Seeded apart from `rng`, so turning drafts on leaves the curated choices as they were.
                self._use_a_draft(concept, plan, used_captions, zlib.crc32(f"{seed}:{len(concepts)}".encode()))
            concepts.append(concept)
        return concepts

    def _use_a_draft(self, concept: Concept, plan: Plan, used: set[str], seed: int) -> None:
        """Swap in the small model's caption when one of its drafts survives the filter."""
        drafts = [
            draft for draft in self.drafter.draft(plan, concept.premise, DRAFTS_PER_CONCEPT, seed) if draft not in used
        ]
        if drafts:
            used.add(drafts[0])
            concept.caption = Caption(text=drafts[0], lettering="caption")


def rank_devices(plan: Plan, rng: random.Random) -> list[Device]:
    """Every device, the ones this request invites first; ties broken by the seed."""
    text = plan.request.lower()
    hero = plan.hero
    scene = plan.scene
    score = {
        Device.incongruity: 1.0,
        Device.deadpan: 1.2,
        Device.escalation: 0.8,
        Device.role_reversal: 0.7,
        Device.mock_heroic: 0.8,
        Device.anthropomorphism: 0.3,
        Device.scale_mismatch: 0.4,
        Device.parody: 0.5,
        Device.literalized_idiom: 0.2,
    }
    if plan.scale:
        score[Device.scale_mismatch] += 6
    if (
        scene
        and scene.heroic
        or re.search(r"\b(hero|battle|epic|warrior|villain|saving|rescu\w*|fight\w*|vs|versus)\b", text)
    ):
        score[Device.mock_heroic] += 3.5
    doing_a_job = bool(plan.role or plan.activity or scene and scene.job)
    if "person" not in hero.groups and doing_a_job:
        score[Device.anthropomorphism] += 4.5
    elif plan.foil and "object" in plan.foil.groups:
        score[Device.anthropomorphism] += 0.8  # the foil is the one with feelings
    if re.search(r"\b(vs|versus|fight\w*|battl\w*|war|against|every|too many|army)\b", text):
        score[Device.escalation] += 1.2
    if plan.foil and "object" in plan.foil.groups:
        score[Device.role_reversal] -= 2  # a thing can't give orders: it would swap in a counterpart foil
    elif plan.foil and ("animal" in hero.groups) != ("animal" in plan.foil.groups):
        score[Device.role_reversal] += 1.5
    if re.search(r"\b(win\w*|contest|competition|interview|exam|meeting)\b", text):
        score[Device.deadpan] += 1.0
    if any(key in text for key in PARODY_KEYS):
        score[Device.parody] += 6
    if _idiom_in(text):
        score[Device.literalized_idiom] += 7
    return sorted(score, key=lambda device: -(score[device] + rng.random() * 0.6))


def _idiom_in(text: str) -> Idiom | None:
    return next((idiom for idiom in IDIOMS if idiom.key in text), None)


class _Staged:
    """One concept: a plan told with one device."""

    def __init__(
        self, plan: Plan, device: Device, rng: random.Random, used_foils: set[str], used_captions: set[str], first: bool
    ):
        self.plan, self.device, self.rng, self.first = plan, device, rng, first
        self.hero = plan.hero
        person = device is Device.anthropomorphism and self.hero.is_person
        self.staging: Staging = FOIL_COMES_TO_LIFE if person else STAGINGS[device]
        self.scene = plan.scene
        self.used_captions = used_captions
        self.idiom: Idiom | None = self._idiom() if device is Device.literalized_idiom else None
        self.parody: Parody | None = self._parody() if device is Device.parody else None
        self.foil = self._foil(used_foils)
        self.foil_asked = self.foil is plan.foil
        used_foils.add(self.foil.label)
        self.slots = self._slots()
        # What the hero is ("cat") ties every cat line to every cat request: only the request's other words count.
        self.material = content_lemmas(f"{plan.request} {plan.reading}") - content_lemmas(self.hero.kind)
        self.names = tuple(name for name in (self.hero.name, self.hero.label) if name != "Me")
        # Saying the hero's name back is no restating ("Janet from HR" is three words of the request).
        self.asked = re.sub(re.escape(self.hero.label), " ", plan.request, flags=re.IGNORECASE)

    # Choices.

    def _idiom(self) -> Idiom:
        named = _idiom_in(self.plan.request.lower())
        if named:
            return named
        fitting = [idiom for idiom in IDIOMS if not idiom.only or self.hero.groups & set(idiom.only)]
        return self.rng.choice(fitting)

    def _parody(self) -> Parody:
        text = self.plan.request.lower()
        for key, name in PARODY_KEYS.items():
            if key in text:
                return PARODIES[name]
        if self.scene and self.scene.heroic:
            return PARODIES["movie poster"]
        if "animal" in self.hero.groups:
            return PARODIES[self.rng.choice(["nature documentary", "renaissance portrait", "wanted poster"])]
        return PARODIES[self.rng.choice(["renaissance portrait", "movie poster", "album cover"])]

    def _foil(self, used: set[str]) -> Character:
        """The request's foil when it names one; otherwise one that fits this device and hero."""
        if self.idiom:
            return parse_character(self.idiom.thing.split(), [])
        # Swapping places takes someone who gives orders: a thing or a reused foil gives way to a counterpart.
        given = self.plan.foil
        if self.device is Device.role_reversal and (given is None or "object" in given.groups):
            return parse_character(COUNTERPARTS[_group_key(self.hero, COUNTERPARTS)].split(), [])
        if self.plan.foil is not None:
            return self.plan.foil
        pool = list(self.scene.foils) if self.scene else []
        # "stuck in traffic", "fixing the boiler": what the request names is what the hero is up against,
        # and better said twice than swapped for a stock nemesis from nowhere.
        if self.plan.activity and len(self.plan.activity.split()) <= 3:
            pool.append(self.plan.activity)
        if self.plan.place and not pool:
            pool.append(self.plan.place)
        if not pool:
            pool += KIND_NEMESES.get(self.hero.kind, ())
            pool += NEMESES[_group_key(self.hero, NEMESES)]
        fresh = [foil for foil in pool if parse_character(foil.split(), []).label not in used] or pool
        # The first concept gets the most fitting foil; the others draw from the next most fitting.
        choice = fresh[0] if not used else self.rng.choice(fresh[:3])
        return parse_character(choice.split(), [])

    def _slots(self) -> dict[str, str]:
        plan, hero, foil, scene = self.plan, self.hero, self.foil, self.scene
        group = _group_key(hero, TREATS) if set(TREATS) & hero.groups else None
        treat = TREATS.get(group, DEFAULT_TREAT) if group else DEFAULT_TREAT
        role = plan.role or (scene.role if scene else None)
        place = plan.place or (scene.place if scene else None)
        foil_bare = re.sub(r"^(the|a|an|my|our|your|his|her|their|its)\s+", "", foil.label)
        # Escalation counts foils: "one TV remote", "dozens of TV remotes".
        countable = foil_bare if len(foil_bare.split()) <= 3 else foil.kind
        foil_one = singular(countable) if foil.plural else countable
        foil_many = foil.label if foil.plural else plural(countable)
        if foil.proper:  # "a growing wave of Zoës"
            foil_one, foil_many = foil.name, plural(foil.name)
        if foil.name.endswith("s") and foil.name[:1].isupper() and not foil.name.isupper():
            foil_one = None  # "the Olympics" can't be counted: no "one Olympics"
        limb = LIMBS["animal" if "animal" in hero.groups else "person" if hero.is_person else "object"]
        kind = hero.kind if "animal" in hero.groups else None
        slots = {
            "hero": hero.label,
            # The first mention says who the hero is to the asker: "my son Leo", then just "Leo".
            "hero_intro": f"{hero.relation} {hero.label}" if hero.relation else hero.label,
            "hero_name": hero.label[:1].upper() + hero.label[1:],
            "hero_pos": hero.possessive,
            "Hero": _title(hero.label if hero.name != "Me" else "Yours Truly"),
            "HERO": hero.name.upper() if hero.name != "Me" else "ME",
            "foil": foil.label,
            "foil_bare": foil_bare,
            "Foil": _title(foil_bare),
            "FOIL": foil_bare.upper(),
            "foil_one": foil_one,
            "Foil_one": _title(foil_one) if foil_one else None,
            "foil_many": foil_many,
            "foil_is": "are" if foil.plural else "is",
            "foil_s": "" if foil.plural else "s",
            "foil_es": "" if foil.plural else "es",
            "foil_has": "have" if foil.plural else "has",
            "Foil_has": "Have" if foil.plural else "Has",
            "topic": plan.topic,
            "TOPIC": plan.topic.upper() if plan.topic else None,
            "role": role,
            "Role": _title(role) if role else None,
            "a_role": article(role) if role else None,
            "activity": plan.activity,
            "place": place,
            "Place": _title(place, inside=True) if place else None,
            "Place_title": _title(re.sub(r"^the\s+", "", place or "the living room")),
            "kind": kind,
            "Kind": _title(plural(hero.kind)),
            "a_kind": plural(hero.kind) if hero.plural else article(hero.kind) if hero.name != "Me" else "only human",
            # The hero's verbs agree with it: "the twins stay unbothered", "Mittens stays unbothered".
            "hero_s": "" if hero.plural else "s",
            "hero_is": "are" if hero.plural else "is",
            "treat": treat,
            "Treat": treat.capitalize(),
            "TREAT": treat.upper(),
            "num": str(self.rng.choice([47, 12, 9, 38, 300, 83])),
            "limb": limb,
            "doing_": f", {plan.doing}," if plan.doing else "",
            "doing_now": _doing_now(plan, role) or _invented_doing(self),
            **_place_slots(plan.place_preposition, plan.place),
            **_verb_slots(plan.action, hero.plural),
        }
        if self.idiom:
            slots["idiom"] = self.idiom.phrase
            slots["Idiom"] = _title(self.idiom.phrase)
        if self.parody:
            slots["parody"] = self.parody.name.split(" ", 1)[1]
            slots["a_parody"] = self.parody.name
            slots["parody_medium"] = self.parody.medium
            slots["parody_palette"] = self.parody.palette
            slots["parody_lighting"] = self.parody.lighting
            slots["parody_camera"] = self.parody.camera
            slots["Parody_title"] = fill(Line(self.parody.title), slots) or self.parody.name.title()
        return {key: value for key, value in slots.items() if value is not None}

    # The concept.

    def concept(self) -> Concept:
        staging, slots = self.staging, self.slots
        # A title names the joke; one that says the request back ("The Rubber Duck, Captain of a Ship") does not.
        titles = [
            title
            for title in staging.titles
            if fill(Line(title), slots)
            and not _says_back(fill(Line(title), slots), self.plan.request)
            and not (self.hero.plural and _SINGULAR_VERB_IN_TITLE.search(title))
        ]
        titles = titles or [staging.titles[-1]]
        title = self._text(titles[0] if self.first else self.rng.choice(titles), 80)
        if title is None or _says_back(title, self.plan.request):
            names = [self.hero.label, self.hero.name] if self.hero.name != "Me" else ["Yours Truly"]
            title = next((_title(name) for name in names if not _says_back(name, self.plan.request)), "Untitled")
        caption_line, caption_text = self._caption()
        speaker = self._hero_member().name if caption_line.speech else None
        return Concept(
            title=title or _title(self.hero.label),
            premise=self._text(staging.premise, 240) or f"{self.hero.label} and {self.foil.label}.",
            device=self.device,
            cast=self._cast(),
            setting=self._setting(),
            moment=self._text(staging.moment, 300) or f"{slots['hero_name']} faces {self.foil.label}",
            style=self._style(),
            caption=Caption(text=caption_text, lettering="balloon" if speaker else "caption", speaker=speaker),
            sign_text=self._sign(),
            safety_notes=[self._language_note()] if self.plan.language else [],
        )

    def _language_note(self) -> str:
        return (
            f"Written in English: the offline writer read this {self.plan.language} request through a small "
            f"glossary and kept the name {self.hero.name}."
        )[:200]

    def _text(self, pattern: str, limit: int) -> str | None:
        text = fill(Line(pattern), self.slots)
        return text[:limit] if text else None

    def _caption(self) -> tuple[Line, str]:
        """The best unused line for this device and hero: specific lines first, the seed breaks ties."""
        groups = self.hero.groups
        candidates: list[tuple[float, Line, str]] = []
        pools = [(LINES[self.device], 1.0), (GROUP_LINES, 0.6)]
        if self.scene and self.device is not Device.literalized_idiom:
            pools.append((self.scene.lines, 1.3))
        if self.idiom:
            pools.append((self.idiom.lines, 3.0))
        if self.parody:
            pools.append((self.parody.lines, 2.0))
        for lines, weight in pools:
            for line in lines:
                if not line.fits(groups) or self.hero.plural and _SINGULAR_VERB_AFTER_HERO.search(line.text):
                    continue
                text = fill(line, self.slots)
                if not usable(text, self.asked) or line.text in self.used_captions:
                    continue
                if "{hero} the " in line.text and not self.hero.proper:
                    continue  # "Waffles the Brave", never "the wizard the Brave"
                if self.foil.plural and _SINGULAR_FOIL.search(line.text):
                    continue
                if {"at_place", "At_place"} & line.slots() and self.foil.kind in self.slots.get("at_place", ""):
                    continue  # "Nobody expected Carol in the kitchen. Least of all the kitchen."
                # The request's foil makes a line specific; one the writer invented does not.
                own = ("topic", "idiom", "role") + (("foil", "foil_bare", "foil_one") if self.foil_asked else ())
                specific = sum(slot in line.slots() for slot in own)
                # A line about this request beats any stock line: the hero's name or the request's own words.
                about = 0.0
                if ties(text, self.material, ()):  # the request's own words: its foil, place, action
                    about = 3.8
                elif ties(text, set(), self.names):
                    about = 3.0
                score = weight + about + 0.7 * specific + (0.4 if line.only else 0) + self.rng.random() * 1.6
                candidates.append((score, line, text))
        if not candidates:  # every line restated the request: fall back to the plainest deadpan
            candidates.append((0.0, Line("Noted."), "Noted."))
        _, line, text = max(candidates, key=lambda candidate: candidate[0])
        self.used_captions.add(line.text)  # a line is used once per request, however it was filled
        return line, text

    def _hero_member(self) -> CastMember:
        hero, staging = self.hero, self.staging
        props = list(dict.fromkeys([*self.plan.props, *staging.hero_props, *(self.scene.props if self.scene else ())]))
        if self.device in (Device.mock_heroic,) or not self.scene:
            props = props[:2]
        look = ", ".join(hero.traits) if hero.traits else LOOKS.get(hero.kind, article(hero.kind))
        if hero.traits and hero.kind:
            look = f"{article(hero.kind)}: {look}"
        elif hero.descriptors:
            # After the article: "a tiny hamster", not "tiny a hamster".
            first, _, rest = look.partition(" ")
            look = article(f"{' '.join(hero.descriptors)} {rest if first in ('a', 'an') else look}")
        if props:
            look += f", with {_and(props[:3])}"
        return CastMember(
            name=hero.name[:80],
            role="hero",
            subject=hero.subject,
            kind=hero.kind[:40],
            appearance=look[:300],
            expression=staging.hero_expression,
            pose=(fill(Line(staging.hero_pose), self.slots) or "")[:160],
            props=props[:6],
            box=_box(self._jitter(staging.hero_box)),
        )

    def _cast(self) -> list[CastMember]:
        staging, foil = self.staging, self.foil
        name = foil.name
        if self.device is Device.escalation and not foil.plural:
            name = f"dozens of {self.slots['foil_many']}"
        elif self.device is Device.scale_mismatch and self.plan.scale != "giant" and not self.plan.scale:
            name = f"giant {foil.name}"
        appearance = {
            Device.scale_mismatch: f"{foil.phrase or foil.name}, enormous, towering over everything",
            Device.escalation: f"an endless, growing horde of {self.slots['foil_many']}",
            Device.anthropomorphism: f"{foil.phrase or foil.name}, behaving like a person",
        }.get(self.device, foil.phrase or foil.name)
        cast = [
            self._hero_member(),
            CastMember(
                name=name[:80],
                role="foil",
                subject=foil.subject,
                kind=foil.kind[:40] or "thing",
                appearance=appearance[:300],
                expression=staging.foil_expression,
                pose=staging.foil_pose,
                box=_box(self._jitter(staging.foil_box)),
            ),
        ]
        extras = list(self.scene.extras) if self.scene else []
        extras += [(other.name, other.kind) for other in self.plan.others]
        if extras and self.device not in (Device.scale_mismatch, Device.escalation):
            extra_name, extra_kind = extras[0]
            cast.append(
                CastMember(
                    name=extra_name[:80],
                    role="extra",
                    kind=extra_kind[:40],
                    appearance=f"{extra_name}, watching",
                    expression="stunned",
                    box=_box(self.staging.extra_box),
                )
            )
        return cast

    def _jitter(self, box: tuple[float, float, float, float]) -> tuple[float, ...]:
        # A little variety between seeds without breaking the device's composition.
        x, y, w, h = box
        dx, dy = (self.rng.uniform(-0.03, 0.03) for _ in range(2))
        x, y = min(max(x + dx, 0.0), 1 - w), min(max(y + dy, 0.0), 1 - h)
        return (round(x, 3), round(y, 3), w, h)

    def _setting(self) -> str:
        if self.plan.place:
            return describe_place(self.plan.place)[:240]
        # "climbing Mount Everest" happens on Everest, "running a bakery" in the bakery.
        for named in (self.plan.foil.name if self.plan.foil else None, self.plan.activity):
            if named and describe_place(named) != named:
                return describe_place(named)[:240]
        if self.parody and self.parody is PARODIES["nature documentary"]:
            return "tall grass in the wild, seen from a hide"
        if self.scene:
            return self.scene.setting[:240]
        return DEFAULT_SETTINGS[_group_key(self.hero, DEFAULT_SETTINGS)]

    def _style(self) -> Style:
        staging, scene = self.staging, self.scene
        fields = {
            "medium": staging.medium,
            "palette": staging.palette,
            "lighting": staging.lighting,
            "camera": staging.camera,
        }
        if staging.use_scene_look and scene:
            fields.update(
                {
                    key: value
                    for key, value in {
                        "medium": scene.medium,
                        "lighting": scene.lighting,
                        "camera": scene.camera,
                    }.items()
                    if value
                }
            )
        elif scene and scene.lighting and self.device is not Device.parody:
            fields["lighting"] = scene.lighting
        filled = {key: (fill(Line(value), self.slots, sentence=False) or value)[:120] for key, value in fields.items()}
        references = [
            fill(Line(reference), self.slots, sentence=False) or reference for reference in staging.references
        ]
        return Style(references=references[:4], composition=staging.composition, **filled)

    def _sign(self) -> str | None:
        patterns: list[str] = []
        if self.parody and self.parody.sign:
            patterns.append(self.parody.sign)
        if self.scene and self.device not in (Device.literalized_idiom, Device.parody):
            patterns += self.scene.signs
        signs = [sign for sign in (fill(Line(pattern), self.slots) for pattern in patterns) if sign]
        signs = [sign.upper() for sign in signs if len(sign) <= MAX_SIGN_CHARS]
        if not signs:
            return None
        return signs[0] if self.first else self.rng.choice(signs)


def _doing_now(plan: Plan, role: str | None) -> str | None:
    """What the hero is busy with in the frozen moment: the request's action, or working the role."""
    if plan.action:
        return plan.action + (f" about {plan.topic}" if plan.topic and "about" not in plan.action else "")
    if plan.role:
        return f"working as {article(plan.role)}"
    return None


def _invented_doing(staged: _Staged) -> str:
    """What a hero does when the request names only the hero ("Mittens")."""
    if staged.device is Device.anthropomorphism:
        return "holding a very important meeting"
    return f"facing off with {staged.foil.label}" if staged.foil else "having a perfectly normal day"


def _place_slots(preposition: str, place: str | None) -> dict[str, str | None]:
    """ "at the beach", "At the beach": the place as the request put it, ready for a line."""
    if not place:
        return {}
    at_place = f"{preposition} {place}"
    return {"at_place": at_place, "At_place": at_place[:1].upper() + at_place[1:]}


def _verb_slots(action: str | None, plural: bool) -> dict[str, str]:
    """The request's own verb in the forms a line needs: build, builds (build, for several), built, building."""
    words = action.split() if action else []
    first = words[0] if words else ""
    lemma = verb_lemma(first) if first.endswith("ing") else None
    if lemma in INFINITIVE_VERBS and words[1:2] == ["to"] and len(words) > 2:
        lemma = words[2].lower()  # "learning to dance": the dancing is the joke
        if not verb_lemma(lemma):
            return {}
    if not lemma or lemma in _FLAT_VERBS:
        return {}
    return {
        "verb": lemma,
        "verb_s": lemma if plural else third_person(lemma),
        "verb_ed": past_participle(lemma),
        "Verb_ing": gerund(lemma).capitalize(),
    }


def _says_back(title: str | None, request: str) -> bool:
    """Whether a title repeats four words of the request in a row."""
    if not title:
        return False
    asked = re.findall(r"[^\W_]+", request.casefold())
    said = re.findall(r"[^\W_]+", title.casefold())
    runs = {tuple(asked[i : i + 4]) for i in range(len(asked) - 3)}
    return any(tuple(said[i : i + 4]) in runs for i in range(len(said) - 3))


def _box(xywh: tuple[float, ...]) -> Box:
    x, y, w, h = xywh
    return Box(x=x, y=y, w=w, h=h)


def _title(text: str, inside: bool = False) -> str:
    """Title Case for headlines; `inside` a title, a leading "the" stays small ("The Battle of the City")."""
    small = {"a", "an", "the", "of", "and", "or", "in", "on", "at", "to", "vs.", "with", "for", "from"}
    words = text.split()
    return " ".join(
        word if (i or inside) and word.lower() in small else word[:1].upper() + word[1:] for i, word in enumerate(words)
    )


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
