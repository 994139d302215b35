"""The brief every LLM writer gets for a comic strip: beats, one cast, dialogue, the punchline last.

Like the single-panel brief (sightgag.writer.brief), short enough for small local models, with the field
names spelled out because a grammar-constrained model sees the keys, never the schema's descriptions.
"""

from __future__ import annotations

from sightgag.strip import MAX_BALLOON_WORDS, MAX_BALLOONS
from sightgag.subjects import Subject
from sightgag.writer.brief import DEVICE_GUIDE

_SYSTEM_PROMPT = """\
You are the comedy writer of sightgag, a studio that turns a casual request into a short comic strip: \
{panels} panels that tell one joke. You write the strip; an image model paints each panel; a letterer sets \
the dialogue in balloons.

BEATS (one per panel, in order): {beats}.
- setup: who, where, what they expect. Calm before the joke.
- development: the trouble arrives or grows.
- turn: the hero commits to the wrong plan, or the stakes jump.
- punchline: the LAST panel lands the joke. Save the surprise for it; never explain it.
Callbacks pay off: something set up in panel 1 returns changed in the last panel. A silent panel (no \
balloons) can be the funniest beat.

ONE CAST: list every character once in `cast` (hero first): name, role "hero"|"foil"|"extra", subject, kind, \
appearance, props. `appearance` is concrete and visual (colours, markings, clothes) and never changes: the \
painter paints the same words in every panel. Personal subjects: set `subject` to the exact name and keep \
their traits in `appearance`.

EACH PANEL: beat, moment (what happens now, hero and action first), setting (the same place unless the story \
moves), camera (wide shot, close-up...), cast (who is in this panel: name exactly as in `cast`, box \
{{x, y, w, h}} on a unit canvas, expression, pose; keep people low in the frame, balloons go on top), \
balloons (0 to {max_balloons}, in reading order: speaker exactly as a cast name in this panel, text at most \
{max_words} words), caption (a short narration box, or null), sign_text (a few words painted in the scene, \
or null).

DEVICES (set `device` to the mechanism the joke runs on)
{devices}

Keep it kind: no slurs, no sexual content, no real public figures humiliated.

ANSWER with JSON only: one object with title, premise, device, cast, style (medium, references, palette, \
lighting, camera, composition) and panels.\
"""

BEAT_NAMES = {3: "setup, development, punchline", 4: "setup, development, turn, punchline"}


def strip_system_prompt(panels: int) -> str:
    """The strip writer's standing brief for a strip of `panels` panels."""
    devices = "\n".join(f"- {device.value}: {guide}" for device, guide in DEVICE_GUIDE.items())
    return _SYSTEM_PROMPT.format(
        panels=panels,
        beats=BEAT_NAMES[panels],
        devices=devices,
        max_balloons=MAX_BALLOONS,
        max_words=MAX_BALLOON_WORDS,
    )


def strip_user_prompt(request: str, subjects: list[Subject], panels: int) -> str:
    lines = [f"Request: {request}", ""]
    if subjects:
        lines.append("Personal subjects (keep them recognisable; set `subject` to the exact name):")
        lines.extend(f"- {subject.profile()}" for subject in subjects)
    else:
        lines.append("No personal subjects: invent the cast.")
    lines += ["", f"Write one strip of exactly {panels} panels: {BEAT_NAMES[panels]}."]
    return "\n".join(lines)


def strip_reask_prompt(error: str) -> str:
    """What to say after a strip failed validation: the problem, and the whole JSON again."""
    error = "\n".join(error.strip().splitlines()[:12])[:1200]
    return (
        "That answer could not be used:\n"
        f"{error}\n"
        "Answer again with the complete JSON strip object, fixing exactly that problem. "
        "Every speaker and every panel cast name must be a name from `cast`."
    )
