"""`auto`: which writer and artist it picks for each combination of API keys and GPU, and the reason it gives."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from xai_server import FakeXai

from sightgag import auto
from sightgag.settings import Settings
from sightgag.studio import Studio

KEYS = {
    "no keys": {},
    "XAI_API_KEY": {"XAI_API_KEY": "xai-key"},
    "BFL_API_KEY": {"BFL_API_KEY": "bfl-key"},
    "both keys": {"XAI_API_KEY": "xai-key", "BFL_API_KEY": "bfl-key"},
}
MACHINES = ("no GPU", "GPU, FLUX.1 cached", "GPU, FLUX.1 out of reach")

# (keys, machine) -> (writer, artist, words the artist's reason must hold)
EXPECTED = {
    ("no keys", "no GPU"): ("offline", "sketch", "no GPU"),
    ("XAI_API_KEY", "no GPU"): ("grok", "xai", "XAI_API_KEY is set and no GPU"),
    ("BFL_API_KEY", "no GPU"): ("offline", "bfl:flux-pro-1.1", "BFL_API_KEY is set and no GPU"),
    ("both keys", "no GPU"): ("grok", "bfl:flux-pro-1.1", "BFL_API_KEY is set and no GPU"),
    ("no keys", "GPU, FLUX.1 cached"): ("offline", "flux:schnell", "cuda GPU and FLUX.1 schnell in the Hugging Face cache"),
    ("XAI_API_KEY", "GPU, FLUX.1 cached"): ("grok", "flux:schnell", "cuda GPU"),
    ("BFL_API_KEY", "GPU, FLUX.1 cached"): ("offline", "flux:schnell", "cuda GPU"),
    ("both keys", "GPU, FLUX.1 cached"): ("grok", "flux:schnell", "cuda GPU"),
    ("no keys", "GPU, FLUX.1 out of reach"): ("offline", "sketch", "weights neither cached nor reachable"),
    ("XAI_API_KEY", "GPU, FLUX.1 out of reach"): ("grok", "xai", "XAI_API_KEY is set"),
    ("BFL_API_KEY", "GPU, FLUX.1 out of reach"): ("offline", "bfl:flux-pro-1.1", "BFL_API_KEY is set"),
    ("both keys", "GPU, FLUX.1 out of reach"): ("grok", "bfl:flux-pro-1.1", "BFL_API_KEY is set"),
}


def on_machine(monkeypatch, machine: str) -> None:
    """Pretend to be a machine with or without a CUDA GPU and the FLUX.1 weights."""
    import sightgag.artist.flux as flux

    has_gpu = machine != "no GPU"
    monkeypatch.setattr(auto, "gpu", lambda: "cuda" if has_gpu else None)
    monkeypatch.setattr(flux, "has_cached_weights", lambda name: machine == "GPU, FLUX.1 cached")
    monkeypatch.setattr(auto, "hub_reachable", lambda: False)
    monkeypatch.setattr(auto, "ollama_answers", lambda settings: False)


@pytest.mark.parametrize(("keys", "machine"), list(EXPECTED))
def test_auto_picks_by_keys_and_gpu_and_says_why(monkeypatch, keys, machine):
    on_machine(monkeypatch, machine)
    writer, artist, reason = EXPECTED[keys, machine]

    studio = Studio(settings=Settings(**KEYS[keys]))

    assert (studio.backends.writer, studio.backends.artist) == (writer, artist)
    assert reason in studio.backends.artist_reason
    line = studio.backends.describe()
    assert "\n" not in line and f"artist: {artist} (" in line


def test_every_combination_is_covered():
    assert set(EXPECTED) == {(keys, machine) for keys in KEYS for machine in MACHINES}


def test_choosing_xai_says_bfl_would_come_first(monkeypatch):
    on_machine(monkeypatch, "no GPU")

    choice = auto.choose_artist(Settings(XAI_API_KEY="xai-key"))

    assert str(choice) == "xai (XAI_API_KEY is set and no GPU; BFL_API_KEY would take priority)"


@pytest.mark.skipif(auto.gpu() is not None, reason="this machine has a GPU, so auto paints with flux")
def test_make_with_only_an_xai_key_paints_with_grok_imagine_and_rerender_says_it_is_new(tmp_path):
    """The command line end to end: the key alone, and `auto` paints through xAI (a local stand-in)."""
    with FakeXai() as xai:
        environment = {
            **os.environ,
            "XAI_API_KEY": xai.key,
            "SIGHTGAG_XAI_URL": xai.url,
            "SIGHTGAG_OLLAMA_URL": "http://127.0.0.1:9/v1",  # nothing answers there
        }
        result = subprocess.run(
            [sys.executable, "-m", "sightgag.cli", "make", "my cat Mittens as a superhero", "--writer", "offline"],
            capture_output=True,
            text=True,
            env=environment,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        assert "artist: xai (XAI_API_KEY is set and no GPU" in result.stderr
        assert [request.path for request in xai.requests_to("/v1/")] == ["/v1/images/generations"]

        shown = subprocess.run(
            [sys.executable, "-m", "sightgag.cli", "gallery", "list", "--json"],
            capture_output=True, text=True, env=environment, timeout=60,
        )  # fmt: skip
        (gag,) = json.loads(shown.stdout)
        assert gag["artist"] == "xai:grok-imagine-image"

        again = subprocess.run(
            [sys.executable, "-m", "sightgag.cli", "gallery", "rerender", gag["id"]],
            capture_output=True, text=True, env=environment, timeout=60,
        )  # fmt: skip
        assert again.returncode == 0, again.stderr
        assert "xai:grok-imagine-image takes no seed: this is a new picture of the same concept" in again.stderr
        assert len(xai.requests_to("/v1/")) == 2
