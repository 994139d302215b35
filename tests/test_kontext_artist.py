"""The local Kontext artist, painting around a subject's photo with a tiny FluxKontextPipeline built here."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image, ImageDraw

from examples import mittens_concept, mittens_subject
from sightgag.artist import load_artist
from sightgag.artist.kontext import KontextArtist, reference_shape
from sightgag.errors import UsageError
from sightgag.settings import Settings
from sightgag.studio import Studio
from sightgag.subjects.library import SubjectLibrary

STEPS = 3  # enough to exercise the sampler; the real default is 28
REFERENCE_AREA = 48 * 48  # the real one is about a megapixel: minutes per picture for a tiny model on a CPU


@pytest.fixture(scope="module")
def tiny_kontext_dir(tiny_flux_dir, tmp_path_factory):
    from tiny_flux import build_tiny_kontext

    return build_tiny_kontext(tmp_path_factory.mktemp("models") / "tiny-kontext", flux_folder=tiny_flux_dir)


@pytest.fixture
def artist(tiny_kontext_dir) -> KontextArtist:
    return KontextArtist(str(tiny_kontext_dir), Settings(), steps=STEPS, reference_area=REFERENCE_AREA)


def photo(path, body: str, background: str):
    """A synthetic pet photo: a coloured disc (the 'cat') on a plain background, 4:3 like a phone picture."""
    image = Image.new("RGB", (160, 120), background)
    ImageDraw.Draw(image).ellipse((45, 25, 115, 95), fill=body)
    image.save(path)
    return path


@pytest.fixture
def ginger(tmp_path):
    return photo(tmp_path / "ginger.png", "orange", "royalblue")


@pytest.fixture
def tuxedo(tmp_path):
    return photo(tmp_path / "tuxedo.png", "black", "white")


def with_photo(path):
    return mittens_subject().model_copy(update={"photos": [path]})


def pixels(image) -> np.ndarray:
    return np.asarray(image)


def test_paints_around_the_heros_photo_at_the_requested_size(artist, ginger):
    steps = []

    painting = artist.paint(
        [mittens_concept()],
        seeds=[5],
        width=64,
        height=48,
        subjects=[with_photo(ginger)],
        progress=lambda *done: steps.append(done),
    )

    assert painting.images[0].size == (64, 48)
    assert steps == [(1, STEPS), (2, STEPS), (3, STEPS)]
    details = painting.details
    assert details["references"] == [str(ginger)]
    assert (details["steps"], details["guidance"], details["max_area"]) == (STEPS, 2.5, 64 * 48)
    prompt = details["prompts"][0]
    assert prompt["t5"].startswith("Turn this cat into Mittens, the hero of the scene below")
    assert "orange tabby" in prompt["t5"]  # the scene with the subject's traits follows the instruction
    assert prompt["t5_tokens"] <= 512 and prompt["clip_tokens"] <= 77
    json.dumps(details)


@pytest.mark.slow
def test_the_same_seed_and_photo_paint_the_same_pixels_and_another_photo_does_not(artist, ginger, tuxedo):
    def paint(reference, seed=11):
        return artist.paint([mittens_concept()], seeds=[seed], width=48, height=48, subjects=[with_photo(reference)])

    first = pixels(paint(ginger).images[0])

    assert np.array_equal(first, pixels(paint(ginger).images[0]))
    assert not np.array_equal(first, pixels(paint(tuxedo).images[0]))
    assert not np.array_equal(first, pixels(paint(ginger, seed=12).images[0]))


def test_without_a_subject_photo_it_paints_from_the_text_alone(artist):
    steps = []

    painting = artist.paint(
        [mittens_concept(), mittens_concept()],
        seeds=[1, 2],
        width=32,
        height=48,
        subjects=[mittens_subject(trigger="mttnz")],
        progress=lambda *done: steps.append(done),
    )

    assert [image.size for image in painting.images] == [(32, 48), (32, 48)]
    assert steps[-1] == (2 * STEPS, 2 * STEPS)  # one image after the other
    assert painting.details["references"] == [None, None]
    for prompt in painting.details["prompts"]:
        assert not prompt["t5"].startswith("Turn this")
        # A trigger word without its LoRA is noise to the model: Kontext leaves it out.
        assert "mttnz" not in prompt["t5"] and prompt["clip"].startswith("Mittens the cat")


def test_max_area_caps_the_output_and_keeps_its_shape(tiny_kontext_dir, ginger):
    small = KontextArtist(
        str(tiny_kontext_dir), Settings(), steps=1, max_area=32 * 32, reference_area=REFERENCE_AREA
    )

    painting = small.paint([mittens_concept()], seeds=[1], width=128, height=128, subjects=[with_photo(ginger)])

    assert painting.images[0].size == (32, 32)
    assert painting.details["max_area"] == 32 * 32


def test_the_studio_paints_a_library_subject_around_its_stored_photo(tiny_kontext_dir, ginger):
    settings = Settings()
    stored, _ = SubjectLibrary(settings.home).add("Mittens", [ginger], kind="cat")
    studio = Studio(writer="offline", artist=KontextArtist(
        str(tiny_kontext_dir), settings, steps=2, reference_area=REFERENCE_AREA), settings=settings
    )

    # The concept is given, so no writer runs; the request still names the subject the library knows.
    request = "my cat Mittens as a superhero fighting a giant ball of yarn"
    gag = studio.make(request, concepts=[mittens_concept()], seed=4, size=(64, 64))  # the smallest gag size

    assert gag.artist == f"kontext:{tiny_kontext_dir}"
    assert gag.artist_details["references"] == [str(stored.photos[0])]
    assert Image.open(gag.renders[0]).size == (64, 64)


def test_reference_photos_take_the_nearest_kontext_shape_at_the_output_area():
    assert reference_shape((4000, 3000), 1024 * 1024) == (1184, 880)  # diffusers' pick for a 4:3 photo
    assert reference_shape((3000, 4000), 1024 * 1024) == (880, 1184)
    width, height = reference_shape((160, 120), 64 * 48)
    assert width % 16 == 0 and height % 16 == 0 and width > height
    assert abs(width * height - 64 * 48) <= 64 * 48 * 0.25


def test_the_reference_keeps_its_size_whatever_the_output_size(artist, ginger):
    small, big = (
        artist.paint([mittens_concept()], seeds=[1], width=side, height=side, subjects=[with_photo(ginger)])
        for side in (32, 80)
    )

    assert [small.details["sizes"], big.details["sizes"]] == [[[32, 32]], [[80, 80]]]
    reference = list(reference_shape((160, 120), REFERENCE_AREA))
    assert small.details["reference_sizes"] == big.details["reference_sizes"] == [reference]
    # By default that size is Kontext's own: a preferred shape of about one megapixel.
    assert KontextArtist("dev", Settings()).reference_area == 1024 * 1024
    assert reference_shape((160, 120), 1024 * 1024) == (1184, 880)


def test_specs_name_the_model(tiny_kontext_dir):
    assert load_artist("kontext", Settings()).weights.source.location == "black-forest-labs/FLUX.1-Kontext-dev"
    assert load_artist("kontext:dev", Settings()).spec == "kontext:dev"
    assert load_artist(f"kontext:{tiny_kontext_dir}", Settings()).weights.source.is_folder
    with pytest.raises(UsageError, match="kontext:/path/to/folder"):
        KontextArtist("not a model", Settings())
    with pytest.raises(UsageError, match="no such folder"):
        KontextArtist("/no/such/kontext", Settings())
    with pytest.raises(UsageError, match="at least 1 step"):
        KontextArtist("dev", Settings(), steps=0)


def test_a_missing_subject_photo_is_a_one_line_error(artist, tmp_path):
    gone = with_photo(tmp_path / "deleted.jpg")

    with pytest.raises(UsageError, match="re-add the subject's photos") as failure:
        artist.paint([mittens_concept()], seeds=[1], width=32, height=32, subjects=[gone])
    assert "\n" not in str(failure.value)
