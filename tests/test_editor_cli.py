"""The editor as users meet it: `sightgag make` and `gallery show` in a real process, and a server job."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from server_fixture import running_server
from test_cli import gag_rows, sightgag

pytestmark = pytest.mark.slow

MITTENS = "my cat Mittens as a superhero fighting a giant ball of yarn"
BLOCKED = "blocked every picture of this gag"


def test_make_takes_the_editors_options_and_gallery_show_prints_the_ranking(tmp_path):
    made = sightgag(
        "make", MITTENS, "--writer", "offline", "--artist", "sketch", "--size", "256x256", "--seed", "2",
        "--n", "2", "--candidates", "5", "--editor", "offline", "--retries", "1", "--json", home=tmp_path,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    gag = json.loads(made.stdout)
    assert gag["editor"]["candidates"] == 5 and len(gag["editor"]["ranking"]) == 5
    assert gag["timings"]["editor"] >= 0

    shown = sightgag("gallery", "show", gag["id"], home=tmp_path)
    assert shown.returncode == 0, shown.stderr
    kept = [line for line in shown.stdout.splitlines() if line.strip().startswith("kept")]
    assert len(kept) == 2 and all(j["caption"] in shown.stdout for j in gag["editor"]["ranking"])
    assert "safety: open_nsfw" in shown.stdout


@pytest.mark.parametrize(
    "options, message",
    [
        (["--candidates", "1", "--n", "2"], "--candidates must be between"),
        (["--retries", "9"], "--retries must be between"),
    ],
)
def test_bad_editor_options_are_one_line_and_exit_2(tmp_path, options, message):
    made = sightgag("make", MITTENS, "--writer", "offline", "--artist", "sketch", *options, home=tmp_path)
    assert made.returncode == 2 and message in made.stderr and len(made.stderr.strip().splitlines()) == 1


def test_a_blocked_gag_is_one_line_exit_1_and_nothing_is_written(tmp_path):
    # A threshold of 0 makes the real detector flag every picture.
    made = sightgag(
        "make", MITTENS, "--writer", "offline", "--artist", "sketch", "--size", "256x256", "--retries", "0",
        home=tmp_path, SIGHTGAG_SAFETY_THRESHOLD="0",
    )  # fmt: skip
    assert made.returncode == 1
    assert made.stderr.count("\n") == 1 and made.stderr.startswith("error: ") and BLOCKED in made.stderr
    assert gag_rows(tmp_path) == 0
    assert not any(path.suffix == ".png" for path in tmp_path.rglob("*"))


def test_the_servers_job_fails_with_that_line(tmp_path):
    env = {
        "SIGHTGAG_WRITER": "offline",
        "SIGHTGAG_ARTIST": "sketch",
        "SIGHTGAG_SAFETY_THRESHOLD": "0",
        "SIGHTGAG_RETRIES": "0",
    }
    with running_server(tmp_path / "home", env) as base_url, httpx.Client(base_url=base_url, timeout=60) as client:
        posted = client.post(
            "/api/jobs", json={"request": MITTENS, "size": "256x256", "editor": "offline", "candidates": 3}
        )
        assert posted.status_code == 202, posted.text
        deadline = time.monotonic() + 90
        while (job := client.get(f"/api/jobs/{posted.json()['id']}").json())["status"] not in ("done", "failed"):
            assert time.monotonic() < deadline, job
            time.sleep(0.1)
    assert job["status"] == "failed" and job["gag_id"] is None
    assert BLOCKED in job["error"] and "\n" not in job["error"] and job["error"].endswith("rephrase the request")
    assert not any(path.suffix == ".png" for path in (tmp_path / "home").rglob("*"))
