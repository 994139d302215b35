"""The `xai` artist (Grok Imagine) against a local server that answers the way xAI's image API is documented to."""

from __future__ import annotations

import base64
import io
import time

import httpx
import pytest
from examples import mittens_concept, mittens_subject
from PIL import Image
from xai_server import ASPECT_RATIOS, FakeXai, Reply

from sightgag.artist import load_artist
from sightgag.artist.xai import MAX_PROMPT, XaiArtist, nearest_aspect_ratio
from sightgag.errors import SightgagError, UsageError
from sightgag.settings import Settings
from sightgag.subjects.library import SubjectLibrary


@pytest.fixture
def xai():
    with FakeXai() as server:
        yield server


def settings_for(server: FakeXai, **overrides) -> Settings:
    return Settings(**({"XAI_API_KEY": server.key, "xai_url": server.url, "xai_timeout": 5.0} | overrides))


def paint_one(server: FakeXai, model: str | None = None, *, size=(512, 512), subjects=(), **settings):
    artist = XaiArtist(model, settings_for(server, **settings))
    return artist.paint([mittens_concept()], seeds=[1], width=size[0], height=size[1], subjects=list(subjects))


@pytest.fixture
def mittens_with_photos(tmp_path):
    """Mittens in a real subject library, from two photos carrying EXIF (a camera model and a GPS block)."""
    photos = []
    for index, colour in enumerate([(230, 140, 40), (200, 120, 30)]):
        photo = tmp_path / f"IMG_{index}.jpg"
        exif = Image.Exif()
        exif[0x0110] = "Secret Camera 9000"  # Model
        exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPSInfo
        Image.new("RGB", (96 + 32 * index, 64), colour).save(photo, exif=exif)
        photos.append(photo)
    library = SubjectLibrary(Settings().home)
    subject, _ = library.add("Mittens", photos, kind="cat", traits=mittens_subject().traits)
    return subject, photos


# The happy paths.


def test_generations_paint_each_concept_at_the_nearest_aspect_ratio(xai):
    artist = XaiArtist(None, settings_for(xai))
    seen = []

    painting = artist.paint(
        [mittens_concept(), mittens_concept()], seeds=[7, 8], width=1024, height=576, progress=lambda *a: seen.append(a)
    )

    assert artist.spec == "xai:grok-imagine-image"
    assert [request.path for request in xai.requests_to("/v1/")] == ["/v1/images/generations"] * 2
    body = xai.bodies[0]
    assert body["model"] == "grok-imagine-image" and body["n"] == 1 and body["response_format"] == "b64_json"
    assert body["aspect_ratio"] == "16:9" and body["resolution"] == "1k"
    assert "seed" not in body and "size" not in body and "negative_prompt" not in body  # what xAI does not take
    assert "Mittens" in body["prompt"] and "KNIT HAPPENS" in body["prompt"]
    assert mittens_concept().caption.text not in body["prompt"]  # the letterer sets it in type
    assert all(request.headers["authorization"] == f"Bearer {xai.key}" for request in xai.requests_to("/v1/"))
    assert seen == [(0, 2), (1, 2), (2, 2)]

    width, height = painting.images[0].size
    assert abs(width / height - 16 / 9) < 0.05  # kept in the shape xAI painted, not stretched to 1024x576
    details = painting.details
    assert details["model"] == "grok-imagine-image" and details["seeded"] is False
    assert details["requested_size"] == [1024, 576] and details["aspect_ratio"] == "16:9"
    assert details["sizes"] == [[width, height]] * 2
    assert details["prompts"] == [body["prompt"] for body in xai.bodies]
    assert details["revised_prompts"][0].startswith("A vivid illustration: ")  # xAI's rewording is kept
    assert details["references"] == [[], []]


def test_a_revised_prompt_is_kept_as_text_never_as_escapes(xai):
    xai.revised = "A cat \x1b]0;pwned\x07in a \u202ecape"

    assert paint_one(xai).details["revised_prompts"] == ["A cat in a cape"]


def test_a_missing_revised_prompt_is_recorded_as_none(xai):
    xai.revised = False

    assert paint_one(xai).details["revised_prompts"] == [None]


def test_2k_resolution_and_another_model_are_passed_on(xai):
    painting = paint_one(xai, "grok-imagine-image-quality", xai_resolution="2k")

    assert xai.bodies[0]["model"] == "grok-imagine-image-quality" and xai.bodies[0]["resolution"] == "2k"
    assert painting.images[0].size[0] > 150  # the fake's 2k is twice the 1k side


def test_a_url_answer_is_downloaded_without_the_key(xai, monkeypatch):
    monkeypatch.setattr("sightgag.artist.xai.XaiArtist._request", _asking_for_urls(XaiArtist._request))

    painting = paint_one(xai)

    (download,) = xai.requests_to("/files/")
    assert "authorization" not in download.headers
    assert painting.images[0].size == (96, 96)


def test_edits_send_the_subjects_stored_photos_not_the_originals(xai, mittens_with_photos):
    subject, originals = mittens_with_photos

    painting = paint_one(xai, subjects=[subject])

    (edit,) = xai.requests_to("/v1/images/edits")
    assert "images" in edit.body and "image" not in edit.body  # two photos: the multi-reference form
    sent = xai.references[0]
    assert sent == [path.read_bytes() for path in subject.photos]  # the library's copies...
    assert all(path.read_bytes() not in sent for path in originals)  # ...not the user's files
    for data in sent:
        assert not Image.open(io.BytesIO(data)).getexif()  # so no camera or GPS position leaves the machine
    assert edit.body["prompt"].startswith("Make the cat in these 2 photos the hero of this scene: ")
    assert painting.details["references"] == [[str(path) for path in subject.photos]]


def test_one_photo_is_sent_as_image_and_at_most_three_are_sent(xai, mittens_with_photos, tmp_path):
    subject, _ = mittens_with_photos
    paint_one(xai, subjects=[subject.model_copy(update={"photos": subject.photos[:1]})])
    assert "image" in xai.bodies[0] and "images" not in xai.bodies[0]

    many = subject.model_copy(update={"photos": subject.photos * 3})  # six photos
    paint_one(xai, subjects=[many])
    assert len(xai.bodies[1]["images"]) == 3


def test_a_subject_without_photos_is_painted_from_the_text(xai):
    painting = paint_one(xai, subjects=[mittens_subject()])

    assert [request.path for request in xai.requests_to("/v1/")] == ["/v1/images/generations"]
    assert painting.details["references"] == [[]]


def test_the_spec_finds_the_artist_through_the_registry(xai):
    artist = load_artist("xai:grok-imagine-image-pro", settings_for(xai))

    assert isinstance(artist, XaiArtist) and artist.spec == "xai:grok-imagine-image-pro"
    assert artist.reproducible is False


@pytest.mark.parametrize(
    ("size", "ratio"),
    [((1024, 1024), "1:1"), ((1024, 576), "16:9"), ((768, 1024), "3:4"), ((4000, 500), "20:9"), ((512, 1024), "1:2")],
)
def test_nearest_aspect_ratio_is_one_xai_takes(size, ratio):
    assert nearest_aspect_ratio(*size) == ratio
    assert ratio in ASPECT_RATIOS


def test_a_very_long_prompt_is_clipped_to_xais_limit(xai, monkeypatch):
    monkeypatch.setattr("sightgag.artist.xai.describe", lambda concept, subjects: "yarn " * 3000)

    paint_one(xai)

    assert len(xai.bodies[0]["prompt"]) <= MAX_PROMPT


# Bad input.


def test_missing_key_is_a_usage_error_and_sends_nothing(xai):
    with pytest.raises(UsageError, match="xai needs XAI_API_KEY: "):
        paint_one(xai, XAI_API_KEY=None)
    assert xai.received == []


def test_a_wrong_key_is_a_usage_error(xai):
    with pytest.raises(UsageError, match=r"xAI rejected the API key \(HTTP 401: Incorrect API key.*check XAI_API_KEY"):
        paint_one(xai, XAI_API_KEY="not-the-key")


@pytest.mark.parametrize("model", ["dall-e-3", "grok imagine", ""])
def test_a_model_that_is_not_grok_is_a_usage_error(model):
    with pytest.raises(UsageError, match="xAI image model|use one of"):
        XaiArtist(model or "  ", Settings())


def test_a_bad_resolution_setting_is_a_usage_error():
    with pytest.raises(UsageError, match="SIGHTGAG_XAI_RESOLUTION='4k': use 1k or 2k"):
        XaiArtist(None, Settings(xai_resolution="4k"))


# Refusals and trouble.


def test_a_moderated_prompt_says_so(xai):
    xai.moderation = "prompt"

    with pytest.raises(SightgagError, match=r"moderation refused the prompt \(HTTP 400: .*content moderation.*reword") as caught:
        paint_one(xai)
    assert not isinstance(caught.value, UsageError)


def test_a_withheld_picture_says_so(xai):
    xai.moderation = "picture"

    with pytest.raises(SightgagError, match=r"moderation withheld the picture .*reword the request"):
        paint_one(xai)


def test_a_rate_limit_is_retried_after_the_time_xai_asks(xai):
    xai.queue(Reply.json(429, {"code": "Too many requests", "error": "slow down"}, **{"Retry-After": "0.5"}))
    started = time.monotonic()

    painting = paint_one(xai)

    assert time.monotonic() - started >= 0.5
    assert len(painting.images) == 1 and len(xai.requests_to("/v1/")) == 2


def test_a_rate_limit_that_does_not_lift_is_an_error_after_bounded_tries(xai):
    xai.queue(*[Reply.json(429, {"error": "slow down"}, **{"Retry-After": "0.01"})] * 10)

    with pytest.raises(SightgagError, match=r"too many requests at once \(HTTP 429\) after 3 tries: wait a minute"):
        paint_one(xai, xai_retries=2)
    assert len(xai.requests_to("/v1/")) == 3


def test_a_server_that_does_not_answer_in_time_is_a_timeout(xai):
    xai.delay = 1.0
    started = time.monotonic()

    with pytest.raises(SightgagError, match=r"xAI did not answer within 0.2 s \(1 try\): .*SIGHTGAG_XAI_TIMEOUT"):
        paint_one(xai, xai_timeout=0.2, xai_retries=0)
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (Reply(200, b"<html><body>Bad gateway</body></html>", "text/html"), r"junk instead of an image answer .*text/html.*Bad gateway"),
        (Reply.json(200, {"data": "nope"}), r"junk instead of an image answer"),
        (Reply.json(200, {"data": [{"b64_json": "%%% not base64"}]}), r"not valid base64"),
        (Reply.json(200, {"data": [{"b64_json": base64.b64encode(b"GIF? no").decode()}]}), r"is not a picture \(7 bytes"),
        (Reply.json(200, {"data": [{"revised_prompt": "a cat"}]}), r"without an image or an image URL"),
        (Reply.json(200, {"data": [], "block_reason": "sexual content"}), r"moderation refused the prompt \(sexual content\)"),
        (Reply.json(200, {"data": []}), r"answered without any image: try again"),
    ],
)
def test_a_malformed_answer_is_a_clear_one_line_error(xai, reply, message):
    xai.queue(reply)

    with pytest.raises(SightgagError, match=message) as caught:
        paint_one(xai)
    assert "\n" not in str(caught.value)


def test_server_errors_are_retried_then_reported(xai):
    xai.queue(Reply.json(503, {"error": "overloaded"}))
    paint_one(xai, xai_retries=1)  # one failure is shrugged off

    xai.queue(*[Reply.json(500, {"error": "GPU fell over"})] * 3)
    with pytest.raises(SightgagError, match=r"xAI is failing \(HTTP 500: GPU fell over\) after 2 tries"):
        paint_one(xai, xai_retries=1)


def test_an_unreachable_server_is_a_runtime_error():
    with FakeXai() as closed:
        url = closed.url  # the port is free again once the server stops
    settings = Settings(XAI_API_KEY="key", xai_url=url, xai_retries=0)

    with pytest.raises(SightgagError, match=r"could not reach xAI at http://127.0.0.1:\d+: .*check the network"):
        XaiArtist(None, settings).paint([mittens_concept()], seeds=[0], width=512, height=512)


# The key stays with the configured host.


def test_a_redirect_elsewhere_is_not_followed_with_the_key(xai):
    with FakeXai(key="someone-else") as elsewhere:
        xai.queue(Reply(307, b"", headers={"location": f"{elsewhere.url}/images/generations"}))

        with pytest.raises(SightgagError, match=rf"redirected to {elsewhere.origin} \(HTTP 307\); the key is only sent"):
            paint_one(xai)

        assert all(xai.key not in str(request.headers) for request in elsewhere.received)
        assert elsewhere.requests_to("/v1/") == []


def test_an_image_link_that_redirects_elsewhere_is_fetched_there_without_the_key(xai, monkeypatch):
    monkeypatch.setattr("sightgag.artist.xai.XaiArtist._request", _asking_for_urls(XaiArtist._request))
    with FakeXai() as cdn:
        cdn.files["cat"] = _png((64, 48))
        xai.file_redirect = f"{cdn.origin}/files/cat.png"

        painting = paint_one(xai)

        (download,) = cdn.requests_to("/files/")
        assert "authorization" not in download.headers
        assert painting.images[0].size == (64, 48)


# The fake itself refuses what xAI refuses, or the checks above prove little.


@pytest.mark.parametrize(
    ("path", "body", "error"),
    [
        ("generations", {"prompt": "a cat", "size": "1024x1024"}, "Argument not supported: size"),
        ("generations", {"prompt": "a cat", "seed": 7}, "Argument not supported: seed"),
        ("generations", {"prompt": "a cat", "aspect_ratio": "5:4"}, "aspect_ratio"),
        ("generations", {"prompt": "a cat", "resolution": "4k"}, "resolution"),
        ("generations", {"prompt": "a cat", "n": 11}, "n: must be between 1 and 10"),
        ("generations", {"prompt": "x" * 10_001}, "at most 10000"),
        ("edits", {"prompt": "a cat"}, "exactly one of image and images"),
        ("edits", {"prompt": "a cat", "images": [{"url": "https://example.com/a.png"}] * 4}, "between 1 and 3"),
    ],
)
def test_the_fake_refuses_what_the_documentation_rules_out(xai, path, body, error):
    response = httpx.post(f"{xai.url}/images/{path}", json=body, headers={"authorization": f"Bearer {xai.key}"})

    assert response.status_code == 400
    assert error in response.json()["error"]


def _asking_for_urls(request):
    """XaiArtist._request, but asking for response_format "url" (sightgag asks for b64_json)."""

    def wrapped(self, *args, **kwargs):
        path, body, references = request(self, *args, **kwargs)
        return path, {**body, "response_format": "url"}, references

    return wrapped


def _png(size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 200, 30)).save(buffer, format="PNG")
    return buffer.getvalue()
