"""The writers and artists a server uses: each loaded once and shared by every job and route.

A request may choose its writer and artist, but only among backends that are safe to name from the
network: an artist spec that is a local folder or a Hub repo (a file-system path, or a download of
many gigabytes) and a writer at an arbitrary URL are for the server's own settings
(SIGHTGAG_WRITER, SIGHTGAG_ARTIST), not for a request.
"""

from __future__ import annotations

import re
import threading

from sightgag.artist import Artist, load_artist
from sightgag.errors import UsageError
from sightgag.spec import Spec
from sightgag.studio import Studio
from sightgag.writer import Writer, load_writer

REQUEST_WRITERS = ("offline", "grok", "openai", "ollama")
REQUEST_ARTISTS = ("sketch", "flux", "kontext", "bfl")
PRESETS = {"flux": ("schnell", "dev"), "kontext": ("dev",)}  # local models a request may name: presets only
_MODEL_NAME = re.compile(r"[A-Za-z0-9][\w.:-]{0,79}")  # grok-4-fast, qwen2.5:7b, flux-pro-1.1


class Backends:
    """Resolves the specs a request names, and keeps one writer and one artist per spec."""

    def __init__(self, studio: Studio):
        self.studio = studio
        self._writers: dict[str, Writer] = {}
        self._artists: dict[str, Artist] = {}
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
        if spec.provider not in REQUEST_WRITERS or (spec.model and not _MODEL_NAME.fullmatch(spec.model)):
            raise UsageError(
                f"writer {requested!r} cannot be chosen by a request: use {', '.join(REQUEST_WRITERS)} "
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
            allowed = spec.provider in REQUEST_ARTISTS and (spec.model is None or _MODEL_NAME.fullmatch(spec.model))
        if not allowed:
            raise UsageError(
                f"artist {requested!r} cannot be chosen by a request: use sketch, flux:schnell, flux:dev, kontext or "
                "bfl[:MODEL], or set SIGHTGAG_ARTIST (e.g. to a local folder) where the server runs"
            )
        return str(spec)

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
