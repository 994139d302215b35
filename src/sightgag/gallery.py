"""The gallery: every gag kept with what is needed to make it again.

One SQLite database in the sightgag home holds a row per gag and a row per LLM exchange (every prompt
and response, as Simon Willison's `llm` logs them). Pictures live in `gallery/<id>/`, and each PNG
carries the gag's record in its metadata, so a picture copied elsewhere still says how it was made.

Writes are atomic: files are written into a hidden staging folder that is renamed into place, and only
then is the row committed. A crash mid-way leaves neither a half-written PNG nor a row pointing at
missing files; a staging folder left behind by a crash is swept on the next start.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sqlite3
import threading
from datetime import datetime, timezone
from pathlib import Path

from PIL import Image

from sightgag.concept import AS_STORED
from sightgag.errors import UsageError
from sightgag.gag import Gag
from sightgag.png import read_png_record, write_png

__all__ = ["Gallery", "new_gag_id", "now_iso", "read_png_record"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS gags (
    id TEXT PRIMARY KEY,
    created TEXT NOT NULL,
    request TEXT NOT NULL,
    record TEXT NOT NULL          -- the Gag as JSON: concepts, specs, seed, size, timings, paths
);
CREATE TABLE IF NOT EXISTS exchanges (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    gag_id TEXT,                  -- null when the writer ran alone (`sightgag concept`) or failed
    started TEXT,
    provider TEXT,
    model TEXT,
    prompt TEXT,                  -- the messages as JSON
    response TEXT,
    error TEXT,
    duration_s REAL
);
"""


def new_gag_id() -> str:
    """Sortable by time, short enough to type: 20261122-035012-a1b2c3."""
    return datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Gallery:
    def __init__(self, home: Path):
        self.home = Path(home)
        self.folder = self.home / "gallery"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.database = self.home / "sightgag.db"
        self._local = threading.local()
        with self._db() as db:
            db.executescript(SCHEMA)
        self._sweep_staging()

    def _db(self) -> sqlite3.Connection:
        """This thread's connection, opened once: opening one costs more than filing the row it is for.

        Use it as `with self._db() as db:`, which commits (or rolls back) without closing it.
        """
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.database, timeout=30)
            db.execute("PRAGMA journal_mode=WAL")  # readers (the server's pages) never block a writer
            self._local.db = db
        return db

    def _sweep_staging(self) -> None:
        for leftover in self.folder.glob(".staging-*"):
            shutil.rmtree(leftover, ignore_errors=True)

    # -- gags ---------------------------------------------------------------------------------

    def add(self, gag: Gag, renders: list[Image.Image], images: list[Image.Image]) -> Gag:
        """File a new gag: its clean renders, its lettered images and its row, all or nothing.

        `gag.images` and `gag.renders` are filled in here with the paths the pictures are given.
        """
        final = self.folder / gag.id
        staging = self.folder / f".staging-{gag.id}"
        staging.mkdir()
        gag.renders = [final / f"{i}-render.png" for i in range(len(renders))]
        gag.images = [final / f"{i}.png" for i in range(len(images))]
        try:
            record = gag.summary()
            for image, path in [*zip(renders, gag.renders), *zip(images, gag.images)]:
                write_png(image, staging / path.name, record)
            os.replace(staging, final)
            with self._db() as db:
                db.execute(
                    "INSERT INTO gags (id, created, request, record) VALUES (?, ?, ?, ?)",
                    (gag.id, gag.created, gag.request, gag.model_dump_json()),
                )
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            shutil.rmtree(final, ignore_errors=True)
            raise
        return gag

    def replace_images(self, gag: Gag, images: list[Image.Image], lettering: str | None) -> Gag:
        """Store newly lettered images for an existing gag, and delete the ones they replace.

        The clean renders stay as they are. `lettering` None keeps each concept's own style.
        """
        stamp = secrets.token_hex(2)
        folder = self.folder / gag.id
        label = f"-{lettering}" if lettering else ""
        new_paths = [folder / f"{i}{label}-{stamp}.png" for i in range(len(images))]
        updated = gag.model_copy(update={"images": new_paths, "lettering": lettering})
        record = updated.summary()
        written: list[Path] = []
        try:
            for image, path in zip(images, new_paths):
                partial = path.with_suffix(".partial")
                write_png(image, partial, record)
                os.replace(partial, path)
                written.append(path)
            with self._db() as db:
                db.execute("UPDATE gags SET record = ? WHERE id = ?", (updated.model_dump_json(), gag.id))
        except BaseException:
            for path in written:
                path.unlink(missing_ok=True)
            raise
        # Only once the row names the new files; only file names, in the gag's own folder; never a render.
        keep = {path.name for path in [*new_paths, *gag.renders]}
        for old in gag.images:
            if Path(old).name not in keep:
                (folder / Path(old).name).unlink(missing_ok=True)
        return updated

    def get(self, gag_id: str) -> Gag:
        """A gag by its id or a unique prefix of it."""
        gag_id = gag_id.strip()
        if not gag_id:
            raise UsageError("no gag id given: `sightgag gallery list` shows them")
        with self._db() as db:
            rows = db.execute(
                "SELECT record FROM gags WHERE id = ? OR id LIKE ? ESCAPE '\\' ORDER BY id LIMIT 2",
                (gag_id, _like_prefix(gag_id)),
            ).fetchall()
        exact = [row for row in rows if json.loads(row[0])["id"] == gag_id]
        if exact:
            rows = exact
        if not rows:
            raise UsageError(f"no gag {gag_id!r} in the gallery: `sightgag gallery list` shows them")
        if len(rows) > 1:
            raise UsageError(f"{gag_id!r} matches several gags: give more of the id")
        return Gag.model_validate_json(rows[0][0], context=AS_STORED)

    def list(self, limit: int = 20) -> list[Gag]:
        """The newest gags first."""
        with self._db() as db:
            rows = db.execute("SELECT record FROM gags ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [Gag.model_validate_json(row[0], context=AS_STORED) for row in rows]

    def delete(self, gag_id: str) -> Gag:
        """Remove a gag's row and its pictures (the LLM log keeps its exchanges)."""
        gag = self.get(gag_id)
        with self._db() as db:
            db.execute("DELETE FROM gags WHERE id = ?", (gag.id,))
        shutil.rmtree(self.folder / gag.id, ignore_errors=True)
        return gag

    def count(self) -> int:
        with self._db() as db:
            return db.execute("SELECT COUNT(*) FROM gags").fetchone()[0]

    # -- the LLM log ------------------------------------------------------------------------

    def log_exchanges(self, exchanges: list[dict], gag_id: str | None = None) -> list[int]:
        """Keep every prompt and response a writer sent and got, failures included; the ids of their rows.

        `gag_id` names a gag already filed; a writer's exchanges for a gag not yet filed are logged
        without one, and `link_exchanges` names the gag once it is.
        """
        ids = []
        with self._db() as db:
            for exchange in exchanges:
                cursor = db.execute(
                    "INSERT INTO exchanges (gag_id, started, provider, model, prompt, response, error, duration_s)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        gag_id,
                        exchange.get("started"),
                        exchange.get("provider"),
                        exchange.get("model"),
                        json.dumps(exchange.get("messages", exchange.get("prompt")), ensure_ascii=False),
                        exchange.get("response"),
                        exchange.get("error"),
                        exchange.get("duration_s"),
                    ),
                )
                ids.append(cursor.lastrowid)
        return ids

    def link_exchanges(self, exchange_ids: list[int], gag_id: str) -> None:
        """Name the filed gag a writer's logged exchanges were for."""
        if not exchange_ids:
            return
        with self._db() as db:
            db.executemany("UPDATE exchanges SET gag_id = ? WHERE id = ?", [(gag_id, row) for row in exchange_ids])

    def exchanges(self, gag_id: str | None = None, limit: int = 50) -> list[dict]:
        with self._db() as db:
            cursor = db.cursor()
            cursor.row_factory = sqlite3.Row  # on this query only: the connection is shared
            if gag_id is None:
                rows = cursor.execute("SELECT * FROM exchanges ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
            else:
                rows = cursor.execute("SELECT * FROM exchanges WHERE gag_id = ? ORDER BY id", (gag_id,)).fetchall()
        return [dict(row) for row in rows]


def _like_prefix(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"
