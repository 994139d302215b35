"""Backend specs: `PROVIDER[:MODEL]`, e.g. `grok:grok-4-fast`, `flux:schnell`, `openai-compat:http://host/v1`."""

from __future__ import annotations

from dataclasses import dataclass

from sightgag.errors import UsageError


@dataclass(frozen=True)
class Spec:
    provider: str
    model: str | None = None

    @classmethod
    def parse(cls, text: str) -> Spec:
        text = (text or "").strip()
        if not text:
            raise UsageError("empty backend spec: use PROVIDER[:MODEL], e.g. grok:grok-4-fast or flux:schnell")
        provider, _, model = text.partition(":")
        provider = provider.strip().lower()
        if not provider.replace("-", "").replace("_", "").isalnum():
            raise UsageError(f"bad backend spec {text!r}: use PROVIDER[:MODEL], e.g. grok:grok-4-fast or flux:schnell")
        return cls(provider, model.strip() or None)

    def __str__(self) -> str:
        return f"{self.provider}:{self.model}" if self.model else self.provider
