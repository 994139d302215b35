"""The writer interface: a request (and the subjects it names) in, ranked Concepts out."""

from __future__ import annotations

import threading
from typing import Protocol

from sightgag.concept import Concept
from sightgag.errors import SightgagError
from sightgag.subjects import Subject


class NoUsableAnswer(SightgagError):
    """The writer was answered, and asked again, and no answer could be used: this draft is lost, while
    the backend works (a strip drafted among others is dropped; a backend that is down fails the call)."""


class Writer(Protocol):
    spec: str  # what wrote it, recorded with every gag: "grok:grok-4-fast", "offline"

    def write(self, request: str, subjects: list[Subject], n: int = 1, seed: int | None = None) -> list[Concept]:
        """Return `n` distinct, validated Concepts, best first; raise SightgagError on failure."""
        ...


class ExchangeLog(threading.local):
    """A writer's record of its LLM calls (`writer.exchanges`), one list per thread.

    The server writes several jobs at once with one writer, and the studio takes and clears what the
    writer recorded after each job: each job must see only the calls made for it.
    """

    def __init__(self) -> None:
        self.calls: list[dict] = []
