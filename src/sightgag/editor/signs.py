"""Reading a painted sign back: did the artist spell the concept's `sign_text`?

Flux renders short quoted text well, and misspells it often enough that a studio must look. RapidOCR
(PP-OCR models shipped inside the `rapidocr-onnxruntime` package, run by onnxruntime; nothing is
downloaded) reads every line in the picture; the sign is found when a line, or a few neighbouring lines
joined, match the wanted text once case, spaces and punctuation are set aside. What is read also tells
where the sign is, so lettering keeps off it as it does off the sketch artist's signs.
"""

from __future__ import annotations

import difflib
import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image

from sightgag.concept import Box
from sightgag.editor.record import SignReading
from sightgag.errors import SightgagError

READ_SIDE = 512  # pixels: a sign big enough to matter still reads at this size, in a quarter of the time of 1024
CLOSE_READ_SIDE = 1024  # a second, closer look when the quick one finds no sign: small lettering, before a repaint
MATCH = 0.85  # similarity at or above which a sign counts as spelled right (one letter off in a short word fails)
MIN_CONFIDENCE = 0.5  # lines OCR itself doubts are not evidence of anything


@dataclass(frozen=True)
class Line:
    text: str
    box: Box
    confidence: float


@lru_cache(maxsize=1)
def _engine():
    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError:
        raise SightgagError(
            "the sign check needs RapidOCR: pip install rapidocr-onnxruntime (or SIGHTGAG_SIGN_CHECK=off)"
        ) from None
    # Detection at the size given, never scaled up to RapidOCR's default 736 px short side.
    return RapidOCR(det_limit_side_len=CLOSE_READ_SIDE, det_limit_type="max")


_engine_lock = threading.Lock()  # one onnxruntime session, not safe to run from two threads at once


def read_lines(image: Image.Image, side: int = READ_SIDE) -> list[Line]:
    """Every line of text OCR finds in a picture read at most `side` pixels a side, with its box on the unit canvas."""
    picture = image.convert("RGB")
    scale = min(1.0, side / max(picture.size))
    if scale < 1.0:
        picture = picture.resize(
            (round(picture.width * scale), round(picture.height * scale)), Image.Resampling.BILINEAR
        )
    pixels = np.asarray(picture)[:, :, ::-1]  # RapidOCR takes OpenCV's BGR order
    with _engine_lock:
        found, _ = _engine()(pixels, use_cls=False)  # painted signs stand upright: no angle classifier
    width, height = picture.size
    lines = []
    for corners, text, confidence in found or []:
        xs = [point[0] for point in corners]
        ys = [point[1] for point in corners]
        x0, y0 = max(min(xs), 0) / width, max(min(ys), 0) / height
        x1, y1 = min(max(xs), width) / width, min(max(ys), height) / height
        if x1 <= x0 or y1 <= y0 or float(confidence) < MIN_CONFIDENCE:
            continue
        lines.append(Line(str(text), Box(x=x0, y=y0, w=x1 - x0, h=y1 - y0), float(confidence)))
    return lines


def check_sign(image: Image.Image, expected: str) -> SignReading:
    """How well the picture shows `expected`: the best-matching line (or run of lines) and where it is.

    A quick read first; only when it finds no sign, a closer one (cheap beside the repaint it may save).
    """
    reading = match_sign(read_lines(image), expected)
    if not reading.ok and max(image.size) > READ_SIDE:
        closer = match_sign(read_lines(image, CLOSE_READ_SIDE), expected)
        if closer.similarity > reading.similarity:
            return closer
    return reading


def match_sign(lines: list[Line], expected: str) -> SignReading:
    wanted = plain(expected)
    best: tuple[float, list[Line]] = (0.0, [])
    # A sign painted on two lines is read as two; runs of up to three neighbours are tried joined.
    ordered = sorted(lines, key=lambda line: (line.box.y, line.box.x))
    for start in range(len(ordered)):
        for end in range(start + 1, min(start + 3, len(ordered)) + 1):
            run = ordered[start:end]
            similarity = difflib.SequenceMatcher(None, wanted, plain("".join(line.text for line in run))).ratio()
            if similarity > best[0]:
                best = (similarity, run)
    similarity, run = best
    return SignReading(
        expected=expected,
        read=" ".join(line.text for line in run),
        similarity=round(similarity, 3),
        ok=similarity >= MATCH,
        boxes=[line.box for line in run] if similarity >= MATCH / 2 else [],
    )


def plain(text: str) -> str:
    """Letters and digits only, upper case: how a sign is compared (OCR drops spaces, Flux shouts)."""
    return "".join(character for character in text.upper() if character.isalnum())
