"""`sightgag batch`: a JSON Lines file of requests made into gags, here and on a local Ray, and resumed.

The Ray tests share one Ray instance on this machine (two CPUs, as CI has), started once for the module
and shut down after it, with the tiny Flux pipeline as the painters' model and the offline writer.
"""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from sightgag.batch import BatchDefaults, BatchRun
from sightgag.settings import Settings
from sightgag.studio import Studio

SIGHTGAG = str(Path(sys.executable).parent / "sightgag")


def write_requests(path: Path, count: int, *, bad: dict[int, str] | None = None) -> Path:
    """`count` lines of requests; the line numbers in `bad` (from 1) hold the text given instead."""
    lines = [
        json.dumps({"request": f"my cat Mittens as a superhero, take {number}", "seed": number})
        for number in range(1, count + 1)
    ]
    for number, text in (bad or {}).items():
        lines[number - 1] = text
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def results(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]


def gags_filed(home: Path) -> int:
    with sqlite3.connect(home / "sightgag.db") as db:
        return db.execute("SELECT COUNT(*) FROM gags").fetchone()[0]


def studio(tiny_flux_dir, home: Path) -> Studio:
    return Studio(writer="offline", artist=f"flux:{tiny_flux_dir}", settings=Settings(home=home))


SMALL = BatchDefaults(size=(64, 64))


def test_each_line_gets_one_result_a_bad_line_is_reported_and_a_rerun_skips_what_is_done(tiny_flux_dir, tmp_path):
    requests = write_requests(
        tmp_path / "cards.jsonl",
        5,
        bad={2: "{not json", 4: json.dumps({"request": "a dog", "size": "5x5"})},
    )
    first = BatchRun(requests, tmp_path / "out", studio(tiny_flux_dir, tmp_path / "home"), SMALL)
    first.run()

    made = results(tmp_path / "out")
    assert [record["line"] for record in made] == [1, 2, 3, 4, 5]
    assert made[1]["error"] == "not a JSON object: write one per line"
    assert "5x5" in made[3]["error"] and made[3]["images"] == []
    for record in (made[0], made[2], made[4]):
        assert record["error"] is None and record["caption"]
        assert all(Path(image).is_file() and Path(image).parent == tmp_path / "out" for image in record["images"])
    assert gags_filed(tmp_path / "home") == 3

    # A line added at the end is the only new work; --retry-failed makes the failed lines again.
    with requests.open("a", encoding="utf-8") as more:
        more.write(json.dumps({"request": "a dog who files taxes", "n": 2}) + "\n")
    again = BatchRun(requests, tmp_path / "out", studio(tiny_flux_dir, tmp_path / "home"), SMALL)
    assert [entry.number for entry in again.todo] == [6]
    again.run()
    assert len(results(tmp_path / "out")[-1]["images"]) == 2
    retry = BatchRun(requests, tmp_path / "out", studio(tiny_flux_dir, tmp_path / "home"), SMALL, retry_failed=True)
    assert [entry.number for entry in retry.todo] == [2, 4]


def test_a_gag_filed_before_its_result_line_was_written_is_not_made_again(tiny_flux_dir, tmp_path):
    requests = write_requests(tmp_path / "cards.jsonl", 2)
    run = BatchRun(requests, tmp_path / "out", studio(tiny_flux_dir, tmp_path / "home"), SMALL)
    run.run()
    filed = [record["id"] for record in results(tmp_path / "out")]
    (tmp_path / "out" / "results.jsonl").write_text("")  # as if killed after filing, before writing

    BatchRun(requests, tmp_path / "out", studio(tiny_flux_dir, tmp_path / "home"), SMALL).run()
    assert [record["id"] for record in results(tmp_path / "out")] == filed
    assert gags_filed(tmp_path / "home") == 2


def test_ray_not_installed_is_one_line_and_exit_2(tmp_path):
    # A `ray` package that cannot be imported, first on the path: what a machine without the extra sees.
    (tmp_path / "shadow" / "ray").mkdir(parents=True)
    (tmp_path / "shadow" / "ray" / "__init__.py").write_text("raise ImportError(\"No module named 'ray'\")\n")
    requests = write_requests(tmp_path / "cards.jsonl", 1)
    path = os.pathsep.join([str(tmp_path / "shadow"), os.environ.get("PYTHONPATH", "")])
    done = subprocess.run(
        [SIGHTGAG, "batch", str(requests), "--ray"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": path, "SIGHTGAG_HOME": str(tmp_path / "home")},
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == "error: Ray is not installed: pip install 'sightgag[ray]'"
    assert not (tmp_path / "cards-results").exists()


# -- on Ray ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_twenty_requests_on_two_painter_actors_make_twenty_result_lines(local_ray, tiny_flux_dir, tmp_path):
    from sightgag.ray_batch import run_on_ray

    requests = write_requests(tmp_path / "cards.jsonl", 20, bad={7: json.dumps({"request": "x", "n": 99})})
    run = BatchRun(requests, tmp_path / "out", studio(tiny_flux_dir, tmp_path / "home"), SMALL)
    finished = []
    run_on_ray(run, local_ray, concurrency=2, progress=lambda done, total: finished.append((done, total)))

    made = results(tmp_path / "out")
    assert sorted(record["line"] for record in made) == list(range(1, 21))
    assert [record["line"] for record in made if record["error"]] == [7]
    assert finished[-1] == (20, 20)
    assert gags_filed(tmp_path / "home") == 19
    painted = next(record for record in made if record["line"] == 1)
    assert painted["timings"]["painter"] > 0 and Path(painted["images"][0]).is_file()
    # A line made on Ray is the gag the same line makes here: the same concepts from the same seed, at its size.
    alone = BatchRun(
        write_requests(tmp_path / "one.jsonl", 1), tmp_path / "here", studio(tiny_flux_dir, tmp_path / "home"), SMALL
    )
    alone.run()
    here = results(tmp_path / "here")[0]
    assert here["captions"] == painted["captions"] and here["seed"] == painted["seed"] == 1
    assert Image.open(here["images"][0]).size == Image.open(painted["images"][0]).size


@pytest.mark.slow
def test_a_batch_killed_halfway_finishes_the_rest_on_a_rerun_without_repeating_any(local_ray, tiny_flux_dir, tmp_path):
    requests = write_requests(tmp_path / "cards.jsonl", 20)
    command = [
        SIGHTGAG, "batch", str(requests), "--out", str(tmp_path / "out"), "--address", local_ray, "--concurrency", "2",
        "--writer", "offline", "--artist", f"flux:{tiny_flux_dir}", "--size", "64x64",
    ]  # fmt: skip
    environment = {**os.environ, "SIGHTGAG_HOME": str(tmp_path / "home")}
    with (tmp_path / "first.log").open("wb") as log:
        first = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 240
            while time.monotonic() < deadline and first.poll() is None:
                if (tmp_path / "out" / "results.jsonl").exists() and len(results(tmp_path / "out")) >= 5:
                    break
                time.sleep(0.2)
            first.send_signal(signal.SIGKILL)
        finally:
            first.wait(30)
    halfway = len(results(tmp_path / "out"))
    assert 5 <= halfway < 20, (tmp_path / "first.log").read_text(errors="replace")[-2000:]

    rerun = subprocess.run([*command, "--json"], env=environment, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    summary = json.loads(rerun.stdout)
    assert summary["skipped"] == halfway and summary["made"] == 20 - halfway and summary["failed"] == 0
    made = results(tmp_path / "out")
    assert sorted(record["line"] for record in made) == list(range(1, 21))  # each line once: none repeated
    assert len({record["id"] for record in made}) == 20
    assert gags_filed(tmp_path / "home") == 20  # and none filed twice
