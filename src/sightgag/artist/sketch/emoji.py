"""Casting: which OpenMoji glyph plays each cast member and prop.

A cast member is matched by its personal subject's kind first (Mittens is a cat whatever the writer
called her), then by its kind, its name and its appearance, word by word: through our own synonyms
(what people say: "grandma", "boss", "ball of yarn"), then through the `emoji` package's names
("printer", "chipmunk"). Only glyphs the OpenMoji font really has are chosen.
"""

from __future__ import annotations

import re
from functools import lru_cache

import emoji

from sightgag.concept import CastMember
from sightgag.letterer.fonts import OPENMOJI, coverage
from sightgag.subjects import Subject

# What people call things -> the glyph that draws them. Multi-word keys are matched as phrases.
SYNONYMS = {
    "cat": "🐈", "kitten": "🐈", "kitty": "🐈", "tabby": "🐈", "tomcat": "🐈",
    "dog": "🐕", "puppy": "🐕", "pup": "🐕", "doggo": "🐕", "hound": "🐕", "corgi": "🐕", "retriever": "🐕",
    "poodle": "🐩", "pug": "🐕", "dachshund": "🐕", "husky": "🐕",
    "squirrel": "🐿️", "squirrels": "🐿️", "chipmunk": "🐿️", "hamster": "🐹", "rabbit": "🐇", "bunny": "🐇",
    "parrot": "🦜", "bird": "🐦", "pigeon": "🐦", "goldfish": "🐟", "fish": "🐟", "turtle": "🐢", "tortoise": "🐢",
    "horse": "🐎", "pony": "🐎", "cow": "🐄", "pig": "🐖", "goat": "🐐", "sheep": "🐑", "llama": "🦙", "duck": "🦆",
    "goose": "🪿", "chicken": "🐔", "mouse": "🐁", "rat": "🐀", "snake": "🐍", "lizard": "🦎", "frog": "🐸",
    "grandma": "👵", "grandmother": "👵", "granny": "👵", "nana": "👵", "abuela": "👵", "old woman": "👵",
    "grandpa": "👴", "grandfather": "👴", "old man": "👴", "abuelo": "👴",
    "baby": "👶", "toddler": "🧒", "kid": "🧒", "child": "🧒", "boy": "👦", "girl": "👧",
    "woman": "👩", "mom": "👩", "mother": "👩", "wife": "👩", "sister": "👩", "aunt": "👩",
    "man": "👨", "dad": "👨", "father": "👨", "husband": "👨", "brother": "👨", "uncle": "👨",
    "person": "🧑", "me": "🧑", "friend": "🧑", "human": "🧑", "self": "🧑",
    "boss": "🧑‍💼", "manager": "🧑‍💼", "coworker": "🧑‍💼", "colleague": "🧑‍💼", "accountant": "🧑‍💼", "accounting": "🧑‍💼",
    "office worker": "🧑‍💼", "ceo": "🧑‍💼", "intern": "🧑‍💼",
    "chef": "🧑‍🍳", "cook": "🧑‍🍳", "teacher": "🧑‍🏫", "professor": "🧑‍🏫", "scientist": "🧑‍🔬", "doctor": "🧑‍⚕️",
    "astronaut": "🧑‍🚀", "firefighter": "🧑‍🚒", "judge": "🧑‍⚖️", "farmer": "🧑‍🌾", "artist": "🧑‍🎨",
    "singer": "🧑‍🎤", "rockstar": "🧑‍🎤", "pilot": "🧑‍✈️", "detective": "🕵️", "ninja": "🥷", "superhero": "🦸",
    "villain": "🦹", "wizard": "🧙", "vampire": "🧛", "zombie": "🧟", "ghost": "👻", "alien": "👽", "robot": "🤖",
    "yarn": "🧶", "ball of yarn": "🧶", "yarn ball": "🧶", "wool": "🧶", "knitting": "🧶",
    "vacuum": "🧹", "vacuum cleaner": "🧹", "roomba": "🧹", "broom": "🧹",
    "printer": "🖨️", "photocopier": "🖨️", "copier": "🖨️", "computer": "💻", "laptop": "💻", "phone": "📱",
    "spreadsheet": "📊", "slides": "📊", "slide": "📊", "presentation": "📊", "clicker": "🖲️", "remote": "🖲️", "chart": "📊", "email": "📧", "stapler": "📎",
    "pizza": "🍕", "burger": "🍔", "taco": "🌮", "cake": "🍰", "cookie": "🍪", "donut": "🍩", "coffee": "☕",
    "banana": "🍌", "cucumber": "🥒", "carrot": "🥕", "cheese": "🧀", "bacon": "🥓", "sandwich": "🥪", "treat": "🍪",
    "bath": "🛁", "bathtub": "🛁", "shower": "🚿", "mailman": "🧑‍💼", "mail carrier": "🧑‍💼", "postman": "🧑‍💼",
    "skateboard": "🛹", "bicycle": "🚲", "bike": "🚲", "car": "🚗", "truck": "🚚", "rocket": "🚀", "ufo": "🛸",
    "microphone": "🎤", "mic": "🎤", "trophy": "🏆", "medal": "🏅", "crown": "👑", "sword": "🗡️", "shield": "🛡️",
    "cape": "🦸", "mask": "🎭", "sunglasses": "🕶️", "glasses": "👓", "tie": "👔", "hat": "🎩", "top hat": "🎩",
    "balloon": "🎈", "ball": "⚽", "tennis ball": "🎾", "frisbee": "🥏", "box": "📦", "cardboard box": "📦",
    "laser": "🔴", "laser pointer": "🔴", "red dot": "🔴", "mirror": "🪞", "cucumber slice": "🥒",
    "book": "📖", "newspaper": "📰", "money": "💰", "alarm clock": "⏰", "clock": "⏰", "bomb": "💣",
    "dragon": "🐉", "dinosaur": "🦖", "t-rex": "🦖", "shark": "🦈", "bear": "🐻", "lion": "🦁", "tiger": "🐅",
    "monster": "👾", "moon": "🌙", "sun": "☀️", "cloud": "☁️", "tree": "🌳", "flower": "🌸", "plant": "🪴",
    "toaster": "🍞", "bread": "🍞", "pickle": "🥒", "ice cream": "🍦", "popcorn": "🍿",
    "sofa": "🛋️", "couch": "🛋️", "bed": "🛏️", "toilet": "🚽", "door": "🚪", "ladder": "🪜",
}

# A personal subject's kind picks its glyph; anything unknown is drawn as a person or a thing.
GENERIC = {"animal": "🐾", "person": "🧑", "thing": "📦"}


@lru_cache(maxsize=1)
def _font_has() -> frozenset[int]:
    return coverage(OPENMOJI)


def drawable(glyph: str) -> bool:
    """Whether OpenMoji draws this glyph (every code point but the joiners and variation selectors)."""
    return all(ord(char) in _font_has() or char in "\u200d\ufe0f" for char in glyph)


@lru_cache(maxsize=1)
def _emoji_names() -> dict[str, str]:
    """Words of the `emoji` package's English names -> a glyph, simplest glyph first."""
    names: dict[str, str] = {}
    for glyph, data in sorted(emoji.EMOJI_DATA.items(), key=lambda item: (len(item[0]), item[0])):
        if data.get("status") != emoji.STATUS["fully_qualified"] or not drawable(glyph):
            continue
        name = data["en"].strip(":").replace("_", " ").lower()
        names.setdefault(name, glyph)
        if " " not in name:
            continue
        # "cat face" is also findable as "cat" if nothing else claims it.
        names.setdefault(name.split()[-1], glyph)
    return names


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z][a-z'-]*", text.lower())


def lookup(text: str) -> str | None:
    """The glyph for a bit of text ("giant ball of yarn" -> 🧶), or None.

    Our synonyms are tried before the emoji names, longer phrases before words, and later words
    before earlier ones: in English the thing itself comes last ("office printer" is a printer).
    """
    words = _words(text)
    phrases = [
        " ".join(words[start : start + size])
        for size in (3, 2, 1)
        for start in reversed(range(len(words) - size + 1))
    ]
    for table in (SYNONYMS, _emoji_names()):
        for phrase in phrases:
            for candidate in (phrase, phrase.removesuffix("s")):
                glyph = table.get(candidate)
                if glyph and drawable(glyph):
                    return glyph
    return None


def cast_glyph(member: CastMember, subject: Subject | None) -> str:
    """The glyph that plays a cast member."""
    for text in (subject.kind if subject else "", member.kind, member.name, member.appearance):
        glyph = lookup(text) if text else None
        if glyph:
            return glyph
    looks_human = any(word in _words(member.appearance + " " + member.kind) for word in ("person", "man", "woman", "he", "she", "wearing"))
    return GENERIC["person"] if looks_human or member.role == "hero" else GENERIC["thing"]
