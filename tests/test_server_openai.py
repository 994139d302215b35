"""The OpenAI-compatible Images endpoint, called by the official `openai` client as any app would."""

from __future__ import annotations

import base64
import io
import sqlite3
from pathlib import Path

import httpx
import openai
import pytest
from PIL import Image
from server_fixture import running_server

API_KEY = "sk-sightgag-test"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("openai-home")


@pytest.fixture(scope="module")
def server(home) -> str:
    env = {"SIGHTGAG_WRITER": "offline", "SIGHTGAG_ARTIST": "sketch", "SIGHTGAG_API_KEY": API_KEY}
    with running_server(home, env) as base_url:
        yield base_url


@pytest.fixture
def client(server) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server}/v1", api_key=API_KEY, max_retries=0, timeout=60)


def test_the_openai_client_gets_a_png_as_b64_json_with_the_revised_prompt(client):
    result = client.images.generate(
        model="sketch",
        prompt="my cat as a superhero fighting a giant ball of yarn",
        size="256x256",
        response_format="b64_json",
    )

    assert len(result.data) == 1
    image = Image.open(io.BytesIO(base64.b64decode(result.data[0].b64_json)))
    assert image.format == "PNG" and image.width == 256
    # The writer turned the prompt into a concept; revised_prompt is the scene the artist was asked for.
    revised = result.data[0].revised_prompt
    assert revised and revised != "my cat as a superhero fighting a giant ball of yarn"
    assert "cat" in revised.lower()


def test_urls_point_at_the_served_images_and_n_gives_distinct_gags(client, server):
    result = client.images.generate(
        model="sketch", prompt="my dog giving a TED talk about squirrels", n=2, size="256x256"
    )

    assert len(result.data) == 2
    assert result.data[0].revised_prompt != result.data[1].revised_prompt
    for item in result.data:
        assert item.url.startswith(f"{server}/api/gags/")
        response = httpx.get(item.url, headers={"Authorization": f"Bearer {API_KEY}"})
        assert response.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(response.content)).format == "PNG"


def test_errors_reach_the_client_as_openai_errors(client, server):
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=f"{server}/v1", api_key="wrong", max_retries=0).images.generate(prompt="my cat")

    with pytest.raises(openai.UnprocessableEntityError) as refused:
        client.images.generate(model="sketch", prompt="my cat", size="1024")
    assert "WIDTHxHEIGHT" in refused.value.message

    with pytest.raises(openai.BadRequestError) as unknown:
        client.images.generate(model="flux:/home/someone/weights", prompt="my cat")
    assert "cannot be chosen by a request" in unknown.value.message


def test_the_model_names_any_registered_artist_grok_imagine_and_plugins_included(tmp_path):
    from xai_server import FakeXai

    with FakeXai() as xai:
        env = {"SIGHTGAG_WRITER": "offline", "SIGHTGAG_ARTIST": "sketch", "XAI_API_KEY": xai.key, "SIGHTGAG_XAI_URL": xai.url}
        with running_server(tmp_path / "home", env) as base_url:
            client = openai.OpenAI(base_url=f"{base_url}/v1", api_key="unused", max_retries=0, timeout=60)
            # Gag ids order by the second, then at random: the gag just made is the one whose request it is.
            def newest_artist(request: str) -> str:
                return next(gag["artist"] for gag in httpx.get(f"{base_url}/api/gallery").json() if gag["request"] == request)

            grok = client.images.generate(model="grok-imagine-image", prompt="my cat as a superhero", response_format="b64_json")
            assert newest_artist("my cat as a superhero") == "xai:grok-imagine-image"
            # The picture came from xAI (its aspect ratio asked for), and its rewording is the revised prompt.
            (body,) = xai.bodies
            assert body["aspect_ratio"] == "1:1" and body["model"] == "grok-imagine-image"
            assert grok.data[0].revised_prompt.startswith("A vivid illustration: ")

            client.images.generate(model="xai:grok-imagine-image-quality", prompt="my dog at a job interview")
            assert newest_artist("my dog at a job interview") == "xai:grok-imagine-image-quality"

            if "hello" not in [row["name"] for row in httpx.get(f"{base_url}/api/info").json()["artists"]]:
                pytest.fail("the example plugin is not installed: run scripts/setup.sh test (it installs tests/plugins/*)")
            client.images.generate(model="hello", prompt="my hamster as a superhero", size="256x256")
            assert newest_artist("my hamster as a superhero") == "hello"

            with pytest.raises(openai.APIStatusError, match="fails to import"):
                client.images.generate(model="broken", prompt="my cat as a superhero")


def test_a_request_that_can_never_succeed_is_refused_once_and_queues_nothing(server, home):
    retrying = openai.OpenAI(base_url=f"{server}/v1", api_key=API_KEY, max_retries=2, timeout=60)
    with sqlite3.connect(home / "sightgag.db") as db:
        jobs_before = db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0]

    with pytest.raises(openai.BadRequestError) as no_key:  # the server has no BFL_API_KEY
        retrying.images.generate(model="bfl:flux-pro-1.1", prompt="my cat")
    with pytest.raises(openai.BadRequestError) as too_small:
        retrying.images.generate(model="sketch", prompt="my cat", size="128x128")

    assert "BFL_API_KEY" in no_key.value.message and "sketch sizes run from 256" in too_small.value.message
    with sqlite3.connect(home / "sightgag.db") as db:
        assert db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0] == jobs_before
