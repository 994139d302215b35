"""The render queue: one row per job in a `jobs` table of the sightgag database.

A job is a request to make one gag. It is `queued` when submitted, `running` once a worker has
claimed it, and ends `done` (with the id of the gag it filed) or `failed` (with a one-line error).
Because the queue lives in SQLite, queued jobs survive a restart and run after it. A job that was
running when the server stopped is queued again once; if it was interrupted twice it is marked
failed, since it may be what brought the server down.

Every change is handed to `on_change`, which the server uses to push live progress to listeners.

A request sent twice makes one job when the client says it is the same request (see `Repeat`): with
an Idempotency-Key header, or as a retry (the official OpenAI clients send the same request again
after a timeout, counting retries in X-Stainless-Retry-Count, with no Idempotency-Key for images).
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sightgag.bounds import SEED_LIMIT, parse_size
from sightgag.concept import Concept, Lettering
from sightgag.errors import UsageError
from sightgag.strip import Layout
from sightgag.studio import MAX_N

Status = Literal["queued", "running", "done", "failed"]
FINISHED: tuple[Status, ...] = ("done", "failed")
MAX_ATTEMPTS = 2  # a job interrupted by a stop runs once more, then fails

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- the queue's order
    id TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,                   -- queued, running, done, failed
    stage TEXT,                             -- writing, painting, lettering, filing
    done INTEGER NOT NULL DEFAULT 0,
    total INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    gag_id TEXT,
    params TEXT NOT NULL,                   -- the JobRequest as JSON, with its backends and size filled in
    batch_key TEXT NOT NULL,                -- jobs with the same key can be painted in one pipeline call
    images INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status, seq);
CREATE TABLE IF NOT EXISTS job_requests (
    job_id TEXT NOT NULL,
    idempotency_key TEXT,                   -- sha256 of the client's Idempotency-Key header, if it sent one
    fingerprint TEXT NOT NULL,              -- sha256 of the job's params: what a retry must repeat
    created TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS job_requests_by_key ON job_requests (idempotency_key, created);
CREATE INDEX IF NOT EXISTS job_requests_by_fingerprint ON job_requests (fingerprint, created);
"""

# How long a repeated request finds the job its first sending made. A day for an explicit key, as
# payment APIs keep theirs; an hour for a bare retry, which follows its timed-out attempt within minutes.
IDEMPOTENCY_KEY_LIFETIME = timedelta(days=1)
RETRY_WINDOW = timedelta(hours=1)
MAX_IDEMPOTENCY_KEY = 255


@dataclass(frozen=True)
class Repeat:
    """What a client says about a request it may send more than once."""

    idempotency_key: str | None = None  # the same key means the same request: one job
    retry: bool = False  # this is a retry of an attempt whose answer was lost: reuse its job if it has not failed

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> Repeat:
        key = headers.get("idempotency-key")
        if key is not None and not 1 <= len(key.strip()) <= MAX_IDEMPOTENCY_KEY:
            raise UsageError(f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} characters")
        retries = headers.get("x-stainless-retry-count", "0").strip()
        return cls(idempotency_key=key.strip() if key else None, retry=retries.isdigit() and int(retries) > 0)


def check_size(size: str) -> str:
    """A WIDTHxHEIGHT size within the bounds the CLI and Python share, tidied; ValueError if it is not one."""
    try:
        width, height = parse_size(size)
    except UsageError as error:
        raise ValueError(str(error)) from None  # pydantic reports a ValueError as a validation error (422)
    return f"{width}x{height}"


class JobRequest(BaseModel):
    """What to make: the same choices as `sightgag make`."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    request: str = Field(min_length=1, max_length=2000, description="what you want, in your own words")
    subjects: list[str] = Field(default_factory=list, max_length=5, description="names in the subject library")
    writer: str | None = Field(default=None, max_length=120, description="writer spec; the server's default when unset")
    artist: str | None = Field(default=None, max_length=120, description="artist spec; the server's default when unset")
    lettering: Lettering | None = Field(default=None, description="the writer's choice when unset")
    n: int = Field(default=1, ge=1, le=MAX_N, description="how many concepts, one picture each")
    seed: int | None = Field(default=None, ge=0, lt=SEED_LIMIT)
    size: str | None = Field(default=None, description="WIDTHxHEIGHT, e.g. 1024x768")
    concepts: list[Concept] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_N,
        description="paint exactly these (e.g. an edited concept); no writer",
    )
    editor: str | None = Field(default=None, max_length=120, description="editor spec: auto, offline, none or an LLM spec")
    candidates: int | None = Field(
        default=None, ge=1, le=8, description="drafts for the editor to rank: concepts, or a strip's whole strips"
    )
    punch_up: bool = Field(default=False, description="an LLM editor rewrites the kept captions once (gags)")
    retries: int | None = Field(
        default=None, ge=0, le=5, description="repaints of a picture (or a strip's panel) that fails a check"
    )
    panels: Literal[3, 4] | None = Field(
        default=None, description="make a comic strip of this many panels instead of a gag (size is per panel)"
    )
    layout: Layout = Field(default="row", description="a strip's page: row, grid (2 columns) or column")

    @field_validator("size")
    @classmethod
    def _size(cls, size: str | None) -> str | None:
        return None if size is None else check_size(size)

    @model_validator(mode="after")
    def _strip_or_concepts(self) -> JobRequest:
        if self.panels and self.concepts:
            raise ValueError("a strip is written from the request, beat by beat: send panels or concepts, not both")
        # What only a gag has is refused for a strip rather than ignored, so a caller is never left thinking
        # it was done.
        if self.panels and self.n != 1:
            raise ValueError("a strip is one page: send panels, or n for several gags, not both")
        if self.panels and self.lettering is not None:
            raise ValueError("a strip letters its own balloons and captions: lettering is for gags")
        if self.panels and self.punch_up:
            raise ValueError("punch_up rewrites a gag's captions: a strip's words are ranked as whole strips (candidates)")
        return self

    def dimensions(self) -> tuple[int, int] | None:
        if self.size is None:
            return None
        width, _, height = self.size.partition("x")
        return int(width), int(height)

    def image_count(self) -> int:
        if self.panels:
            return self.panels
        return len(self.concepts) if self.concepts else self.n


class Job(BaseModel):
    """A job as the API shows it."""

    id: str
    status: Status
    stage: str | None = None
    done: int = 0
    total: int = 0
    error: str | None = None
    gag_id: str | None = None
    created: str
    updated: str
    params: JobRequest

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _ago(interval: timedelta) -> str:
    return (datetime.now(UTC) - interval).isoformat(timespec="milliseconds")


class JobQueue:
    """The jobs table: submit, claim a batch, report progress, finish or fail."""

    def __init__(self, database: Path, on_change: Callable[[Job], None] | None = None):
        self.database = Path(database)
        self.on_change = on_change or (lambda job: None)
        self._local = threading.local()
        self._db().executescript(SCHEMA)

    def _db(self) -> sqlite3.Connection:
        """This thread's connection, opened once: progress is written at every step, and opening a
        connection costs many times what the update does."""
        db = getattr(self._local, "db", None)
        if db is None:
            # Autocommit mode: each statement commits alone; `claim` opens its own transaction.
            db = sqlite3.connect(self.database, timeout=30, isolation_level=None)
            db.row_factory = sqlite3.Row
            # With a write-ahead log (as the gallery keeps), NORMAL skips an fsync per commit yet loses
            # nothing when the process dies; only a power cut may lose the last few progress updates.
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            self._local.db = db
        return db

    # -- reading --------------------------------------------------------------------------------

    # Every query is read to the end (fetchall): on a connection that stays open, a half-read
    # query would keep its snapshot of the database open.

    def get(self, job_id: str) -> Job | None:
        jobs = self._get_many([job_id])
        return jobs[0] if jobs else None

    def _get_many(self, ids: Sequence[str]) -> list[Job]:
        marks = ",".join("?" * len(ids))
        rows = self._db().execute(f"SELECT * FROM jobs WHERE id IN ({marks}) ORDER BY seq", list(ids)).fetchall()
        return [_job(row) for row in rows]

    def counts(self) -> dict[str, int]:
        rows = self._db().execute("SELECT status, COUNT(*) FROM jobs GROUP BY status").fetchall()
        return {row[0]: row[1] for row in rows}

    # -- changing -------------------------------------------------------------------------------

    def submit(self, params: JobRequest, batch_key: str, repeat: Repeat = Repeat()) -> Job:
        """Queue a job whose params are complete (backends and size filled in).

        A repeated request (see `Repeat`) gets the job its first sending made instead: the job with
        its Idempotency-Key, or for a retry the newest job with the same params that has not failed.
        An Idempotency-Key sent again with other params is refused.
        """
        fingerprint = hashlib.sha256(params.model_dump_json().encode()).hexdigest()
        key = hashlib.sha256(repeat.idempotency_key.encode()).hexdigest() if repeat.idempotency_key else None
        db = self._db()
        db.execute("BEGIN IMMEDIATE")  # two sendings of one request must not both miss the other
        try:
            earlier = self._earlier_job(db, fingerprint, key, repeat.retry)
            job_id = earlier or secrets.token_hex(8)
            if earlier is None:
                now = _now()
                db.execute(
                    "INSERT INTO jobs (id, status, params, batch_key, images, created, updated)"
                    " VALUES (?, 'queued', ?, ?, ?, ?, ?)",
                    (job_id, params.model_dump_json(), batch_key, params.image_count(), now, now),
                )
                db.execute(
                    "INSERT INTO job_requests (job_id, idempotency_key, fingerprint, created) VALUES (?, ?, ?, ?)",
                    (job_id, key, fingerprint, now),
                )
            # Read before committing: a worker may claim the job the moment it is committed, and the
            # answer to a submission says what was submitted.
            job = self._get_many([job_id])[0]
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        if earlier is None:
            self.on_change(job)
        return job

    def _earlier_job(self, db: sqlite3.Connection, fingerprint: str, key: str | None, retry: bool) -> str | None:
        if key is not None:
            rows = db.execute(
                "SELECT job_id, fingerprint FROM job_requests WHERE idempotency_key = ? AND created > ?"
                " ORDER BY created DESC LIMIT 1",
                (key, _ago(IDEMPOTENCY_KEY_LIFETIME)),
            ).fetchall()
            if rows and rows[0]["fingerprint"] != fingerprint:
                raise UsageError("this Idempotency-Key was sent before with another request: use a new key")
            return rows[0]["job_id"] if rows else None
        if retry:
            rows = db.execute(
                "SELECT job_id FROM job_requests JOIN jobs ON jobs.id = job_requests.job_id"
                " WHERE fingerprint = ? AND job_requests.created > ? AND jobs.status != 'failed'"
                " ORDER BY job_requests.created DESC LIMIT 1",
                (fingerprint, _ago(RETRY_WINDOW)),
            ).fetchall()
            return rows[0]["job_id"] if rows else None
        return None

    def claim(self, max_images: int) -> list[Job]:
        """Mark the oldest queued job running, with the queued jobs that can be painted with it.

        Companions share its batch key and are taken oldest first while the images fit in
        `max_images`; the oldest job is taken even if it alone is more.
        """
        db = self._db()
        db.execute("BEGIN IMMEDIATE")  # two workers never claim the same job
        try:
            oldest = db.execute("SELECT * FROM jobs WHERE status = 'queued' ORDER BY seq LIMIT 1").fetchall()
            if not oldest:
                db.execute("COMMIT")
                return []
            first = oldest[0]
            chosen, images = [first["id"]], first["images"]
            companions = db.execute(
                "SELECT id, images FROM jobs WHERE status = 'queued' AND batch_key = ? AND seq > ? ORDER BY seq",
                (first["batch_key"], first["seq"]),
            ).fetchall()
            for row in companions:
                if images + row["images"] > max_images:
                    break
                chosen.append(row["id"])
                images += row["images"]
            marks = ",".join("?" * len(chosen))
            db.execute(
                f"UPDATE jobs SET status = 'running', attempts = attempts + 1, stage = NULL, done = 0, total = 0,"
                f" updated = ? WHERE id IN ({marks})",
                [_now(), *chosen],
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        jobs = self._get_many(chosen)
        for job in jobs:
            self.on_change(job)
        return jobs

    def progress(self, job_ids: Sequence[str], stage: str, done: int, total: int) -> None:
        self._update(job_ids, "stage = ?, done = ?, total = ?", (stage, done, total))

    def finish(self, job_id: str, gag_id: str) -> None:
        self._update([job_id], "status = 'done', gag_id = ?, error = NULL", (gag_id,))

    def fail(self, job_ids: Sequence[str], error: str) -> None:
        self._update(job_ids, "status = 'failed', error = ?", (error,))

    def _update(self, job_ids: Sequence[str], assignments: str, values: tuple) -> None:
        """Change running jobs only: a job that is done or failed stays so."""
        if not job_ids:
            return
        marks = ",".join("?" * len(job_ids))
        changed = (
            self._db()
            .execute(
                f"UPDATE jobs SET {assignments}, updated = ? WHERE status = 'running' AND id IN ({marks}) RETURNING id",
                [*values, _now(), *job_ids],
            )
            .fetchall()
        )
        jobs = self._get_many([row[0] for row in changed]) if changed else []
        for job in jobs:
            self.on_change(job)

    def recover(self) -> tuple[int, int]:
        """After a stop: queue again the jobs that were running, or fail those interrupted twice.

        Returns (queued again, failed). Call it once at start-up, before any worker runs.
        """
        db = self._db()
        requeued = db.execute(
            "UPDATE jobs SET status = 'queued', stage = NULL, done = 0, total = 0, updated = ?"
            " WHERE status = 'running' AND attempts < ? RETURNING id",
            (_now(), MAX_ATTEMPTS),
        ).fetchall()
        failed = db.execute(
            "UPDATE jobs SET status = 'failed', updated = ?, error = ? WHERE status = 'running' RETURNING id",
            (_now(), f"the server stopped while this job ran, {MAX_ATTEMPTS} times: submit it again if it should run"),
        ).fetchall()
        return len(requeued), len(failed)


def _job(row: sqlite3.Row) -> Job:
    return Job(
        id=row["id"],
        status=row["status"],
        stage=row["stage"],
        done=row["done"],
        total=row["total"],
        error=row["error"],
        gag_id=row["gag_id"],
        created=row["created"],
        updated=row["updated"],
        params=JobRequest.model_validate_json(row["params"]),
    )
