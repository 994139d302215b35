"""One check of size and seed for the command line, the HTTP API and Python: the same bounds, the same refusals."""

import pytest
from pydantic import ValidationError

from sightgag.bounds import MAX_SIDE, MIN_SIDE, SEED_LIMIT, check_seed, check_size, parse_size
from sightgag.errors import UsageError
from sightgag.server.jobs import JobRequest
from sightgag.settings import Settings
from sightgag.studio import Studio

BAD_SIZES = [
    "²x²",
    "١٠٢٤x١٠٢٤",
    "1024",
    "1024x",
    "x768",
    "-64x64",
    "64.5x64",
    "99984x99984",
    "32x32",
    "64x4096",
    "1e3x1e3",
    "",
]
GOOD_SIZES = {"64x64": (64, 64), "1024x768": (1024, 768), " 2048X2048 ": (2048, 2048), "0512x0256": (512, 256)}
BAD_SEEDS = [-1, SEED_LIMIT, 2**70, 1.5, True, "7"]


@pytest.mark.parametrize("text", BAD_SIZES)
def test_sizes_outside_the_bounds_or_not_in_ascii_digits_are_refused(text):
    with pytest.raises(UsageError, match="size"):
        parse_size(text)


@pytest.mark.parametrize("text, size", GOOD_SIZES.items())
def test_sizes_within_the_bounds_are_read(text, size):
    assert parse_size(text) == size


def test_the_bounds_are_inclusive():
    assert check_size(MIN_SIDE, MAX_SIDE) == (MIN_SIDE, MAX_SIDE)
    with pytest.raises(UsageError):
        check_size(MIN_SIDE - 1, MAX_SIDE)
    with pytest.raises(UsageError):
        check_size(MIN_SIDE, MAX_SIDE + 1)
    assert check_seed(0) == 0 and check_seed(SEED_LIMIT - 1) == SEED_LIMIT - 1


@pytest.mark.parametrize("seed", BAD_SEEDS)
def test_seeds_outside_0_to_2_to_the_32_are_refused(seed):
    with pytest.raises(UsageError, match="seed"):
        check_seed(seed)


class UnreachableWriter:
    """A writer that must not be reached: the bounds are checked before any writing."""

    spec = "unreachable"

    def write(self, *args, **kwargs):
        raise AssertionError("the writer ran before the size and seed were checked")


@pytest.mark.parametrize("change", [{"seed": 2**70}, {"seed": -1}, {"size": (99984, 99984)}, {"size": (0, 64)}])
def test_the_python_api_refuses_the_same_before_the_writer_runs(tmp_path, change):
    studio = Studio(writer=UnreachableWriter(), artist="sketch", settings=Settings(home=tmp_path))

    with pytest.raises(UsageError):
        studio.make("my cat Mittens as a superhero", **change)
    assert studio.gallery.count() == 0


@pytest.mark.parametrize("text", BAD_SIZES)
def test_the_http_api_refuses_the_same_sizes(text):
    with pytest.raises(ValidationError):
        JobRequest(request="my cat", size=text)


@pytest.mark.parametrize("seed", [-1, SEED_LIMIT, 2**70])
def test_the_http_api_refuses_the_same_seeds(seed):
    with pytest.raises(ValidationError):
        JobRequest(request="my cat", seed=seed)
