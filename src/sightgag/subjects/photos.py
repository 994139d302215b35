"""Photos of a subject: checked by content, normalised, and stripped of what should not be kept.

A photo is judged by what its bytes are, never by its file name: a text file called cat.jpg, a
truncated JPEG, an SVG, an empty file or a decompression bomb are each refused with one line.
Accepted photos are turned upright (EXIF orientation), shrunk to a sane size, and saved without any
metadata, so no GPS position, camera serial or comment ever lands in the sightgag home: no EXIF, XMP,
JPEG/GIF comment, PNG text chunk or ICC profile. A photo with a colour profile (a phone's Display P3)
is converted to sRGB first, so dropping the profile keeps its colours.

Pictures no painter or trait reader can use are refused too: sides under MIN_SIDE pixels, or a shape
longer and thinner than MAX_ASPECT to one.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from sightgag.errors import UsageError

MAX_FILE_BYTES = 40 * 1024 * 1024
MAX_PIXELS = 60_000_000  # a 60-megapixel camera is fine; a 30000x30000 bomb is not
MAX_SIDE = 2048  # stored copies: plenty for Kontext references and LoRA training buckets
MIN_SIDE = 64  # smaller says nothing of a subject's looks
MAX_ASPECT = 8  # longer and thinner is a banner or a line, not a photo of someone
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "BMP", "TIFF", "GIF", "MPO"}


@dataclass
class Photo:
    image: Image.Image  # upright RGB, at most MAX_SIDE on its longer side
    digest: str  # of the normalised pixels: the same picture twice is one photo
    source: Path


def load_photo(path: Path) -> Photo:
    """Open, check and normalise one photo; raise UsageError with one line if it is not a usable photo."""
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise UsageError(f"{name}: no such file")
    size = path.stat().st_size
    if size == 0:
        raise UsageError(f"{name}: the file is empty")
    if size > MAX_FILE_BYTES:
        raise UsageError(f"{name}: {size / 2**20:.0f} MB is too large a photo (at most {MAX_FILE_BYTES // 2**20} MB)")
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that: treat the warning as the error.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as opened:
                if opened.format not in ACCEPTED_FORMATS:
                    raise UsageError(f"{name}: {opened.format} images are not accepted; use a JPEG, PNG or WebP photo")
                width, height = opened.size
                if width * height > MAX_PIXELS:
                    raise UsageError(f"{name}: {width}x{height} is too many pixels (at most {MAX_PIXELS // 1_000_000} megapixels)")
                check_shape(name, width, height)
                opened.load()
                image = _to_srgb(ImageOps.exif_transpose(opened), opened.info.get("icc_profile"))
    except UsageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UsageError(f"{name}: the image claims too many pixels (a decompression bomb?)") from None
    except UnidentifiedImageError:
        raise UsageError(f"{name}: not an image (judged by its content, whatever its name says)") from None
    except (OSError, SyntaxError, ValueError) as error:
        # Truncated and corrupt files surface here, from the decoder.
        raise UsageError(f"{name}: a damaged or truncated image ({error})") from None
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    # Pillow carries a file's metadata along in `info`, and its JPEG encoder writes `info["comment"]`
    # back out unasked: the normalised photo keeps its pixels and nothing else.
    image.info.clear()
    digest = hashlib.sha256(image.tobytes()).hexdigest()
    return Photo(image=image, digest=digest, source=path)


def check_shape(name: str, width: int, height: int) -> None:
    """UsageError unless a picture of this size can show a subject (and be cropped for traits and training)."""
    if min(width, height) < MIN_SIDE:
        raise UsageError(f"{name}: {width}x{height} is too small a photo (each side at least {MIN_SIDE} pixels)")
    if max(width, height) > MAX_ASPECT * min(width, height):
        raise UsageError(f"{name}: {width}x{height} is too long and thin for a photo (at most {MAX_ASPECT}:1)")


_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _to_srgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """The picture as RGB pixels in sRGB, the colour space a file with no profile is read in."""
    if icc_profile:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
            return ImageCms.profileToProfile(image, source, _SRGB, outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile, or one for other pixels than these: the pixels as they are
    return image.convert("RGB")


def save_photo(photo: Photo, folder: Path) -> Path:
    """Save a normalised photo with no metadata at all; named by its digest so duplicates collide."""
    target = folder / f"{photo.digest[:16]}.jpg"
    # Every kind of metadata the JPEG encoder would write is given as empty, whatever `info` holds.
    photo.image.save(target, format="JPEG", quality=93, exif=b"", comment=b"", icc_profile=None, xmp=b"")
    return target
