"""A filed gag animated: its picture, concept and seed made into a clip, filed with it.

What Studio.animate, `sightgag animate` and `make --animate` run.
"""

from __future__ import annotations

from PIL import Image

from sightgag.animator import Animator, ClipLettering, Shot, film, load_animator
from sightgag.animator.base import check_clip
from sightgag.bounds import check_seed
from sightgag.clips import ClipShelf
from sightgag.errors import UsageError
from sightgag.gallery import Gallery, now_iso
from sightgag.settings import Settings
from sightgag.subjects import Subject
from sightgag.subjects.library import SubjectLibrary


def animate_gag(
    gag_id: str,
    *,
    settings: Settings,
    animator: str | Animator | None = None,
    seconds: float = 3.0,
    fps: int = 24,
    fmt: str = "mp4",
    seed: int | None = None,
    index: int = 0,
    size: tuple[int, int] | None = None,
) -> dict:
    """Animate picture `index` of a gag and file the clip with it; the clip's record (`file` is its path).

    The seed defaults to the picture's own (the gag's seed + index), so animating again gives the same clip.
    `size` is the video size a local model (`wan`, `ltx`) makes; the clip is always the picture's size.
    """
    check_clip(seconds, fps, fmt)
    if seed is not None:
        check_seed(seed)
    gallery = Gallery(settings.home)
    gag = gallery.get(gag_id)
    if not 0 <= index < len(gag.renders):
        raise UsageError(
            f"gag {gag.id} has {len(gag.renders)} picture(s): --image runs from 0 to {len(gag.renders) - 1}"
        )
    if animator is None or isinstance(animator, str):
        animator = load_animator(animator, settings, size=size)
    library = SubjectLibrary(settings.home)
    subjects = [library.find(name) or Subject(name=name) for name in gag.subjects]
    with Image.open(gallery.path(gag.renders[index])) as image:
        still = image.convert("RGB")
    concept = gag.concepts[index]
    seed = gag.seed + index if seed is None else seed
    shot = Shot(still=still, concept=concept, seed=gag.seed + index, artist=gag.artist, subjects=subjects)
    clip = film(animator, shot, seconds=seconds, fps=fps, fmt=fmt, seed=seed, lettering=_lettering(gag, index, still))
    lettering = gag.lettering or concept.caption.lettering
    record = {**clip.record, "image": index, "lettering": lettering, "created": now_iso()}
    return ClipShelf(settings.home).add(gag.id, clip.data, fmt, record)


def _lettering(gag, index: int, still: Image.Image) -> ClipLettering:
    """The caption as the gag's picture has it: its style, or the band under it where the writer's style did not fit."""
    from sightgag.letterer.errors import CaptionTooLongError

    keep_clear = gag.keep_clear[index] if index < len(gag.keep_clear) else ()
    try:
        return ClipLettering(still, gag.concepts[index], gag.lettering, keep_clear)
    except CaptionTooLongError:
        if gag.lettering is not None:
            raise
        return ClipLettering(still, gag.concepts[index], "caption")
