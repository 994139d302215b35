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
# fmt: off
SYNONYMS = {
    "cat": "🐈", "kitten": "🐈", "kitty": "🐈", "tabby": "🐈", "tomcat": "🐈",
    "dog": "🐕", "puppy": "🐕", "pup": "🐕", "doggo": "🐕", "hound": "🐕", "corgi": "🐕", "retriever": "🐕",
    "poodle": "🐩", "pug": "🐕", "dachshund": "🐕", "husky": "🐕",
    "squirrel": "🐿️", "chipmunk": "🐿️", "hamster": "🐹", "rabbit": "🐇", "bunny": "🐇",
    "parrot": "🦜", "bird": "🐦", "pigeon": "🐦", "seagull": "🐦", "gull": "🐦", "crab": "🦀", "goldfish": "🐟", "fish": "🐟", "turtle": "🐢", "tortoise": "🐢",
    "horse": "🐎", "pony": "🐎", "cow": "🐄", "pig": "🐖", "goat": "🐐", "sheep": "🐑", "llama": "🦙", "duck": "🦆",
    "goose": "🪿", "chicken": "🐔", "mouse": "🐁", "rat": "🐀", "snake": "🐍", "lizard": "🦎", "frog": "🐸",
    "gecko": "🦎", "iguana": "🦎", "chameleon": "🦎", "bearded dragon": "🦎", "axolotl": "🦎", "guinea pig": "🐹",
    "ferret": "🦦", "budgie": "🐦", "cockatoo": "🦜", "tarantula": "🕷️", "hermit crab": "🦀", "bakery": "🥐",
    "grandma": "👵", "grandmother": "👵", "granny": "👵", "nana": "👵", "abuela": "👵", "old woman": "👵",
    "grandpa": "👴", "grandfather": "👴", "old man": "👴", "abuelo": "👴",
    "baby": "👶", "toddler": "🧒", "kid": "🧒", "child": "🧒", "boy": "👦", "girl": "👧",
    "woman": "👩", "mom": "👩", "mother": "👩", "wife": "👩", "sister": "👩", "aunt": "👩",
    "man": "👨", "dad": "👨", "father": "👨", "husband": "👨", "brother": "👨", "uncle": "👨",
    "person": "🧑", "me": "🧑", "friend": "🧑", "human": "🧑", "self": "🧑",
    "son": "👦", "nephew": "👦", "daughter": "👧", "niece": "👧", "boyfriend": "👨", "girlfriend": "👩",
    "cousin": "🧑", "partner": "🧑", "roommate": "🧑", "neighbour": "🧑", "neighbor": "🧑", "landlord": "🧑",
    "twin": "🧒", "teenager": "🧑",
    "boss": "🧑‍💼", "manager": "🧑‍💼", "coworker": "🧑‍💼", "colleague": "🧑‍💼", "accountant": "🧑‍💼",
    "accounting": "🧑‍💼", "office worker": "🧑‍💼", "ceo": "🧑‍💼", "intern": "🧑‍💼",
    "mailman": "🧑‍💼", "mail carrier": "🧑‍💼", "postman": "🧑‍💼",
    "chef": "🧑‍🍳", "cook": "🧑‍🍳", "teacher": "🧑‍🏫", "professor": "🧑‍🏫", "scientist": "🧑‍🔬", "doctor": "🧑‍⚕️",
    "astronaut": "🧑‍🚀", "firefighter": "🧑‍🚒", "judge": "🧑‍⚖️", "referee": "🧑", "umpire": "🧑", "farmer": "🧑‍🌾", "artist": "🧑‍🎨",
    "singer": "🧑‍🎤", "rockstar": "🧑‍🎤", "pilot": "🧑‍✈️", "detective": "🕵️", "ninja": "🥷", "superhero": "🦸",
    "villain": "🦹", "wizard": "🧙", "vampire": "🧛", "zombie": "🧟", "ghost": "👻", "alien": "👽", "robot": "🤖",
    "yarn": "🧶", "ball of yarn": "🧶", "yarn ball": "🧶", "wool": "🧶", "knitting": "🧶",
    "vacuum": "🧹", "vacuum cleaner": "🧹", "roomba": "🧹", "broom": "🧹",
    "printer": "🖨️", "photocopier": "🖨️", "copier": "🖨️", "computer": "💻", "laptop": "💻", "phone": "📱",
    "spreadsheet": "📊", "chart": "📊", "email": "📧", "stapler": "📎",
    "drone": "🛸", "delivery drone": "🛸", "smoke alarm": "🚨", "alarm": "🚨",
    "pot": "🍲", "pizza": "🍕", "burger": "🍔", "taco": "🌮", "cake": "🍰", "cookie": "🍪", "donut": "🍩",
    "coffee": "☕", "banana": "🍌", "cucumber": "🥒", "carrot": "🥕", "cheese": "🧀", "bacon": "🥓",
    "sandwich": "🥪", "treat": "🍪", "souffle": "🥧", "soufflé": "🥧", "pie": "🥧", "toaster": "🍞", "bread": "🍞",
    "loaf": "🍞", "pickle": "🥒", "ice cream": "🍦", "popcorn": "🍿", "spoon": "🥄", "wooden spoon": "🥄",
    "whisk": "🥄", "pan": "🍳",
    "bath": "🛁", "bathtub": "🛁", "shower": "🚿",
    "skateboard": "🛹", "half-pipe": "🛹", "halfpipe": "🛹", "bicycle": "🚲", "bike": "🚲", "car": "🚗",
    "truck": "🚚", "rocket": "🚀", "ufo": "🛸",
    "microphone": "🎤", "mic": "🎤", "trophy": "🏆", "medal": "🥇", "gold medal": "🥇", "crown": "👑",
    "sword": "🗡️", "shield": "🛡️", "sunglasses": "🕶️", "glasses": "👓", "tie": "👔", "hat": "🎩", "top hat": "🎩",
    "balloon": "🎈", "ball": "⚽", "tennis ball": "🎾", "frisbee": "🥏", "box": "📦", "cardboard box": "📦",
    "laser": "🔴", "laser pointer": "🔴", "red dot": "🔴", "mirror": "🪞",
    "tv remote": "📺", "remote": "📺", "tv": "📺", "television": "📺",
    "book": "📖", "newspaper": "📰", "money": "💰", "alarm clock": "⏰", "clock": "⏰", "bomb": "💣",
    "dragon": "🐉", "dinosaur": "🦖", "t-rex": "🦖", "shark": "🦈", "bear": "🐻", "lion": "🦁", "tiger": "🐅",
    "monster": "👾", "moon": "🌙", "sun": "☀️", "cloud": "☁️", "tree": "🌳", "flower": "🌸", "plant": "🪴",
    "sofa": "🛋️", "couch": "🛋️", "bed": "🛏️", "toilet": "🚽", "door": "🚪", "ladder": "🪜",
    # What requests set heroes against.
    "wifi router": "📡", "router": "📡", "ikea furniture": "🪑", "furniture": "🪑", "fitted sheet": "🛏️",
    "quarterly report": "📊", "report": "📊", "internet": "🌐", "mona lisa": "🖼️", "painting": "🖼️",
    "grammar": "📖", "homework": "📝", "taxes": "🧾", "tax": "🧾", "receipts": "🧾", "battery": "🪫",
    "hugs": "🤗", "hug": "🤗", "orchestra": "🎻", "snack": "🍪", "vegetables": "🥦", "vegetable": "🥦",
    "self-checkout": "🛒",
    "self-checkout machine": "🛒", "gps": "🗺️", "coffee machine": "☕", "smart speaker": "🔊", "ketchup": "🍅",
    "board meeting": "📊", "sunny spot": "☀️", "synergy": "🤝", "dark": "🌑", "chimney": "🏠", "boiler": "🔥",
    "lawn": "🌱", "tooth": "🦷", "duckling": "🐤", "ducklings": "🐤", "mount everest": "🏔️", "everest": "🏔️",
    "eiffel tower": "🗼", "lava": "🌋", "volcano": "🌋", "bird feeder": "🪺", "traffic": "🚗",
    "monday": "📅", "socks": "🧦", "sock": "🧦", "spider": "🕷️", "guard": "💂", "museum guard": "💂",
    "formula 1 car": "🏎️", "race car": "🏎️", "safety car": "🚓", "pit crew": "🔧", "mute button": "🔇",
    "frozen screen": "💻", "castle ornament": "🏰", "guard cat": "🐈", "searchlight": "🔦", "teaspoon": "🥄",
    # Things no glyph draws well: better nothing than a military helmet on grandma.
    "helmet": "", "clicker": "", "slide clicker": "", "headset": "", "slides": "", "slide": "",
}

# Animals that can stand up like a person: the face glyph that goes on a drawn body.
FACES = {
    "🐕": "🐶", "🐩": "🐶", "🐈": "🐱", "🐇": "🐰", "🐁": "🐭", "🐀": "🐭", "🐖": "🐷", "🐄": "🐮", "🐎": "🐴",
    "🐅": "🐯", "🐒": "🐵", "🐹": "🐹", "🐸": "🐸", "🐻": "🐻", "🦁": "🦁", "🐔": "🐔", "🦊": "🦊", "🐼": "🐼",
    "🐨": "🐨", "🐺": "🐺", "🦝": "🦝", "🐟": "🐟", "🐦": "🐦", "🦜": "🦜", "🐿️": "🐿️", "🐑": "🐑", "🐐": "🐐",
    "🦙": "🦙", "🦆": "🦆", "🤖": "🤖", "👽": "👽", "👻": "👻",
}
# fmt: on

# OpenMoji draws people from the chest up: these get legs so they can stand on a floor.
_BUST_STARTS = set("🧑👨👩👵👴👶🧒👦👧🦸🦹🧙🧛🧟🕵🥷👮💂👷🤴👸🧕🤵👰🧔🙍🙎🙅🙆💁🙋🧏🙇🤦🤷")

# Props the artist draws on the wearer instead of beside it.
WORN = {"cape": r"\bcape", "mask": r"\bmask|domino", "medal": r"medal", "hat": r"\bhat\b|crown|top hat"}

# A crowd in the cast is drawn as a crowd, not as one emoji.
CROWDS = (
    r"\b(audience|crowd|spectators?|fans|onlookers|people|students|class|jury|judges|panel|colleagues|coworkers"
    r"|guests)\b"
)

# A personal subject's kind picks its glyph; anything unknown is drawn as a person or a thing.
GENERIC = {"person": "🧑", "thing": "📦"}
_PERSON_WORDS = {"person", "man", "woman", "he", "she", "wearing", "guy", "lady", "someone", "who", "name"}


@lru_cache(maxsize=1)
def _font_has() -> frozenset[int]:
    return coverage(OPENMOJI)


def drawable(glyph: str) -> bool:
    """Whether OpenMoji draws this glyph (every code point but the joiners and variation selectors)."""
    return all(ord(char) in _font_has() or char in "\u200d\ufe0f" for char in glyph)


@lru_cache(maxsize=1)
def _emoji_names() -> dict[str, str]:
    """The `emoji` package's English names -> a glyph, simplest glyph first; plus each name's last word."""
    names: dict[str, str] = {}
    last_words: dict[str, str] = {}
    for glyph, data in sorted(emoji.EMOJI_DATA.items(), key=lambda item: (len(item[0]), item[0])):
        if data.get("status") != emoji.STATUS["fully_qualified"] or not drawable(glyph):
            continue
        name = data["en"].strip(":").replace("_", " ").lower()
        names.setdefault(name, glyph)
        # "cat face" is also findable as "cat" if nothing else claims it.
        last_words.setdefault(name.split()[-1], glyph)
    return {**last_words, **names}


def _words(text: str) -> list[str]:
    return re.findall(r"[a-zé][a-zé'-]*", text.lower())


def lookup(text: str, emoji_names: bool = True) -> str | None:
    """The glyph for a bit of text ("giant ball of yarn" -> 🧶), or None.

    Our synonyms are tried before the emoji names, longer phrases before words, and later words
    before earlier ones: in English the thing itself comes last ("office printer" is a printer).
    """
    words = _words(text)
    phrases = [
        " ".join(words[start : start + size]) for size in (3, 2, 1) for start in reversed(range(len(words) - size + 1))
    ]
    for table in (SYNONYMS, _emoji_names()) if emoji_names else (SYNONYMS,):
        for phrase in phrases:
            for candidate in (phrase, phrase.removesuffix("s"), phrase.removesuffix("es")):
                glyph = table.get(candidate)
                if glyph == "":
                    return None
                if glyph and drawable(glyph):
                    return glyph
    return None


def cast_glyph(member: CastMember, subject: Subject | None) -> str:
    """The glyph that plays a cast member: by subject kind, kind, name, appearance; else a generic one."""
    # "Mount Everest", "the GPS": a capitalised thing is filed as a person, but its name says what it is.
    name = member.name
    generic = member.kind in ("person", "") and (name.isupper() or len(name.split()) >= 2 or name.lower() in SYNONYMS)
    texts = (member.name, member.kind) if generic else (member.kind, member.name)
    for text in (subject.kind if subject else "", *texts, member.appearance):
        # A name is not a word: Leo is no ♌, Daisy no 🌼 (our own synonyms still know "Roomba").
        glyph = lookup(text, emoji_names=text != member.name or not name[:1].isupper()) if text else None
        if glyph:
            return glyph
    words = set(_words(f"{member.appearance} {member.kind} {member.name}"))
    # A bare first name ("Dave") or a described human is a person; anything else unknown is a thing.
    named = member.name[:1].isupper() and len(member.name.split()) <= 2
    return GENERIC["person"] if words & _PERSON_WORDS or named or member.role == "hero" else GENERIC["thing"]


def is_bust(glyph: str) -> bool:
    """Whether OpenMoji draws this glyph as a person from the chest up."""
    return glyph[:1] in _BUST_STARTS


def face_of(glyph: str) -> str | None:
    """The face glyph of an animal that can stand up like a person (🐕 -> 🐶), or None."""
    face = FACES.get(glyph) or FACES.get(glyph.replace("\ufe0f", ""))
    return face if face and drawable(face) else None


def worn(prop: str) -> str | None:
    """Which drawn garment a prop is ("red satin cape" -> "cape"), or None for a held thing."""
    return next((kind for kind, pattern in WORN.items() if re.search(pattern, prop.lower())), None)


def is_crowd(member: CastMember) -> bool:
    return re.search(CROWDS, f"{member.name} {member.kind}".lower()) is not None
