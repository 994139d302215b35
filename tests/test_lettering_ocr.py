"""A real OCR engine reads the lettering back: what is set is exactly what was written, and legible.

RapidOCR (PP-OCRv4 models bundled in the PyPI package `rapidocr-onnxruntime`, installed by
the test extras; nothing is downloaded) reads every line the letterer drew, cropped to the
line's box as the letterer reports it, over busy backgrounds: random noise, a synthetic photo-like
texture, and the sketch artist's render when that artist is installed. For each style, at 512 and
1024 px, at least 95% of 41 captions must read back exactly, case and whitespace aside.
The crops are the picture's own pixels: no colour tricks, the outline and the picture included.
"""

from __future__ import annotations

import importlib.util
import re
from functools import lru_cache

import numpy as np
import pytest
from PIL import Image

from sightgag.concept import Box, Caption, CastMember, Concept, Device, Style
from sightgag.letterer import STYLES, Lettered, letter_with_boxes

rapidocr = pytest.importorskip("rapidocr_onnxruntime", reason="RapidOCR is not installed: make setup-test installs it")

pytestmark = pytest.mark.slow

CAPTIONS = [
    "Nine lives. One nemesis.",
    "I can haz cheezburger?",
    "Monday again?!",
    "This is fine.",
    "When the yarn fights back",
    "Not all heroes wear capes. This one does.",
    "He said it was a small dog.",
    "Professional napper since 2019",
    "Five more minutes, Mom",
    "The vacuum has been defeated",
    "Error 404: motivation not found",
    "Me explaining my weekend plans to my cat",
    "Yes, I ate the homework. No regrets.",
    "Who let the dogs out? I did.",
    "Expectation vs. reality",
    "Just one more episode",
    "The plant is judging me again",
    "Breaking news: toast lands butter side up",
    "Cardio? I thought you said car video.",
    "Gravity is a suggestion",
    "Emotional support pizza",
    "Somebody touched my spaghetti!",
    "We were on a break from the treadmill",
    "My diet starts tomorrow, probably",
    "Zero chill, maximum drama",
    "The goose is in charge now",
    "Alexa, play something majestic",
    "That escalated quickly",
    "Day 3 of pretending to understand taxes",
    "Hold my juice box",
    "I came, I saw, I napped",
    "Running late is my cardio",
    "Meanwhile, at the office party",
    "Trust me, I'm a dolphin",
    "The Roomba has achieved sentience and it is angry",
    "Keep calm and blame the cat",
    "Ten out of ten, would nap again",
    "Abandon ship! The cake is sinking!",
    "Behold the majestic sandwich of destiny",
    "One does not simply walk past a puddle without jumping in it twice",
    "Every morning I promise myself I will go to bed early tonight and every night I betray that promise completely",
]
SIZES = (512, 1024)
REQUIRED_RATE = 0.95


def office_concept() -> Concept:
    """A two-person scene with a speaker and faces to keep off: a dog who is a lawyer, and a judge."""
    return Concept(
        title="Objection",
        premise="A golden retriever in a suit argues a case with total confidence.",
        device=Device.role_reversal,
        cast=[
            CastMember(name="Barkley", role="hero", kind="dog", box=Box(x=0.06, y=0.28, w=0.4, h=0.62)),
            CastMember(name="the judge", role="foil", kind="person", box=Box(x=0.55, y=0.2, w=0.4, h=0.7)),
        ],
        setting="a wood-panelled courtroom",
        moment="Barkley slams a paw on the desk",
        style=Style(medium="cinematic photo"),
        caption=Caption(text="Objection! That squirrel was clearly guilty.", lettering="balloon", speaker="Barkley"),
    )


def noise(size: int, rng: np.random.Generator) -> Image.Image:
    return Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8))


@lru_cache(maxsize=4)
def _texture(size: int) -> np.ndarray:
    """Photo-like: smooth colour fields, light and shade, fine stripes like fabric, sensor grain."""
    rng = np.random.default_rng(size)
    y, x = np.mgrid[0:size, 0:size] / size
    fields = np.stack(
        [130 + 90 * np.sin(5 * x + 2 * y), 120 + 80 * np.cos(4 * y - 3 * x), 140 + 70 * np.sin(20 * x * y)], axis=-1
    )
    light = 0.6 + 0.5 * np.exp(-((x - 0.7) ** 2 + (y - 0.3) ** 2) * 4)[..., None]
    stripes = 35 * np.sin(80 * x + 12 * np.sin(10 * y))[..., None]
    grain = rng.normal(0, 18, (size, size, 3))
    return np.clip(fields * light + stripes + grain, 0, 255).astype(np.uint8)


def texture(size: int, rng: np.random.Generator) -> Image.Image:
    # One texture per size, shifted anew for each caption: the text lands on different detail each time.
    shift = rng.integers(0, size, 2)
    return Image.fromarray(np.roll(_texture(size), tuple(shift), axis=(0, 1)))


@lru_cache(maxsize=4)
def _sketch(size: int) -> np.ndarray:
    from sightgag.artist import load_artist
    from sightgag.settings import Settings

    painting = load_artist("sketch", Settings()).paint([office_concept()], seeds=[7], width=size, height=size)
    return np.asarray(painting.images[0].convert("RGB"))


def sketch(size: int, rng: np.random.Generator) -> Image.Image:
    return Image.fromarray(_sketch(size))


BACKGROUNDS = [noise, texture]
if importlib.util.find_spec("sightgag.artist.sketch") is not None:
    BACKGROUNDS.append(sketch)


@lru_cache(maxsize=1)
def reader() -> rapidocr.RapidOCR:
    return rapidocr.RapidOCR()


def normalise(text: str) -> str:
    """Case and whitespace aside (and typographic quotes and dashes), the text must be the same."""
    for fancy, plain in (("’", "'"), ("‘", "'"), ("“", '"'), ("”", '"'), ("—", "-"), ("–", "-")):
        text = text.replace(fancy, plain)
    return re.sub(r"\s+", "", text).casefold()


def line_crops(lettered: Lettered) -> list[list[np.ndarray]]:
    """For each block of text, its lines as the OCR reads them: each line's box with a little room."""
    image = lettered.image
    blocks = []
    for drawn in lettered.texts:
        room_x, room_y = round(0.12 * drawn.size), round(0.04 * drawn.size)
        crops = []
        for left, top, right, bottom in drawn.line_boxes:
            box = (
                max(0, left - room_x),
                max(0, top - room_y),
                min(image.width, right + room_x),
                min(image.height, bottom + room_y),
            )
            crops.append(np.asarray(image.crop(box))[:, :, ::-1])  # RapidOCR takes OpenCV's BGR order
        blocks.append(crops)
    return blocks


def read_lines(crops: list[np.ndarray]) -> list[str]:
    """Recognise text lines in batches (the detector is not needed: the letterer knows where its lines are)."""
    results, _ = reader().text_rec(crops)
    return [text for text, _score in results]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("style", [style for style in STYLES if style != "none"])
def test_ocr_reads_back_every_caption(style: str, size: int, capsys) -> None:
    rng = np.random.default_rng(size)
    concept = office_concept()
    expected: list[tuple[int, str, int]] = []  # caption number, text of a block, how many lines it has
    crops: list[np.ndarray] = []
    for number, caption in enumerate(CAPTIONS):
        background = BACKGROUNDS[number % len(BACKGROUNDS)](size, rng)
        lettered = letter_with_boxes(background, concept, style, caption)
        assert lettered.texts, f"nothing was lettered for {caption!r}"
        for drawn, lines in zip(lettered.texts, line_crops(lettered)):
            expected.append((number, drawn.text, len(lines)))
            crops += lines

    readings = iter(read_lines(crops))
    misread: dict[int, tuple[str, str]] = {}
    for number, text, line_count in expected:
        reading = " ".join(next(readings) for _ in range(line_count))
        if normalise(reading) != normalise(text):
            misread.setdefault(number, (text, reading))

    rate = 1 - len(misread) / len(CAPTIONS)
    with capsys.disabled():
        print(
            f"\nOCR {style} {size}px: {rate:.1%} of {len(CAPTIONS)} captions read back exactly; misread: {list(misread.values())}"
        )
    assert rate >= REQUIRED_RATE, f"{style} at {size}px: only {rate:.1%} read back exactly: {list(misread.values())}"
