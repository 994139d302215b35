"""Writers: a request in, ranked Concepts out. `load_writer` turns a spec like `grok:grok-4.3` into one."""

from __future__ import annotations

from sightgag.errors import UsageError
from sightgag.settings import Settings
from sightgag.spec import Spec
from sightgag.writer.base import Writer

KNOWN_WRITERS = ("grok", "openai", "ollama", "openai-compat", "local", "offline")


def load_writer(spec: str, settings: Settings) -> Writer:
    """The writer a spec names, e.g. "grok", "openai:gpt-5-mini", "ollama:qwen2.5",
    "openai-compat:http://127.0.0.1:8080/v1#model", "local", "offline".

    Backends are imported here, not at the top, so the offline path never imports openai or torch."""
    parsed = Spec.parse(spec)
    if parsed.provider in ("grok", "openai", "ollama", "openai-compat"):
        from sightgag.writer.openai_compat import OpenAICompatWriter

        return OpenAICompatWriter(parsed.provider, parsed.model, settings)
    if parsed.provider == "local":
        from sightgag.writer.local import LocalWriter

        return LocalWriter(parsed.model, settings)
    if parsed.provider == "offline":
        from sightgag.writer.offline import OfflineWriter

        return OfflineWriter(parsed.model, settings)
    raise UsageError(f"unknown writer {parsed.provider!r}: use one of {', '.join(KNOWN_WRITERS)}")


__all__ = ["KNOWN_WRITERS", "Writer", "load_writer"]
