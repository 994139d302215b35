"""English grammar for the offline writer, from kept libraries: `inflect` for number and articles,
`lemminflect` for lemmas and verb forms (its data ships inside the package).

    plural("ball of yarn"), singular("mice"), article("owl")  # "balls of yarn", "mouse", "an owl"
    verb_lemma("planning"), gerund("plan")                     # "plan", "planning"
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from functools import lru_cache

from lemminflect import getAllLemmas, getInflection


@contextmanager
def _without_typeguard():
    """inflect wraps its methods in typeguard's @typechecked, which re-parses inflect's source at import: one to
    several seconds of every cold start (jaraco/inflect#212, agronholm/typeguard#468). The checks only guard the
    argument types of inflect's own API, which this module calls with strings, so they are left out."""
    import typeguard

    checked = typeguard.typechecked
    typeguard.typechecked = lambda target=None, **_: target if target is not None else (lambda function: function)
    try:
        yield
    finally:
        typeguard.typechecked = checked


if "inflect" in sys.modules:
    import inflect
else:
    with _without_typeguard():
        import inflect

_ENGLISH = inflect.engine()
# inflect reads a final -s as a plural wherever it can ("cactus" -> "cactu"): these endings are singular.
_SINGULAR_ENDINGS = ("ss", "us", "is", "ous")


@lru_cache(maxsize=4096)
def is_plural(noun: str) -> bool:
    """Whether a noun phrase is plural: "pigeons", "mice", "office printers"; not "Mittens", "a crew of kids"."""
    if " and " in noun:  # "ketchup and cereal" are two things
        return True
    noun = noun.split(" of ")[0]  # "a crew of teenagers" counts crews
    word = noun.split()[-1] if noun.split() else noun
    if not word or word[:1].isupper() or word.lower().endswith(_SINGULAR_ENDINGS):
        return False
    found = _ENGLISH.singular_noun(word.lower())
    return bool(found) and found != word.lower()


@lru_cache(maxsize=4096)
def singular(noun: str) -> str:
    """One of a plural noun or noun phrase ("office printers" -> "office printer"); anything else as it is."""
    if not is_plural(noun) or " and " in noun:
        return noun
    head, of, rest = noun.partition(" of ")
    words = head.split()
    return " ".join(words[:-1] + [_ENGLISH.singular_noun(words[-1].lower()) or words[-1]]) + of + rest


@lru_cache(maxsize=4096)
def plural(noun: str) -> str:
    """Many of a noun or noun phrase ("ball of yarn" -> "balls of yarn"); a plural or a name stays as it is."""
    if not noun or is_plural(noun) or noun[:1].isupper() and " " not in noun and noun.endswith("s"):
        return noun
    if noun.isupper():  # "GPS", "DMV": an acronym takes its plural as letters do
        return noun + ("es" if noun.endswith(("S", "X")) else "s")
    return _ENGLISH.plural_noun(noun) or noun


@lru_cache(maxsize=4096)
def article(noun: str) -> str:
    """The noun with "a" or "an" as it is said ("an owl", "a unicorn", "an F1 car")."""
    return _ENGLISH.a(noun) if noun else noun


@lru_cache(maxsize=4096)
def verb_lemma(word: str) -> str | None:
    """The base verb of an inflected form ("planning" -> "plan", "stuck" -> "stick"), None if it is no verb."""
    verbs = getAllLemmas(word.lower()).get("VERB")
    return verbs[0] if verbs else None


@lru_cache(maxsize=4096)
def is_inflected_verb(word: str) -> bool:
    """A verb in a form of its own ("stuck", "grilling"): no name is made of one. A word that is also a
    plural noun ("socks", "irons") is left alone."""
    word = word.lower()
    lemmas = getAllLemmas(word)
    verbs, nouns = lemmas.get("VERB", ()), lemmas.get("NOUN", ())
    return any(lemma != word for lemma in verbs) and all(lemma == word for lemma in nouns)


@lru_cache(maxsize=4096)
def gerund(verb: str) -> str:
    """The -ing form of a base verb ("plan" -> "planning")."""
    forms = getInflection(verb, tag="VBG")
    return forms[0] if forms else verb + "ing"


@lru_cache(maxsize=4096)
def past_participle(verb: str) -> str:
    """ "build" -> "built", "plan" -> "planned"."""
    forms = getInflection(verb, tag="VBN")
    return forms[0] if forms else verb + "ed"


@lru_cache(maxsize=4096)
def third_person(verb: str) -> str:
    """The he/she/it form of a base verb ("try" -> "tries")."""
    forms = getInflection(verb, tag="VBZ")
    return forms[0] if forms else verb + "s"
