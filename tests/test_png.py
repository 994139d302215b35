"""PNGs carry the gag's record, and give back exactly the pixels they were given, however they are written."""

import platform
import sys

import numpy as np
import pytest
from PIL import Image

import sightgag.png
from sightgag.errors import UsageError
from sightgag.png import read_png_record, write_png

RECORD = {"id": "20261202-000000-abcdef", "request": "ma chatte Minette en super-héroïne ✨", "seed": 7}


def noise(width: int, height: int, mode: str = "RGB") -> Image.Image:
    channels = {"RGB": 3, "RGBA": 4}[mode]
    pixels = np.random.default_rng(width * height).integers(0, 256, (height, width, channels), dtype=np.uint8)
    return Image.fromarray(pixels, mode)


@pytest.fixture(params=["fpng", "pillow"])
def encoder(request, monkeypatch):
    """Each test runs with fpng, and again as on a platform without its wheel."""
    if request.param == "fpng":
        if sightgag.png.fpng is None and sys.platform == "darwin" and platform.machine() == "x86_64":
            pytest.skip("fpng has no wheel for Intel Macs: Pillow writes their PNGs")
        assert sightgag.png.fpng is not None, "fpng is a dependency on this platform: it should be installed"
    else:
        monkeypatch.setattr(sightgag.png, "fpng", None)
    return request.param


@pytest.mark.parametrize("size", [(1, 1), (17, 3), (640, 480)])
@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_a_png_gives_back_every_pixel_and_the_record(tmp_path, encoder, size, mode):
    image = noise(*size, mode)
    path = tmp_path / "gag.png"
    write_png(image, path, RECORD)

    with Image.open(path) as back:
        assert back.format == "PNG" and back.mode == mode and back.size == size
        assert np.array_equal(np.asarray(back), np.asarray(image))
    assert read_png_record(path) == RECORD


def test_modes_fpng_does_not_take_are_written_by_pillow(tmp_path, encoder):
    grey = Image.linear_gradient("L")
    write_png(grey, tmp_path / "grey.png", RECORD)

    with Image.open(tmp_path / "grey.png") as back:
        assert back.mode == "L" and np.array_equal(np.asarray(back), np.asarray(grey))
    assert read_png_record(tmp_path / "grey.png")["request"] == RECORD["request"]


def test_a_png_made_elsewhere_has_no_record(tmp_path):
    noise(8, 8).save(tmp_path / "other.png")
    with pytest.raises(UsageError, match="not made by sightgag"):
        read_png_record(tmp_path / "other.png")
