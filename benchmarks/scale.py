"""Batch throughput: `sightgag batch` in one process, and on a local Ray with 1 and 2 CPU painter actors.

Runs the real command three times on the same N requests (a fresh gallery and output folder each time):
plain (one process, torch on every core), `--ray --concurrency 1` and `--ray --concurrency 2` (painter
actors with one torch thread each), with the tiny random Flux pipeline and the offline writer. Reports
the wall time of each, gags per second, the ratio of 2 painters to 1 (target >= 1.6x on a 2-core
machine) and Ray's fixed cost: starting and stopping a local Ray instance, and the first gag on Ray,
which pays for starting the actors and loading their pipelines.

    .venv/bin/python benchmarks/scale.py [--requests 40] [--size 1024] [--preset schnell|dev]

At 1024x1024 painting dominates a gag, as it does with real models on a GPU (the tiny pipeline paints a
1024² picture in about 1.3 s on one thread, 512² in 0.17 s, where writing, lettering and filing would
dominate instead). Each run is timed as a whole and from its first result line on (the steady state, which
is what a long batch sees once its painters are up); the 2-vs-1 ratio is given for both.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from tiny_flux import build_tiny_flux

SIGHTGAG = str(Path(sys.executable).parent / "sightgag")


def write_requests(path: Path, count: int) -> Path:
    lines = [
        json.dumps({"request": f"my cat Mittens as a superhero, card {number}", "seed": number})
        for number in range(count)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def ray_start_cost() -> float:
    """Seconds to start and stop a local Ray instance on two CPUs, beyond importing it."""
    code = (
        "import time, ray; started = time.perf_counter(); "
        "ray.init(num_cpus=2, include_dashboard=False, logging_level='warning'); ray.shutdown(); "
        "print(time.perf_counter() - started)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def run_batch(scratch: Path, name: str, requests: Path, model: Path, size: int, extra: list[str]) -> dict:
    out = scratch / f"{name}-out"
    environment = {**os.environ, "SIGHTGAG_HOME": str(scratch / f"{name}-home")}
    command = [
        SIGHTGAG, "batch", str(requests), "--out", str(out), "--writer", "offline", "--artist", f"flux:{model}",
        "--size", f"{size}x{size}", "--json", *extra,
    ]  # fmt: skip
    started = time.perf_counter()
    with subprocess.Popen(
        command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as process:
        first = None
        while process.poll() is None:
            if first is None and (out / "results.jsonl").exists() and (out / "results.jsonl").read_text().strip():
                first = time.perf_counter() - started
            time.sleep(0.05)
        summary = json.loads(process.stdout.read())
    wall = time.perf_counter() - started
    count = summary["made"]
    steady = (count - 1) / (wall - first) if first is not None and count > 1 and wall > first else float("nan")
    return {"name": name, "wall": wall, "first": first, "made": count, "failed": summary["failed"], "steady": steady}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--size", type=int, default=1024)
    # schnell (4 steps) by default: at 1024² painting already dominates a gag, and 28 steps would make
    # the three runs of 40 requests take most of an hour on two cores.
    parser.add_argument("--preset", choices=["dev", "schnell"], default="schnell")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        # The flux artist takes its preset (steps, guidance) from the transformer's config, as for real weights.
        model = build_tiny_flux(scratch / f"tiny-flux-{args.preset}", guidance_embeds=args.preset == "dev")
        requests = write_requests(scratch / "cards.jsonl", args.requests)
        print(
            f"{args.requests} requests, {args.size}x{args.size}, tiny Flux ({args.preset}), offline writer, {os.cpu_count()} CPUs"
        )
        startup = ray_start_cost()
        print(f"Ray start-up and shut-down (local, 2 CPUs): {startup:.1f} s")
        runs = [
            run_batch(scratch, "plain", requests, model, args.size, []),
            run_batch(scratch, "ray-1", requests, model, args.size, ["--ray", "--concurrency", "1"]),
            run_batch(scratch, "ray-2", requests, model, args.size, ["--ray", "--concurrency", "2"]),
        ]
    print(f"{'run':<8}{'made':>6}{'wall s':>9}{'first gag s':>13}{'gags/s':>9}{'steady gags/s':>15}")
    for run in runs:
        print(
            f"{run['name']:<8}{run['made']:>6}{run['wall']:>9.1f}{run['first'] or float('nan'):>13.1f}"
            f"{run['made'] / run['wall']:>9.2f}{run['steady']:>15.2f}"
        )
    plain, one, two = runs
    print(
        f"2 painters vs 1: {one['wall'] / two['wall']:.2f}x whole runs, {two['steady'] / one['steady']:.2f}x steady (target >= 1.6x)"
    )
    print(f"2 painters vs one process (steady): {two['steady'] / plain['steady']:.2f}x")
    print(f"Ray's fixed cost in a run: {one['first'] - plain['first']:.1f} s more to the first gag than one process")


if __name__ == "__main__":
    main()
