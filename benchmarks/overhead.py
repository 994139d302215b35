"""What the studio costs on top of the image model.

`Studio.make` with a fixed concept on a tiny random Flux pipeline, against calling that same
`FluxPipeline` directly with the same prompts, size, steps and seed, in one process, alternating so
that both see the same machine load. Reports the median ratio over the runs (target: at most 1.05)
and what the studio adds in milliseconds.

    .venv/bin/python benchmarks/overhead.py [--runs 20] [--size 1024] [--steps 4]

The studio's share is everything users get beyond the bare call: prompt compiling, lettering, two
PNGs with embedded records, and a gallery row: about 10 ms, plus a few per megapixel. The default
size is the one `sightgag make` paints. The tiny pipeline paints 512x512 in 4 steps in under 0.1 s
on a CPU, where a real FLUX.1 takes a second or more on a GPU, so at small sizes the same few
milliseconds weigh more in the ratio than they ever would with real weights.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import torch  # noqa: E402

from examples import mittens_concept  # noqa: E402
from sightgag.artist.flux import FluxArtist  # noqa: E402
from sightgag.artist.prompt import compile_prompt  # noqa: E402
from sightgag.settings import Settings  # noqa: E402
from sightgag.studio import Studio  # noqa: E402
from tiny_flux import build_tiny_flux  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--size", type=int, default=1024, help="square side in pixels (default: sightgag make's)")
    parser.add_argument("--steps", type=int, default=None, help="denoising steps (default: the schnell preset's 4; dev uses 28)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        folder = build_tiny_flux(Path(scratch) / "tiny-flux")
        settings = Settings(home=Path(scratch) / "home")
        artist = FluxArtist(str(folder), settings, steps=args.steps)
        studio = Studio(writer="offline", artist=artist, settings=settings)
        concept = mittens_concept()
        pipe = artist.pipeline()
        prompt = compile_prompt(
            concept, clip_tokenizer=pipe.tokenizer, t5_tokenizer=pipe.tokenizer_2, t5_budget=artist.max_sequence_length
        )

        def direct() -> None:
            pipe(
                prompt=[prompt.clip],
                prompt_2=[prompt.t5],
                width=args.size,
                height=args.size,
                num_inference_steps=artist.steps,
                guidance_scale=artist.guidance,
                max_sequence_length=artist.max_sequence_length,
                generator=[torch.Generator("cpu").manual_seed(7)],
            )

        def through_studio() -> None:
            studio.make("my cat Mittens as a superhero", concepts=[concept], seed=7, size=(args.size, args.size))

        direct(), through_studio()  # warm both paths: first calls allocate and fill caches
        ratios, direct_times, studio_times = [], [], []
        for _ in range(args.runs):
            start = time.perf_counter()
            direct()
            middle = time.perf_counter()
            through_studio()
            end = time.perf_counter()
            direct_times.append(middle - start)
            studio_times.append(end - middle)
            ratios.append((end - middle) / (middle - start))

    print(f"tiny Flux pipeline, {args.size}x{args.size}, {artist.steps} steps, {args.runs} runs")
    print(f"direct FluxPipeline call: median {statistics.median(direct_times) * 1000:.0f} ms")
    print(f"Studio.make:              median {statistics.median(studio_times) * 1000:.0f} ms")
    added = statistics.median(studio - direct for studio, direct in zip(studio_times, direct_times))
    print(f"the studio adds:          median {added * 1000:.0f} ms")
    print(f"overhead ratio:           median {statistics.median(ratios):.3f} (target <= 1.05)")


if __name__ == "__main__":
    main()
