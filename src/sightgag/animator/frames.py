"""A model's video made into a clip's frames: resampled to the clip's rate and fitted to the still."""

from __future__ import annotations

from PIL import Image


def resample(timed: list[tuple[float, Image.Image]], fps: int, total: int, size: tuple[int, int]) -> list[Image.Image]:
    """`total` frames at `fps` from (seconds, frame) pairs in time order: at each tick the latest frame
    shown by then (the last held if the video is shorter), each fitted to `size`."""
    frames, source = [], 0
    fitted: dict[int, Image.Image] = {}
    for index in range(total):
        moment = index / fps
        while source + 1 < len(timed) and timed[source + 1][0] <= moment + 1e-6:
            source += 1
        if source not in fitted:
            fitted[source] = fit(timed[source][1], size)
        frames.append(fitted[source])
    return frames


def fit(frame: Image.Image, size: tuple[int, int]) -> Image.Image:
    """The frame cropped to the still's shape (a model's shape is only the nearest it makes) and scaled to its size."""
    width, height = frame.size
    wanted = size[0] / size[1]
    if width / height > wanted:
        cut = (width - height * wanted) / 2
        box = (cut, 0, width - cut, height)
    else:
        cut = (height - width / wanted) / 2
        box = (0, cut, width, height - cut)
    return frame.convert("RGB").resize(size, Image.Resampling.BICUBIC, box=box)
