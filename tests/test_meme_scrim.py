"""Meme type over busy art: a soft scrim behind the lines keeps them readable, and quiet art gets none.

Measured as people cannot be: a real OCR engine (RapidOCR) reads each lettered line back, cropped to the
line as the letterer reports it, on the sketch artist's night city (lit windows behind the bottom line),
the scene where outlined type alone lost a third or more of the captions to OCR.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import sightgag.letterer.meme as meme
from sightgag.artist.sketch import SketchArtist
from sightgag.letterer import letter_with_boxes
from sightgag.settings import Settings
from sightgag.writer.offline import OfflineWriter

pytest.importorskip("rapidocr_onnxruntime")
from test_lettering_ocr import CAPTIONS, line_crops, normalise, read_lines  # noqa: E402

pytestmark = pytest.mark.slow

MITTENS = "my cat Mittens as a superhero fighting a giant ball of yarn"


def night_city(size: int):
    concept = next(
        c for c in OfflineWriter(None, Settings()).write(MITTENS, [], n=4, seed=1) if c.device.value == "scale mismatch"
    )
    image = SketchArtist(None, Settings()).paint([concept], seeds=[1], width=size, height=size).images[0]
    return concept, image


def read_back_rate(image, concept) -> float:
    expected, crops = [], []
    for number, caption in enumerate(CAPTIONS):
        lettered = letter_with_boxes(image, concept, "meme", caption)
        for drawn, lines in zip(lettered.texts, line_crops(lettered)):
            expected.append((number, drawn.text, len(lines)))
            crops += lines
    readings = iter(read_lines(crops))
    misread = set()
    for number, text, count in expected:
        if normalise(" ".join(next(readings) for _ in range(count))) != normalise(text):
            misread.add(number)
    return 1 - len(misread) / len(CAPTIONS)


@pytest.mark.parametrize("size", [512, 1024])
def test_the_scrim_makes_meme_type_over_a_night_city_read_back(size, monkeypatch, capsys):
    concept, image = night_city(size)
    with_scrim = read_back_rate(image, concept)
    monkeypatch.setattr(meme, "BUSY", float("inf"))  # never busy: outline alone
    outline_only = read_back_rate(image, concept)

    with capsys.disabled():
        print(
            f"\nmeme over the night city at {size}px: read back {outline_only:.0%} outlined, {with_scrim:.0%} with the scrim"
        )
    assert with_scrim >= 0.85 and with_scrim > outline_only


def test_quiet_art_gets_no_scrim():
    plain = Image.new("RGB", (512, 512), (120, 170, 220))
    lettered = letter_with_boxes(plain, night_city(512)[0], "meme", "Nine lives. One nemesis.")
    pixels = np.asarray(lettered.image)
    ink = np.zeros(pixels.shape[:2], bool)
    for drawn in lettered.texts:
        left, top, right, bottom = drawn.box
        ink[top:bottom, left:right] = True
    # Off the letters, the picture is untouched: no darkened band.
    assert (pixels[~ink] == (120, 170, 220)).all()
