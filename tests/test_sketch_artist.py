"""The sketch artist: a comic panel from a concept, offline, in well under a second."""

import io

import numpy as np
import pytest
from examples import mittens_concept, mittens_subject
from PIL import Image, ImageChops, ImageStat

from sightgag.artist.sketch import CREDIT, SketchArtist
from sightgag.artist.sketch.casting import cast_glyph, lookup
from sightgag.artist.sketch.scenes import pick_scene
from sightgag.concept import Box, CastMember, Device
from sightgag.errors import UsageError


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def area(box) -> float:
    return (box[2] - box[0]) * (box[3] - box[1])


def panel_of(concept, *, seed=1, size=(512, 512), subjects=()):
    painting = SketchArtist().paint([concept], seeds=[seed], width=size[0], height=size[1], subjects=subjects)
    return painting.images[0], painting.details["panels"][0]


def cast_boxes(panel) -> dict:
    return {member["name"]: member["box"] for member in panel["cast"]}


def member(name: str, kind: str = "", role: str = "foil") -> CastMember:
    return CastMember(name=name, kind=kind, role=role, box=Box(x=0.5, y=0.4, w=0.4, h=0.5))


@pytest.mark.parametrize("size", [(256, 256), (1024, 1024), (2048, 2048), (1024, 576)])
def test_any_size_from_256_to_2048(size):
    painting = SketchArtist().paint([mittens_concept()], seeds=[1], width=size[0], height=size[1])
    assert painting.images[0].size == size
    assert painting.details["credit"] == CREDIT == "OpenMoji, CC BY-SA 4.0"


@pytest.mark.parametrize("size", [(255, 512), (512, 2049), (0, 0)])
def test_sizes_out_of_range_are_refused(size):
    with pytest.raises(UsageError, match="256 to 2048"):
        SketchArtist().paint([mittens_concept()], seeds=[1], width=size[0], height=size[1])


def test_a_model_name_is_refused():
    with pytest.raises(UsageError, match="plain `sketch`"):
        SketchArtist("schnell")


def test_the_same_seed_draws_the_same_panel_and_another_seed_another():
    artist, concept = SketchArtist(), mittens_concept()
    first = artist.paint([concept, concept], seeds=[5, 6], width=512, height=512)
    again = artist.paint([concept, concept], seeds=[5, 6], width=512, height=512)
    assert [png_bytes(image) for image in first.images] == [png_bytes(image) for image in again.images]
    assert png_bytes(first.images[0]) != png_bytes(first.images[1])


def test_progress_is_reported_after_each_image():
    calls = []
    SketchArtist().paint(
        [mittens_concept()] * 2, seeds=[1, 2], width=256, height=256, progress=lambda *done: calls.append(done)
    )
    assert calls == [(1, 2), (2, 2)]


def test_the_cast_is_played_by_fitting_emoji():
    _, panel = panel_of(mittens_concept())
    glyphs = {member["name"]: member["glyph"] for member in panel["cast"]}
    assert glyphs["Mittens"] == "🐈" and glyphs["giant ball of yarn"] == "🧶"
    assert lookup("kitten") == "🐈" and lookup("my dog Biscuit") == "🐕" and lookup("puppy") == "🐕"
    assert lookup("grandma Rosa") == "👵" and lookup("grandmother") == "👵"
    assert lookup("a ball of yarn") == "🧶" and lookup("the office printer") == "🖨️" and lookup("squirrels") == "🐿️"
    assert lookup("a quantum flux capacitor") is None
    # Props no glyph draws well are left out rather than drawn wrong.
    assert lookup("helmet") is None


def test_someone_unknown_is_drawn_as_a_person_and_something_unknown_as_a_thing():
    assert cast_glyph(member("Dave", role="hero"), None) == "🧑"
    assert cast_glyph(member("a quantum flux capacitor"), None) == "📦"


def test_a_subjects_kind_picks_its_glyph_whatever_the_writer_called_it():
    hero = mittens_concept().cast[0].model_copy(update={"kind": "superhero", "name": "Captain Whiskers"})
    assert cast_glyph(hero, mittens_subject()) == "🐈"
    assert cast_glyph(hero, None) == "🦸"


def test_scale_mismatch_draws_a_giant_foil():
    concept = mittens_concept().model_copy(update={"device": Device.scale_mismatch})
    concept.cast[0].box = Box(x=0.1, y=0.4, w=0.35, h=0.5)
    concept.cast[1].box = Box(x=0.5, y=0.4, w=0.35, h=0.5)
    boxes = cast_boxes(panel_of(concept)[1])
    assert area(boxes["giant ball of yarn"]) > 2 * area(boxes["Mittens"])


def test_each_device_shows():
    concept = mittens_concept()
    assert {"cape", "burst"} <= set(panel_of(concept)[1]["effects"])  # mock-heroic
    upright = panel_of(concept.model_copy(update={"device": Device.anthropomorphism}))[1]
    assert next(m["build"] for m in upright["cast"] if m["name"] == "Mittens") == "suit"
    assert "escalation" in panel_of(concept.model_copy(update={"device": Device.escalation}))[1]["effects"]
    assert "gilt frame" in panel_of(concept.model_copy(update={"device": Device.parody}))[1]["effects"]
    calm = panel_of(concept.model_copy(update={"device": Device.deadpan}))[1]["effects"]
    assert "impact" not in calm and "burst" not in calm


def test_people_get_legs_and_crowds_are_drawn_as_crowds():
    concept = mittens_concept()
    concept.cast[0] = concept.cast[0].model_copy(update={"name": "Grandma Rosa", "kind": "grandma", "subject": None})
    concept.cast[2] = CastMember(name="audience", role="extra", kind="audience", box=Box(x=0.0, y=0.8, w=1.0, h=0.2))
    _, panel = panel_of(concept)
    builds = {m["name"]: (m["glyph"], m["build"]) for m in panel["cast"]}
    assert builds["Grandma Rosa"] == ("👵", "person")
    assert builds["audience"][1] == "crowd" and "audience" in panel["effects"]


def test_the_setting_picks_the_scene():
    assert pick_scene("a TED talk stage with a big screen") == "stage"
    assert pick_scene("a cozy living room") == "living room"
    assert pick_scene("a city rooftop at night, a searchlight behind") == "city"  # a searchlight is not the sea
    assert pick_scene("a sunny skate park with a half-pipe") == "skate park"
    assert pick_scene("nowhere in particular") == "comic sky"
    _, panel = panel_of(mittens_concept())
    assert panel["scene"] == "living room" and panel["night"] is True


def test_sign_text_is_painted_on_a_sign():
    concept = mittens_concept()
    assert concept.sign_text
    signed, panel = panel_of(concept)
    unsigned, _ = panel_of(concept.model_copy(update={"sign_text": None}))
    sign = panel["sign"]
    assert sign is not None
    difference = ImageChops.difference(signed.crop(sign).convert("RGB"), unsigned.crop(sign).convert("RGB"))
    assert ImageStat.Stat(difference).mean[0] > 10


def test_the_painted_sign_is_reported_for_the_letterer_to_keep_clear():
    concept = mittens_concept()
    signed = SketchArtist().paint([concept], seeds=[1], width=640, height=480)
    unsigned = SketchArtist().paint([concept.model_copy(update={"sign_text": None})], seeds=[1], width=640, height=480)

    (box,) = signed.keep_clear[0]
    left, top, right, bottom = signed.details["panels"][0]["sign"]
    assert (box.x * 640, box.y * 480, (box.x + box.w) * 640, (box.y + box.h) * 480) == pytest.approx(
        (left, top, right, bottom)
    )
    assert unsigned.keep_clear == [[]]


def test_a_subjects_colour_tints_its_glyph():
    concept = mittens_concept()
    orange, _ = panel_of(concept, subjects=[mittens_subject()])
    grey = mittens_subject().model_copy(update={"traits": ["charcoal grey fur"]})
    greyed, panel = panel_of(concept, subjects=[grey])
    box = cast_boxes(panel)["Mittens"]
    saturation = {
        name: ImageStat.Stat(image.crop(box).convert("HSV").getchannel("S")).mean[0]
        for name, image in (("grey", greyed), ("orange", orange))
    }
    assert saturation["grey"] < saturation["orange"] * 0.8


def test_a_gag_keeps_its_sign_clear_when_it_is_lettered_again(tmp_path):
    from sightgag.settings import Settings
    from sightgag.studio import Studio

    studio = Studio(writer="offline", artist="sketch", settings=Settings(home=tmp_path))
    concept = mittens_concept()
    gag = studio.make("my cat Mittens as a superhero", concepts=[concept], seed=1, size=(512, 512), lettering="none")
    assert studio.gallery.get(gag.id).keep_clear == gag.keep_clear and len(gag.keep_clear[0]) == 1

    relettered = studio.reletter(gag.id, lettering="balloon")

    (sign,) = gag.keep_clear[0]
    left, top = round(sign.x * 512), round(sign.y * 512)
    right, bottom = round((sign.x + sign.w) * 512), round((sign.y + sign.h) * 512)
    changed = (np.asarray(Image.open(gag.renders[0])) != np.asarray(Image.open(relettered.images[0]))).any(axis=2)
    assert changed.mean() > 0.01  # a balloon was set...
    assert changed[top:bottom, left:right].mean() < 0.1  # ...off the sign (a tail may cross it)


@pytest.mark.parametrize(
    "request_text, scene, glyph",
    [
        ("uncle Bob grilling burgers during a volcanic eruption", "volcano", "🌋"),
        ("our goldfish Bubbles planning a daring prison break from the fishbowl", "fishbowl", "🏰"),
        ("my cat Luna stealing the Mona Lisa from the museum", "museum", "🖼️"),
        ("a tortoise racing in Formula 1", "race track", "🏁"),
        ("my boss Karen stuck in a Zoom meeting", "video call", None),
        ("my corgi Waffles as a royal guard at the palace", "castle", "🏰"),
    ],
)
def test_the_place_a_request_names_is_drawn_in_every_candidate(request_text, scene, glyph):
    from sightgag.settings import Settings
    from sightgag.writer.offline import OfflineWriter

    concepts = OfflineWriter(None, Settings()).write(request_text, [], n=3, seed=0)
    painting = SketchArtist().paint(concepts, seeds=[0, 1, 2], width=256, height=256)

    for panel in painting.details["panels"]:
        assert panel["scene"] == scene
        if glyph:
            assert glyph in panel["scenery_props"]


def test_a_foil_the_request_names_is_cast_with_its_own_glyph_not_a_box():
    assert cast_glyph(member("the wifi router", kind="router"), None) == "📡"
    assert cast_glyph(member("Mount Everest", kind="person"), None) == "🏔️"
    assert cast_glyph(member("Zoë", kind="person"), None) == "🧑"  # a name is still a person


def test_a_foil_is_drawn_where_the_setting_names_no_place():
    # Neither the foil nor the setting names a place the sketch artist draws: the foil is no scenery there.
    concept = mittens_concept().model_copy(update={"setting": "somewhere unremarkable", "device": Device.deadpan})
    blob = {"name": "mysterious blob", "kind": "blob", "appearance": "a mysterious blob", "props": []}
    concept.cast[1] = concept.cast[1].model_copy(update=blob)
    panel = panel_of(concept)[1]
    assert panel["scene"] == pick_scene("somewhere unremarkable") == "comic sky"
    assert "mysterious blob" in cast_boxes(panel)


def test_a_name_is_never_read_as_an_emoji_word():
    assert cast_glyph(member("Leo", kind="son", role="hero"), None) == "👦"  # not ♌
    assert cast_glyph(member("Leo", kind="person", role="hero"), None) == "🧑"
    assert cast_glyph(member("Daisy", kind="person", role="hero"), None) == "🧑"  # not 🌼
