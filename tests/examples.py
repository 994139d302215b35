"""Realistic example Concepts and Subjects for tests: what a good writer hands the artist.

Other test modules import these; keep the names and the content stable.
"""

from __future__ import annotations

from sightgag.concept import Box, Caption, CastMember, Concept, Device, Style
from sightgag.subjects import Subject

MITTENS_CAPTION = "Nine lives. One nemesis."


def mittens_concept() -> Concept:
    """'My cat Mittens as a superhero fighting a giant ball of yarn', fully worked out."""
    return Concept(
        title="The Unraveling",
        premise="A house cat plays a deadly serious superhero against her oldest enemy: a car-sized ball of yarn.",
        device=Device.mock_heroic,
        cast=[
            CastMember(
                name="Mittens",
                role="hero",
                subject="Mittens",
                kind="cat",
                appearance="small fluffy cat in a red satin cape and a black domino mask, chest fur puffed out",
                expression="fierce, narrowed eyes, whiskers forward",
                pose="mid-leap toward the yarn, front paws stretched out, claws bared",
                props=["red satin cape", "black domino mask"],
                box=Box(x=0.05, y=0.30, w=0.40, h=0.55),
            ),
            CastMember(
                name="giant ball of yarn",
                role="foil",
                kind="yarn ball",
                appearance="a ball of pink wool as big as a car, loose strands whipping out like tentacles",
                expression="",
                pose="looming over the cat, one strand coiled around a fallen lamp",
                box=Box(x=0.45, y=0.10, w=0.52, h=0.80),
            ),
            CastMember(
                name="terrified goldfish",
                role="extra",
                kind="goldfish",
                appearance="orange goldfish in a round bowl on a side table",
                expression="wide-eyed horror",
                box=Box(x=0.80, y=0.70, w=0.15, h=0.20),
            ),
        ],
        setting="a cozy suburban living room at night, knocked-over knitting basket, scattered needles on the rug",
        moment="Mittens leaps at the towering yarn ball as a loose strand lashes toward her, debris frozen mid-air",
        style=Style(
            medium="cinematic photo",
            references=["1980s superhero movie poster", "dramatic action film still"],
            palette="deep reds and electric pinks against midnight blue",
            lighting="hard rim light from a toppled floor lamp, dramatic shadows",
            camera="low-angle wide shot, 24mm lens",
            composition="cat in the left third, yarn ball filling the right, diagonal action line",
        ),
        caption=Caption(text=MITTENS_CAPTION, lettering="caption"),
        sign_text="KNIT HAPPENS",
        safety_notes=[],
    )


def mittens_subject(*, trigger: str | None = None) -> Subject:
    """The user's cat, with the traits that make her recognisable (and a LoRA trigger word if asked)."""
    return Subject(
        name="Mittens",
        kind="cat",
        traits=["orange tabby", "one white front paw", "green eyes"],
        aliases=["Mitty"],
        trigger=trigger,
    )
