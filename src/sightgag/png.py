"""PNGs that carry a gag's record: written with fpng, read with Pillow.

Encoding is most of what the studio adds to a render. Pillow's encoder tries five PNG filters on
every row before it deflates: about 100 ms for a 1024x1024 picture even at zlib level 1, and a gag
has two (the clean render and the lettered picture). fpng (Rich Geldreich's encoder, its Python
wheel `fpng`) writes the same pixels in about 3 ms, at a size close to zlib level 1. Where fpng
has no wheel, or for modes it does not take, Pillow writes the file.

The record goes in an iTXt chunk named `sightgag` just after the header, built and checksummed by
Pillow's own chunk code.
"""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image
from PIL.PngImagePlugin import PngInfo, putchunk

from sightgag.errors import UsageError

try:
    import fpng
except ImportError:  # no wheel for this platform: Pillow writes every PNG
    fpng = None

METADATA_KEY = "sightgag"  # the PNG iTXt chunk holding the gag's record

# Pillow's fallback: level 1 is several times faster than its default 6 and only ~10% larger.
PILLOW_COMPRESS_LEVEL = 1

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_HEADER_END = len(_SIGNATURE) + 4 + 4 + 13 + 4  # length, "IHDR", 13 bytes of header, CRC


def write_png(image: Image.Image, path: Path, record: dict) -> None:
    """Write `image` as a PNG at `path` with `record` (JSON) in its metadata."""
    info = PngInfo()
    info.add_itxt(METADATA_KEY, json.dumps(record, ensure_ascii=False))
    if fpng is None or image.mode not in ("RGB", "RGBA"):
        image.save(path, format="PNG", pnginfo=info, compress_level=PILLOW_COMPRESS_LEVEL)
        return
    encoded = fpng.from_pil(image)
    if not (encoded.startswith(_SIGNATURE) and encoded[12:16] == b"IHDR"):
        raise ValueError("fpng returned something that is not a PNG")  # never seen; never filed either
    with open(path, "wb") as file:
        file.write(encoded[:_HEADER_END])
        for chunk_type, data, _after_image_data in info.chunks:
            putchunk(file, chunk_type, data)
        file.write(encoded[_HEADER_END:])


def read_png_record(path: Path) -> dict:
    """The gag record embedded in a sightgag PNG."""
    with Image.open(path) as image:
        text = image.text.get(METADATA_KEY)  # type: ignore[attr-defined]
    if text is None:
        raise UsageError(f"{path} has no sightgag record: it was not made by sightgag")
    return json.loads(text)
