"""With no keys, no GPU and no network, sightgag still makes a funny picture."""

import socket

import pytest

from sightgag import Studio
from sightgag.concept import Concept

LOOPBACK = ("127.0.0.1", "::1", "localhost")


@pytest.fixture
def no_network(monkeypatch):
    """Any connection beyond loopback fails at once, as on a machine that is offline."""
    real_connect = socket.socket.connect
    tried = []

    def connect(sock, address):
        host = address[0] if isinstance(address, tuple) else address
        if host not in LOOPBACK:
            tried.append(host)
            raise OSError(f"network is blocked in this test ({host})")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return tried


def test_auto_picks_the_offline_writer_and_the_sketch_artist_and_makes_a_gag(no_network):
    studio = Studio()
    assert studio.backends.writer == "offline" and studio.backends.artist == "sketch"
    assert "no XAI_API_KEY" in studio.backends.describe() and "no GPU" in studio.backends.describe()

    gag = studio.make("my dog Biscuit giving a TED talk about squirrels", n=3, seed=4, size=(512, 512))

    assert len(gag.images) == 3 and all(path.exists() for path in gag.images)
    assert all(isinstance(Concept.model_validate(c.model_dump()), Concept) for c in gag.concepts)
    assert len({concept.premise for concept in gag.concepts}) == 3
    assert len({concept.caption.text for concept in gag.concepts}) == 3
    assert no_network == []  # nothing even tried to leave the machine


@pytest.mark.parametrize(
    "request_text, hero",
    [
        ("my cat Mittens as a superhero fighting a giant ball of yarn", "Mittens"),
        ("grandma Rosa winning a skateboarding contest", "Rosa"),
        ("Dave from accounting fighting the office printer", "Dave"),
    ],
)
def test_the_named_subject_is_the_hero(no_network, request_text, hero):
    for concept in Studio().concept(request_text, n=3, seed=1):
        assert hero in concept.hero.name
