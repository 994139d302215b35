"""Paths inside the sightgag home: stored and served relative to it, opened absolute.

A gag's record travels: it is the row in the database, the metadata inside every PNG (which anyone
may download and pass on) and the JSON the server answers with. None of those should name the
server's file system, and a home moved elsewhere should still find its files. So records keep paths
relative to the home (`gallery/<id>/0.png`), and the code that opens a file joins it to the home.
Records written before held absolute paths; joining an absolute path to the home leaves it as it
was, so those still load.

What is shown to others (a PNG's metadata, the server's answers) goes one step further: a path
outside the home, such as the weights folder in `flux:/srv/models/schnell`, is cut to its last part
(`flux:schnell`). The gallery's own rows keep it whole: `gallery rerender` needs it.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePath
from typing import Any


def portable(value: Any, home: Path) -> Any:
    """`value` (JSON-like data) with every absolute path inside `home` made relative to it.

    Strings and paths are checked wherever they sit, so a path an artist records in its details
    (a reference photo, a LoRA) is covered as much as the gag's own images.
    """
    if isinstance(value, dict):
        return {key: portable(item, home) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [portable(item, home) for item in value]
    if isinstance(value, (str, PurePath)):
        path = PurePath(value)
        if path.is_absolute() and path != PurePath(home) and path.is_relative_to(home):
            return path.relative_to(home).as_posix()
    return value


def located(path: str | PurePath, home: Path) -> Path:
    """Where a recorded path is on this machine: relative ones are in `home`, absolute ones stay."""
    return Path(home) / path


def shown(value: Any) -> Any:
    """`value` with any absolute path in it cut to its last part: `flux:/srv/models/x` -> `flux:x`.

    For what sightgag itself wrote (specs, model ids, an artist's details), never for a person's text.
    """
    if isinstance(value, dict):
        return {key: shown(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [shown(item) for item in value]
    if not isinstance(value, str):
        return value
    if PurePath(value).is_absolute():
        return PurePath(value).name
    provider, colon, rest = value.partition(":")
    if colon and _SPEC_PROVIDER.fullmatch(provider) and not rest.startswith("//") and PurePath(rest).is_absolute():
        return f"{provider}:{PurePath(rest).name}"
    return value


_SPEC_PROVIDER = re.compile(r"[a-z][a-z0-9-]*")
