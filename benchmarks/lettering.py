"""Median time to letter one 1024x1024 picture, for each lettering style (target: at most 50 ms).

    python benchmarks/lettering.py [--size 1024] [--runs 40] [--json]

Each run letters a different caption on a different picture, so nothing is measured twice from a
warm cache except what a real session keeps warm too (loaded fonts). One warm-up run per style
loads the fonts first: that happens once per process.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np
from PIL import Image

from sightgag.concept import Box, Caption, CastMember, Concept, Device, Style
from sightgag.letterer import STYLES, letter

TARGET_MS = 50.0

CAPTIONS = [
    "Nine lives. One nemesis.",
    "Not all heroes wear capes. This one does.",
    "Professional napper since 2019",
    "Error 404: motivation not found",
    "Me explaining my weekend plans to my cat",
    "Yes, I ate the homework. No regrets.",
    "Breaking news: toast lands butter side up",
    "Cardio? I thought you said car video.",
    "We were on a break from the treadmill",
    "Day 3 of pretending to understand taxes",
    "The Roomba has achieved sentience and it is angry",
    "One does not simply walk past a puddle without jumping in it twice",
    "Every morning I promise myself I will go to bed early tonight and every night I betray that promise completely",
    "Expectation | Reality",
    "This is fine. 🔥",
    "Кот, который победил пылесос",
]


def scene() -> Concept:
    return Concept(
        title="The Unraveling",
        premise="A house cat fights a ball of yarn the size of a car.",
        device=Device.mock_heroic,
        cast=[
            CastMember(name="Mittens", role="hero", kind="cat", box=Box(x=0.05, y=0.3, w=0.4, h=0.55)),
            CastMember(name="giant ball of yarn", role="foil", kind="yarn ball", box=Box(x=0.45, y=0.1, w=0.52, h=0.8)),
        ],
        setting="a living room at night",
        moment="Mittens leaps at the yarn",
        style=Style(medium="cinematic photo"),
        caption=Caption(text=CAPTIONS[0], setup="When the yarn fights back", speaker="Mittens"),
    )


def pictures(size: int, count: int) -> list[Image.Image]:
    rng = np.random.default_rng(0)
    return [Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)) for _ in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=len(CAPTIONS))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    concept = scene()
    images = pictures(args.size, 4)
    results = {}
    for style in STYLES:
        letter(images[0], concept, style, "Warming up the fonts")
        times = []
        for run in range(args.runs):
            caption = f"{CAPTIONS[run % len(CAPTIONS)]}{' again' * (run // len(CAPTIONS))}"
            start = time.perf_counter()
            letter(images[run % len(images)], concept, style, caption)
            times.append((time.perf_counter() - start) * 1000)
        results[style] = {"median_ms": round(statistics.median(times), 2), "max_ms": round(max(times), 2)}

    if args.json:
        print(json.dumps({"size": args.size, "runs": args.runs, "target_ms": TARGET_MS, "styles": results}))
        return
    print(f"lettering a {args.size}x{args.size} picture, median of {args.runs} runs (target {TARGET_MS:.0f} ms):")
    for style, result in results.items():
        verdict = "ok" if result["median_ms"] <= TARGET_MS else "SLOW"
        print(f"  {style:8s} {result['median_ms']:7.2f} ms   (max {result['max_ms']:.2f})   {verdict}")


if __name__ == "__main__":
    main()
