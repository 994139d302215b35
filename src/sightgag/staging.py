"""Staging folders: files are written where no reader looks, then moved into place in one rename.

Each writer gets a folder of its own (two writers of one gag or subject never share one), and a
folder left behind by a crash is swept later. Only old ones are swept: the gallery and the subject
library are opened by every command, and a `sightgag gallery list` must not sweep a folder that the
server, in another process, is writing into right now. No filing takes anywhere near STALE_SECONDS.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

PREFIX = ".staging-"
STALE_SECONDS = 3600.0


def new_staging(parent: Path, label: str) -> Path:
    """A fresh, empty hidden folder in `parent` for one writer; the caller moves or removes it."""
    return Path(tempfile.mkdtemp(prefix=f"{PREFIX}{label}-", dir=parent))


def sweep_staging(parent: Path, *, older_than: float = STALE_SECONDS) -> None:
    """Remove the staging folders in `parent` that no writer has touched for `older_than` seconds."""
    now = time.time()
    for leftover in parent.glob(f"{PREFIX}*"):
        try:
            if now - leftover.stat().st_mtime < older_than:
                continue
        except FileNotFoundError:
            continue  # its writer just moved it into place
        shutil.rmtree(leftover, ignore_errors=True)
