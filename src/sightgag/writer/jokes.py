"""Curated caption lines for the offline writer: the floor under every concept it writes.

Lines are grouped by comedic device (plus a few per hero group) and carry slots in braces that
`fill` completes from the plan: {hero}, {foil}, {topic}, {treat}, {kind}, {place}, {num}... A line
whose slots the plan cannot fill is skipped, so a line about {topic} only appears when the request
has one. `usable` then throws out anything that restates the request or runs too long.
"""

from __future__ import annotations

import functools
import re
import string
from dataclasses import dataclass

from lemminflect import getAllLemmas

from sightgag.concept import MAX_CAPTION_WORDS, Device


@dataclass(frozen=True)
class Line:
    text: str
    speech: bool = False  # said by the hero: set in a balloon
    only: tuple[str, ...] = ()  # hero groups it fits ("cat", "dog", "animal", "person", "elder", "object"); () = any

    def fits(self, groups: set[str]) -> bool:
        return not self.only or bool(groups.intersection(self.only))

    def slots(self) -> frozenset[str]:
        return _slots(self.text)


@functools.lru_cache(maxsize=4096)
def _slots(text: str) -> frozenset[str]:
    return frozenset(name for _, name, _, _ in string.Formatter().parse(text) if name)


# Device lines. Each should still be funny with the plainest filling: "Mittens", "the vacuum cleaner".
LINES: dict[Device, tuple[Line, ...]] = {
    Device.mock_heroic: (
        Line("They will sing of what {hero} did {at_place}."),
        Line("Some are born to {verb}. {hero} was born to {verb} harder."),
        Line("{hero} has {verb_ed} before. Never against {foil}."),
        Line("With great power comes great naptime."),
        Line("Not all heroes wear capes. This one insisted."),
        Line("Every hero needs a nemesis. {hero} picked {foil}."),
        Line("{foil} never stood a chance. {foil} also never moved."),
        Line("The city slept soundly, unaware it had been saved from {foil}."),
        Line("Some heroes save the world. {hero} saves the couch."),
        Line("Tonight, {foil} learns fear."),
        Line("History will remember this day. {foil} will not."),
        Line("Crisis averted. Nobody is sure there was a crisis."),
        Line("{hero} answered the call. The call was about {foil}."),
        Line("Stand back, citizens. I have this under control.", speech=True),
        Line("They said it couldn't be done. Mostly because nobody asked."),
        Line("Legends speak of this battle. Mostly {hero} speaks of it."),
    ),
    Device.scale_mismatch: (
        Line("{At_place} was not built for this. Neither was {hero}."),
        Line("{hero} has {verb_ed} bigger. {hero} would like that on the record."),
        Line("It looked smaller on the website."),
        Line("{hero} has faced bigger problems. Not recently, but still."),
        Line("Technically, it's still a fair fight."),
        Line("Confidence: enormous. Odds: also enormous."),
        Line("Objects in the foreground are exactly as big as they appear."),
        Line("Bold of {foil} to assume {hero} is intimidated."),
        Line("Size isn't everything. It's most things."),
        Line("The estimate said 'medium'."),
        Line("I can take it. I can definitely take it.", speech=True),
        Line("Nobody told {hero} they come in this size."),
        Line("In {hero_pos} defense, the box said 'fun size'."),
    ),
    Device.anthropomorphism: (
        Line("{hero} {verb_s} professionally now. Invoices to follow."),
        Line("{hero} has {num} years of experience {at_place}. Most of it supervising."),
        Line("Questions will be taken after the nap.", speech=True),
        Line("Professional. Focused. Thinking about {treat} the entire time."),
        Line("{hero} would like to circle back on {foil}.", speech=True),
        Line("Fifteen years of experience. In {kind} years, that's a career.", only=("animal",)),
        Line("Thumbs would have made this much easier.", only=("animal",)),
        Line("{hero} does not take questions. {hero} takes {treat}."),
        Line("The résumé said 'good with people'. Bold claim.", only=("animal", "object")),
        Line("Dress for the job you want.", only=("animal", "object")),
        Line("Nobody asked for {hero_pos} opinion. {hero} gave it anyway."),
        Line("{hero} is the most qualified candidate. Also the only one who showed up."),
        Line("I have a degree in this. It's mostly chewed.", speech=True, only=("dog",)),
        Line("I'll need this on my desk by never.", speech=True, only=("cat",)),
    ),
    Device.role_reversal: (
        Line("{At_place}, {hero} makes the rules now."),
        Line("{hero} will {verb} when {hero} is ready. {foil} will wait."),
        Line("Turns out {foil} {foil_is} much easier to train."),
        Line("New house rules, effective immediately."),
        Line("Somebody had to be the adult here."),
        Line("Now who's sitting?", speech=True),
        Line("For once, {foil} {foil_has} to wait by the door."),
        Line("{hero} is in charge now. Nobody voted."),
        Line("{foil} {foil_has} been very good today. Probably."),
        Line("Who's a good {foil_bare}? You are. Yes, you are.", speech=True),
        Line("{hero} has been promoted to management. {foil} {foil_has} been promoted to intern."),
        Line("The student has become the teacher. The teacher has become a snack."),
    ),
    Device.deadpan: (
        Line("Just another day {at_place}."),
        Line("{hero} {verb_s} professionally now. Nobody asked why."),
        Line("{hero} has seen {foil} before. {hero} was not impressed then either."),
        Line("Another Tuesday."),
        Line("{hero} has seen worse. {hero} has not, but would like you to think so."),
        Line("{hero} did not come here to be impressed."),
        Line("Noted.", speech=True),
        Line("{hero} will be filing a complaint. In triplicate."),
        Line("Everything is under control. Define 'everything'."),
        Line("{hero} remains unconvinced by {foil}."),
        Line("Nobody panic. {hero} certainly isn't."),
        Line("Emotionally, {hero} left an hour ago."),
        Line("Yes, this is normal. No, you may not ask."),
        Line("I'm not mad. I'm just writing it down.", speech=True),
        Line("This is fine. Everything about this is fine.", speech=True),
    ),
    Device.escalation: (
        Line("{hero} only meant to {verb} a little."),
        Line("{hero} went {at_place} for one thing. It is now {num} things."),
        Line("It started with one {foil_one}."),
        Line("{hero} has a plan. {foil} {foil_has} numbers."),
        Line("Step one: ignore {foil}. Step two: regret step one."),
        Line("Round {num}. Nobody remembers why it started."),
        Line("What began as a disagreement is now a war."),
        Line("Day {num} of the standoff. The {treat} ran out on day two."),
        Line("I said one more. That was nine hours ago.", speech=True),
        Line("{hero} asked for one {foil_one}. The universe heard 'all of them'."),
        Line("Things escalated quickly. Then they kept going."),
        Line("At this point it's personal."),
    ),
    Device.literalized_idiom: (
        Line("{hero} was told to {idiom}. {hero} took it literally."),
        Line("Some advice should not be taken literally. {hero} did not get that advice."),
        Line("Well, you did say '{idiom}'.", speech=True),
    ),
    Device.parody: (  # format-specific lines live with each format in devices.PARODIES
        Line("Based on a true story. Mostly the nap."),
        Line("Critics are calling it 'a lot'."),
    ),
    Device.incongruity: (
        Line("Nobody taught {hero} to {verb}. It shows."),
        Line("Nobody expected {hero} {at_place}. Least of all {foil}."),
        Line("Somehow this was {hero_pos} idea."),
        Line("Just {hero} and {foil}. As nature intended."),
        Line("{hero} has questions. {foil} {foil_has} no answers."),
        Line("This was not on the itinerary."),
        Line("Ask {hero} about {foil}. Actually, don't."),
        Line("It made sense at three in the morning."),
        Line("{hero} read the instructions. Unfortunately."),
        Line("Nobody could explain it. Nobody tried."),
        Line("Sure. Why not.", speech=True),
        Line("{hero} would like to say this was planned."),
    ),
}

# Lines that fit any device for one kind of hero: the running gags of cats, dogs, grandmas and offices.
GROUP_LINES: tuple[Line, ...] = (
    Line("Knocking things off tables was never the whole plan.", only=("cat",)),
    Line("I meant to do that.", speech=True, only=("cat",)),
    Line("{hero} has not been a good boy. {hero} has been a legend.", only=("dog",)),
    Line("Who let the dog out? Bad decision, in hindsight.", only=("dog",)),
    Line("Back in my day, we did this uphill. Both ways.", speech=True, only=("elder",)),
    Line("Nobody asked {hero} to bring a casserole. {hero} brought three.", only=("elder",)),
    Line("Per my last email.", speech=True, only=("coworker",)),
    Line("This could have been an email.", only=("coworker",)),
    Line("{hero} has put time on your calendar to discuss {foil}.", only=("coworker",)),
    Line("Me, pretending this is a normal Tuesday.", only=("me",)),
    Line("My therapist is going to hear about this.", speech=True, only=("me", "person")),
    Line("Warranty void if used heroically.", only=("object",)),
)


# Idioms a picture can take literally, with the thing that appears in it.
@dataclass(frozen=True)
class Idiom:
    phrase: str  # as said: "let the cat out of the bag"
    thing: str  # what the picture shows literally
    kind: str  # what that thing is
    lines: tuple[Line, ...] = ()
    only: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The words that give it away in a request: "elephant in the room", "cold feet"."""
        words = self.phrase.split()
        return (
            " ".join(words[1:])
            if words[0] in {"be", "have", "get", "address", "let", "walk", "drop", "hold"}
            else self.phrase
        )


IDIOMS: tuple[Idiom, ...] = (
    Idiom(
        "address the elephant in the room",
        "an actual elephant in the room",
        "elephant",
        (
            Line("Nobody is going to mention it? Fine."),
            Line("We really need to talk about the elephant.", speech=True),
        ),
    ),
    Idiom(
        "let the cat out of the bag",
        "a cat bursting out of a paper bag",
        "cat",
        (Line("Someone let the cat out of the bag. The cat would like back in."),),
        only=("cat",),
    ),
    Idiom(
        "bark up the wrong tree",
        "a very wrong tree: a potted ficus",
        "tree",
        (Line("{hero} is barking up the wrong tree. Every tree, actually."),),
        only=("dog",),
    ),
    Idiom(
        "rain cats and dogs",
        "kittens and puppies falling like rain",
        "rain",
        (Line("Forecast: ninety percent chance of cats and dogs."),),
    ),
    Idiom(
        "spill the tea",
        "a toppled teapot flooding the table",
        "teapot",
        (Line("You asked {hero} to spill the tea.", speech=False),),
    ),
    Idiom(
        "hold your horses",
        "two actual horses on a leash",
        "horse",
        (Line("{hero} was told to hold {hero_pos} horses. Both of them."),),
    ),
    Idiom(
        "have butterflies in the stomach",
        "a swarm of butterflies escaping",
        "butterfly",
        (Line("Nervous? Who, {hero}? Never.", speech=False),),
    ),
    Idiom(
        "get cold feet",
        "feet in two buckets of ice",
        "ice bucket",
        (Line("Cold feet, warm heart, questionable choices."),),
    ),
    Idiom("be a couch potato", "a potato-shaped couch", "couch", (Line("{hero} has become one with the couch."),)),
    Idiom(
        "burn the midnight oil",
        "a giant oil lamp at midnight",
        "oil lamp",
        (Line("Working late again. The oil bill is unbelievable."),),
    ),
    Idiom(
        "have a frog in the throat", "a frog peeking out of a scarf", "frog", (Line("Excuse me. Frog.", speech=True),)
    ),
    Idiom(
        "walk on eggshells",
        "a floor carpeted with eggshells",
        "eggshells",
        (Line("{hero} has been walking on eggshells all week. Literally."),),
    ),
    Idiom(
        "be on cloud nine",
        "a fluffy cloud with a big 9 on it",
        "cloud",
        (Line("{hero} is on cloud nine. Cloud ten is full."),),
    ),
    Idiom(
        "drop the ball",
        "a giant ball crushing the patio table",
        "giant ball",
        (Line("In {hero_pos} defense, it was a very big ball."),),
    ),
)


TREATS: dict[str, str] = {"cat": "tuna", "dog": "treats", "animal": "snacks", "object": "batteries"}
DEFAULT_TREAT = "snacks"


def fill(line: Line, slots: dict[str, str], sentence: bool = True) -> str | None:
    """The line with its slots filled (and, as a sentence, capitalised); None if a slot it needs is missing."""
    if any(slots.get(name) is None for name in line.slots()):
        return None
    text = line.text.format(**slots)
    if not sentence:
        return text
    # A slot at a sentence start ("the yarn never moved") needs its capital back.
    text = re.sub(r"(^|[.!?]\s+)([a-z])", lambda match: match.group(1) + match.group(2).upper(), text)
    return text


_STOPWORDS = frozenset(
    "a an the and or but of to in on at for with by from as is are was were be been it its this that my your "
    "his her their our me i you we they he she him them not no so very just than then there here who what "
    "when where how why all any one into out up down over vs versus about".split()
)


def content_words(text: str) -> list[str]:
    return [word for word in re.findall(r"[^\W_]+", text.casefold()) if word not in _STOPWORDS]


@functools.lru_cache(maxsize=8192)
def _lemmas(word: str) -> frozenset[str]:
    return frozenset({word, *(lemma.casefold() for forms in getAllLemmas(word).values() for lemma in forms)})


def content_lemmas(text: str) -> set[str]:
    """The content words of a text with every lemma each may have: "planning" -> plan, planning."""
    return set().union(set(), *(_lemmas(word) for word in content_words(text)))


def ties(caption: str, material: set[str], names: tuple[str, ...]) -> bool:
    """Whether a caption is about this request: it names the hero, or shares a content word (lemmatised)."""
    folded = caption.casefold()
    if any(re.search(rf"(?<!\w){re.escape(name.casefold())}(?!\w)", folded) for name in names if name):
        return True
    return bool(content_lemmas(caption) & material)


def restates(caption: str, request: str) -> bool:
    """True when a caption mostly repeats the request: shared content words, or any shared run of three words."""
    said = content_words(caption)
    asked = set(content_words(request))
    if not said:
        return False
    if sum(word in asked for word in said) / len(said) > 0.5:
        return True
    words = re.findall(r"[^\W_]+", caption.casefold())
    request_words = " " + " ".join(re.findall(r"[^\W_]+", request.casefold())) + " "
    return any(f" {' '.join(words[i : i + 3])} " in request_words for i in range(len(words) - 2))


def usable(caption: str | None, request: str) -> bool:
    """A caption the letterer can set: filled, short, and not the request said back."""
    return (
        bool(caption)
        and "{" not in caption
        and "}" not in caption
        and len(caption.split()) <= MAX_CAPTION_WORDS
        and len(caption) <= 160
        and not restates(caption, request)
    )
