"""`sightgag batch`: many gags from a JSON Lines file, resumable, one result line per request.

    {"request": "my cat Mittens as a superhero", "seed": 7}
    {"request": "a dog who files taxes", "n": 2, "size": "768x512", "lettering": "caption"}

Each line is a request with the same choices as `sightgag make` (request, subjects, n, seed, lettering,
size, writer, artist); what a line leaves out comes from the command's options. The results go to
`results.jsonl` in the output folder, one line per request line: its line number and key, the gag's id,
its pictures (copied into the folder), caption, timings, and `error` (null when it worked). A line that is
not valid is reported there and skipped; the run goes on.

Resuming: a line's key is a hash of its number and its text, so a run started again skips the lines
that already have a result (failed ones too, unless `retry_failed`), and an edited line is new work.
Each gag is filed in the gallery under a job id made from the output folder and the key: a run killed
between filing a gag and writing its result line finds the gag on the next run instead of making
another one.

Without Ray the lines run in this process, one gag painted at a time; with Ray see ray_batch.py.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sightgag.bounds import SEED_LIMIT, check_seed, parse_size
from sightgag.concept import Lettering
from sightgag.errors import SightgagError, UsageError, first_line
from sightgag.gag import Gag
from sightgag.painter import Painter
from sightgag.studio import DEFAULT_SIZE, MAX_N, Draft, Studio
from sightgag.writer import Writer, load_writer
from sightgag.writer.request import clean_request

RESULTS = "results.jsonl"

# Called as progress(done, total) once per request line finished, well or not.
BatchProgress = Callable[[int, int], None]


class BatchLine(BaseModel):
    """One line of a requests file."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    request: str = Field(min_length=1)
    subjects: list[str] = Field(default_factory=list, max_length=5)
    n: int | None = Field(default=None, ge=1, le=MAX_N)
    seed: int | None = Field(default=None, ge=0, lt=SEED_LIMIT)
    lettering: Lettering | None = None
    size: str | None = None
    writer: str | None = None
    artist: str | None = None


@dataclass(frozen=True)
class BatchDefaults:
    """What a line leaves out: the command's options."""

    n: int = 1
    seed: int | None = None
    lettering: str | None = None
    size: tuple[int, int] | None = None


@dataclass(frozen=True)
class Entry:
    """A non-blank line of the requests file: its number (from 1), text and key."""

    number: int
    text: str

    @property
    def key(self) -> str:
        return hashlib.sha256(f"{self.number}\n{self.text}".encode()).hexdigest()[:20]


@dataclass
class Job:
    """A line checked and filled in from the defaults: everything needed to make its gag."""

    entry: Entry
    request: str
    subjects: list[str]
    n: int
    seed: int
    lettering: str | None
    size: tuple[int, int]
    writer: str | None  # None: the studio's own
    artist: str | None
    gallery_job: str  # the id the gallery files its gag under


def read_entries(path: Path) -> list[Entry]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"no such requests file: {path}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text: write one JSON object per line") from None
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror or error}") from None
    return [Entry(number, line.strip()) for number, line in enumerate(text.splitlines(), 1) if line.strip()]


class BatchRun:
    """A requests file and its output folder: which lines are left, and the results written so far."""

    def __init__(
        self,
        requests: Path,
        out: Path,
        studio: Studio,
        defaults: BatchDefaults = BatchDefaults(),
        *,
        retry_failed: bool = False,
    ):
        self.studio = studio
        self.defaults = defaults
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.results = self.out / RESULTS
        self.entries = read_entries(Path(requests))
        finished = self._finished(retry_failed)
        self.todo = [entry for entry in self.entries if entry.key not in finished]
        self.done = 0
        self.failed = 0
        self._lock = threading.Lock()
        self._writers: dict[str, Writer] = {}
        self.painter = Painter(studio.settings)

    def _finished(self, retry_failed: bool) -> set[str]:
        """Keys with a result line already; a half-written last line (a run killed mid-write) is not one."""
        if not self.results.exists():
            return set()
        finished = set()
        for line in self.results.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if not (retry_failed and record.get("error")):
                finished.add(record["key"])
        return finished

    # -- lines to jobs ----------------------------------------------------------------------------

    def job(self, entry: Entry) -> Job:
        """The line checked against the same bounds as `sightgag make`; UsageError in one line if it is not valid."""
        try:
            line = BatchLine.model_validate_json(entry.text)
        except ValidationError as error:
            problem = error.errors()[0]
            if problem["type"] == "json_invalid":
                raise UsageError("not a JSON object: write one per line") from None
            where = ".".join(str(part) for part in problem["loc"])
            raise UsageError(
                f"{where}: {str(problem['msg']).removeprefix('Value error, ')}" if where else problem["msg"]
            ) from None
        request = clean_request(line.request)
        size = parse_size(line.size) if line.size is not None else self.defaults.size or DEFAULT_SIZE
        seed = line.seed if line.seed is not None else self.defaults.seed
        for name in line.subjects:
            self.studio.subjects.get(name)  # an unknown subject fails this line, not the painting
        where = hashlib.sha256(f"{self.out.resolve()}\n{entry.key}".encode()).hexdigest()[:24]
        return Job(
            entry=entry,
            request=request,
            subjects=line.subjects,
            n=line.n or self.defaults.n,
            seed=check_seed(seed) if seed is not None else secrets.randbelow(2**31),
            lettering=line.lettering or self.defaults.lettering,
            size=size,
            writer=line.writer,
            artist=line.artist,
            gallery_job=f"batch-{where}",
        )

    def writer(self, spec: str | None) -> Writer:
        if spec is None:
            return self.studio.writer
        with self._lock:
            if spec not in self._writers:
                self._writers[spec] = load_writer(spec, self.studio.settings)
            return self._writers[spec]

    def artist_spec(self, job: Job) -> str:
        return job.artist or self.studio.backends.artist

    def already_filed(self, job: Job) -> Gag | None:
        return self.studio.gallery.filed_for_job(job.gallery_job)

    # -- results ----------------------------------------------------------------------------------

    def record_gag(self, entry: Entry, gag: Gag, extra_timings: dict[str, float] | None = None) -> dict:
        images = []
        for index, path in enumerate(gag.images):
            copy = self.out / f"{gag.id}-{index}.png"
            shutil.copyfile(path, copy)
            images.append(str(copy))
        record = {
            "line": entry.number,
            "key": entry.key,
            "id": gag.id,
            "images": images,
            "caption": gag.concept.caption.text,
            "captions": [concept.caption.text for concept in gag.concepts],
            "seed": gag.seed,
            "timings": {**gag.timings, **(extra_timings or {})},
            "error": None,
        }
        self._append(record)
        return record

    def record_error(self, entry: Entry, error: BaseException | str) -> dict:
        record = {
            "line": entry.number,
            "key": entry.key,
            "id": None,
            "images": [],
            "caption": None,
            "captions": [],
            "seed": None,
            "timings": {},
            "error": error if isinstance(error, str) else error_text(error),
        }
        self._append(record)
        return record

    def _append(self, record: dict) -> None:
        with self._lock:
            with self.results.open("a", encoding="utf-8") as results:
                # One write per line, flushed at once: a run killed now has every finished line on disk.
                results.write(json.dumps(record, ensure_ascii=False) + "\n")
            if record["error"]:
                self.failed += 1
            else:
                self.done += 1

    # -- running here -----------------------------------------------------------------------------

    def run(self, *, concurrency: int = 1, progress: BatchProgress | None = None) -> None:
        """Make every line left, in this process: `concurrency` lines are written at once (a remote
        writer waits on the network), and their gags painted one at a time in order."""
        report = progress or (lambda done, total: None)
        total = len(self.todo)
        finished = 0
        with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="sightgag-batch") as pool:
            waiting: deque = deque()
            left: Iterator[Entry] = iter(self.todo)

            def keep_writing() -> None:
                while len(waiting) < max(1, concurrency):
                    entry = next(left, None)
                    if entry is None:
                        return
                    waiting.append((entry, pool.submit(self._prepare, entry)))

            keep_writing()
            while waiting:
                entry, future = waiting.popleft()
                keep_writing()
                try:
                    prepared = future.result()
                    if isinstance(prepared, Gag):
                        self.record_gag(entry, prepared)
                    else:
                        job, draft = prepared
                        artist = self.painter.artist(self.artist_spec(job))
                        self.record_gag(entry, self.studio.finish([draft], artist=artist)[0])
                except Exception as error:  # one line's failure is its result; the run goes on
                    self.record_error(entry, error)
                finished += 1
                report(finished, total)

    def _prepare(self, entry: Entry) -> tuple[Job, Draft] | Gag:
        job = self.job(entry)
        filed = self.already_filed(job)
        if filed is not None:
            return filed
        draft = self.studio.prepare(
            job.request,
            subjects=job.subjects,
            n=job.n,
            seed=job.seed,
            size=job.size,
            lettering=job.lettering,
            writer=self.writer(job.writer),
            artist=self.painter.artist(self.artist_spec(job)),
        )
        draft.job_id = job.gallery_job
        return job, draft


def error_text(error: BaseException) -> str:
    """A failed line's error: sightgag's own one-line message, or the exception's type and first line."""
    if isinstance(error, SightgagError):
        return " ".join(str(error).split())
    return f"{type(error).__name__}: {first_line(error)}"


def default_out(requests: Path) -> Path:
    """`cards.jsonl` -> `cards-results/` beside it."""
    return requests.with_name(f"{requests.stem}-results")
