"""Settings keep API keys secret: shown nowhere, sent where they belong."""

import pytest

from sightgag.settings import Settings
from sightgag.writer.openai_compat import OpenAICompatWriter

KEYS = {
    "XAI_API_KEY": "xai-secret-1111",
    "OPENAI_API_KEY": "sk-secret-2222",
    "BFL_API_KEY": "bfl-secret-3333",
    "SIGHTGAG_OPENAI_COMPAT_API_KEY": "gateway-secret-4444",
}


@pytest.fixture
def every_key_set(monkeypatch):
    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)


def test_settings_never_print_an_api_key(every_key_set):
    settings = Settings()
    shown = [repr(settings), str(settings), settings.model_dump_json(), repr(settings.model_dump())]
    for text in shown:
        for secret in KEYS.values():
            assert secret not in text


def test_writers_still_send_the_plain_key(every_key_set):
    settings = Settings()
    assert OpenAICompatWriter("grok", None, settings).client.api_key == KEYS["XAI_API_KEY"]
    assert OpenAICompatWriter("openai", None, settings).client.api_key == KEYS["OPENAI_API_KEY"]
    compat = OpenAICompatWriter("openai-compat", "http://127.0.0.1:9/v1#m", settings)
    assert compat.client.api_key == KEYS["SIGHTGAG_OPENAI_COMPAT_API_KEY"]


def test_an_empty_key_counts_as_no_key(monkeypatch):
    monkeypatch.setenv("XAI_API_KEY", "")
    monkeypatch.setenv("BFL_API_KEY", "")
    settings = Settings()
    assert not settings.xai_api_key and not settings.bfl_api_key


def test_a_blank_key_is_no_key(monkeypatch):
    monkeypatch.setenv("XAI_API_KEY", "")
    monkeypatch.setenv("BFL_API_KEY", "   ")

    settings = Settings()

    assert settings.xai_api_key is None and settings.bfl_api_key is None
