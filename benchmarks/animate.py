"""How long the sketch animator takes for a shareable clip, and how big the clip is.

For each comedic device, Mittens' concept (tests/examples.py) is drawn at 512x512 and animated for
3 seconds at 24 fps, the caption laid on the last second and the clip encoded. Printed per device:
seconds to take the panel apart and move it, to letter, to encode, in all; the MP4's size and its
bytes per second of clip.

    PYTHONPATH=src .venv/bin/python benchmarks/animate.py [--size 512] [--seconds 3] [--fps 24] [--format mp4]

Target: at most 3 s a clip, in all, on a 2-core CPU.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from examples import mittens_concept  # noqa: E402

from sightgag.animator import ClipLettering, Shot, film, load_animator  # noqa: E402
from sightgag.artist.sketch import draw_panel  # noqa: E402
from sightgag.concept import Device  # noqa: E402
from sightgag.settings import Settings  # noqa: E402

TARGET_SECONDS = 3.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--fps", type=int, default=24)
    parser.add_argument("--format", default="mp4", choices=["mp4", "gif", "webp"])
    args = parser.parse_args()

    animator = load_animator("sketch", Settings())
    print(f"{args.seconds:g} s at {args.fps} fps, {args.size}x{args.size}, {args.format}")
    print(f"{'device':26} {'animate':>8} {'letter':>7} {'encode':>7} {'total':>7} {'kB':>6} {'kB/s':>6}")
    worst = 0.0
    for device in Device:
        concept = mittens_concept().model_copy(update={"device": device})
        still, _ = draw_panel(concept, 7, args.size, args.size)  # the gag's still, painted before animating
        shot = Shot(still=still.convert("RGB"), concept=concept, seed=7, artist="sketch")
        started = time.perf_counter()
        lettering = ClipLettering(shot.still, concept)
        clip = film(animator, shot, seconds=args.seconds, fps=args.fps, fmt=args.format, seed=7, lettering=lettering)
        total = time.perf_counter() - started
        worst = max(worst, total)
        timings = clip.record["timings"]
        print(
            f"{device.value:26} {timings['animator']:8.2f} {timings['letterer']:7.2f} {timings['encoder']:7.2f}"
            f" {total:7.2f} {len(clip.data) / 1000:6.0f} {clip.record['bytes_per_second'] / 1000:6.0f}"
        )
    verdict = "within" if worst <= TARGET_SECONDS else "OVER"
    print(f"slowest clip {worst:.2f} s: {verdict} the {TARGET_SECONDS:g} s target")


if __name__ == "__main__":
    main()
