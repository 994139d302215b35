"""The server's worker runs writing, painting and filing in threads of their own.

The painter must never wait for a writer's LLM call or for the last batch's lettering and filing: on a
GPU that wait is idle time. These tests slow one stage down on purpose and watch the others go on.
"""

from __future__ import annotations

import threading
import time

import pytest

from sightgag.editor.paintings import Checks
from sightgag.editor.record import VisionVerdict
from sightgag.editor.safety import NoSafetyCheck
from sightgag.server.jobs import JobRequest
from sightgag.server.settings import ServerSettings
from sightgag.server.state import ServerState
from sightgag.settings import Settings

REQUESTS = [
    "my cat as a lifeguard",
    "my dog as a pastry chef",
    "grandpa losing a staring contest to a pigeon",
    "a goldfish running for mayor",
]


class Stopwatch:
    """Wraps a studio method: each call takes at least `seconds`, and when each ran is kept."""

    def __init__(self, method, seconds: float):
        self.method = method
        self.seconds = seconds
        self.spans: list[tuple[float, float]] = []
        self._lock = threading.Lock()

    def __call__(self, *args, **kwargs):
        started = time.monotonic()
        try:
            return self.method(*args, **kwargs)
        finally:
            time.sleep(max(self.seconds - (time.monotonic() - started), 0))
            with self._lock:
                self.spans.append((started, time.monotonic()))

    def most_at_once(self) -> int:
        return max(sum(1 for start, end in self.spans if start <= moment < end) for moment, _ in self.spans)


def overlap(first: list[tuple[float, float]], second: list[tuple[float, float]]) -> bool:
    return any(start < other_end and other_start < end for start, end in first for other_start, other_end in second)


@pytest.fixture
def state(tmp_path):
    def build(**server) -> ServerState:
        settings = Settings(home=tmp_path, writer="offline", artist="sketch", editor="offline")
        return ServerState.build(ServerSettings(**server), settings)

    return build


def run_jobs(state: ServerState, requests: list[str]) -> list:
    """Queue the requests before the worker starts, then let it run them all."""
    jobs = [state.submit(JobRequest(request=text, size="256x256", seed=7)) for text in requests]
    state.worker.start()
    try:
        deadline = time.monotonic() + 120
        while not all(state.jobs.get(job.id).finished for job in jobs):
            assert time.monotonic() < deadline, "the jobs did not finish"
            time.sleep(0.05)
    finally:
        assert state.worker.stop(timeout=30)
    return [state.jobs.get(job.id) for job in jobs]


def test_the_painter_paints_the_next_job_while_the_last_one_is_lettered_and_filed(state, monkeypatch):
    server = state(server_batch=1)
    painting = Stopwatch(server.studio.paint, 0.3)
    filing = Stopwatch(server.studio.file, 0.6)
    monkeypatch.setattr(server.studio, "paint", painting)
    monkeypatch.setattr(server.studio, "file", filing)

    jobs = run_jobs(server, REQUESTS[:3])

    assert [job.status for job in jobs] == ["done"] * 3
    assert len(painting.spans) == 3 and overlap(painting.spans, filing.spans)


class SlowLook:
    """A vision judge that takes its time, as a vision model over the network does; when it looked is kept."""

    name = "slow vision"

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.spans: list[tuple[float, float]] = []

    def judge(self, image, concept, reference=None) -> VisionVerdict:
        started = time.monotonic()
        time.sleep(self.seconds)
        self.spans.append((started, time.monotonic()))
        return VisionVerdict(passed=True, model=self.name)


def test_the_next_batch_paints_while_the_last_ones_pictures_are_checked(state, monkeypatch):
    server = state(server_batch=1)
    looking = SlowLook(0.4)
    checks = Checks(safety=NoSafetyCheck(), retries=0, vision=looking)
    monkeypatch.setattr(server.studio, "checks_for", lambda editor=None, retries=None, replay=(): checks)
    artist = server.backends.artist(server.backends.default_artist)
    painting = Stopwatch(artist.paint, 0.3)  # a GPU's pipeline call
    monkeypatch.setattr(artist, "paint", painting)

    jobs = run_jobs(server, REQUESTS[:3])

    assert [job.status for job in jobs] == ["done"] * 3
    assert len(painting.spans) == 3 and painting.most_at_once() == 1  # one GPU: one pipeline call at a time
    assert overlap(painting.spans, looking.spans)  # the GPU did not wait for the looking


def test_several_jobs_are_written_at_once_and_then_painted_in_one_call(state, monkeypatch):
    server = state(server_writers=4, server_batch=4)
    writing = Stopwatch(server.studio.prepare, 0.5)  # an LLM call's worth of waiting
    painting = Stopwatch(server.studio.paint, 0.0)
    monkeypatch.setattr(server.studio, "prepare", writing)
    monkeypatch.setattr(server.studio, "paint", painting)

    jobs = run_jobs(server, REQUESTS)

    assert [job.status for job in jobs] == ["done"] * 4
    assert writing.most_at_once() >= 2
    # The four were queued together: the painter waited for all of them to be written.
    assert len(painting.spans) == 1
    gags = [server.studio.gallery.get(job.gag_id) for job in jobs]
    assert sorted(gags[0].artist_details["batch"]) == sorted(gag.id for gag in gags)


def test_a_gag_that_cannot_be_filed_fails_its_job_alone(state, monkeypatch):
    server = state(server_batch=4)
    file = server.studio.file

    def refuse_the_second(painted, index, **kwargs):
        if painted.drafts[index].gag.request == REQUESTS[1]:
            raise OSError("disk full")
        return file(painted, index, **kwargs)

    monkeypatch.setattr(server.studio, "file", refuse_the_second)

    jobs = run_jobs(server, REQUESTS[:3])

    assert [job.status for job in jobs] == ["done", "failed", "done"]
    assert "internal error" in jobs[1].error
    assert len(server.studio.gallery.list()) == 2


def test_a_strip_being_written_does_not_hold_back_a_gag_queued_after_it(state, monkeypatch):
    from sightgag import strip_studio

    server = state(server_batch=4)
    prepare_strip = strip_studio.prepare_strip
    writing = Stopwatch(prepare_strip, 3.0)  # a strip's several LLM calls
    monkeypatch.setattr(strip_studio, "prepare_strip", writing)
    painting = Stopwatch(server.studio.paint, 0.0)
    monkeypatch.setattr(server.studio, "paint", painting)

    strip = server.submit(JobRequest(request="a tiny hamster guarding a bank vault", panels=3, size="256x256", seed=2))
    gag = server.submit(JobRequest(request=REQUESTS[0], size="256x256", seed=7))
    server.worker.start()
    try:
        deadline = time.monotonic() + 120
        while not server.jobs.get(strip.id).finished:
            assert time.monotonic() < deadline, "the strip did not finish"
            time.sleep(0.05)
    finally:
        assert server.worker.stop(timeout=30)

    assert server.jobs.get(strip.id).status == server.jobs.get(gag.id).status == "done"
    # The strip was written in a writer's thread, and the gag painted while it was.
    (strip_written,) = writing.spans
    (gag_painted,) = painting.spans
    assert gag_painted[1] < strip_written[1]
