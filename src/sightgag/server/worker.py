"""The worker: runs queued jobs, painting compatible ones together in one pipeline call.

Each worker thread loops: claim a batch (the oldest queued job and the queued jobs with the same
artist and size, up to `batch` images), write each job's concepts (the writer runs per job), then
paint every written job in one `Studio.finish` call, which letters and files each gag. A job whose
writing fails fails alone; when a batch fails, its unfinished jobs are painted again one by one, so
that only the job at fault fails.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Sequence

from sightgag.errors import SightgagError
from sightgag.server.backends import Backends
from sightgag.server.jobs import Job, JobQueue
from sightgag.studio import Draft

log = logging.getLogger("sightgag.server")

IDLE_POLL_SECONDS = 1.0
# Painting progress reaches the queue (and every listener) at most this often, besides its first and
# last step: ten updates a second draw a smooth bar, and a tiny model's steps come every few
# milliseconds, where a database write and a wake-up of the event loop at each one slowed painting
# itself by a third.
PROGRESS_INTERVAL_SECONDS = 0.1


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


class Worker:
    def __init__(
        self,
        jobs: JobQueue,
        backends: Backends,
        *,
        batch: int = 8,
        concurrency: int = 1,
        batch_wait: float = 0.0,
    ):
        self.jobs = jobs
        self.backends = backends
        self.batch = batch
        self.concurrency = concurrency
        self.batch_wait = batch_wait
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self._stopping.clear()
        self._threads = [
            threading.Thread(target=self._loop, name=f"sightgag-worker-{number}", daemon=True)
            for number in range(self.concurrency)
        ]
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop after the batches being painted; False if one is still painting after `timeout` seconds.

        A job still running then is queued again on the next start (see JobQueue.recover).
        """
        self._stopping.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)
        return not any(thread.is_alive() for thread in self._threads)

    def wake(self) -> None:
        """A job was queued: look now rather than at the next poll."""
        self._wake.set()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                batch = self._next_batch()
                if batch:
                    self.run(batch)
                    continue
            except Exception:  # a bug in the loop itself must not silently end the worker
                log.exception("the worker failed between jobs")
            self._wake.wait(IDLE_POLL_SECONDS)
            self._wake.clear()

    def _next_batch(self) -> list[Job]:
        age = self.jobs.oldest_queued_age()
        if age is None:
            return []
        if age < self.batch_wait:
            # Give jobs submitted a moment apart the chance to share a pipeline call.
            self._stopping.wait(self.batch_wait - age)
            if self._stopping.is_set():
                return []
        return self.jobs.claim(self.batch)

    # -- one batch ------------------------------------------------------------------------------

    def run(self, jobs: Sequence[Job]) -> None:
        """Write each job's concepts, then paint all the written ones in one artist call."""
        drafts: list[Draft] = []
        written: list[Job] = []
        for job in jobs:
            if self._already_filed(job):
                continue
            if job.params.panels:
                self._strip(job)
                continue
            try:
                drafts.append(self._prepare(job))
                written.append(job)
            except Exception as error:
                self._fail([job], error)
        if drafts:
            self._paint(written, drafts)

    def _already_filed(self, job: Job) -> bool:
        """Finish a job whose gag is already in the gallery: the server stopped between filing it and
        marking the job done (or the batch failed just after). Running it again would file a second gag."""
        gag = self.backends.studio.gallery.filed_for_job(job.id)
        if gag is None:
            return False
        self.jobs.finish(job.id, gag.id)
        return True

    def _prepare(self, job: Job) -> Draft:
        params = job.params
        draft = self.backends.studio.prepare(
            params.request,
            subjects=params.subjects,
            n=params.image_count(),
            seed=params.seed,
            size=params.dimensions(),
            lettering=params.lettering,
            concepts=params.concepts,
            progress=lambda stage, done, total: self.jobs.progress([job.id], stage, done, total),
            writer=self.backends.writer(params.writer) if params.concepts is None else None,
            artist=self.backends.artist(params.artist),
            editor=params.editor,
            candidates=params.candidates,
            punch_up=params.punch_up,
            retries=params.retries,
        )
        draft.job_id = job.id
        return draft

    def _strip(self, job: Job) -> None:
        """Write, paint, letter and file one comic strip (its panels painted in one call of their own)."""
        from sightgag.strip_studio import make_strip

        params = job.params
        try:
            gag, _ = make_strip(
                self.backends.studio,
                params.request,
                subjects=params.subjects,
                panels=params.panels,
                layout=params.layout,
                seed=params.seed,
                size=params.dimensions(),
                progress=lambda stage, done, total: self.jobs.progress([job.id], stage, done, total),
                writer=self.backends.writer(params.writer),
                artist=self.backends.artist(params.artist),
                job_id=job.id,
                editor=params.editor,
                candidates=params.candidates,
                retries=params.retries,
            )
        except Exception as error:
            if not self._already_filed(job):
                self._fail([job], error)
            return
        self.jobs.finish(job.id, gag.id)

    def _paint(self, jobs: list[Job], drafts: list[Draft]) -> None:
        # Every job of a batch has the same artist (see batch_key); the studio only lends its gallery and letterer.
        artist = self.backends.artist(jobs[0].params.artist)
        progress = BatchProgress(self.jobs, jobs, drafts)
        if len(jobs) > 1:
            log.info("painting %d jobs in one call: %s", len(jobs), ", ".join(job.id for job in jobs))
        try:
            gags = self.backends.studio.finish(drafts, artist=artist, progress=progress)
        except Exception as error:
            unfinished = progress.unfinished()  # those already filed stay done
            if len(unfinished) > 1:
                # One job must not fail its neighbours (a caption with no room, a batch too big for
                # the GPU): paint the rest one by one, so only the job at fault fails.
                log.warning(
                    "a batch failed (%s): painting its %d unfinished jobs one by one",
                    error_line(error),
                    len(unfinished),
                )
                for job, draft in unfinished:
                    if not self._already_filed(job):
                        self._paint([job], [draft])
            else:
                self._fail([job for job, _ in unfinished if not self._already_filed(job)], error)
            return
        for job, gag in zip(jobs, gags):
            self.jobs.finish(job.id, gag.id)

    def _fail(self, jobs: Sequence[Job], error: Exception) -> None:
        line = error_line(error)  # logs the traceback of an unexpected error
        log.info("job %s failed: %s", ", ".join(job.id for job in jobs), line)
        self.jobs.fail([job.id for job in jobs], line)


class BatchProgress:
    """Routes `Studio.finish` progress for a batch to its jobs.

    Painting is shared, so every job hears it, at its first and last step and every
    PROGRESS_INTERVAL_SECONDS between. Lettering and filing happen gag by gag, in the order of the
    drafts, so they go to the job being lettered; once its gag is filed it is done.
    """

    def __init__(self, jobs: JobQueue, batch: Sequence[Job], drafts: Sequence[Draft]):
        self.jobs = jobs
        self.batch = list(batch)
        self.drafts = list(drafts)
        self.current = 0
        self._last_painting_report = float("-inf")

    def unfinished(self) -> list[tuple[Job, Draft]]:
        return list(zip(self.batch, self.drafts))[self.current :]

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage == "painting":
            now = time.monotonic()
            if done in (1, total) or now - self._last_painting_report >= PROGRESS_INTERVAL_SECONDS:
                self._last_painting_report = now
                self.jobs.progress([job.id for job in self.batch], stage, done, total)
            return
        job = self.batch[self.current]
        self.jobs.progress([job.id], stage, done, total)
        if stage == "filing" and done == total:
            self.jobs.finish(job.id, self.drafts[self.current].gag.id)
            self.current += 1
