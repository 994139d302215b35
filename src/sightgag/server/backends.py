"""The writers and artists a server uses: each loaded once and shared by every job and route.

A request may choose its writer and artist among the registered providers (built-in or plugin, as
`sightgag plugins` lists them), but only in forms that are safe to name from the network: an artist
spec that is a local folder or a Hub repo (a file-system path, or a download of many gigabytes), a
writer at an arbitrary URL and the in-process local model are for the server's own settings
(SIGHTGAG_WRITER, SIGHTGAG_ARTIST), not for a request.
"""

from __future__ import annotations

import re
import threading

from sightgag import plugins
from sightgag.artist import Artist, load_artist
from sightgag.errors import UsageError
from sightgag.spec import Spec
from sightgag.studio import Studio
from sightgag.writer import Writer, load_writer

SERVER_ONLY_WRITERS = ("openai-compat", "local")  # a URL of the requester's choosing; a model loaded in-process
PRESETS = {"flux": ("schnell", "dev"), "kontext": ("dev",)}  # local models a request may name: presets only
_MODEL_NAME = re.compile(r"[A-Za-z0-9][\w.:-]{0,79}")  # grok-4-fast, qwen2.5:7b, flux-pro-1.1


def request_writers() -> list[str]:
    """The writer providers a request may name: every registered one but those for the server's settings only."""
    return [name for name in plugins.registry().names("writers") if name not in SERVER_ONLY_WRITERS]


def request_artists() -> list[str]:
    """The artist providers a request may name: every registered one (flux and kontext by preset only)."""
    return plugins.registry().names("artists")


class Backends:
    """Resolves the specs a request names, and keeps one writer and one artist per spec."""

    def __init__(self, studio: Studio):
        self.studio = studio
        self._writers: dict[str, Writer] = {}
        self._artists: dict[str, Artist] = {}
        self._choices: dict[str, list[dict]] | None = None
        self._lock = threading.Lock()

    @property
    def default_writer(self) -> str:
        return self.studio.backends.writer

    @property
    def default_artist(self) -> str:
        return self.studio.backends.artist

    # -- specs from requests --------------------------------------------------------------------

    def writer_spec(self, requested: str | None) -> str:
        """The writer spec a request asks for, the server's default when unset or `auto`."""
        if requested in (None, "", "auto", self.default_writer):
            return self.default_writer
        spec = Spec.parse(requested)
        if spec.provider not in request_writers() or (spec.model and not _MODEL_NAME.fullmatch(spec.model)):
            raise UsageError(
                f"writer {requested!r} cannot be chosen by a request: use {', '.join(request_writers())} "
                "(with a model name), or set SIGHTGAG_WRITER where the server runs"
            )
        return str(spec)

    def artist_spec(self, requested: str | None) -> str:
        """The artist spec a request asks for, the server's default when unset or `auto`."""
        if requested in (None, "", "auto", self.default_artist):
            return self.default_artist
        spec = Spec.parse(requested)
        if spec.provider in PRESETS:
            spec = Spec(spec.provider, spec.model.lower() if spec.model else None)  # one spelling, one batch key
            allowed = spec.model is None or spec.model in PRESETS[spec.provider]
        else:
            allowed = spec.provider in request_artists() and (spec.model is None or _MODEL_NAME.fullmatch(spec.model))
        if not allowed:
            others = ", ".join(name for name in request_artists() if name not in PRESETS)
            raise UsageError(
                f"artist {requested!r} cannot be chosen by a request: use flux:schnell, flux:dev, kontext or "
                f"{others} (with a model name), or set SIGHTGAG_ARTIST (e.g. to a local folder) where the server runs"
            )
        return str(spec)

    def choices(self) -> dict[str, list[dict]]:
        """The writers and artists a request may name, as `sightgag plugins` reports them (for the page's pickers).

        Worked out once: readiness means probing Ollama and importing every plugin.
        """
        with self._lock:
            if self._choices is None:
                from sightgag.doctor import providers

                allowed = {"writers": request_writers(), "artists": request_artists()}
                self._choices = {role: [] for role in allowed}
                for row in providers(self.studio.settings):
                    if row["role"] in allowed and row["name"] in allowed[row["role"]]:
                        entry = {key: row[key] for key in ("name", "origin", "ready", "why")}
                        self._choices[row["role"]].append(entry)
            return self._choices

    # -- loaded backends ------------------------------------------------------------------------

    def writer(self, spec: str) -> Writer:
        with self._lock:
            if spec not in self._writers:
                self._writers[spec] = (
                    self.studio.writer if spec == self.default_writer else load_writer(spec, self.studio.settings)
                )
            return self._writers[spec]

    def artist(self, spec: str) -> Artist:
        with self._lock:
            if spec not in self._artists:
                self._artists[spec] = (
                    self.studio.artist if spec == self.default_artist else load_artist(spec, self.studio.settings)
                )
            return self._artists[spec]
