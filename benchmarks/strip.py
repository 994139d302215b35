"""How fast a comic strip is on the out-of-the-box path: offline strip writer, sketch artist, page letterer.

Warm: `Studio.strip` of 4 panels (512x512 each, the default) in one process, median of the runs
(target: at most 1 s). Cold: the whole `sightgag strip` command with the offline defaults in a fresh
process, as a new user first runs it (target: at most 6 s), median of a few runs.
Overhead (`--overhead-runs N`): `Studio.strip` with a fixed strip on a tiny random Flux pipeline at
`--overhead-size` per panel, against one bare `FluxPipeline` call with the same four prompts, size,
steps and seeds, alternating (target: a median ratio of at most 1.05 at 1024x1024 per panel).

    .venv/bin/python benchmarks/strip.py [--runs 10] [--cold-runs 3] [--layout grid] [--overhead-runs 3]
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

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
    parser.add_argument("--overhead-runs", type=int, default=0, help="runs of the tiny-Flux overhead measurement")
    parser.add_argument("--overhead-size", type=int, default=1024, help="panel side for the overhead measurement")
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
    stages = ", ".join(f"{stage} {median(stage):.3f} s" for stage in ("writer", "artist", "letterer"))
    print(f"  stages (median): {stages}")
    print(f"cold `sightgag strip` (new process, offline + sketch), {args.cold_runs} runs:")
    print(f"  median {statistics.median(cold):.2f} s (min {min(cold):.2f}, max {max(cold):.2f}); target <= 6 s")
    if args.overhead_runs:
        overhead(args.overhead_runs, args.overhead_size, args.layout)


def overhead(runs: int, size: int, layout: str) -> None:
    import torch

    from sightgag.artist.flux import FluxArtist
    from sightgag.artist.prompt import compile_prompt
    from sightgag.writer.offline import OfflineWriter
    from sightgag.writer.strips import write_strip
    from tiny_flux import build_tiny_flux

    with tempfile.TemporaryDirectory() as scratch:
        folder = build_tiny_flux(Path(scratch) / "tiny-flux")
        settings = Settings(home=Path(scratch) / "home")
        artist = FluxArtist(str(folder), settings)
        studio = Studio(writer="offline", artist=artist, settings=settings)
        strip = write_strip(OfflineWriter(None, settings), REQUESTS[0], [], 4, 7)
        pipe = artist.pipeline()
        prompts = [
            compile_prompt(
                concept,
                clip_tokenizer=pipe.tokenizer,
                t5_tokenizer=pipe.tokenizer_2,
                t5_budget=artist.max_sequence_length,
            )
            for concept in strip.panel_concepts()
        ]

        def direct() -> None:
            pipe(
                prompt=[prompt.clip for prompt in prompts],
                prompt_2=[prompt.t5 for prompt in prompts],
                width=size,
                height=size,
                num_inference_steps=artist.steps,
                guidance_scale=artist.guidance,
                max_sequence_length=artist.max_sequence_length,
                generator=[torch.Generator("cpu").manual_seed(7 + index) for index in range(len(prompts))],
            )

        def through_studio() -> None:
            studio.strip(REQUESTS[0], strip=strip, panels=4, layout=layout, seed=7, size=(size, size))

        direct(), through_studio()  # warm both paths
        ratios, direct_times, studio_times = [], [], []
        for _ in range(runs):
            start = time.perf_counter()
            direct()
            middle = time.perf_counter()
            through_studio()
            end = time.perf_counter()
            direct_times.append(middle - start)
            studio_times.append(end - middle)
            ratios.append((end - middle) / (middle - start))

    print(f"tiny Flux pipeline, 4 panels of {size}x{size} in one call, {artist.steps} steps, {runs} runs:")
    print(f"  bare FluxPipeline call: median {statistics.median(direct_times):.2f} s")
    print(f"  Studio.strip:           median {statistics.median(studio_times):.2f} s")
    print(f"  overhead ratio:         median {statistics.median(ratios):.3f} (target <= 1.05)")


if __name__ == "__main__":
    main()
