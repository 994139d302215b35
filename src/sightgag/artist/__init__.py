"""Artists: paint Concepts. One module per backend; `load_artist` maps a spec to one."""

from __future__ import annotations

from sightgag.artist.base import Artist, Painting, Progress
from sightgag.errors import UsageError
from sightgag.settings import Settings
from sightgag.spec import Spec

ARTISTS = ("flux", "kontext", "bfl", "sketch")

__all__ = ["ARTISTS", "Artist", "Painting", "Progress", "load_artist"]


def load_artist(spec: str, settings: Settings) -> Artist:
    """The artist for a concrete spec such as `flux:schnell`, `bfl:flux-pro-1.1` or `sketch`.

    Backends are imported here, not at the top, so that `sketch` never pays for importing torch.
    """
    parsed = Spec.parse(spec)
    if parsed.provider == "flux":
        from sightgag.artist.flux import FluxArtist

        return FluxArtist(parsed.model, settings)
    if parsed.provider == "kontext":
        from sightgag.artist.kontext import KontextArtist

        return KontextArtist(parsed.model, settings)
    if parsed.provider == "bfl":
        from sightgag.artist.bfl import BflArtist

        return BflArtist(parsed.model, settings)
    if parsed.provider == "sketch":
        from sightgag.artist.sketch import SketchArtist

        return SketchArtist(parsed.model, settings)
    raise UsageError(f"unknown artist {spec!r}: use one of {', '.join(ARTISTS)} (e.g. flux:schnell, bfl:flux-pro-1.1)")
