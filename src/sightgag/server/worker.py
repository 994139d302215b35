"""The worker: runs queued jobs in three stages, so that the painter never waits for the rest.

Each stage has threads of its own:

- writers claim the oldest queued job with its queued companions (the same batch key) and write
  their concepts (`Studio.prepare`), several jobs at once, since a writer's LLM call is mostly
  waiting on the network. They stay only a little ahead of the painters: the rest stay `queued`.
- painters take the oldest written job with the written jobs of the same batch key, up to `batch`
  images, and paint them in one pipeline call, pictures checked (`Studio.paint`). There are two painter
  threads for each GPU (`concurrency`): while one thread's pictures are checked (safety, the sign
  reader, a vision model over the network), the other's batch paints. A thread takes its batch once
  the last batch's first pipeline call has ended (`Turn`), so it holds whatever was written meanwhile.
  A batch with room first waits for the jobs claimed with its own that are still being written, since
  they are on their way, and until its oldest job has been queued `batch_wait` seconds (requests sent
  together arrive a little apart): a burst of requests is painted in full batches, not the first alone.
- filers letter and file each gag of a painted batch (`Studio.file`) and mark its job done, while
  the painter paints the next batch.

A job whose writing fails fails alone; when a batch fails to paint, its jobs are painted again one by
one, so that only the job at fault fails; a gag that cannot be lettered or filed fails its job alone.
A strip is written by a writer like a gag (`prepare_strip`), then painted, lettered and filed by a
painter alone in its call (`finish_strip`): its panels are its batch.

`run(jobs)` takes claimed jobs through the three stages in the calling thread (tests and tools).
"""

from __future__ import annotations

import bisect
import itertools
import logging
import queue
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sightgag.artist import Artist
from sightgag.artist.base import Painting
from sightgag.errors import SightgagError
from sightgag.server.backends import Backends
from sightgag.server.jobs import Job, JobQueue
from sightgag.studio import Draft, Painted

log = logging.getLogger("sightgag.server")

IDLE_POLL_SECONDS = 1.0
# Painting progress reaches the queue (and every listener) at most this often, besides its first and
# last step: ten updates a second draw a smooth bar, and a tiny model's steps come every few
# milliseconds, where a database write and a wake-up of the event loop at each one slowed painting
# itself by a third.
PROGRESS_INTERVAL_SECONDS = 0.1
# Painted batches waiting for a filer, at most, per painter: a painter that gets this far ahead waits,
# so pictures do not pile up in memory.
PAINTED_AHEAD = 2
# Painter threads per GPU: one painting while the other's pictures are checked.
PAINTERS_PER_GPU = 2


def batch_key(artist: str, size: tuple[int, int], subjects: Sequence[str] = (), retries: int | None = None) -> str:
    """Jobs with equal keys can be painted in one call: the same artist (so the same steps), size, subjects
    and repaints.

    Subjects are in the key because a subject's LoRA applies to a whole pipeline call: jobs casting
    different subjects are not batched (and the flux artist paints them in separate calls regardless).
    """
    cast = ",".join(sorted({name.casefold() for name in subjects}))
    return f"{artist}|{size[0]}x{size[1]}|{cast}" + ("" if retries is None else f"|retries={retries}")


def error_line(error: BaseException) -> str:
    """The one line a failed job reports. Only sightgag's own messages are shown: an unexpected
    exception's text can hold the server's paths, so it goes to the log under an error id instead."""
    if isinstance(error, SightgagError):
        return " ".join(str(error).split())
    error_id = secrets.token_hex(4)
    log.error("error %s: a job failed", error_id, exc_info=error)
    return f"internal error {error_id}: the server's log has the details"


@dataclass
class Claimed:
    """A job a writer is to write: when it was claimed, and with which others (`claim`)."""

    job: Job
    order: int
    claim: int


@dataclass
class Written:
    """A claimed job ready for a painter: its draft (a gag's or a strip's)."""

    job: Job
    draft: Draft
    order: int = 0  # when it was claimed: a batch's gags are filed in the order their jobs were queued
    claim: int = 0  # the jobs claimed with it (the same batch key) share this number

    @property
    def images(self) -> int:
        return self.job.params.image_count()

    @property
    def strip(self) -> bool:
        return bool(self.job.params.panels)

    def waited(self) -> float:
        """Seconds since the job was queued."""
        return (datetime.now(UTC) - datetime.fromisoformat(self.job.created)).total_seconds()

    @property
    def key(self) -> str:
        """What must match for two jobs to share a pipeline call: batch_key's, and the same checks."""
        if self.strip:
            return f"strip|{self.job.id}"  # a strip's panels are its batch
        gag = self.draft.gag
        editor = self.draft.editor.spec if self.draft.editor is not None else "-"
        subjects = [subject.name for subject in self.draft.subjects]
        return batch_key(gag.artist, (gag.width, gag.height), subjects, self.draft.retries) + f"|editor={editor}"


class Worker:
    def __init__(
        self,
        jobs: JobQueue,
        backends: Backends,
        *,
        batch: int = 8,
        concurrency: int = 1,
        batch_wait: float = 0.0,
        writers: int = 4,
    ):
        self.jobs = jobs
        self.backends = backends
        self.batch = batch
        self.concurrency = concurrency
        self.batch_wait = batch_wait
        self.writers = writers
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._filers: list[threading.Thread] = []
        # What the stages hand each other. `_ready` guards the claimed and the written jobs, and wakes
        # writers (a job was queued, or a painter took some) and painters (a job was written).
        self._ready = threading.Condition()
        self._written: list[Written] = []
        self._claimed: list[Claimed] = []  # claimed, waiting for a writer, in claim order
        self._orders = itertools.count()
        self._claims = itertools.count()
        self._unwritten: Counter[int] = Counter()  # claim -> its jobs not yet written
        self._queued = True  # there may be queued jobs: writers look before sleeping
        self._painted: queue.Queue = queue.Queue(maxsize=PAINTED_AHEAD * concurrency)
        self._gpus = threading.Semaphore(concurrency)  # held by each pipeline call while it runs
        self._unpainted = 0  # batches taken whose first pipeline call has not ended: one per GPU at most

    # -- starting and stopping ------------------------------------------------------------------

    def start(self) -> None:
        self._stopping.clear()
        stages = [
            ("writer", self._writer_loop, self.writers),
            ("painter", self._painter_loop, PAINTERS_PER_GPU * self.concurrency),
        ]
        self._threads = [
            threading.Thread(target=loop, name=f"sightgag-{name}-{number}", daemon=True)
            for name, loop, count in stages
            for number in range(count)
        ]
        self._filers = [
            threading.Thread(target=self._filer_loop, name=f"sightgag-filer-{number}", daemon=True)
            for number in range(self.concurrency)
        ]
        for thread in [*self._threads, *self._filers]:
            thread.start()

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop after the batches being painted are filed; False if one is still running after `timeout` s.

        Jobs written but not yet painted, and any still running then, are queued again on the next
        start (see JobQueue.recover).
        """
        self._stopping.set()
        self.wake()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(deadline - time.monotonic(), 0))
        for _ in self._filers:
            self._painted.put(None)  # after every painted batch: filers file them all, then stop
        for thread in self._filers:
            thread.join(max(deadline - time.monotonic(), 0))
        return not any(thread.is_alive() for thread in [*self._threads, *self._filers])

    def wake(self) -> None:
        """A job was queued: writers look now rather than at the next poll."""
        with self._ready:
            self._queued = True
            self._ready.notify_all()

    # -- the stages' loops ----------------------------------------------------------------------

    def _writer_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                claimed = self._claim()
                if claimed is not None:
                    self._write_claimed(claimed)
                    continue
            except Exception:  # a bug in the loop itself must not silently end the worker
                log.exception("a writer failed between jobs")
            with self._ready:
                if not self._queued and not self._stopping.is_set():
                    self._ready.wait(IDLE_POLL_SECONDS)
                self._queued = True  # after a wake-up or a poll, look again

    def _claim(self) -> Claimed | None:
        """The next job to write: one claimed already, else the oldest queued job, claimed with its
        queued companions (those with its batch key, up to `batch` images) so that they are painted
        together; nothing while the painters are supplied for their next two calls."""
        with self._ready:
            if self._claimed:
                return self._claimed.pop(0)
            ahead = sum(written.images for written in self._written) + sum(self._unwritten.values())
            if ahead >= 2 * self.batch * self.concurrency:
                self._queued = False  # sleep until a painter takes some (it wakes the writers)
                return None
            claimed = self.jobs.claim(self.batch)
            if not claimed:
                self._queued = False  # sleep until a job is queued (submit wakes the writers)
                return None
            claim = next(self._claims)
            self._unwritten[claim] = len(claimed)
            self._claimed.extend(Claimed(job, next(self._orders), claim) for job in claimed)
            self._ready.notify_all()  # idle writers: write its companions at the same time
            return self._claimed.pop(0)

    def _write_claimed(self, claimed: Claimed) -> None:
        try:
            written = None if self._already_filed(claimed.job) else self._write(claimed.job)
            if written is not None:
                written.order, written.claim = claimed.order, claimed.claim
                with self._ready:
                    bisect.insort(self._written, written, key=lambda item: item.order)
        finally:
            with self._ready:
                self._unwritten[claimed.claim] -= 1
                if not self._unwritten[claimed.claim]:
                    del self._unwritten[claimed.claim]
                self._ready.notify_all()

    def _painter_loop(self) -> None:
        while not self._stopping.is_set():
            turn = None
            try:
                batch = self._take_batch()
                if batch:
                    turn = Turn(self._gpus, self._first_call_ended)
                    for painted in self._paint(batch, turn):
                        self._painted.put(painted)
            except Exception:
                log.exception("a painter failed between batches")
            finally:
                if turn is not None:
                    turn.first_call_ended()  # a batch that failed before any pipeline call frees its GPU too

    def _first_call_ended(self) -> None:
        with self._ready:
            self._unpainted -= 1
            self._ready.notify_all()  # a painter waiting for a free GPU takes its batch now

    def _take_batch(self) -> list[Written]:
        """The oldest written job and the written jobs with its key, up to `batch` images.

        A batch with room waits for company: for the jobs claimed with its own that are still being
        written, and until its oldest job has been queued `batch_wait` seconds (requests sent together
        reach the server a little apart).
        """
        with self._ready:
            while not self._stopping.is_set():
                if not self._written or self._unpainted >= self.concurrency:
                    self._ready.wait(IDLE_POLL_SECONDS)  # a write, or a batch's first call ending, wakes it
                    continue
                batch = self._gather()
                wait = 0.0
                if sum(written.images for written in batch) < self.batch and not batch[0].strip:
                    # Only its own claim's jobs are company for sure: another key's writing (a strip's
                    # several LLM calls) must not hold this batch back.
                    writing = any(self._unwritten[claim] for claim in {written.claim for written in batch})
                    wait = IDLE_POLL_SECONDS if writing else self.batch_wait - batch[0].waited()
                if wait > 0:
                    self._ready.wait(wait)  # a write that finishes wakes it sooner
                    continue
                for written in batch:
                    self._written.remove(written)
                self._unpainted += 1
                self._queued = True  # room ahead again: writers claim more
                self._ready.notify_all()
                return batch
        return []

    def _gather(self) -> list[Written]:
        first = self._written[0]
        batch, images = [first], first.images
        if first.strip:
            return batch
        for written in self._written[1:]:
            if written.key == first.key and images + written.images <= self.batch:
                batch.append(written)
                images += written.images
        return batch

    def _filer_loop(self) -> None:
        while True:
            painted = self._painted.get()
            if painted is None:
                return
            try:
                self._file(*painted)
            except Exception:
                log.exception("a filer failed between batches")

    # -- one job, one batch ---------------------------------------------------------------------

    def run(self, jobs: Sequence[Job]) -> None:
        """Write, paint, letter and file claimed jobs in this thread; compatible ones in one pipeline call."""
        written = [item for job in jobs if not self._already_filed(job) and (item := self._write(job)) is not None]
        while written:
            first = written[0]
            batch = [first] if first.strip else [item for item in written if item.key == first.key]
            written = [item for item in written if item not in batch]
            for painted in self._paint(batch):
                self._file(*painted)

    def _already_filed(self, job: Job) -> bool:
        """Finish a job whose gag is already in the gallery: the server stopped between filing it and
        marking the job done (or the batch failed just after). Running it again would file a second gag."""
        gag = self.backends.studio.gallery.filed_for_job(job.id)
        if gag is None:
            return False
        self.jobs.finish(job.id, gag.id)
        return True

    def _write(self, job: Job) -> Written | None:
        """The job's concepts (or strip) written; None when writing failed."""
        params = job.params

        def progress(stage: str, done: int, total: int) -> None:
            self.jobs.progress([job.id], stage, done, total)

        try:
            if params.panels:
                from sightgag.strip_studio import prepare_strip

                draft = prepare_strip(
                    self.backends.studio,
                    params.request,
                    subjects=params.subjects,
                    panels=params.panels,
                    layout=params.layout,
                    seed=params.seed,
                    size=params.dimensions(),
                    progress=progress,
                    writer=self.backends.writer(params.writer),
                    artist=self.backends.artist(params.artist),
                    editor=params.editor,
                    candidates=params.candidates,
                    retries=params.retries,
                )
            else:
                draft = self.backends.studio.prepare(
                    params.request,
                    subjects=params.subjects,
                    n=params.image_count(),
                    seed=params.seed,
                    size=params.dimensions(),
                    lettering=params.lettering,
                    concepts=params.concepts,
                    progress=progress,
                    writer=self.backends.writer(params.writer) if params.concepts is None else None,
                    artist=self.backends.artist(params.artist),
                    editor=params.editor,
                    candidates=params.candidates,
                    punch_up=params.punch_up,
                    retries=params.retries,
                )
        except Exception as error:
            self._fail([job], error)
            return None
        draft.job_id = job.id
        return Written(job, draft)

    def _artist(self, spec: str | None, turn: Turn | None) -> Artist:
        artist = self.backends.artist(spec)
        return artist if turn is None else TakingTurns(artist, turn)

    def _paint(self, batch: list[Written], turn: Turn | None = None) -> list[tuple[list[Job], Painted]]:
        """Paint a batch in one call; what filers get: the jobs and their painted drafts, in calls."""
        if batch[0].strip:
            self._strip(batch[0], turn)
            return []
        jobs = [written.job for written in batch]
        drafts = [written.draft for written in batch]
        if len(jobs) > 1:
            log.info("painting %d jobs in one call: %s", len(jobs), ", ".join(job.id for job in jobs))
        try:
            # Every job of a batch has the same artist (see Written.key).
            artist = self._artist(jobs[0].params.artist, turn)
            painted = self.backends.studio.paint(drafts, artist=artist, progress=PaintingProgress(self.jobs, jobs))
        except Exception as error:
            if len(batch) == 1:
                self._fail(jobs, error)
                return []
            # One job must not fail its neighbours (a batch too big for the GPU, a concept the artist
            # refuses): paint them one by one, so only the job at fault fails.
            log.warning("a batch failed (%s): painting its %d jobs one by one", error_line(error), len(batch))
            return [painted for written in batch for painted in self._paint([written], turn)]
        return [(jobs, painted)]

    def _file(self, jobs: list[Job], painted: Painted) -> None:
        """Letter and file each gag of a painted batch, each job done (or failed) as soon as its gag is."""
        for index, job in enumerate(jobs):
            try:
                gag = self.backends.studio.file(
                    painted,
                    index,
                    progress=lambda stage, done, total, job=job: self.jobs.progress([job.id], stage, done, total),
                )
            except Exception as error:
                if not self._already_filed(job):
                    self._fail([job], error)
                continue
            self.jobs.finish(job.id, gag.id)

    def _strip(self, written: Written, turn: Turn | None = None) -> None:
        """Paint, letter and file one written comic strip (its panels painted in one call of their own)."""
        from sightgag.strip_studio import finish_strip

        job = written.job
        try:
            gag, _ = finish_strip(
                self.backends.studio,
                written.draft,
                artist=self._artist(job.params.artist, turn),
                progress=lambda stage, done, total: self.jobs.progress([job.id], stage, done, total),
            )
        except Exception as error:
            if not self._already_filed(job):
                self._fail([job], error)
            return
        self.jobs.finish(job.id, gag.id)

    def _fail(self, jobs: Sequence[Job], error: Exception) -> None:
        line = error_line(error)  # logs the traceback of an unexpected error
        log.info("job %s failed: %s", ", ".join(job.id for job in jobs), line)
        self.jobs.fail([job.id for job in jobs], line)


class Turn:
    """A batch's way to the GPUs. Every pipeline call it makes, repaints too, holds a GPU while it runs.
    Until its first call has ended, no other batch is taken for that GPU (`Worker._take_batch`): the next
    batch is gathered as the GPU comes free, with whatever was written while this one painted."""

    def __init__(self, gpus: threading.Semaphore, on_first_call_ended: Callable[[], None]):
        self.gpus = gpus
        self.on_first_call_ended = on_first_call_ended
        self.first = True

    def first_call_ended(self) -> None:
        if self.first:
            self.first = False
            self.on_first_call_ended()

    @contextmanager
    def painting(self) -> Iterator[None]:
        with self.gpus:
            try:
                yield
            finally:
                self.first_call_ended()


class TakingTurns:
    """An artist whose pipeline calls take turns at the GPUs (`Turn`); otherwise the artist it wraps."""

    def __init__(self, artist: Artist, turn: Turn):
        self.artist = artist
        self.turn = turn
        self.spec = artist.spec

    def paint(self, *args, **kwargs) -> Painting:
        with self.turn.painting():
            return self.artist.paint(*args, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self.artist, name)  # check(), takes_reference_image and the rest, as they are


class PaintingProgress:
    """Painting progress for every job of a batch: painting is shared, so every job hears it, at its
    first and last step and every PROGRESS_INTERVAL_SECONDS between."""

    def __init__(self, jobs: JobQueue, batch: Sequence[Job]):
        self.jobs = jobs
        self.job_ids = [job.id for job in batch]
        self._last_report = float("-inf")

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if done in (1, total) or now - self._last_report >= PROGRESS_INTERVAL_SECONDS:
            self._last_report = now
            self.jobs.progress(self.job_ids, stage, done, total)
