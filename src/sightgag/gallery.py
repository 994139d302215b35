"""The gallery: every gag kept with what is needed to make it again.

One SQLite database in the sightgag home holds a row per gag and a row per LLM exchange (every prompt
and response, as Simon Willison's `llm` logs them). Pictures live in `gallery/<id>/`, and each PNG
carries the gag's record in its metadata, so a picture copied elsewhere still says how it was made.
Records name their pictures relative to the home (see sightgag.home); gags handed out name them
absolute, ready to open.

Filing is all or nothing, whatever stops it:
- the pictures are written into a staging folder of this filing's own, with the row to be
  (`.filing.json`), and the folder is renamed into place and the row committed inside one
  `BEGIN IMMEDIATE` transaction (SQLite's write lock, across threads and processes);
- a process killed between the rename and the commit leaves a complete folder with no row: the next
  opening of the gallery, under the same lock (so never while a live filing is in that window),
  adopts it from its `.filing.json`, and removes a folder that is not complete;
- a staging folder left by a crash is swept once it is old (sightgag.staging).
A gag filed for a server job records the job's id, so a job run again after a crash finds its gag
instead of filing a second one.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from PIL import Image

from sightgag.concept import AS_STORED
from sightgag.errors import SightgagError, UsageError
from sightgag.gag import Gag
from sightgag.home import located, portable, shown
from sightgag.png import read_png_record, write_png
from sightgag.staging import new_staging, sweep_staging

__all__ = ["Gallery", "new_gag_id", "now_iso", "read_png_record"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS gags (
    id TEXT PRIMARY KEY,
    created TEXT NOT NULL,
    request TEXT NOT NULL,
    record TEXT NOT NULL,         -- the Gag as JSON: concepts, specs, seed, size, timings, paths
    job_id TEXT                   -- the server job that filed it, if one did
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
JOB_INDEX = "CREATE UNIQUE INDEX IF NOT EXISTS gags_by_job ON gags (job_id) WHERE job_id IS NOT NULL"

FILING = ".filing.json"  # the row a folder is filed with, beside its pictures until the row is committed
DELETED = ".deleted"  # marks a folder whose row is gone: never adopted, removed by whoever comes first


def new_gag_id() -> str:
    """Sortable by time, short enough to type: 20261122-035012-a1b2c3."""
    return datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Gallery:
    def __init__(self, home: Path):
        self.home = Path(home).absolute()
        self.folder = self.home / "gallery"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.database = self.home / "sightgag.db"
        self._local = threading.local()
        with self._db() as db:
            db.executescript(SCHEMA)
        with self._filing() as db:
            columns = [row[1] for row in db.execute("PRAGMA table_info(gags)").fetchall()]
            if "job_id" not in columns:  # a gallery from before jobs were recorded
                db.execute("ALTER TABLE gags ADD COLUMN job_id TEXT")
            db.execute(JOB_INDEX)
            self._sweep_orphans(db)
        sweep_staging(self.folder)

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

    @contextmanager
    def _filing(self) -> Iterator[sqlite3.Connection]:
        """SQLite's write lock, held while gag folders and their rows change together."""
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
            db.commit()
        except BaseException:
            db.rollback()
            raise

    def _sweep_orphans(self, db: sqlite3.Connection) -> None:
        """Adopt the complete gag folders a crash left without a row; remove the half-filed and deleted ones.

        A folder with no row and no mark of ours (a database restored from an older backup, say) is
        adopted from the records inside its PNGs if they are whole, and otherwise left alone: a
        sweep that runs at every start must never delete what it does not understand.
        """
        filed = {row[0] for row in db.execute("SELECT id FROM gags").fetchall()}
        for folder in self.folder.iterdir():
            if folder.name.startswith(".") or folder.name in filed or not folder.is_dir():
                continue
            ours = (folder / FILING).exists() or (folder / DELETED).exists()
            adopted = None if (folder / DELETED).exists() else self._adoptable(folder)
            if adopted is not None:
                gag, job_id = adopted
                self._insert(db, gag, job_id)
                (folder / FILING).unlink(missing_ok=True)
            elif ours:
                shutil.rmtree(folder, ignore_errors=True)

    def _adoptable(self, folder: Path) -> tuple[Gag, str | None] | None:
        """The gag a folder holds, with its job, if its record is whole and every picture it names is there."""
        try:
            if (folder / FILING).exists():
                filing = json.loads((folder / FILING).read_text(encoding="utf-8"))
                gag, job_id = self._from_record(filing["gag"]), filing.get("job_id")
            else:  # filed before `.filing.json` existed: its PNGs carry its summary
                gag, job_id = self._from_summary(read_png_record(min(folder.glob("*.png")))), None
        except (OSError, ValueError, KeyError, TypeError, UsageError):
            return None
        pictures = [*gag.images, *gag.renders]
        if gag.id != folder.name or not pictures:
            return None
        if not all(path.parent == folder and path.is_file() for path in pictures):
            return None
        return gag, job_id

    # -- gags ---------------------------------------------------------------------------------

    def add(self, gag: Gag, renders: list[Image.Image], images: list[Image.Image], *, job_id: str | None = None) -> Gag:
        """File a new gag: its clean renders, its lettered images and its row, all or nothing.

        `gag.images` and `gag.renders` are filled in here with the paths the pictures are given.
        A gag whose id is taken (two gags in one second with the same random part) gets a new one.
        `job_id` names the server job filing it; a job files one gag at most.
        """
        while (self.folder / gag.id).exists() or self._has(gag.id):
            gag.id = new_gag_id()
        final = self.folder / gag.id
        gag.renders = [final / f"{i}-render.png" for i in range(len(renders))]
        gag.images = [final / f"{i}.png" for i in range(len(images))]
        staging = new_staging(self.folder, gag.id)
        try:
            record = self.record(gag)
            for image, path in [*zip(renders, gag.renders), *zip(images, gag.images)]:
                write_png(image, staging / path.name, record)
            filing = {"gag": self._stored(gag), "job_id": job_id}
            (staging / FILING).write_text(json.dumps(filing, ensure_ascii=False), encoding="utf-8")
            with self._filing() as db:
                # Checked again under the lock: only a filing holding it creates gag folders.
                if final.exists() or self._has(gag.id, db):
                    raise SightgagError(f"gag id {gag.id} was taken while filing: make it again")
                os.replace(staging, final)
                try:
                    self._insert(db, gag, job_id)
                    db.commit()
                except BaseException:
                    # The folder is this filing's own: it did not exist when the lock was taken.
                    shutil.rmtree(final, ignore_errors=True)
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        (final / FILING).unlink(missing_ok=True)  # the row holds it now
        return gag

    def filed_for_job(self, job_id: str) -> Gag | None:
        """The gag a server job filed, if it filed one."""
        with self._db() as db:
            row = db.execute("SELECT record FROM gags WHERE job_id = ?", (job_id,)).fetchone()
        return None if row is None else self._from_record(json.loads(row[0]))

    def record(self, gag: Gag) -> dict:
        """A gag's `--json` summary as it is embedded in its PNGs and served: paths relative to the home,
        and no path outside it (see sightgag.home)."""
        record = portable(gag.summary(), self.home)
        for field in ("writer", "artist", "artist_details"):
            record[field] = shown(record[field])
        return record

    def path(self, recorded: str | Path) -> Path:
        """Where a path from a gag's record is on this machine."""
        return located(recorded, self.home)

    def _has(self, gag_id: str, db: sqlite3.Connection | None = None) -> bool:
        if db is None:
            with self._db() as db:
                return self._has(gag_id, db)
        return db.execute("SELECT 1 FROM gags WHERE id = ?", (gag_id,)).fetchone() is not None

    def _insert(self, db: sqlite3.Connection, gag: Gag, job_id: str | None) -> None:
        db.execute(
            "INSERT INTO gags (id, created, request, record, job_id) VALUES (?, ?, ?, ?, ?)",
            (gag.id, gag.created, gag.request, json.dumps(self._stored(gag), ensure_ascii=False), job_id),
        )

    def _stored(self, gag: Gag) -> dict:
        return portable(gag.model_dump(mode="json"), self.home)

    def _from_summary(self, summary: dict) -> Gag:
        """A gag from the summary its PNGs carry (all of its record but where its painted text was)."""
        width, _, height = summary["size"].partition("x")
        fields = {name: value for name, value in summary.items() if name in Gag.model_fields}
        return self._from_record({**fields, "width": int(width), "height": int(height)})

    def _from_record(self, record: dict) -> Gag:
        # As stored: rows filed before today's text rules still load (the CLI escapes what it prints).
        gag = Gag.model_validate(record, context=AS_STORED)
        gag.images = [self.path(path) for path in gag.images]
        gag.renders = [self.path(path) for path in gag.renders]
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
        record = self.record(updated)
        written: list[Path] = []
        try:
            for image, path in zip(images, new_paths):
                partial = path.with_suffix(".partial")
                write_png(image, partial, record)
                os.replace(partial, path)
                written.append(path)
            with self._db() as db:
                db.execute(
                    "UPDATE gags SET record = ? WHERE id = ?", (json.dumps(self._stored(updated), ensure_ascii=False), gag.id)
                )
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
        return self._from_record(json.loads(rows[0][0]))

    def list(self, limit: int = 20) -> list[Gag]:
        """The newest gags first."""
        with self._db() as db:
            # Ids order by the second, then at random: within a second, the gag filed last comes first.
            rows = db.execute("SELECT record FROM gags ORDER BY created DESC, rowid DESC LIMIT ?", (limit,)).fetchall()
        return [self._from_record(json.loads(row[0])) for row in rows]

    def delete(self, gag_id: str) -> Gag:
        """Remove a gag's row and its pictures (the LLM log keeps its exchanges)."""
        gag = self.get(gag_id)
        folder = self.folder / gag.id
        with self._filing() as db:
            db.execute("DELETE FROM gags WHERE id = ?", (gag.id,))
            # Marked before the row goes, so a crash before the files are gone never brings the gag back.
            if folder.is_dir():
                (folder / DELETED).touch()
        shutil.rmtree(folder, ignore_errors=True)
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
