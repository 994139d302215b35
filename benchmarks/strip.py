"""How fast a comic strip is on the out-of-the-box path: offline strip writer, sketch artist, page letterer.

Warm: `Studio.strip` of 4 panels (512x512 each, the default) in one process, median of the runs
(target: at most 1 s). Cold: the whole `sightgag strip` command with the offline defaults in a fresh
process, as a new user first runs it (target: at most 6 s), median of a few runs.

    .venv/bin/python benchmarks/strip.py [--runs 10] [--cold-runs 3] [--layout grid]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sightgag.settings import Settings
from sightgag.studio import Studio

REQUESTS = [
    "my cat Mittens as a superhero fighting a giant ball of yarn",
    "my dog Biscuit giving a TED talk about squirrels",
    "grandma Rosa winning a skateboarding contest",
    "Dave from accounting fighting the office printer",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--cold-runs", type=int, default=3)
    parser.add_argument("--layout", default="grid", choices=("row", "grid", "column"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as home:
        studio = Studio(writer="offline", artist="sketch", settings=Settings(home=Path(home)))
        studio.strip(REQUESTS[0], panels=4, layout=args.layout, seed=0)  # warm: fonts and glyph caches filled
        warm, stages = [], []
        for run in range(args.runs):
            start = time.perf_counter()
            gag = studio.strip(REQUESTS[run % len(REQUESTS)], panels=4, layout=args.layout, seed=run)
            warm.append(time.perf_counter() - start)
            stages.append(gag.timings)

        command = [
            str(Path(sys.executable).parent / "sightgag"), "strip", REQUESTS[0], "--panels", "4",
            "--layout", args.layout, "--seed", "7", "--writer", "offline", "--artist", "sketch",
        ]
        environment = {**os.environ, "SIGHTGAG_HOME": home}
        cold = []
        for _ in range(args.cold_runs):
            start = time.perf_counter()
            subprocess.run(command, env=environment, check=True, capture_output=True)
            cold.append(time.perf_counter() - start)

    def median(stage: str) -> float:
        return statistics.median(timing.get(stage, 0.0) for timing in stages)

    print(f"warm Studio.strip, 4 panels of 512x512, {args.layout}, offline + sketch + lettering, {args.runs} runs:")
    print(f"  median {statistics.median(warm):.3f} s (min {min(warm):.3f}, max {max(warm):.3f}); target <= 1 s")
    print(f"  stages (median): writer {median('writer'):.3f} s, artist {median('artist'):.3f} s, letterer {median('letterer'):.3f} s")
    print(f"cold `sightgag strip` (new process, offline + sketch), {args.cold_runs} runs:")
    print(f"  median {statistics.median(cold):.2f} s (min {min(cold):.2f}, max {max(cold):.2f}); target <= 6 s")


if __name__ == "__main__":
    main()
