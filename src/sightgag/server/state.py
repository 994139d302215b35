"""What every route shares: one studio, its backends, the job queue and the worker."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from sightgag.artist.base import check_artist
from sightgag.server.backends import Backends
from sightgag.server.events import JobEvents
from sightgag.server.jobs import Job, JobQueue, JobRequest, Repeat
from sightgag.server.settings import ServerSettings
from sightgag.server.worker import Worker, batch_key
from sightgag.settings import Settings
from sightgag.strip_studio import DEFAULT_PANEL_SIZE
from sightgag.studio import DEFAULT_SIZE, Studio
from sightgag.writer.request import clean_request


@dataclass
class ServerState:
    settings: ServerSettings
    studio: Studio
    backends: Backends
    jobs: JobQueue
    events: JobEvents
    worker: Worker

    @classmethod
    def build(cls, settings: ServerSettings, studio_settings: Settings | None = None) -> ServerState:
        studio = Studio(settings=studio_settings or Settings())
        backends = Backends(studio)
        events = JobEvents()
        jobs = JobQueue(studio.gallery.database, on_change=events.publish)
        worker = Worker(
            jobs,
            backends,
            batch=settings.server_batch,
            concurrency=settings.server_concurrency,
            batch_wait=settings.server_batch_wait,
            writers=settings.server_writers,
        )
        return cls(settings, studio, backends, jobs, events, worker)

    def submit(self, params: JobRequest, repeat: Repeat = Repeat()) -> Job:
        """Check a job's request now, so that what can be refused is refused here (a 4xx no client
        retries), not by a failed job; queue it, or return the job a repeat of it already made."""
        request = clean_request(params.request)
        writer = self.backends.writer_spec(params.writer)
        artist = self.backends.artist_spec(params.artist)
        size = params.dimensions() or (DEFAULT_PANEL_SIZE if params.panels else DEFAULT_SIZE)
        for name in params.subjects:
            self.studio.subjects.get(name)
        # Built now, once: a missing key, an unknown model or a size the artist cannot paint answers
        # this request instead of failing the job.
        self.backends.writer(writer)
        check_artist(self.backends.artist(artist), *size)
        resolved = params.model_copy(
            update={"request": request, "writer": writer, "artist": artist, "size": f"{size[0]}x{size[1]}"}
        )
        cast = [*params.subjects, *(subject.name for subject in self.studio.subjects.named_in(request))]
        # A strip is painted alone (its panels are its batch): never in a gag's call.
        key = batch_key(artist, size, cast, params.retries) + ("|strip" if params.panels else "")
        job = self.jobs.submit(resolved, key, repeat)
        self.worker.wake()
        return job

    async def wait(self, job_id: str, timeout: float) -> Job:
        """The job once it is done or failed; HTTP 504 after `timeout` seconds."""
        with self.events.listen(job_id) as changes:
            job = self.jobs.get(job_id)
            try:
                async with asyncio.timeout(timeout):
                    while not job.finished:
                        job = await changes.get()
            except TimeoutError:
                raise HTTPException(
                    504, f"job {job_id} is still {job.status} after {timeout:.0f} s: follow it at /api/jobs/{job_id}"
                ) from None
        return job


def server_state(request: Request) -> ServerState:
    return request.app.state.server


Server = Annotated[ServerState, Depends(server_state)]
