"""Traits: what makes a subject recognisable, in words a writer and an artist can use.

Offline, traits come from the photos themselves: the dominant colours of the middle of each photo
(where the subject usually is), named in the words people use for fur and hair. With a vision-capable
writer (Grok, GPT-4o, a local VLM server), `describe_subject` asks it instead. Either way the user can
edit them (`sightgag subjects edit NAME --trait ...`).
"""

from __future__ import annotations

import base64
import io
import json
from collections import Counter

from PIL import Image

from sightgag.errors import SightgagError
from sightgag.hygiene import strip_unsafe

# Names for the colours of fur, feathers and hair, with a representative RGB each.
COLOUR_NAMES = {
    "black": (25, 25, 25),
    "charcoal grey": (70, 70, 75),
    "grey": (128, 128, 132),
    "silver": (190, 190, 195),
    "white": (240, 240, 238),
    "cream": (235, 220, 185),
    "tan": (200, 160, 110),
    "golden": (215, 165, 60),
    "ginger": (210, 120, 50),
    "orange": (235, 140, 40),
    "red-brown": (140, 60, 35),
    "chocolate brown": (90, 55, 35),
    "brown": (130, 90, 55),
    "blond": (230, 200, 130),
    "auburn": (150, 60, 40),
    "blue": (60, 100, 190),
    "green": (70, 140, 70),
    "pink": (230, 150, 170),
    "purple": (120, 70, 150),
    "yellow": (235, 215, 60),
}
COAT = {"cat": "fur", "kitten": "fur", "dog": "coat", "puppy": "coat", "bird": "feathers", "parrot": "feathers", "person": "look"}


def colour_name(rgb: tuple[int, int, int]) -> str:
    return min(COLOUR_NAMES, key=lambda name: sum((a - b) ** 2 for a, b in zip(COLOUR_NAMES[name], rgb)))


def dominant_colours(images: list[Image.Image], count: int = 2) -> list[tuple[str, float]]:
    """The main colour names of the middle of the photos, with their share of it."""
    shares: Counter[str] = Counter()
    for image in images:
        width, height = image.size
        middle = image.crop((width // 5, height // 5, width * 4 // 5, height * 4 // 5)).convert("RGB")
        middle.thumbnail((96, 96))
        # Pillow's median-cut quantizer is the clustering; five clusters separate subject from backdrop.
        palette_image = middle.quantize(colors=5, method=Image.Quantize.MEDIANCUT)
        palette = palette_image.getpalette() or []
        pixels = middle.width * middle.height
        for pixel_count, index in palette_image.getcolors() or []:
            rgb = tuple(palette[index * 3 : index * 3 + 3])
            shares[colour_name(rgb)] += pixel_count / pixels / len(images)
    return [(name, share) for name, share in shares.most_common(count) if share >= 0.12]


def photo_traits(images: list[Image.Image], kind: str = "") -> list[str]:
    """Traits read off the photos alone, e.g. ["orange and white fur"] for a cat."""
    colours = [name for name, _ in dominant_colours(images)]
    if not colours:
        return []
    coat = COAT.get(kind.lower(), "colouring")
    if coat == "look":
        return [f"often pictured in {' and '.join(colours)}"]
    return [f"{' and '.join(colours)} {coat}"]


VISION_PROMPT = (
    "These photos show one {kind} called {name}. List what makes {name} recognisable at a glance, "
    "as short visual traits an illustrator could draw: colours and markings, build, distinctive features, "
    "accessories always worn. 3 to 6 traits, a few words each. No guesses about personality."
)


def describe_subject(client, model: str, name: str, kind: str, images: list[Image.Image]) -> list[str]:
    """Ask a vision-capable OpenAI-compatible model for a subject's traits.

    `client` is an `openai.OpenAI` client (Grok, OpenAI or a local VLM server); the photos are sent as
    data URLs in `image_url` content parts, the form all of them accept.
    """
    content = [{"type": "text", "text": VISION_PROMPT.format(kind=kind or "subject", name=name)}]
    for image in images[:4]:
        copy = image.copy()
        copy.thumbnail((768, 768))
        buffer = io.BytesIO()
        copy.save(buffer, format="JPEG", quality=88)
        data = base64.b64encode(buffer.getvalue()).decode()
        content.append({"type": "image_url", "image_url": {"url": f"data:image/jpeg;base64,{data}"}})
    schema = {
        "type": "object",
        "properties": {"traits": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 8}},
        "required": ["traits"],
        "additionalProperties": False,
    }
    try:
        response = client.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": content}],
            response_format={"type": "json_schema", "json_schema": {"name": "traits", "schema": schema, "strict": True}},
        )
        text = response.choices[0].message.content or ""
        traits = json.loads(text)["traits"]
    except (KeyError, TypeError, ValueError) as error:
        raise SightgagError(f"the vision model's answer was not a list of traits ({error}); edit traits by hand") from None
    # A model's text is cleaned, not refused: an escape in one trait is dropped, the trait kept.
    cleaned = (strip_unsafe(str(trait))[:80].strip() for trait in traits)
    return [trait for trait in cleaned if trait][:8]
