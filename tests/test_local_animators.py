"""The `wan` and `ltx` animators end to end on CPU, with tiny random pipelines (tests/tiny_wan.py, tiny_ltx.py)."""

from __future__ import annotations

import io

import av
import numpy as np
import pytest
from PIL import Image

from examples import mittens_concept
from sightgag.animator import ClipLettering, Shot, film, load_animator
from sightgag.animator.ltx import LtxAnimator
from sightgag.animator.wan import WanAnimator
from sightgag.artist.sketch import draw_panel
from sightgag.errors import UsageError
from sightgag.settings import Settings

pytestmark = pytest.mark.slow

SECONDS, FPS = 1.0, 12


@pytest.fixture(scope="module")
def tiny_wan_dir(tmp_path_factory):
    from tiny_wan import build_tiny_wan

    return build_tiny_wan(tmp_path_factory.mktemp("models") / "tiny-wan")


@pytest.fixture(scope="module")
def tiny_ltx_dir(tmp_path_factory):
    from tiny_ltx import build_tiny_ltx

    return build_tiny_ltx(tmp_path_factory.mktemp("models") / "tiny-ltx")


FAMILIES = {"wan": (WanAnimator, "tiny_wan_dir", 4), "ltx": (LtxAnimator, "tiny_ltx_dir", 8)}


def shot() -> Shot:
    concept = mittens_concept()
    still, _ = draw_panel(concept, 7, 256, 256)
    return Shot(still=still.convert("RGB"), concept=concept, seed=7, artist="sketch")


@pytest.mark.parametrize("family", FAMILIES)
def test_the_still_is_the_first_frame_and_the_clip_is_lettered_and_encoded(family, request):
    animator_class, folder_fixture, frames_step = FAMILIES[family]
    folder = request.getfixturevalue(folder_fixture)
    animator = animator_class(str(folder), Settings(device="cpu"), steps=2, size=(64, 64))
    sent = {}
    pipe = animator.pipeline
    original = type(pipe).__call__

    def spy(self, *args, **kwargs):
        sent.update(kwargs)
        return original(self, *args, **kwargs)

    type(pipe).__call__ = spy
    try:
        picture = shot()
        lettering = ClipLettering(picture.still, picture.concept)
        clip = film(animator, picture, seconds=SECONDS, fps=FPS, fmt="mp4", seed=3, lettering=lettering)
    finally:
        type(pipe).__call__ = original

    expected_first = picture.still.resize((64, 64), Image.Resampling.LANCZOS)
    assert np.array_equal(np.asarray(sent["image"]), np.asarray(expected_first)), "the still goes in as the first frame"
    assert (sent["height"], sent["width"]) == (64, 64)
    assert (sent["num_frames"] - 1) % frames_step == 0 and sent["num_frames"] >= SECONDS * 24
    assert picture.concept.moment.rstrip(".") in sent["prompt"] and "text" in sent["negative_prompt"]

    assert len(clip.frames) == SECONDS * FPS
    assert clip.record["animator"] == f"{family}:{folder}" and clip.record["details"]["video_size"] == [64, 64]
    ink = np.asarray(lettering.mask) > 0
    for frame in clip.frames[clip.lettered_from :]:
        assert np.array_equal(np.asarray(frame)[ink], np.asarray(lettering.lettered)[ink]), "the letterer's type"
    with av.open(io.BytesIO(clip.data)) as container:
        decoded = list(container.decode(video=0))
    assert len(decoded) == SECONDS * FPS and decoded[0].width == lettering.size[0]


def test_the_same_seed_makes_the_same_video(tiny_wan_dir):
    animator = WanAnimator(str(tiny_wan_dir), Settings(device="cpu"), steps=1, size=(64, 64))
    one = animator.animate(shot(), seconds=SECONDS, fps=FPS, seed=5).frames
    two = animator.animate(shot(), seconds=SECONDS, fps=FPS, seed=5).frames
    assert all(np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(one, two))


def test_specs_and_sizes_are_checked_before_loading(tmp_path):
    assert load_animator("wan", Settings()).spec == "wan"
    assert load_animator("ltx:Lightricks/LTX-Video", Settings()).spec == "ltx:Lightricks/LTX-Video"
    with pytest.raises(UsageError, match="no such folder"):
        load_animator(f"wan:{tmp_path}/missing", Settings())
    with pytest.raises(UsageError, match="multiples of 32"):
        WanAnimator(None, Settings(), size=(100, 64))
    assert WanAnimator(None, Settings()).video_size(1024, 1024) == (960, 960)
    assert load_animator("wan", Settings(), size=(512, 288)).video_size(1024, 1024) == (512, 288)
