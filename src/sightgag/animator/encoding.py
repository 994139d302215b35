"""Frames to a shareable file: H.264 MP4 with PyAV (its wheel carries FFmpeg), GIF and WebP with Pillow."""

from __future__ import annotations

import io
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import Image

from sightgag.errors import UsageError

MEDIA_TYPES = {"mp4": "video/mp4", "gif": "image/gif", "webp": "image/webp"}
# x264's constant quality: 23 is its default; a cartoon's flat colours stay clean a little below it
# at a fraction of the size.
MP4_QUALITY = 26
WEBP_QUALITY = 80
# Frames sampled (evenly, and the last, which has the caption) for a GIF's one palette.
GIF_PALETTE_FRAMES = 8


def encode(frames: list[Image.Image], fps: int, fmt: str) -> bytes:
    """The frames as an MP4, a GIF or an animated WebP, looping where the format loops."""
    if fmt == "mp4":
        return _mp4(frames, fps)
    if fmt == "gif":
        return _gif(frames, fps)
    if fmt == "webp":
        return _pillow(frames, fps, "WEBP", quality=WEBP_QUALITY, method=3)
    raise UsageError(f"unknown clip format {fmt!r}: use mp4, gif or webp")


def even_size(size: tuple[int, int]) -> tuple[int, int]:
    """The size an MP4 of frames this size has: 4:2:0 chroma needs even sides, so an odd one gains a pixel."""
    return (size[0] + size[0] % 2, size[1] + size[1] % 2)


def _mp4(frames: list[Image.Image], fps: int) -> bytes:
    width, height = even_size(frames[0].size)
    # faststart puts the index first, so a browser or a phone starts playing before the download ends.
    # FFmpeg moves the index by reading the finished file back: it is written to a file, not to memory.
    with tempfile.TemporaryDirectory(prefix="sightgag-clip-") as folder:
        path = Path(folder) / "clip.mp4"
        _write_mp4(path, frames, fps, width, height)
        return path.read_bytes()


def _write_mp4(path: Path, frames: list[Image.Image], fps: int, width: int, height: int) -> None:
    import av

    with av.open(str(path), mode="w", format="mp4", options={"movflags": "+faststart"}) as container:
        stream = container.add_stream("libx264", rate=Fraction(fps, 1))
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"  # what every browser and phone plays
        stream.options = {"crf": str(MP4_QUALITY), "preset": "veryfast", "tune": "animation"}
        for frame in frames:
            pixels = np.asarray(frame.convert("RGB"))
            if pixels.shape[:2] != (height, width):  # repeat the last row or column to reach even sides
                pad = ((0, height - pixels.shape[0]), (0, width - pixels.shape[1]), (0, 0))
                pixels = np.pad(pixels, pad, mode="edge")
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def _gif(frames: list[Image.Image], fps: int) -> bytes:
    """One palette for the whole clip. Left to itself, Pillow gives every frame a palette of its own: it
    quantizes each frame (most of the encoding time), and a pixel that did not move still changes its
    index, so no frame can be stored as what changed since the last. Without dithering, for the same
    reason: its noise moves from frame to frame."""
    palette = _palette(frames)
    indexed = [frame.convert("RGB").quantize(palette=palette, dither=Image.Dither.NONE) for frame in frames]
    # Named as the file's palette: otherwise Pillow writes it again with every frame.
    return _pillow(indexed, fps, "GIF", optimize=False, disposal=1, palette=bytes(palette.getpalette()))


def _palette(frames: list[Image.Image]) -> Image.Image:
    """256 colours for a clip, from a sheet of its sampled frames at half size (as good, in half the time)."""
    step = max(len(frames) // GIF_PALETTE_FRAMES, 1)
    samples = [*frames[::step][:GIF_PALETTE_FRAMES], frames[-1]]
    width, height = samples[0].width // 2 or 1, samples[0].height // 2 or 1
    sheet = Image.new("RGB", (width, height * len(samples)))
    for row, frame in enumerate(samples):
        sheet.paste(frame.convert("RGB").resize((width, height), Image.Resampling.NEAREST), (0, row * height))
    return sheet.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)


def _pillow(frames: list[Image.Image], fps: int, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    first, *rest = frames
    first.save(
        buffer, fmt, save_all=True, append_images=rest, duration=round(1000 / fps), loop=0, **options
    )
    return buffer.getvalue()
