"""Writers: a request in, ranked Concepts out. `load_writer` turns a spec like `grok:grok-4.3` into one."""

from __future__ import annotations

from sightgag import plugins
from sightgag.settings import Settings
from sightgag.spec import Spec
from sightgag.writer.base import Writer


def load_writer(spec: str, settings: Settings) -> Writer:
    """The writer a spec names, e.g. "grok", "openai:gpt-5-mini", "ollama:qwen2.5",
    "openai-compat:http://127.0.0.1:8080/v1#model", "local", "offline", or a plugin's.

    Providers are found by entry point (sightgag.plugins) and imported only when named, so the offline
    path never imports openai or torch."""
    parsed = Spec.parse(spec)
    return plugins.factory("writers", parsed.provider)(parsed.model, settings)


__all__ = ["Writer", "load_writer"]
