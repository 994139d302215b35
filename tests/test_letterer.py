"""The letterer: every style sets the caption exactly, inside the picture, in fonts that have its characters."""

from __future__ import annotations

import dataclasses
import importlib
import re

import numpy as np
import pytest
from examples import MITTENS_CAPTION, mittens_concept
from PIL import Image

from sightgag.concept import Box
from sightgag.errors import UsageError
from sightgag.letterer import STYLES, LetteringError, letter, letter_with_boxes
from sightgag.letterer.fonts import OPENMOJI, Typeface, covers, font_file
from sightgag.letterer.meme import SETTING as MEME
from sightgag.letterer.shapes import cast_rect, face_rect
from sightgag.letterer.text import all_caps, runs

DRAWING_STYLES = [style for style in STYLES if style != "none"]

ONE_WORD = "Mittens"
TWENTY_WORDS = (
    "Every morning I promise myself I will go to bed early tonight and every night I betray that promise completely"
)
LONG_WORD = "Pneumonoultramicroscopicsilicovolcanoconi"[:40]
EMOJI = "Nine lives 🐱 one nemesis 🧶"
CYRILLIC = "Кошка победила пылесос"
GREEK = "Η γάτα κέρδισε την ηλεκτρική σκούπα"
CJK = "猫は液体です。本当に！"
CAPTIONS = [ONE_WORD, TWENTY_WORDS, LONG_WORD, EMOJI, CYRILLIC, GREEK, CJK]


def picture(size: int = 512, seed: int = 0) -> Image.Image:
    """A busy picture: random colour noise."""
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8))


def gray_picture(size: int = 512) -> Image.Image:
    return Image.new("RGB", (size, size), (128, 128, 128))


def squeeze(text: str) -> str:
    """Text with no whitespace, in one case (and Greek without the accents that capitals drop)."""
    return re.sub(r"\s+", "", all_caps(text)).casefold()


def test_styles_are_the_concepts_lettering_choices() -> None:
    assert STYLES == ("meme", "caption", "balloon", "label", "none")


@pytest.mark.parametrize(
    "caption", CAPTIONS, ids=["one-word", "twenty-words", "40-char-word", "emoji", "cyrillic", "greek", "cjk"]
)
@pytest.mark.parametrize("style", DRAWING_STYLES)
def test_every_caption_is_set_whole_and_inside_the_picture(style: str, caption: str) -> None:
    lettered = letter_with_boxes(picture(), mittens_concept(), style, caption)

    width, height = lettered.image.size
    assert lettered.texts
    for drawn in lettered.texts:
        left, top, right, bottom = drawn.box
        assert 0 <= left < right <= width and 0 <= top < bottom <= height, f"{drawn.text!r} spills out: {drawn.box}"
        assert 1 <= len(drawn.lines) <= 5
        for line_box in drawn.line_boxes:
            assert left <= line_box[0] and top <= line_box[1] and line_box[2] <= right and line_box[3] <= bottom
    # Every character of the caption is drawn: word breaks and capitals aside, nothing lost.
    drawn_text = " ".join(drawn.text for drawn in lettered.texts)
    for word in caption.split():
        assert squeeze(word) in squeeze(drawn_text), f"{word!r} missing from {drawn_text!r}"


@pytest.mark.parametrize("style", DRAWING_STYLES)
def test_longer_captions_are_set_smaller(style: str) -> None:
    concept = mittens_concept()
    short = letter_with_boxes(picture(1024), concept, style, ONE_WORD).texts[-1]
    long = letter_with_boxes(picture(1024), concept, style, TWENTY_WORDS).texts[-1]
    assert long.size <= short.size
    assert len(long.lines) >= 2


def test_a_forty_character_word_shrinks_or_breaks_but_is_never_cut() -> None:
    lettered = letter_with_boxes(picture(256), mittens_concept(), "meme", LONG_WORD)
    (drawn,) = lettered.texts
    assert squeeze(drawn.text) == squeeze(LONG_WORD)
    assert drawn.box[0] >= 0 and drawn.box[2] <= 256


def test_meme_outline_grows_with_the_letters() -> None:
    concept = mittens_concept()
    small = letter_with_boxes(picture(512), concept, "meme", "Nope").texts[0]
    large = letter_with_boxes(picture(1024), concept, "meme", "Nope").texts[0]
    assert large.size > small.size
    assert large.outline > small.outline
    for drawn in (small, large):
        assert drawn.outline == pytest.approx(MEME.outline * drawn.size, abs=1)


def test_meme_sets_the_setup_on_top_and_the_punchline_below_in_capitals() -> None:
    concept = mittens_concept()
    concept.caption.setup = "When the yarn fights back"
    top, bottom = letter_with_boxes(picture(), concept, "meme").texts
    assert top.text.replace(" ", "") == "WHENTHEYARNFIGHTSBACK"
    assert squeeze(bottom.text) == squeeze(MITTENS_CAPTION.upper())
    assert top.box[3] < 512 / 2 < bottom.box[1]


def test_a_meme_caption_can_carry_both_lines() -> None:
    top, bottom = letter_with_boxes(picture(), mittens_concept(), "meme", "One does not simply | knit").texts
    assert (top.text, bottom.text) == ("ONE DOES NOT SIMPLY", "KNIT")


def test_caption_style_adds_a_white_band_under_the_picture() -> None:
    original = picture(512)
    lettered = letter_with_boxes(original, mittens_concept(), "caption")
    image = lettered.image
    assert image.width == 512 and image.height > 512
    assert np.array_equal(np.asarray(image)[:512], np.asarray(original)), "the picture itself is untouched"
    (drawn,) = lettered.texts
    assert drawn.box[1] > 512 and drawn.text == MITTENS_CAPTION
    band = np.asarray(image)[512:]
    assert (band == 255).all(axis=2).mean() > 0.8, "the band is white paper with a line of type"


def test_none_returns_an_unchanged_copy() -> None:
    original = picture()
    lettered = letter(original, mittens_concept(), "none")
    assert lettered is not original
    assert np.array_equal(np.asarray(lettered), np.asarray(original))


@pytest.mark.parametrize("style", STYLES)
def test_the_callers_picture_is_never_drawn_on(style: str) -> None:
    original = picture()
    before = np.asarray(original).copy()
    letter(original, mittens_concept(), style)
    assert np.array_equal(np.asarray(original), before)


def test_the_concepts_own_style_and_caption_are_the_defaults() -> None:
    concept = mittens_concept()
    concept.caption.lettering = "meme"
    lettered = letter_with_boxes(picture(), concept)
    assert lettered.style == "meme"
    assert squeeze(lettered.texts[-1].text) == squeeze(MITTENS_CAPTION.upper())


def test_balloon_sits_near_its_speaker_and_off_every_face() -> None:
    concept = mittens_concept()
    original = picture(1024)
    for speaker in ("Mittens", "giant ball of yarn"):
        concept.caption.speaker = speaker
        lettered = letter_with_boxes(original, concept, "balloon", "You will never untangle me, tiny fluffy fool!")
        (drawn,) = lettered.texts
        faces = {member.name: face_rect(cast_rect(member.box, original)) for member in concept.cast}
        left, top, right, bottom = drawn.box
        for face in faces.values():
            overlap_x = min(right, face.right) - max(left, face.left)
            overlap_y = min(bottom, face.bottom) - max(top, face.top)
            assert overlap_x <= 0 or overlap_y <= 0, f"the balloon's text covers a face: {drawn.box}"

        center = ((left + right) / 2, (top + bottom) / 2)
        distances = {
            name: np.hypot(center[0] - face.center[0], center[1] - face.center[1]) for name, face in faces.items()
        }
        assert min(distances, key=distances.get) == speaker

        # The balloon itself (white paper, black outline) stays off the faces: only its tail may reach in.
        changed = (np.asarray(lettered.image) != np.asarray(original)).any(axis=2)
        for face in faces.values():
            region = changed[int(face.top) : int(face.bottom), int(face.left) : int(face.right)]
            assert region.mean() < 0.05


def test_balloon_keeps_off_text_painted_in_the_picture() -> None:
    concept = mittens_concept()
    original = picture(1024)
    words = "You will never untangle me, tiny fluffy fool!"
    (where_it_went,) = letter_with_boxes(original, concept, "balloon", words).texts
    left, top, right, bottom = where_it_went.box
    # A sign painted right where the balloon would go, as the sketch artist reports its signs.
    sign = Box(x=left / 1024, y=top / 1024, w=(right - left) / 1024, h=(bottom - top) / 1024)

    lettered = letter_with_boxes(original, concept, "balloon", words, keep_clear=[sign])

    (moved,) = lettered.texts
    new_left, new_top, new_right, new_bottom = moved.box
    assert new_right <= left or new_left >= right or new_bottom <= top or new_top >= bottom
    changed = (np.asarray(lettered.image) != np.asarray(original)).any(axis=2)
    assert changed[int(top) : int(bottom), int(left) : int(right)].mean() < 0.1  # a tail may cross it, no more


def test_labels_split_an_expectation_vs_reality_caption_over_the_cast() -> None:
    concept = mittens_concept()
    lettered = letter_with_boxes(picture(1024), concept, "label", "Expectation vs. reality")
    assert [drawn.text for drawn in lettered.texts] == ["Expectation", "reality"]
    for drawn, member in zip(lettered.texts, concept.cast):
        body = cast_rect(member.box, lettered.image)
        center_x = (drawn.box[0] + drawn.box[2]) / 2
        assert body.left <= center_x <= body.right


def test_labels_name_the_cast_and_title_any_other_caption() -> None:
    concept = mittens_concept()
    texts = [drawn.text for drawn in letter_with_boxes(picture(), concept, "label").texts]
    assert texts == [member.name for member in concept.cast] + [MITTENS_CAPTION]


def test_emoji_are_drawn_in_colour() -> None:
    # On grey, meme type is white and black: any strongly coloured pixel is the emoji's.
    lettered = letter_with_boxes(gray_picture(), mittens_concept(), "meme", "Yarn 🧶")
    pixels = np.asarray(lettered.image).astype(int)
    saturation = pixels.max(axis=2) - pixels.min(axis=2)
    assert (saturation > 100).sum() > 200
    assert [run.face for run in runs("YARN 🧶", MEME.faces)] == [MEME.primary, OPENMOJI]


@pytest.mark.parametrize("text", [CYRILLIC, GREEK, CJK, "Café — naïve ©"])
def test_every_character_is_drawn_by_a_font_that_has_it(text: str) -> None:
    for run in runs(text.upper(), MEME.faces):
        assert all(character.isspace() or covers(run.face, character) for character in run.text), run


def test_unknown_style_is_a_usage_error() -> None:
    with pytest.raises(LetteringError, match="unknown lettering style 'comic'.*meme"):
        letter(picture(), mittens_concept(), "comic")
    assert issubclass(LetteringError, UsageError)


def test_text_that_cannot_be_legible_is_a_clear_error() -> None:
    tiny = picture(48)
    with pytest.raises(LetteringError, match="too long to letter legibly.*--lettering caption"):
        letter(tiny, mittens_concept(), "meme", TWENTY_WORDS)
    # The caption style's band grows instead, so the error's advice always works.
    assert letter(tiny, mittens_concept(), "caption", TWENTY_WORDS).height > 48


@pytest.mark.parametrize("style", DRAWING_STYLES)
@pytest.mark.parametrize("invisible", ["\u200b", "\u200b\u200b\u2060", "\u3164", "\u0301"])
def test_a_caption_with_nothing_visible_is_a_clear_error_in_every_style(style: str, invisible: str) -> None:
    # Such text is not whitespace to str.split(), but has no ink to size it by (once a ZeroDivisionError).
    with pytest.raises(LetteringError, match="no caption text|nothing the font can draw"):
        letter(picture(256), mittens_concept(), style, invisible)


def test_fit_and_fill_refuse_text_with_nothing_visible() -> None:
    from sightgag.letterer.caption import SETTING as CAPTION
    from sightgag.letterer.fit import fill, fit

    with pytest.raises(LetteringError, match="no caption text"):
        fit("\u200b", CAPTION, 400, 100, max_size=40, min_size=10)
    with pytest.raises(LetteringError, match="no caption text"):
        fill("\u200b \u200b", CAPTION, 400, 20)


def test_a_missing_font_names_the_set_up_command() -> None:
    with pytest.raises(
        LetteringError,
        match=r"'No Such Sans' is not installed: run scripts/install-fonts.sh \(it installs fonts-nosuch\)",
    ):
        font_file(Typeface("No Such Sans", "fonts-nosuch"))
    with pytest.raises(LetteringError, match="install-fonts.sh"):
        font_file(Typeface("Nowhere", "font-nowhere", "font_nowhere", "files/Nowhere.ttf"))


@pytest.mark.parametrize("style", DRAWING_STYLES)
def test_every_style_says_so_when_its_font_is_missing(style: str, monkeypatch) -> None:
    module = importlib.import_module(f"sightgag.letterer.{style}")
    missing = Typeface("No Such Sans", "fonts-nosuch")
    monkeypatch.setattr(module, "SETTING", dataclasses.replace(module.SETTING, faces=(missing,)))
    with pytest.raises(LetteringError, match="'No Such Sans' is not installed: run scripts/install-fonts.sh"):
        letter(picture(), mittens_concept(), style)
