"""The sketch artist: a comic panel from a concept, offline, in well under a second."""

import io

import pytest
from PIL import Image, ImageStat

from examples import mittens_concept, mittens_subject
from sightgag.artist.sketch import CREDIT, SketchArtist
from sightgag.artist.sketch.emoji import cast_glyph, lookup
from sightgag.artist.sketch.scenes import pick_scene
from sightgag.concept import Box, Device
from sightgag.errors import UsageError


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def area(box) -> float:
    return (box[2] - box[0]) * (box[3] - box[1])


@pytest.mark.parametrize("size", [(256, 256), (1024, 1024), (2048, 2048), (1024, 576)])
def test_any_size_from_256_to_2048(size):
    painting = SketchArtist().paint([mittens_concept()], seeds=[1], width=size[0], height=size[1])
    assert painting.images[0].size == size
    assert painting.details["credit"] == CREDIT


@pytest.mark.parametrize("size", [(255, 512), (512, 2049), (0, 0)])
def test_sizes_out_of_range_are_refused(size):
    with pytest.raises(UsageError, match="256 to 2048"):
        SketchArtist().paint([mittens_concept()], seeds=[1], width=size[0], height=size[1])


def test_the_same_seed_draws_the_same_panel_and_another_seed_another():
    artist, concept = SketchArtist(), mittens_concept()
    first = artist.paint([concept, concept], seeds=[5, 6], width=512, height=512)
    again = artist.paint([concept, concept], seeds=[5, 6], width=512, height=512)
    assert [png_bytes(image) for image in first.images] == [png_bytes(image) for image in again.images]
    assert png_bytes(first.images[0]) != png_bytes(first.images[1])


def test_the_cast_is_played_by_fitting_emoji():
    concept = mittens_concept()
    panel = SketchArtist().paint([concept], seeds=[1], width=512, height=512).details["panels"][0]
    glyphs = {member["name"]: member["glyph"] for member in panel["cast"]}
    assert glyphs["Mittens"] == "🐈" and glyphs["giant ball of yarn"] == "🧶"
    assert lookup("grandma Rosa") == "👵" and lookup("my dog Biscuit") == "🐕" and lookup("the office printer") == "🖨️"
    assert lookup("a quantum flux capacitor") is None


def test_a_subjects_kind_picks_its_glyph_whatever_the_writer_called_it():
    member = mittens_concept().cast[0].model_copy(update={"kind": "superhero", "name": "Captain Whiskers"})
    assert cast_glyph(member, mittens_subject()) == "🐈"
    assert cast_glyph(member, None) == "🦸"


def test_scale_mismatch_draws_a_giant_foil():
    concept = mittens_concept().model_copy(update={"device": Device.scale_mismatch})
    concept.cast[0].box = Box(x=0.1, y=0.4, w=0.35, h=0.5)
    concept.cast[1].box = Box(x=0.5, y=0.4, w=0.35, h=0.5)
    cast = {m["name"]: m["box"] for m in SketchArtist().paint([concept], seeds=[1], width=512, height=512).details["panels"][0]["cast"]}
    assert area(cast["giant ball of yarn"]) > 2 * area(cast["Mittens"])


def test_mock_heroic_gets_a_cape_and_a_burst_and_a_stage_gets_a_spotlight():
    panel = SketchArtist().paint([mittens_concept()], seeds=[1], width=512, height=512).details["panels"][0]
    assert {"cape", "burst"} <= set(panel["effects"])
    assert pick_scene("a TED talk stage with a big screen") == "stage"
    assert pick_scene("a cozy living room") == "living room"
    assert pick_scene("nowhere in particular") == "halftone"


def test_a_subjects_colour_tints_its_glyph():
    concept = mittens_concept()
    orange = SketchArtist().paint([concept], seeds=[1], width=512, height=512, subjects=[mittens_subject()])
    grey = mittens_subject().model_copy(update={"traits": ["charcoal grey fur"]})
    greyed = SketchArtist().paint([concept], seeds=[1], width=512, height=512, subjects=[grey])
    box = next(m["box"] for m in greyed.details["panels"][0]["cast"] if m["name"] == "Mittens")
    saturation = {
        name: ImageStat.Stat(painting.images[0].crop(box).convert("HSV").getchannel("S")).mean[0]
        for name, painting in (("grey", greyed), ("orange", orange))
    }
    assert saturation["grey"] < saturation["orange"] * 0.8
