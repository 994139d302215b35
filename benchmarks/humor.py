"""How well the offline writer writes for the request in front of it: ties, staging, variety and slips.

Over tests/data/requests.jsonl (each line: the request, the hero's name and, where the request names
them, the foil and the place), the offline writer writes `--n` concepts a request and the sketch
artist draws each one small. Printed:

- tied captions: the share that shares a content word (both lemmatised) or the hero's name with the request;
- drawn: the share of requests naming a place or a foil whose every candidate draws it (scene, cast or prop);
- distinct caption skeletons (the request's own words and numbers blanked out);
- the most requests that share one caption;
- slips: a relation word used as a name ("Son Leo"), a verb inside a name ("Karen Stuck"), an article
  before a possessive or the wrong article ("a its", "a owl"), a count that disagrees with its noun
  ("one crew of teenager", "one pigeons"), and the whole request as a title.

    PYTHONPATH=src .venv/bin/python benchmarks/humor.py [--n 3] [--seed 0] [--show 0]

Targets: at least 90% tied captions, no slips, no caption used for more than 3 requests.
"""

from __future__ import annotations

import argparse
import functools
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import inflect
from lemminflect import getAllLemmas

from sightgag.artist.sketch import draw_panel
from sightgag.artist.sketch.casting import lookup
from sightgag.artist.sketch.scenes import pick_scene
from sightgag.settings import Settings
from sightgag.writer.offline import OfflineWriter

REQUESTS = Path(__file__).resolve().parent.parent / "tests" / "data" / "requests.jsonl"
ENGLISH = inflect.engine()
STOPWORDS = frozenset(
    "a an the and or but of to in on at for with by from as is are was were be been it its this that my your his "
    "her their our me i you we they he she him them not no so very just than then there here who what when where "
    "how why all any one into out up down over vs versus about has have had do does did will would can could "
    "should off again once more most some such only own same too s t".split()
)
RELATIONS = (
    "son daughter sister brother husband wife mom mum mother dad father boss boyfriend girlfriend partner "
    "coworker colleague neighbour neighbor roommate friend niece nephew manager landlord intern"
).split()
RELATION_AS_NAME = re.compile(rf"\b(?:{'|'.join(word.capitalize() for word in RELATIONS)})(?:-in-[Ll]aw)? [A-Z][a-z]+")
ARTICLE_BEFORE_POSSESSIVE = re.compile(
    r"\b(?:a|an) (?:good |little |very |big )?(?:its|his|her|their|my|your|our|the|a|an)\b", re.IGNORECASE
)
COLLECTIVES = "crew army pack flock swarm herd gang horde team group bunch pile box dozen dozens wave".split()
COUNTED = re.compile(
    rf"\b(one|a|an|dozens|dozens of|hundreds|[2-9]|two|three|four|five) (?:({'|'.join(COLLECTIVES)}) of )?"
    r"((?:[a-z]+ ){0,2}?[a-z]+)\b(?! [a-z]+s\b)(?!')",
    re.IGNORECASE,
)


@functools.cache
def lemmas(word: str) -> frozenset[str]:
    found = {lemma.casefold() for forms in getAllLemmas(word).values() for lemma in forms}
    return frozenset(found | {word.casefold()})


def content_lemmas(text: str) -> set[str]:
    words = [word for word in re.findall(r"[^\W_]+", text) if word.casefold() not in STOPWORDS]
    return set().union(*(lemmas(word) for word in words)) if words else set()


def tied(caption: str, request: str, hero: str) -> bool:
    if hero.casefold() == "me" and re.search(r"\b(I|I'm|I've|my|me|mine)\b", caption):
        return True
    if re.search(rf"\b{re.escape(hero)}\b", caption, re.IGNORECASE):
        return True
    return bool(content_lemmas(caption) & content_lemmas(request))


def skeleton(caption: str, request: str, hero: str) -> str:
    asked = content_lemmas(request) | {hero.casefold()}
    words = re.findall(r"[^\W_]+|[^\w\s]", caption)
    return " ".join("_" if word.isdigit() or lemmas(word) & asked else word.casefold() for word in words)


def is_inflected_verb(word: str) -> bool:
    """ "stuck", "runs", "planning": a verb in a form of its own, which no name is made of."""
    verbs = getAllLemmas(word.lower()).get("VERB", ())
    return any(lemma != word.lower() for lemma in verbs)


def slips(concept, request: str, hero: str) -> list[str]:
    found = []
    texts = [concept.caption.text, concept.title, concept.premise, concept.moment]
    names = [member.name for member in concept.cast]
    # Title Case makes any "Dad Is" look like one: there, only the relation before the hero's own name counts.
    before_name = re.compile(rf"\b(?:{'|'.join(RELATIONS)})(?:-in-law)? {re.escape(hero)}\b", re.IGNORECASE)
    if any(RELATION_AS_NAME.search(text) for text in texts[:1] + texts[2:] + names) or before_name.search(
        concept.title
    ):
        found.append("relation as name")
    hero_words = set(hero.casefold().split())
    hero_name = concept.cast[0].name
    if any(is_inflected_verb(word) for word in hero_name.split() if word.casefold() not in hero_words):
        found.append("verb in name")
    if any(ARTICLE_BEFORE_POSSESSIVE.search(text) for text in texts):
        found.append("article slip")
    for text in texts:
        for article, noun in re.findall(r"\b(a|an) ([A-Za-z][\w-]*)", text):
            if noun.lower() in STOPWORDS or noun.isupper():
                continue
            if ENGLISH.a(noun).split()[0] != article.lower() and article == article.lower():
                found.append("article slip")
    for text in texts:
        for count, collective, words in COUNTED.findall(text):
            count = count.lower()
            # Past the adjectives ("a flock of hungry pigeons"): the noun is the last word that is not only one.
            noun = next(
                (word for word in words.split() if not ({"ADJ"} >= set(getAllLemmas(word)) and getAllLemmas(word))),
                words.split()[-1],
            )
            if ENGLISH.plural_noun(noun.lower()) == noun.lower() or noun.isupper():
                continue  # "fish", "sheep": one word for one and many
            is_plural = ENGLISH.singular_noun(noun) is not False
            if collective and collective.lower() not in ("dozen",) and not is_plural and noun.lower() not in MASS:
                found.append("count mismatch")  # "one crew of teenager"
            elif not collective and count in ("dozens", "hundreds") and not is_plural and noun.lower() != "of":
                found.append("count mismatch")
            elif not collective and count == "one" and is_plural and noun.lower() not in SINGULAR_S:
                found.append("count mismatch")  # "one pigeons"
    # Several heroes take plural verbs: "the twins stay", never "the twins stays" or "The Twins Has a Plan".
    if hero[:1].islower() and not hero.endswith(("us", "ss", "is")) and ENGLISH.singular_noun(hero.split()[-1]):
        agreement = re.compile(rf"\b{re.escape(hero)} (?:\w+ly )?(\w+)\b", re.IGNORECASE)
        for text in texts:
            for verb in agreement.findall(text):
                if verb.lower() in ("is", "isn't", "has", "was", "does", "doesn't") or (
                    verb.lower().endswith("s")
                    and getAllLemmas(verb.lower()).get("VERB", (verb.lower(),))[0] != verb.lower()
                    and "NOUN" not in getAllLemmas(verb.lower())
                ):
                    found.append("count mismatch")
    request_words = re.findall(r"[^\W_]+", request.casefold())
    title_words = re.findall(r"[^\W_]+", concept.title.casefold())
    runs = {" ".join(request_words[i : i + 4]) for i in range(len(request_words) - 3)}
    if len(request_words) >= 4 and any(" ".join(title_words[i : i + 4]) in runs for i in range(len(title_words) - 3)):
        found.append("request as title")
    return found


MASS = frozenset("yarn traffic water tea rain laundry homework grammar furniture sushi broccoli".split())
SINGULAR_S = frozenset("news bus gas glass class boss chess mess dress cactus octopus".split())


def drawn(panel: dict, thing: str, concept) -> bool:
    """Whether a named place or foil shows in the panel: its scene, or its glyph among cast, props and scenery."""
    glyphs = {member["glyph"] for member in panel["cast"]}
    glyphs |= {effect.split(" ", 1)[1] for effect in panel["effects"] if effect.startswith("prop ")}
    glyphs |= set(panel.get("scenery_props", ()))
    scene = pick_scene(thing)
    if scene != "comic sky" and panel["scene"] == scene:
        return True
    glyph = lookup(thing)
    if glyph:
        return glyph in glyphs
    # No glyph names it ("Zoë", "the DMV"): a cast member called so, drawn as something more than a box.
    person = thing[:1].isupper() and len(thing.split()) == 1
    return any(
        thing.casefold() in member["name"].casefold()
        and member["glyph"] != "📦"
        and (person or member["glyph"] != "🧑")
        for member in panel["cast"]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--show", type=int, default=0, help="print the captions of the first SHOW requests")
    parser.add_argument("--slips", action="store_true", help="print every slip found")
    args = parser.parse_args()

    writer = OfflineWriter(None, Settings())
    cases = [json.loads(line) for line in REQUESTS.read_text(encoding="utf-8").splitlines() if line.strip()]
    captions_total = captions_tied = 0
    skeletons: set[str] = set()
    requests_of: dict[str, set[str]] = defaultdict(set)
    slip_counts: Counter[str] = Counter()
    slip_examples: dict[str, str] = {}
    named = named_drawn = 0
    for index, case in enumerate(cases):
        request, hero = case["request"], case["hero"]
        concepts = writer.write(request, [], n=args.n, seed=args.seed)
        wanted = [case[key] for key in ("place", "foil") if case.get(key)]
        all_drawn = True
        for number, concept in enumerate(concepts):
            caption = concept.caption.text
            captions_total += 1
            captions_tied += tied(caption, request, hero)
            skeletons.add(skeleton(caption, request, hero))
            requests_of[caption].add(request)
            for slip in slips(concept, request, hero):
                slip_counts[slip] += 1
                slip_examples.setdefault(slip, f"{request!r}: {concept.title!r} / {caption!r}")
                if args.slips:
                    print(
                        f"SLIP {slip}: {request!r}: {concept.title!r} / {caption!r} / {[m.name for m in concept.cast]}"
                    )
            if wanted:
                _, panel = draw_panel(concept, args.seed + number, 256, 256)
                all_drawn &= all(drawn(panel, thing, concept) for thing in wanted)
            if index < args.show:
                print(f"{request!r} -> [{concept.device.value}] {concept.title!r}: {caption!r}")
        if wanted:
            named += 1
            named_drawn += all_drawn
    most = max(requests_of.items(), key=lambda item: len(item[1]))
    print(f"requests: {len(cases)}, candidates each: {args.n}, captions: {captions_total}")
    print(f"tied captions: {captions_tied}/{captions_total} = {captions_tied / captions_total:.0%} (target >= 90%)")
    print(f"named place or foil drawn in every candidate: {named_drawn}/{named} = {named_drawn / named:.0%}")
    print(f"distinct caption skeletons: {len(skeletons)}")
    print(f"most requests sharing one caption: {len(most[1])} ({most[0]!r}) (target <= 3)")
    print(f"slips: {sum(slip_counts.values())} (target 0)")
    for slip in ("relation as name", "verb in name", "article slip", "count mismatch", "request as title"):
        example = f"  e.g. {slip_examples[slip]}" if slip in slip_examples else ""
        print(f"  {slip}: {slip_counts[slip]}{example}")


if __name__ == "__main__":
    main()
