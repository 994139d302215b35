"""Requests in other languages, read by the offline writer through a small glossary.

The offline writer's captions are English. A request in Spanish, French, German, Italian or Portuguese
is recognised by its function words and glossed word by word into English ("mi gato Tito como chef" ->
"my cat Tito as chef"): names and unknown words stay as they were, so the hero keeps its name and the
nouns the glossary knows reach the planner. The writer then says, in one line, that it wrote in English.

    gloss("mi perro Toby contra la aspiradora")  # ("my dog Toby against the vacuum cleaner", "Spanish")
"""

from __future__ import annotations

import re

# fmt: off
_FUNCTION_WORDS = {
    "Spanish": "mi mis el la los las un una unos unas y con para por del de en como contra sobre al su es",
    "French": "mon ma mes le la les un une des et avec pour du de en comme contre sur au son sa est",
    "German": "mein meine meinen der die das ein eine und mit für vom von im als gegen auf am sein ist",
    "Italian": "il lo la i gli le mio mia un una e con per del della di in come contro sul che nel",
    "Portuguese": "meu minha o a os as um uma e com para do da de em como contra no na seu sua",
}
_ENGLISH_WORDS = frozenset("my the a an and with for of in as vs against on at his her is to".split())

_GLOSSARY = {
    # people and pets
    "gato": "cat", "gata": "cat", "gatito": "kitten", "perro": "dog", "perrito": "puppy", "chat": "cat",
    "chatte": "cat",
    "chien": "dog", "chienne": "dog", "katze": "cat", "kater": "cat", "hund": "dog", "gatto": "cat", "gatta": "cat",
    "cane": "dog", "cachorro": "dog", "cadela": "dog", "cão": "dog",
    "abuela": "grandma", "abuelo": "grandpa", "grand-mère": "grandma", "mamie": "grandma", "papi": "grandpa",
    "oma": "grandma", "opa": "grandpa", "nonna": "grandma", "nonno": "grandpa", "avó": "grandma", "avô": "grandpa",
    "hermana": "sister", "hermano": "brother", "sœur": "sister", "frère": "brother", "schwester": "sister",
    "bruder": "brother", "sorella": "sister", "fratello": "brother", "irmã": "sister", "irmão": "brother",
    "madre": "mother", "padre": "father", "mamá": "mom", "papá": "dad", "mère": "mother", "père": "father",
    "mutter": "mother", "vater": "father", "hijo": "son", "hija": "daughter", "fils": "son", "fille": "daughter",
    "jefe": "boss", "jefa": "boss", "patron": "boss", "chefin": "boss", "capo": "boss",
    "pez": "fish", "poisson": "fish", "fisch": "fish", "pesce": "fish", "peixe": "fish", "ratones": "mice",
    "ratón": "mouse", "souris": "mouse", "maus": "mouse", "topo": "mouse", "rato": "mouse", "pájaro": "bird",
    "oiseau": "bird", "vogel": "bird", "uccello": "bird", "pássaro": "bird", "facteur": "mailman",
    "cartero": "mailman", "briefträger": "mailman", "postino": "mailman", "carteiro": "mailman",
    # roles
    "astronauta": "astronaut", "astronaute": "astronaut", "astronaut": "astronaut", "superhéroe": "superhero",
    "superheroína": "superhero", "super-héros": "superhero", "superheld": "superhero", "superheldin": "superhero",
    "supereroe": "superhero", "super-herói": "superhero", "pirata": "pirate", "pirate": "pirate", "pirat": "pirate",
    "cocinero": "chef", "cuisinier": "chef", "koch": "chef", "cuoco": "chef", "cozinheiro": "chef", "chef": "chef",
    "detective": "detective", "détective": "detective", "detektiv": "detective", "detetive": "detective",
    # places and things
    "cocina": "kitchen", "cuisine": "kitchen", "küche": "kitchen", "cucina": "kitchen", "cozinha": "kitchen",
    "playa": "beach", "plage": "beach", "strand": "beach", "spiaggia": "beach", "praia": "beach",
    "luna": "moon", "lune": "moon", "mond": "moon", "lua": "moon", "oficina": "office", "bureau": "office",
    "büro": "office", "ufficio": "office", "escritório": "office", "jardín": "garden", "jardin": "garden",
    "garten": "garden", "giardino": "garden", "jardim": "garden", "aspiradora": "vacuum cleaner",
    "aspirateur": "vacuum cleaner", "staubsauger": "vacuum cleaner", "aspirapolvere": "vacuum cleaner",
    "aspirador": "vacuum cleaner", "pizza": "pizza", "sushi": "sushi", "salsa": "salsa", "futebol": "football",
    "fútbol": "football", "fußball": "football", "calcio": "football", "pelota": "ball", "balle": "ball",
    "ball": "ball", "palla": "ball", "bola": "ball", "museo": "museum", "musée": "museum", "museu": "museum",
    "volcán": "volcano", "volcan": "volcano", "vulkan": "volcano", "vulcano": "volcano", "vulcão": "volcano",
    # verbs, as -ing forms the planner reads
    "preparando": "preparing", "cocinando": "cooking", "cocinar": "cooking", "bailando": "dancing",
    "cantando": "singing", "jugando": "playing", "jogando": "playing", "luchando": "fighting", "kocht": "cooking",
    "tanzt": "dancing", "spielt": "playing", "danse": "dancing", "joue": "playing", "chante": "singing",
    "comiendo": "eating", "mangeant": "eating",
}
_FUNCTION_GLOSSARY = {
    "mi": "my", "mis": "my", "mon": "my", "ma": "my", "mes": "my", "mein": "my", "meine": "my", "meinen": "my",
    "mio": "my", "mia": "my", "meu": "my", "minha": "my", "el": "the", "la": "the", "los": "the", "las": "the",
    "le": "the", "les": "the", "der": "the", "die": "the", "das": "the", "den": "the", "il": "the", "lo": "the",
    "gli": "the", "un": "a", "una": "a", "une": "a", "ein": "a", "eine": "a", "einen": "a", "um": "a", "uma": "a",
    "y": "and", "et": "and", "und": "and", "e": "and", "con": "with", "avec": "with", "mit": "with", "com": "with",
    "para": "for", "pour": "for", "für": "for", "per": "for", "por": "for", "como": "as", "comme": "as", "als": "as",
    "come": "as", "en": "in", "im": "in the", "in": "in", "no": "in the", "na": "in the", "nel": "in the",
    "nella": "in the", "sur": "on", "auf": "on", "sul": "on", "contra": "against", "contre": "against",
    "gegen": "against", "contro": "against", "del": "of the", "de": "of", "du": "of the", "des": "of the",
    "vom": "of the", "von": "of", "di": "of", "della": "of the", "do": "of the", "da": "of the", "al": "at the",
    "au": "at the", "am": "at the", "su": "his", "sa": "his", "son": "his", "sein": "his", "seu": "his", "sua": "his",
}
# fmt: on
# Where one language says it differently: French "en astronaute" is "as an astronaut".
_OVERRIDES = {"French": {"en": "as"}, "Italian": {"cucina": "cooking", "mangia": "eating", "balla": "dancing"}}
_VERB_AFTER = {"che", "qui", "que", "der", "die"}  # "che cucina": who cooks
# Words that read differently after "che" (Italian "which/that") and the like are left to the planner.


def detect(text: str) -> str | None:
    """The language a request is in, when it is one of those above and clearly not English."""
    words = re.findall(r"[^\W\d_]+", text.lower())
    if not words:
        return None
    english = sum(word in _ENGLISH_WORDS for word in words)
    known = sum(word in _GLOSSARY and word not in _ENGLISH_WORDS for word in words)
    scores = {
        language: sum(word in set(listed.split()) for word in words) for language, listed in _FUNCTION_WORDS.items()
    }
    language, score = max(scores.items(), key=lambda item: item[1])
    return language if score >= 1 and score + known >= 2 and score > english else None


def gloss(text: str) -> tuple[str, str | None]:
    """The request glossed into English word by word, and its language; English comes back as it is."""
    language = detect(text)
    if language is None:
        return text, None
    overrides = _OVERRIDES.get(language, {})
    out: list[str] = []
    after_relative = False
    for index, word in enumerate(re.findall(r"[^\W_][\w'’-]*|[^\w\s]", text)):
        lower = word.lower()
        if lower in _VERB_AFTER and index:
            after_relative = True
            continue
        # A capitalised word past the first is a name ("Mia") unless the glossary knows it as a noun ("Katze").
        named = word[:1].isupper() and index > 0
        english = overrides.get(lower) if (after_relative or lower not in _GLOSSARY) else None
        english = english or _GLOSSARY.get(lower) or (None if named else _FUNCTION_GLOSSARY.get(lower))
        after_relative = False
        if english == "the" and out and out[-1] == "the":
            continue
        out.append(english if english is not None else word)
    glossed = " ".join(out)
    return re.sub(r"\bthe (my|his|her)\b", r"\1", glossed), language
