"""The `bfl` artist against a local server that answers the way BFL's hosted API is documented to."""

from __future__ import annotations

import base64
import time

import httpx
import pytest
from bfl_server import FakeBfl, Reply
from examples import mittens_concept, mittens_subject
from PIL import Image

from sightgag.artist.bfl import ENDPOINTS, BflArtist, aspect_ratio, fit_size
from sightgag.errors import SightgagError, UsageError
from sightgag.settings import Settings


@pytest.fixture
def bfl():
    with FakeBfl() as server:
        yield server


def settings_for(server: FakeBfl, **overrides) -> Settings:
    values = {
        "BFL_API_KEY": server.key,
        "bfl_url": server.url,
        "bfl_poll_interval": 0.01,
        "bfl_deadline": 5.0,
    }
    return Settings(**(values | overrides))


def paint_one(server: FakeBfl, model: str | None = None, **settings):
    artist = BflArtist(model, settings_for(server, **settings))
    return artist.paint([mittens_concept()], seeds=[1], width=512, height=512)


# The happy paths.


def test_pro_paints_each_concept_with_its_seed(bfl):
    artist = BflArtist(None, settings_for(bfl))
    seen = []

    painting = artist.paint(
        [mittens_concept(), mittens_concept()], seeds=[7, 8], width=768, height=512, progress=lambda *a: seen.append(a)
    )

    assert artist.spec == "bfl:flux-pro-1.1"
    assert [image.size for image in painting.images] == [(768, 512), (768, 512)]
    assert painting.images[0].getpixel((0, 0)) != painting.images[1].getpixel((0, 0))  # two seeds, two pictures
    assert [body["seed"] for body in bfl.submissions] == [7, 8]
    assert all((body["width"], body["height"]) == (768, 512) for body in bfl.submissions)
    assert "Mittens" in bfl.submissions[0]["prompt"] and "KNIT HAPPENS" in bfl.submissions[0]["prompt"]
    assert mittens_concept().caption.text not in bfl.submissions[0]["prompt"]  # the letterer sets it in type
    assert all(request.headers["x-key"] == bfl.key for request in bfl.requests_to("post") + bfl.requests_to("poll"))
    assert seen == [(0, 2), (1, 2), (2, 2)]

    details = painting.details
    assert details["model"] == "flux-pro-1.1"
    assert details["endpoint"] == f"{bfl.url}/flux-pro-1.1"
    assert details["request_ids"] == list(bfl.tasks)
    assert details["seeds"] == [7, 8]
    assert details["prompts"] == [body["prompt"] for body in bfl.submissions]
    assert details["polls"] == [bfl.pending_polls + 1] * 2
    assert details["sizes"] == [[768, 512], [768, 512]]


def test_the_signed_image_url_is_fetched_without_the_key(bfl):
    paint_one(bfl)

    (download,) = bfl.requests_to("download")
    assert "x-key" not in download.headers


# The key goes to BFL's API only.


def test_a_polling_url_on_another_server_is_refused_and_never_gets_the_key(bfl):
    with FakeBfl(key="the-other-servers-key") as elsewhere:
        bfl.polling_origin = elsewhere.origin

        with pytest.raises(SightgagError, match="polling URL off BFL's API"):
            paint_one(bfl)

        assert [request for request in elsewhere.received if "x-key" in request.headers] == []
        assert bfl.requests_to("post")[0].headers["x-key"] == bfl.key  # the submission went where it should


def test_a_redirect_to_another_server_is_followed_without_the_key(bfl):
    with FakeBfl() as elsewhere:
        bfl.redirect_polls_to = elsewhere.origin

        with pytest.raises(SightgagError):  # the other server wants a key it is not given
            paint_one(bfl)

        assert elsewhere.requests_to("poll")
        assert [request for request in elsewhere.received if "x-key" in request.headers] == []


def test_a_redirect_within_bfls_api_keeps_the_key(bfl):
    bfl.redirect_polls_to = f"{bfl.origin}/regional"

    painting = paint_one(bfl)

    assert painting.images
    redirected = [request for request in bfl.requests_to("poll") if request.path.startswith("/regional/")]
    assert len(redirected) == bfl.pending_polls + 1
    assert all(request.headers["x-key"] == bfl.key for request in bfl.requests_to("poll"))


@pytest.mark.parametrize(
    ("url", "carries"),
    [
        ("https://api.bfl.ai/v1/get_result?id=1", True),
        ("https://api.eu.bfl.ai/v1/get_result?id=1", True),
        ("https://api.us.bfl.ai/v1/get_result?id=1", True),
        ("https://api.eu1.bfl.ai/v1/get_result?id=1", True),
        ("https://API.US1.BFL.AI/v1/get_result?id=1", True),
        ("http://api.bfl.ai/v1/get_result?id=1", False),  # not in clear text
        ("https://api.bfl.ai:8443/v1/get_result?id=1", False),
        ("https://api.bfl.ai.example.com/v1/get_result?id=1", False),
        ("https://evilapi.bfl.ai/v1/get_result?id=1", False),
        ("https://delivery-eu1.bfl.ai/results/x.png", False),  # signed: needs no key
        ("https://example.com/v1/get_result?id=1", False),
    ],
)
def test_only_bfls_documented_api_hosts_may_carry_the_key(url, carries):
    artist = BflArtist(None, Settings(BFL_API_KEY="k", bfl_url="https://api.bfl.ai/v1"))
    assert artist.may_carry_key(url) is carries


def test_a_configured_api_url_may_carry_the_key_on_its_own_origin_only(bfl):
    artist = BflArtist(None, settings_for(bfl))
    assert artist.may_carry_key(f"{bfl.url}/get_result?id=1")
    assert not artist.may_carry_key(bfl.url.replace("127.0.0.1", "localhost"))
    port = int(bfl.origin.rsplit(":", 1)[1])
    assert not artist.may_carry_key(f"http://127.0.0.1:{port + 1}/v1/get_result?id=1")


def test_a_size_bfl_cannot_paint_is_fitted_and_both_are_recorded(bfl):
    artist = BflArtist("flux-pro-1.1", settings_for(bfl))

    painting = artist.paint([mittens_concept()], seeds=[0], width=2000, height=1000)

    sent = (bfl.submissions[0]["width"], bfl.submissions[0]["height"])
    assert sent[0] == 1440 and sent[1] % 32 == 0 and abs(sent[0] / sent[1] - 2) < 0.1  # widest allowed, same shape
    assert painting.details["requested_size"] == [2000, 1000]
    assert (painting.details["width"], painting.details["height"]) == sent
    assert painting.images[0].size == sent  # kept as BFL painted it, not stretched back


@pytest.mark.parametrize(
    ("requested", "fitted"),
    [((1024, 768), (1024, 768)), ((100, 100), (256, 256)), ((1000, 1000), (992, 992)), ((4000, 200), (1440, 256))],
)
def test_fit_size_gives_multiples_of_32_within_bfl_bounds(requested, fitted):
    assert fit_size(*requested) == fitted


@pytest.mark.parametrize(
    ("size", "ratio"), [((1024, 576), "16:9"), ((512, 512), "1:1"), ((768, 1024), "3:4"), ((4000, 500), "7:3")]
)
def test_aspect_ratio_is_small_and_within_21_9_and_9_21(size, ratio):
    assert aspect_ratio(*size) == ratio


def test_ultra_is_asked_for_an_aspect_ratio_not_pixels(bfl):
    artist = BflArtist("flux-pro-1.1-ultra", settings_for(bfl))

    painting = artist.paint([mittens_concept()], seeds=[3], width=1024, height=576)

    (body,) = bfl.submissions
    assert body["aspect_ratio"] == "16:9" and body["raw"] is False
    assert "width" not in body and "height" not in body
    width, height = painting.images[0].size
    assert painting.details["sizes"] == [[width, height]]
    assert abs(width / height - 16 / 9) < 0.1


def test_kontext_edits_the_subjects_photo(bfl, tmp_path):
    photo = tmp_path / "mittens.png"
    Image.new("RGB", (96, 64), (230, 140, 40)).save(photo)
    subject = mittens_subject().model_copy(update={"photos": [photo]})
    artist = BflArtist("flux-kontext-pro", settings_for(bfl))

    painting = artist.paint([mittens_concept()], seeds=[5], width=1024, height=1024, subjects=[subject])

    (body,) = bfl.submissions
    assert base64.b64decode(body["input_image"]) == photo.read_bytes()
    assert body["prompt"].startswith("Make this cat the hero of this scene: ")
    assert body["aspect_ratio"] == "1:1" and body["seed"] == 5
    assert painting.details["references"] == [str(photo)]
    assert painting.images[0].size[0] == painting.images[0].size[1]


def test_kontext_without_a_photo_paints_from_the_text_alone(bfl):
    artist = BflArtist("flux-kontext-pro", settings_for(bfl))

    painting = artist.paint([mittens_concept()], seeds=[5], width=1024, height=1024, subjects=[mittens_subject()])

    (body,) = bfl.submissions
    assert "input_image" not in body
    assert not body["prompt"].startswith("Make this")
    assert painting.details["references"] == [None]


# Bad input.


def test_unknown_model_is_a_usage_error_that_lists_the_known_ones():
    with pytest.raises(UsageError) as caught:
        BflArtist("flux-9000", Settings())
    assert all(model in str(caught.value) for model in ENDPOINTS)


def test_missing_key_is_a_usage_error_and_sends_nothing(bfl):
    with pytest.raises(UsageError, match="bfl needs BFL_API_KEY: "):
        paint_one(bfl, BFL_API_KEY=None)
    assert bfl.received == []


def test_a_wrong_key_is_a_usage_error(bfl):
    with pytest.raises(UsageError, match=r"rejected the API key \(HTTP 401.*check BFL_API_KEY"):
        paint_one(bfl, BFL_API_KEY="not-the-key")


def test_a_missing_photo_file_is_a_usage_error(bfl, tmp_path):
    subject = mittens_subject().model_copy(update={"photos": [tmp_path / "gone.jpg"]})
    artist = BflArtist("flux-kontext-pro", settings_for(bfl))

    with pytest.raises(UsageError, match="cannot read the subject photo"):
        artist.paint([mittens_concept()], seeds=[0], width=512, height=512, subjects=[subject])


# Tasks that end without a picture.


@pytest.mark.parametrize(
    ("outcome", "message"),
    [
        ("Error", r"could not paint task .* \(Error: reason: GPU fell over\): try again"),
        ("Failed", r"could not paint task .* \(Failed: reason: GPU fell over\)"),
        ("Request Moderated", r"moderation refused the prompt .*: reword the request"),
        ("Content Moderated", r"moderation refused the picture .*: reword the request"),
        ("Task not found", r"lost task .* \(Task not found\)"),
    ],
)
def test_a_task_that_ends_badly_says_why(bfl, outcome, message):
    bfl.outcome = outcome
    bfl.details = {"reason": "GPU fell over"}

    with pytest.raises(SightgagError, match=message) as caught:
        paint_one(bfl)
    assert not isinstance(caught.value, UsageError)
    assert "\n" not in str(caught.value)


def test_moderation_passes_on_bfls_reasons(bfl):
    bfl.outcome = "Content Moderated"
    bfl.details = {"Moderation Reasons": ["Derivative Works Filter"]}

    with pytest.raises(SightgagError, match="Moderation Reasons: Derivative Works Filter"):
        paint_one(bfl)


def test_the_deadline_stops_the_wait(bfl):
    bfl.outcome = "never"
    started = time.monotonic()

    with pytest.raises(SightgagError, match=r"BFL did not finish within 0.3 s"):
        paint_one(bfl, bfl_deadline=0.3, bfl_poll_interval=0.05)

    assert time.monotonic() - started < 2.0
    assert len(bfl.requests_to("poll")) >= 2  # it did keep asking until then


# HTTP trouble.


def test_rate_limits_are_retried_with_backoff(bfl):
    bfl.queue("post", 429, 429)

    painting = paint_one(bfl)

    assert len(painting.images) == 1
    assert len(bfl.requests_to("post")) == 3


def test_a_rate_limit_that_does_not_lift_is_an_error_after_bounded_tries(bfl):
    bfl.queue("post", *[429] * 10)

    with pytest.raises(SightgagError, match=r"too many requests at once \(HTTP 429\) after 4 tries"):
        paint_one(bfl)
    assert len(bfl.requests_to("post")) == 4


def test_retry_after_is_honoured(bfl):
    bfl.queue("post", Reply.json(429, {"detail": "slow down"}, **{"Retry-After": "0.2"}))
    started = time.monotonic()

    paint_one(bfl)

    assert time.monotonic() - started >= 0.2


def test_server_errors_are_retried_then_reported(bfl):
    bfl.queue("poll", 503)
    paint_one(bfl)  # one failed poll is shrugged off

    bfl.queue("post", *[500] * 10)
    with pytest.raises(SightgagError, match=r"BFL is failing \(HTTP 500: scripted HTTP 500\) after 4 tries"):
        paint_one(bfl)


def test_out_of_credits_says_so(bfl):
    bfl.queue("post", Reply.json(402, {"detail": "Insufficient credits"}))

    with pytest.raises(SightgagError, match="out of credits .* add credits"):
        paint_one(bfl)
    assert len(bfl.requests_to("post")) == 1  # paying again will not help: no retry


def test_a_rejected_request_reports_bfls_validation_detail(bfl):
    bfl.queue(
        "post", Reply.json(422, {"detail": [{"loc": ["body", "width"], "msg": "Input should be a multiple of 32"}]})
    )

    with pytest.raises(SightgagError, match=r"HTTP 422: body.width: Input should be a multiple of 32"):
        paint_one(bfl)


def test_junk_instead_of_json_is_a_clear_error(bfl):
    bfl.queue("post", Reply(200, b"<html><body>Bad gateway</body></html>", "text/html"))

    with pytest.raises(SightgagError, match=r"junk instead of JSON .*text/html.*Bad gateway"):
        paint_one(bfl)


def test_junk_instead_of_a_picture_is_a_clear_error(bfl):
    bfl.sample = b"\x00\x01 definitely not a PNG"

    with pytest.raises(SightgagError, match=rf"is not a picture \({len(bfl.sample)} bytes of image/png\)"):
        paint_one(bfl)


def test_an_expired_image_link_is_not_mistaken_for_a_bad_key(bfl):
    bfl.queue("download", Reply(403, b"<Error>AuthenticationFailed</Error>", "application/xml"))

    with pytest.raises(SightgagError, match=r"could not download .* \(HTTP 403\): its link may have expired") as caught:
        paint_one(bfl)
    assert not isinstance(caught.value, UsageError)


def test_an_unreachable_server_is_a_runtime_error():
    with FakeBfl() as closed:
        url = closed.url  # the port is free again once the server stops
    settings = Settings(BFL_API_KEY="key", bfl_url=url, bfl_poll_interval=0.01)

    with pytest.raises(SightgagError, match=r"could not reach BFL at http://127.0.0.1:\d+: .*check the network"):
        BflArtist(None, settings).paint([mittens_concept()], seeds=[0], width=512, height=512)


# The fake itself: its checks are only worth something if it really refuses what BFL refuses.


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"prompt": "a cat", "width": 1000}, "width"),
        ({"prompt": "a cat", "height": 2048}, "height"),
        ({"prompt": "a cat", "aspect_ratio": "16:9"}, "aspect_ratio"),
        ({"prompt": "a cat", "seed": "7"}, "seed"),
        ({"prompt": "a cat", "safety_tolerance": 9}, "safety_tolerance"),
        ({"prompt": "a cat", "prompt_upsampling": "no"}, "prompt_upsampling"),
        ({"width": 512}, "prompt"),
    ],
)
def test_the_fake_refuses_what_the_documented_schema_forbids(bfl, body, field):
    response = httpx.post(f"{bfl.url}/flux-pro-1.1", json=body, headers={"x-key": bfl.key})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", field]


def test_the_fake_wants_a_key(bfl):
    response = httpx.post(f"{bfl.url}/flux-pro-1.1", json={"prompt": "a cat"})

    assert response.status_code == 403
    assert bfl.tasks == {}
