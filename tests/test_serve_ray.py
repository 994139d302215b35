"""`sightgag serve --ray`: the studio server on Ray Serve, on a local Ray with two CPUs.

The server's API tests that exercise jobs, batching, errors and the key rules run again here, against
the same app deployed as a Ray Serve ingress with the tiny Flux pipeline on painter replicas; then what
only Ray adds: calls gathered by one painter, and a painter killed mid-job.
"""

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from server_fixture import running_server
from test_server import (  # noqa: F401  (collected here again, against this module's `server`)
    SIZE,
    client,
    studio_env,
    test_a_job_is_queued_then_run_and_its_gag_served_as_png,
    test_a_job_that_fails_is_marked_failed_with_its_error_and_spares_its_batch,
    test_bad_json_is_answered_422_with_a_clear_message,
    test_compatible_jobs_are_painted_in_one_pipeline_call,
    test_pages_elsewhere_cannot_use_a_server_without_a_key,
    test_progress_streams_as_server_sent_events,
    test_requests_the_studio_refuses_are_answered_400_in_one_line,
    wait_for_job,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(local_ray, tiny_flux_dir, tmp_path_factory) -> str:
    env = studio_env(tiny_flux_dir, SIGHTGAG_SERVER_BATCH_WAIT="1.0")
    args = ["--address", local_ray, "--min-painters", "1", "--max-painters", "1"]
    with running_server(tmp_path_factory.mktemp("ray-home"), env, args=args, start_timeout=240) as base_url:
        # One gag first: the writer and the painter's pipeline load, so that each test sees the server as a
        # user does after the first gag (a cold writer takes longer than the batch wait to write a job).
        with httpx.Client(base_url=base_url, timeout=120) as client:
            job = client.post("/api/jobs", json={"request": "my cat as a weather forecaster", "size": SIZE}).json()
            assert wait_for_job(client, job["id"], timeout=120)["status"] == "done"
        yield base_url


def test_two_compatible_jobs_are_painted_in_one_call_by_one_painter(client):
    first, second = (
        client.post("/api/jobs", json={"request": text, "size": SIZE}).json()
        for text in ("my cat as a lighthouse keeper", "my dog as a tax inspector")
    )
    jobs = [wait_for_job(client, job["id"]) for job in (first, second)]

    assert [job["status"] for job in jobs] == ["done", "done"]
    details = [client.get(f"/api/gallery/{job['gag_id']}").json()["artist_details"] for job in jobs]
    assert details[0]["batch"] == details[1]["batch"] == [job["gag_id"] for job in jobs]
    assert details[0]["painter"] == details[1]["painter"]  # one replica's process painted both
    assert details[0]["attempts"] == 1


def test_eight_requests_waiting_at_once_all_reach_the_studio_and_are_painted_together(server, client):
    # Each answer of the OpenAI-compatible endpoint waits for its gag, so the eight are held open at once:
    # Serve's default lets 5 requests into a replica, which would paint them as 5, then 3.
    requests = [f"my cat as a lighthouse keeper, take {take}" for take in range(8)]

    def generate(text: str) -> None:
        with httpx.Client(base_url=server, timeout=120) as own_client:
            body = {"prompt": text, "size": SIZE, "response_format": "url"}
            own_client.post("/v1/images/generations", json=body).raise_for_status()

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        list(pool.map(generate, requests))

    gags = client.get("/api/gallery", params={"limit": len(requests)}).json()
    assert sorted(gag["request"] for gag in gags) == sorted(requests)
    batches = {frozenset(client.get(f"/api/gallery/{gag['id']}").json()["artist_details"]["batch"]) for gag in gags}
    assert batches == {frozenset(gag["id"] for gag in gags)}  # all eight in one pipeline call


def test_a_painter_killed_mid_job_is_replaced_and_the_job_completes_once(local_ray, client):
    import ray

    gags_before = len(client.get("/api/gallery", params={"limit": 100}).json())
    # Two 1024² pictures: a few seconds of painting even for a painter that has its pipeline loaded.
    request = {"request": "my cat as a night-shift astronaut", "size": "1024x1024", "n": 2}
    job = client.post("/api/jobs", json=request).json()
    deadline = time.monotonic() + 60
    while client.get(f"/api/jobs/{job['id']}").json()["stage"] != "painting":
        assert time.monotonic() < deadline, "the job never reached a painter"
        time.sleep(0.02)
    painters = [
        actor
        for actor in ray.util.list_named_actors(all_namespaces=True)
        if actor["namespace"] == "serve" and "#painter#" in actor["name"]
    ]
    assert painters
    for actor in painters:
        ray.kill(ray.get_actor(actor["name"], namespace="serve"), no_restart=True)

    finished = wait_for_job(client, job["id"], timeout=180)

    assert finished["status"] == "done", finished["error"]
    gag = client.get(f"/api/gallery/{finished['gag_id']}").json()
    assert gag["artist_details"]["attempts"] == 2  # the call that died, then one on the new replica
    assert len(client.get("/api/gallery", params={"limit": 100}).json()) == gags_before + 1  # filed once


def test_painter_bounds_are_checked_in_one_line_before_ray_starts(tmp_path):
    import os
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "sightgag.cli", "serve", "--ray", "--min-painters", "3", "--max-painters", "1"],
        capture_output=True,
        text=True,
        env={**os.environ, "SIGHTGAG_HOME": str(tmp_path)},
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == "error: --min-painters 3 and --max-painters 1: need 1 <= min <= max"
