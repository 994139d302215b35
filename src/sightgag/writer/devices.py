"""How the offline writer stages each comedic device: titles, premise, moment, poses, layout and look.

A device is the mechanism of the joke, and it decides the picture as much as the words: scale mismatch
needs a towering foil box, mock-heroic a low-angle hero in a cape, deadpan a calm hero beside chaos.
Text patterns use the same slots as the caption lines (see jokes.py) plus {Hero} and {Foil} in title case.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sightgag.concept import Device
from sightgag.writer.jokes import Line


@dataclass(frozen=True)
class Staging:
    titles: tuple[str, ...]
    premise: str
    moment: str
    hero_expression: str
    hero_pose: str
    foil_expression: str
    foil_pose: str
    hero_box: tuple[float, float, float, float]
    foil_box: tuple[float, float, float, float]
    extra_box: tuple[float, float, float, float]
    medium: str
    references: tuple[str, ...]
    palette: str
    lighting: str
    camera: str
    composition: str
    use_scene_look: bool = False  # play it in the scene's own look (deadpan, anthropomorphism)
    hero_props: tuple[str, ...] = ()


STAGINGS: dict[Device, Staging] = {
    Device.mock_heroic: Staging(
        titles=("{Hero} Rises", "The Last Stand of {Hero}", "{Hero} vs. {Foil}", "The Battle of {Place}"),
        premise="{hero_intro}{doing_} treat{hero_s} a standoff with {foil} as the final battle of an epic saga.",
        moment=(
            "{hero_name} mid-leap, cape billowing, {limb} raised at {foil}; {foil} just sit{foil_s} there, motionless"
        ),
        hero_expression="fierce, heroic squint",
        hero_pose="mid-leap, cape flaring, one {limb} raised",
        foil_expression="blank, unbothered",
        foil_pose="sitting perfectly still",
        hero_box=(0.22, 0.12, 0.5, 0.72),
        foil_box=(0.66, 0.58, 0.3, 0.36),
        extra_box=(0.02, 0.7, 0.25, 0.28),
        medium="epic action movie poster",
        references=("superhero movie poster", "Renaissance battle painting"),
        palette="saturated reds and golds against deep blue",
        lighting="dramatic rim light, lens flare, god rays",
        camera="low-angle wide shot",
        composition="hero central and towering in the frame, the foil small in the lower right",
        hero_props=("red cape",),
    ),
    Device.scale_mismatch: Staging(
        titles=(
            "A Slight Size Difference",
            "{Hero} and the Very Big {Foil}",
            "It Looked Smaller Online",
            "Honey, I Grew the {Foil}",
        ),
        premise=(
            "{hero_intro}{doing_} square{hero_s} up to {foil}, about forty "
            "times bigger, and refuse{hero_s} to back down."
        ),
        moment=(
            "{hero_name} stand{hero_s} tiny and defiant in the lower left, {limb} raised, "
            "as {foil} tower{foil_s} over the whole frame"
        ),
        hero_expression="wildly overconfident",
        hero_pose="standing tall on tiptoes, chest out",
        foil_expression="looming, oblivious",
        foil_pose="towering, filling the frame",
        hero_box=(0.06, 0.58, 0.26, 0.38),
        foil_box=(0.3, 0.04, 0.66, 0.92),
        extra_box=(0.02, 0.05, 0.2, 0.25),
        medium="Pixar-style 3D render",
        references=("Honey, I Shrunk the Kids", "kaiju movie still"),
        palette="bright, saturated colours",
        lighting="soft global illumination, long shadow from the foil",
        camera="worm's-eye wide shot from the hero's height",
        composition="hero tiny in the lower left, the foil towering over the frame",
    ),
    Device.anthropomorphism: Staging(
        titles=("{Hero}, {Role}", "The {Role} Will See You Now", "A True Professional", "{Hero} Means Business"),
        premise=(
            "{hero_intro} {doing_now} with the total seriousness of a seasoned professional, despite being {a_kind}."
        ),
        moment=(
            "{hero_name} stand{hero_s} upright like a person, {doing_now}, "
            "one {limb} gesturing at {foil} with complete professional gravity"
        ),
        hero_expression="utterly serious, professional",
        hero_pose="standing upright like a person, one {limb} gesturing",
        foil_expression="",
        foil_pose="",
        hero_box=(0.28, 0.18, 0.42, 0.62),
        foil_box=(0.64, 0.08, 0.32, 0.38),
        extra_box=(0.04, 0.78, 0.92, 0.2),
        medium="cinematic photo",
        references=("corporate headshot",),
        palette="natural colours",
        lighting="soft key light",
        camera="eye-level medium shot",
        composition="hero centred, the foil to the upper right",
        use_scene_look=True,
    ),
    Device.role_reversal: Staging(
        titles=("Under New Management", "The Tables Have Turned", "Who's in Charge Now", "{Hero} Runs Things Now"),
        premise="The usual order is flipped: {hero_intro} {hero_is} in charge and {foil} {foil_has} to obey.",
        moment=(
            "{hero_name} stand{hero_s} over {foil}, {limb} pointing firmly; "
            "{foil} sit{foil_s} obediently, waiting for instructions"
        ),
        hero_expression="smug authority",
        hero_pose="standing tall, pointing firmly",
        foil_expression="meek, eager to please",
        foil_pose="sitting obediently, looking up",
        hero_box=(0.08, 0.1, 0.46, 0.8),
        foil_box=(0.54, 0.45, 0.4, 0.5),
        extra_box=(0.7, 0.05, 0.25, 0.3),
        medium="cinematic photo",
        references=("family sitcom still",),
        palette="warm, homey colours",
        lighting="warm afternoon light",
        camera="eye-level medium-wide shot",
        composition="hero standing on the left above the foil on the right",
        use_scene_look=True,
    ),
    Device.deadpan: Staging(
        titles=("Just Another Tuesday", "{Hero} Is Not Impressed", "Business as Usual", "Totally Normal Day"),
        premise=(
            "{hero_intro}{doing_} stay{hero_s} completely unbothered while {foil} turn{foil_s} everything into chaos."
        ),
        moment=(
            "{hero_name} sit{hero_s} perfectly calm, staring straight at the camera, "
            "while {foil} cause{foil_s} total chaos behind"
        ),
        hero_expression="flat, unimpressed stare at the camera",
        hero_pose="sitting upright, perfectly still",
        foil_expression="frantic",
        foil_pose="mid-chaos, things flying",
        hero_box=(0.08, 0.34, 0.38, 0.6),
        foil_box=(0.48, 0.08, 0.48, 0.8),
        extra_box=(0.55, 0.7, 0.4, 0.28),
        medium="documentary photo",
        references=("The Office", "stock photo"),
        palette="muted, everyday colours",
        lighting="flat natural light",
        camera="static eye-level medium shot",
        composition="calm hero in the foreground left, chaos filling the right",
        use_scene_look=True,
    ),
    Device.escalation: Staging(
        titles=(
            "It Started With One {Foil_one}",
            "The {Foil} Situation",
            "Things Got Out of Hand",
            "Day {num} of the Standoff",
        ),
        premise="What began as {hero_intro} versus one {foil_one} has escalated into {hero} versus an endless horde.",
        moment=(
            "{hero_name} braced in the lower left, {limb} up, as a growing wave of {foil_many} pours in from the right"
        ),
        hero_expression="wide-eyed, grim determination",
        hero_pose="braced, backing into a corner",
        foil_expression="relentless",
        foil_pose="pouring in by the dozen",
        hero_box=(0.05, 0.42, 0.32, 0.54),
        foil_box=(0.36, 0.06, 0.6, 0.9),
        extra_box=(0.02, 0.05, 0.25, 0.3),
        medium="comic book panel",
        references=("disaster movie", "Where's Wally crowd scene"),
        palette="bold primary colours, halftone dots",
        lighting="harsh, high-contrast light",
        camera="wide shot",
        composition="hero cornered on the left, a flood of foils on the right",
    ),
    Device.literalized_idiom: Staging(
        titles=("{Idiom}", "Literally {Idiom}", "Figure of Speech"),
        premise="The saying '{idiom}' taken completely literally, with {hero} right in the middle of it.",
        moment="{hero_name} stare{hero_s}, baffled, at {foil}, exactly as the saying goes",
        hero_expression="baffled, eyebrows raised",
        hero_pose="leaning back, one {limb} pointing",
        foil_expression="",
        foil_pose="",
        hero_box=(0.06, 0.3, 0.38, 0.64),
        foil_box=(0.44, 0.12, 0.52, 0.76),
        extra_box=(0.7, 0.7, 0.26, 0.26),
        medium="single-panel newspaper cartoon",
        references=("New Yorker cartoon",),
        palette="soft watercolour washes",
        lighting="even, flat light",
        camera="straight-on medium shot",
        composition="hero on the left, the literal idiom on the right",
    ),
    Device.parody: Staging(
        titles=("{Parody_title}",),
        premise="{hero_intro}{doing_} staged as {a_parody}.",
        moment="{hero_name} posed exactly like the star of {a_parody}, with {foil} in the supporting role",
        hero_expression="dramatic, self-important",
        hero_pose="posed grandly, three-quarter view",
        foil_expression="",
        foil_pose="",
        hero_box=(0.26, 0.12, 0.48, 0.78),
        foil_box=(0.66, 0.5, 0.3, 0.44),
        extra_box=(0.02, 0.55, 0.25, 0.4),
        medium="{parody_medium}",
        references=("{parody}",),
        palette="{parody_palette}",
        lighting="{parody_lighting}",
        camera="{parody_camera}",
        composition="hero centred like a portrait, the foil in a corner",
    ),
    Device.incongruity: Staging(
        titles=("{Hero} Has a Plan", "Nobody Asked", "An Ordinary Day for {Hero}", "{Hero} and {Foil}"),
        premise=(
            "{hero_intro} {doing_now} as if it were the most normal thing in the world; {foil} {foil_is} not so sure."
        ),
        moment="{hero_name} in the middle of the scene, {doing_now}, calmly, while {foil} watch{foil_es} from the side",
        hero_expression="calm and pleased",
        hero_pose="relaxed, mid-action",
        foil_expression="suspicious",
        foil_pose="watching from the side",
        hero_box=(0.16, 0.2, 0.46, 0.72),
        foil_box=(0.62, 0.36, 0.34, 0.56),
        extra_box=(0.02, 0.05, 0.25, 0.3),
        medium="glossy magazine photo",
        references=("lifestyle magazine",),
        palette="clean, bright colours",
        lighting="soft daylight",
        camera="eye-level medium shot",
        composition="hero centre left, the foil to the right",
        use_scene_look=True,
    ),
}


@dataclass(frozen=True)
class Parody:
    name: str  # "a nature documentary"
    title: str
    medium: str
    palette: str
    lighting: str
    camera: str
    sign: str | None = None
    lines: tuple[Line, ...] = ()


PARODIES: dict[str, Parody] = {
    "nature documentary": Parody(
        "a nature documentary",
        "Planet {Kind}",
        "nature documentary still, telephoto",
        "lush natural greens",
        "golden-hour backlight",
        "long telephoto lens from behind a bush",
        lines=(
            Line("Here we observe the wild {kind} in its natural habitat: the sofa."),
            Line("Nature is cruel. Especially {foil}."),
            Line("The {kind} waits. The {kind} has been waiting for {num} minutes. Nature is patient."),
            Line("Few have witnessed this ritual and kept their dignity."),
        ),
    ),
    "movie poster": Parody(
        "an action movie poster",
        "{Hero}: The Movie",
        "blockbuster movie poster",
        "teal and orange",
        "explosive backlight, lens flare",
        "low-angle hero shot",
        sign="{HERO}: THE MOVIE",
        lines=(
            Line("This summer, one {kind} will face {foil}."),
            Line("In a world ruled by {foil_bare}, one hero said no."),
            Line("Rated PG for mild peril and extreme snacking."),
        ),
    ),
    "renaissance portrait": Parody(
        "a Renaissance oil portrait",
        "Portrait of {Hero}",
        "Renaissance oil painting, cracked varnish",
        "rich umber, gold and crimson",
        "Rembrandt lighting",
        "formal three-quarter portrait",
        lines=(
            Line("Oil on canvas, circa last Tuesday."),
            Line("Portrait of {hero} with {foil}. Artist unknown. Judgment obvious."),
            Line("The eyes follow you around the room. So does the attitude."),
        ),
    ),
    "wanted poster": Parody(
        "a Wild West wanted poster",
        "Wanted: {Hero}",
        "sepia wanted poster on weathered paper",
        "sepia and brown",
        "flat, aged-print light",
        "straight-on mugshot framing",
        sign="WANTED",
        lines=(
            Line("Last seen near {foil}. Approach with {treat}."),
            Line("Reward: {num} {treat}. Dead or napping."),
        ),
    ),
    "album cover": Parody(
        "an 80s heavy-metal album cover",
        "{Hero}: Live in {Place_title}",
        "airbrushed 80s album cover",
        "neon purple and chrome",
        "laser beams and lightning",
        "low-angle, centred",
        sign="{HERO} LIVE",
        lines=(
            Line("Side B is just {num} minutes of {foil}."),
            Line("Too loud for the neighbours. Just loud enough for {hero}."),
        ),
    ),
}

# A person behaving like a person is no joke: with a person for a hero, the foil comes to life.
FOIL_COMES_TO_LIFE = replace(
    STAGINGS[Device.anthropomorphism],
    titles=("{Hero} Has Been Noticed", "{Foil} {Foil_has} Opinions", "A Difference of Opinion"),
    premise=(
        "{hero_intro}{doing_} discover{hero_s} that {foil} {foil_has} a "
        "face, feelings and strong opinions about {hero}."
    ),
    moment=(
        "{hero_name} freeze{hero_s} mid-gesture as {foil} look{foil_s} back with a human face, "
        "arms folded, clearly unimpressed"
    ),
    hero_expression="caught out, eyebrows up",
    hero_pose="frozen mid-gesture, leaning away",
    foil_expression="human face, deeply unimpressed",
    foil_pose="arms folded like a person",
)

# Requests that name a format get it; otherwise the hero's kind picks one.
PARODY_KEYS: dict[str, str] = {
    "documentary": "nature documentary",
    "david attenborough": "nature documentary",
    "movie poster": "movie poster",
    "movie": "movie poster",
    "film": "movie poster",
    "blockbuster": "movie poster",
    "renaissance": "renaissance portrait",
    "oil painting": "renaissance portrait",
    "portrait": "renaissance portrait",
    "painting": "renaissance portrait",
    "wanted": "wanted poster",
    "album cover": "album cover",
    "metal": "album cover",
}

LIMBS = {"animal": "paw", "person": "hand", "object": "side"}
