"""The `xai` animator against a local stand-in for xAI's video API: submit, poll, download, letter, encode."""

from __future__ import annotations

import io

import av
import numpy as np
import pytest
from PIL import Image

from examples import mittens_concept
from sightgag.animator import ClipLettering, Shot, film, load_animator
from sightgag.animator.xai import nearest_ratio
from sightgag.artist.sketch import draw_panel
from sightgag.errors import SightgagError, UsageError
from sightgag.settings import Settings
from xai_video_server import FakeXaiVideo

pytestmark = pytest.mark.slow

SECONDS, FPS = 2.0, 12


@pytest.fixture
def xai():
    with FakeXaiVideo() as server:
        yield server


def settings_for(server: FakeXaiVideo, **overrides) -> Settings:
    values = {"XAI_API_KEY": server.key, "xai_url": server.url, "xai_video_poll_interval": 0.01, "xai_retries": 0}
    return Settings(**{**values, **overrides})


def polls(server: FakeXaiVideo) -> list:
    return [request for request in server.requests_to("/v1/videos/") if request.method == "GET"]


def shot(size=(320, 320)) -> Shot:
    concept = mittens_concept()
    still, _ = draw_panel(concept, 7, *size)
    return Shot(still=still.convert("RGB"), concept=concept, seed=7, artist="sketch")


def test_the_still_is_uploaded_polled_to_completion_and_lettered_on_the_last_beat(xai):
    animator = load_animator("xai", settings_for(xai))
    picture = shot()
    lettering = ClipLettering(picture.still, picture.concept)
    clip = film(animator, picture, seconds=SECONDS, fps=FPS, fmt="mp4", seed=1, lettering=lettering)

    submitted = xai.requests_to("/v1/videos/generations")
    assert len(submitted) == 1
    body = submitted[0].body
    assert body["model"] == "grok-imagine-video" and body["duration"] == 2 and body["aspect_ratio"] == "1:1"
    assert "no text" in body["prompt"].lower() and picture.concept.moment.rstrip(".") in body["prompt"]
    uploaded = xai.uploads[0]
    assert np.array_equal(np.asarray(uploaded), np.asarray(picture.still)), "the still itself is what is animated"
    assert len(polls(xai)) == 3, "polled while pending, then done"
    assert all(r.headers.get("authorization") == f"Bearer {xai.key}" for r in xai.requests_to("/v1/"))
    assert all("authorization" not in r.headers for r in xai.requests_to("/files/")), "the key stays with the API"

    assert len(clip.frames) == SECONDS * FPS
    assert clip.record["animator"] == "xai:grok-imagine-video" and clip.record["details"]["seeded"] is False
    # The model's frames, fitted to the still: the first is the still (the fake's is 96 px: compared small),
    # later ones move.
    def small(image):
        return np.asarray(image.crop((0, 0, 320, 320)).resize((32, 32), Image.Resampling.BOX), dtype=np.int16)

    assert np.abs(small(clip.frames[0]) - small(picture.still)).mean() < 8
    assert not np.array_equal(np.asarray(clip.frames[1]), np.asarray(clip.frames[5]))
    # The caption is the letterer's, laid on the last second only.
    ink = np.asarray(lettering.mask) > 0
    for frame in clip.frames[-FPS:]:
        assert np.array_equal(np.asarray(frame)[ink], np.asarray(lettering.lettered)[ink])
    assert not np.array_equal(np.asarray(clip.frames[0])[ink], np.asarray(lettering.lettered)[ink])
    with av.open(io.BytesIO(clip.data)) as container:
        assert sum(1 for _ in container.decode(video=0)) == SECONDS * FPS


def test_a_moderation_refusal_of_the_prompt_or_the_clip_is_said_plainly(xai):
    animator = load_animator("xai", settings_for(xai))
    xai.moderation = "prompt"
    with pytest.raises(SightgagError, match="moderation refused"):
        animator.animate(shot(), seconds=1, fps=8, seed=1)
    xai.moderation = "video"
    with pytest.raises(SightgagError, match="moderation withheld the clip"):
        animator.animate(shot(), seconds=1, fps=8, seed=1)


def test_a_clip_never_done_times_out_with_its_request_id(xai):
    xai.stall = True
    animator = load_animator("xai", settings_for(xai, xai_video_deadline=0.3))
    with pytest.raises(SightgagError, match=r"not done within 0.3 s \(request [0-9a-f]+\)"):
        animator.animate(shot(), seconds=1, fps=8, seed=1)
    assert len(polls(xai)) > 2, "it kept polling until the deadline"


def test_an_expired_clip_a_bad_key_and_no_key(xai):
    xai.final_status = "expired"
    with pytest.raises(SightgagError, match="expired"):
        load_animator("xai", settings_for(xai)).animate(shot(), seconds=1, fps=8, seed=1)
    with pytest.raises(UsageError, match="rejected the API key"):
        load_animator("xai", settings_for(xai, XAI_API_KEY="wrong")).animate(shot(), seconds=1, fps=8, seed=1)
    with pytest.raises(UsageError, match="XAI_API_KEY"):
        load_animator("xai", Settings(xai_url=xai.url)).animate(shot(), seconds=1, fps=8, seed=1)


def test_the_download_is_fetched_without_the_key_even_when_redirected(xai):
    xai.file_redirect = f"{xai.origin}/files/nowhere.mp4"
    with pytest.raises(SightgagError, match="could not download"):
        load_animator("xai", settings_for(xai)).animate(shot(), seconds=1, fps=8, seed=1)
    assert all("authorization" not in r.headers for r in xai.requests_to("/files/"))


def test_shapes_go_to_the_nearest_video_ratio_and_frames_come_back_at_the_stills_size(xai):
    assert (nearest_ratio(1024, 1024), nearest_ratio(1024, 576), nearest_ratio(600, 800)) == ("1:1", "16:9", "3:4")
    wide = shot(size=(480, 272))
    motion = load_animator("xai:grok-imagine-video", settings_for(xai)).animate(wide, seconds=1, fps=10, seed=1)
    assert xai.requests_to("/v1/videos/generations")[0].body["aspect_ratio"] == "16:9"
    assert len(motion.frames) == 10 and all(frame.size == (480, 272) for frame in motion.frames)
    with pytest.raises(UsageError):
        load_animator("xai:not a model", Settings())
