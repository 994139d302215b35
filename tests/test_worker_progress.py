"""How painting progress reaches the job queue: enough for a smooth bar, never a write per fast step."""

from __future__ import annotations

import time

from sightgag.server.worker import PROGRESS_INTERVAL_SECONDS, PaintingProgress


class RecordingQueue:
    """Stands in for the JobQueue: keeps what the worker reports."""

    def __init__(self):
        self.reports: list[tuple[list[str], str, int, int]] = []

    def progress(self, job_ids, stage, done, total):
        self.reports.append((list(job_ids), stage, done, total))


class Job:
    def __init__(self, job_id: str):
        self.id = job_id


def test_fast_steps_report_the_first_and_the_last_to_every_job_of_the_batch():
    queue = RecordingQueue()
    progress = PaintingProgress(queue, [Job("a"), Job("b")])

    for step in range(1, 29):  # a tiny model's 28 steps, in well under PROGRESS_INTERVAL_SECONDS
        progress("painting", step, 28)

    assert [(ids, done) for ids, _, done, _ in queue.reports] == [(["a", "b"], 1), (["a", "b"], 28)]


def test_slow_steps_are_each_reported():
    queue = RecordingQueue()
    progress = PaintingProgress(queue, [Job("a")])

    for step in range(1, 5):
        progress("painting", step, 4)
        time.sleep(PROGRESS_INTERVAL_SECONDS)

    assert [done for _, _, done, _ in queue.reports] == [1, 2, 3, 4]
