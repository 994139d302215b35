"""Live job changes, from the worker threads that make them to the async routes that stream them."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sightgag.server.jobs import Job


class JobEvents:
    """Hands every change of a job to whoever listens to that job (an SSE stream, a waiting route).

    `publish` may be called from any thread; each listener receives the changes in order on its own
    event loop.
    """

    def __init__(self) -> None:
        self._listeners: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[Job]]]] = {}
        self._lock = threading.Lock()

    def publish(self, job: Job) -> None:
        with self._lock:
            listeners = list(self._listeners.get(job.id, ()))
        for loop, inbox in listeners:
            try:
                loop.call_soon_threadsafe(inbox.put_nowait, job)
            except RuntimeError:  # the listener's loop has closed: the server is stopping
                pass

    @contextmanager
    def listen(self, job_id: str) -> Iterator[asyncio.Queue[Job]]:
        """A queue of the job's changes from now on; call it from inside the event loop."""
        listener = (asyncio.get_running_loop(), asyncio.Queue())
        with self._lock:
            self._listeners.setdefault(job_id, set()).add(listener)
        try:
            yield listener[1]
        finally:
            with self._lock:
                listeners = self._listeners.get(job_id, set())
                listeners.discard(listener)
                if not listeners:
                    self._listeners.pop(job_id, None)
