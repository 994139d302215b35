"""Backends as plugins: every writer, artist, editor and animator is found by entry point, the built-ins included.

A package adds a backend by declaring an entry point in one of the groups below: its name is the
provider a spec names (`PROVIDER[:MODEL]`), its object a factory called as `factory(model, settings)`
that returns the backend (`model` is what followed the colon, or None). sightgag's own backends are
declared the same way, in its pyproject.toml, so there is one path, not two (docs/plugins.md).

    [project.entry-points."sightgag.artists"]
    hello = "sightgag_hello:HelloArtist"

Where the built-ins are read from: a source checkout (an editable install, or `PYTHONPATH=src`) reads
its own pyproject.toml, so a new built-in works without reinstalling; an installed wheel reads its
distribution's metadata, which pip wrote from that same file. Other packages are read from the
environment's metadata. Discovery imports nothing; a plugin is imported when it is used or checked,
so one that fails to import breaks only itself. A plugin that takes a built-in's name is ignored with
a warning: the built-in wins.
"""

from __future__ import annotations

import functools
import importlib.metadata
import logging
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

from sightgag.errors import SightgagError, UsageError, first_line

GROUPS = {
    "writers": "sightgag.writers",
    "artists": "sightgag.artists",
    "editors": "sightgag.editors",
    "animators": "sightgag.animators",
}
ROLES = tuple(GROUPS)
DISTRIBUTION = "sightgag"
BUILT_IN = "built-in"

# A factory takes (model, settings) and returns a writer, an artist, an editor or an animator.
Factory = Callable[..., Any]

log = logging.getLogger(__name__)


class PluginError(SightgagError):
    """A plugin that is installed but cannot be imported (exit status 1: reinstall or remove it)."""


@dataclass
class Provider:
    """One backend a spec can name, and where it comes from."""

    role: str  # "writers", "artists", "editors" or "animators"
    name: str
    target: str  # "module:attribute", as the entry point says
    origin: str  # "built-in", or the plugin's distribution and version
    entry_point: EntryPoint = field(repr=False)
    _loaded: Factory | None = field(default=None, repr=False)
    _error: str | None = field(default=None, repr=False)

    @property
    def built_in(self) -> bool:
        return self.origin == BUILT_IN

    @property
    def error(self) -> str | None:
        """Why the provider cannot be imported, once it has been tried (see `check`)."""
        return self._error

    def load(self) -> Factory:
        """The provider's factory, imported on first use; PluginError if its package fails to import."""
        if self._loaded is None and self._error is None:
            try:
                self._loaded = self.entry_point.load()
            except Exception as error:  # a plugin's bug must not take the others down
                self._error = f"{type(error).__name__}: {first_line(error)}"
        if self._error is not None:
            raise PluginError(
                f"the {_singular(self.role)} {self.name!r} ({self.origin}) fails to import ({self._error}): "
                "fix or reinstall that package, or uninstall it; `sightgag plugins` lists what works"
            )
        return self._loaded

    def check(self) -> bool:
        """Import the provider now; False when it fails (its `error` says why)."""
        try:
            self.load()
        except PluginError:
            return False
        return True


@dataclass
class Registry:
    """Every provider of every role, and the clashes found on the way."""

    providers: dict[str, dict[str, Provider]]
    clashes: list[str] = field(default_factory=list)

    def names(self, role: str) -> list[str]:
        return list(self.providers[role])

    def get(self, role: str, name: str) -> Provider | None:
        return self.providers[role].get(name)

    def all(self) -> list[Provider]:
        return [provider for role in ROLES for provider in self.providers[role].values()]


def build(builtin: Iterable[EntryPoint], installed: Iterable[EntryPoint]) -> Registry:
    """The registry from sightgag's own entry points and those of other installed packages.

    Built-ins first, in their declared order; then plugins by name. A name already taken is kept by
    whoever had it first: the built-in, or the plugin whose distribution sorts first.
    """
    registry = Registry({role: {} for role in ROLES})
    roles = {group: role for role, group in GROUPS.items()}
    for entry in builtin:
        if entry.group in roles:
            _add(registry, Provider(roles[entry.group], entry.name.lower(), entry.value, BUILT_IN, entry))
    plugins = [entry for entry in installed if entry.group in roles and not _is_sightgag(entry)]
    seen: set[tuple[str, str, str]] = set()
    for entry in sorted(plugins, key=lambda entry: (entry.group, entry.name.lower(), _origin(entry))):
        key = (entry.group, entry.name.lower(), entry.value)
        if key in seen:  # the same distribution found twice on sys.path
            continue
        seen.add(key)
        _add(registry, Provider(roles[entry.group], entry.name.lower(), entry.value, _origin(entry), entry))
    return registry


@functools.cache
def registry() -> Registry:
    """The providers of this environment, discovered once per process (`refresh` to look again)."""
    installed = [entry for group in GROUPS.values() for entry in importlib.metadata.entry_points(group=group)]
    found = build(builtin_entry_points(), installed)
    for clash in found.clashes:
        log.warning(clash)
    return found


def refresh() -> Registry:
    """Discover again, e.g. after installing a plugin into the running interpreter."""
    registry.cache_clear()
    return registry()


def factory(role: str, name: str) -> Factory:
    """The factory registered for a provider; UsageError naming the known ones if there is none."""
    found = registry()
    provider = found.get(role, name)
    if provider is None:
        if not any(provider.built_in for provider in found.all()):
            # An installed sightgag whose metadata predates its entry points: nothing of its own is registered.
            raise SightgagError(
                "sightgag's own backends are not registered in this environment: reinstall sightgag "
                "(pip install -e . in a checkout, or pip install --force-reinstall sightgag)"
            )
        raise UsageError(f"unknown {_singular(role)} {name!r}: use one of {', '.join(found.names(role))}")
    return provider.load()


def builtin_entry_points() -> list[EntryPoint]:
    """sightgag's own entry points: from the source tree's pyproject.toml when running from one,
    else from the installed distribution's metadata."""
    pyproject = source_pyproject()
    if pyproject is not None:
        return entry_points_in(pyproject)
    try:
        distribution = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return []
    return [entry for entry in distribution.entry_points if entry.group in GROUPS.values()]


def source_pyproject() -> Path | None:
    """sightgag's pyproject.toml when this package is imported from a source tree (src/sightgag)."""
    candidate = Path(__file__).resolve().parent.parent.parent / "pyproject.toml"
    if not candidate.is_file():
        return None
    try:
        project = tomllib.loads(candidate.read_text(encoding="utf-8")).get("project", {})
    except (OSError, tomllib.TOMLDecodeError):
        return None
    return candidate if project.get("name") == DISTRIBUTION else None


def entry_points_in(pyproject: Path) -> list[EntryPoint]:
    """The entry points of sightgag's groups declared in a pyproject.toml, in their declared order."""
    tables = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {}).get("entry-points", {})
    return [
        EntryPoint(name=name, value=value, group=group)
        for group in GROUPS.values()
        for name, value in tables.get(group, {}).items()
    ]


def _add(registry: Registry, provider: Provider) -> None:
    taken = registry.providers[provider.role].get(provider.name)
    if taken is None:
        registry.providers[provider.role][provider.name] = provider
        return
    winner = "the built-in" if taken.built_in else f"the one from {taken.origin}"
    registry.clashes.append(
        f"plugin {provider.origin} registers the {_singular(provider.role)} {provider.name!r}, "
        f"a name already taken: {winner} is used ({taken.target}), {provider.target} is ignored"
    )


def _is_sightgag(entry: EntryPoint) -> bool:
    distribution = entry.dist
    return distribution is not None and _normalise(distribution.metadata["Name"] or "") == DISTRIBUTION


def _origin(entry: EntryPoint) -> str:
    distribution = entry.dist
    if distribution is None:
        return "an unknown package"
    return f"{distribution.metadata['Name']} {distribution.version}"


def _normalise(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _singular(role: str) -> str:
    return role.removesuffix("s")
