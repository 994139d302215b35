"""Artists: paint Concepts. One module per backend; `load_artist` maps a spec to one."""

from __future__ import annotations

from sightgag import plugins
from sightgag.artist.base import Artist, Painting, Progress
from sightgag.settings import Settings
from sightgag.spec import Spec

__all__ = ["Artist", "Painting", "Progress", "load_artist"]


def load_artist(spec: str, settings: Settings) -> Artist:
    """The artist for a concrete spec such as `flux:schnell`, `bfl:flux-pro-1.1`, `xai` or `sketch`, or a plugin's.

    Providers are found by entry point (sightgag.plugins) and imported only when named, so `sketch`
    never pays for importing torch.
    """
    parsed = Spec.parse(spec)
    return plugins.factory("artists", parsed.provider)(parsed.model, settings)
