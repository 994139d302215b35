"""How fast the out-of-the-box path is: the offline writer, the sketch artist and the letterer.

Warm: `Studio.make` at 1024x1024 in one process, median of the runs (target: at most 1.5 s).
Cold: the whole `sightgag make` command in a fresh process, as a new user first runs it (target: at
most 6 s), median of a few runs.

    .venv/bin/python benchmarks/offline.py [--runs 10] [--cold-runs 3]
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
    "my dog Biscuit giving a TED talk about squirrels",
    "my cat Mittens as a superhero fighting a giant ball of yarn",
    "grandma Rosa winning a skateboarding contest",
    "Dave from accounting fighting the office printer",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--cold-runs", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as home:
        studio = Studio(writer="offline", artist="sketch", settings=Settings(home=Path(home)))
        studio.make(REQUESTS[0], seed=0, size=(1024, 1024))  # warm: fonts and glyph caches filled
        warm = []
        for run in range(args.runs):
            start = time.perf_counter()
            studio.make(REQUESTS[run % len(REQUESTS)], seed=run, size=(1024, 1024))
            warm.append(time.perf_counter() - start)

        command = [str(Path(sys.executable).parent / "sightgag"), "make", REQUESTS[0], "--seed", "7"]
        environment = {**os.environ, "SIGHTGAG_HOME": home}
        environment.pop("XAI_API_KEY", None), environment.pop("OPENAI_API_KEY", None), environment.pop("BFL_API_KEY", None)
        cold = []
        for _ in range(args.cold_runs):
            start = time.perf_counter()
            subprocess.run(command, env=environment, check=True, capture_output=True)
            cold.append(time.perf_counter() - start)

    print(f"warm Studio.make, offline + sketch + lettering, 1024x1024, {args.runs} runs:")
    print(f"  median {statistics.median(warm):.3f} s (min {min(warm):.3f}, max {max(warm):.3f}); target <= 1.5 s")
    print(f"cold `sightgag make` (new process, auto backends), {args.cold_runs} runs:")
    print(f"  median {statistics.median(cold):.2f} s (min {min(cold):.2f}, max {max(cold):.2f}); target <= 6 s")


if __name__ == "__main__":
    main()
