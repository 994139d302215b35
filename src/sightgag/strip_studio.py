"""Strips through the studio: write a Strip, paint its panels in one artist call, letter the page, file it.

A strip is filed as one gag: its panels' Concepts and clean renders, its lettered page as the one
image, and the whole Strip and layout. Rerendering paints the same panels with the same seeds (the
same page, bit for bit, from a seeded artist); reletterering sets the page again from the renders,
in another layout or with one balloon's words changed.
"""

from __future__ import annotations

import secrets
import time
import zlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PIL import Image

from sightgag.artist import Artist, load_artist
from sightgag.artist.base import Painting
from sightgag.bounds import check_seed, check_size
from sightgag.concept import MAX_CAPTION_CHARS, Box, Concept
from sightgag.editor import Editor, default_candidates
from sightgag.editor.desk import edit_concepts
from sightgag.editor.safety import PicturesBlocked, load_safety
from sightgag.errors import UsageError
from sightgag.gag import Gag
from sightgag.gallery import new_gag_id, now_iso
from sightgag.hygiene import clean_text
from sightgag.strip import Strip, check_layout, check_panels
from sightgag.subjects import Subject
from sightgag.writer.base import Writer
from sightgag.writer.request import clean_request
from sightgag.writer.strips import plan_strip, write_strip

if TYPE_CHECKING:
    from sightgag.letterer.page import LetteredStrip
    from sightgag.studio import Studio, StudioProgress

DEFAULT_PANEL_SIZE = (512, 512)
STRIP_LETTERING = "strip"  # what a strip's record says in place of a single panel's lettering style


def make_strip(
    studio: Studio,
    request: str,
    *,
    subjects: Sequence[Subject | str] = (),
    panels: int = 4,
    layout: str = "row",
    seed: int | None = None,
    size: tuple[int, int] | None = None,
    strip: Strip | None = None,
    progress: StudioProgress | None = None,
    writer: Writer | None = None,
    artist: Artist | None = None,
    job_id: str | None = None,
    editor: str | Editor | None = None,
    candidates: int | None = None,
) -> tuple[Gag, LetteredStrip]:
    """Write (unless `strip` is given), paint, letter and file one strip; the gag and its lettered page.

    `writer` and `artist` stand in for the studio's own; `job_id` names the server job it is filed for.
    A writer with no strip writer of its own drafts `candidates` gags; the editor picks the punchline.
    """
    request = clean_request(request)
    check_panels(panels)
    check_layout(layout)
    width, height = check_size(*size) if size is not None else DEFAULT_PANEL_SIZE
    seed = secrets.randbelow(2**31) if seed is None else check_seed(seed)
    report = progress or (lambda stage, done, total: None)
    resolved = studio.subjects_for(subjects, request)
    artist = artist or studio.artist  # built before writing: a bad artist spec fails before an LLM call is paid for
    timings: dict[str, float] = {}
    exchanges: list[int] = []
    writer_spec = "given"
    record = None
    if strip is None:
        writer = writer or studio.writer
        started = time.perf_counter()
        report("writing", 0, 1)
        chosen = studio.choose_editor(editor, writer)
        try:
            if getattr(writer, "write_strip", None) is None and chosen.spec != "none":
                # The punchline is the editor's pick of the writer's candidates; the beats lead up to it.
                written = writer.write(request, resolved, n=candidates or default_candidates(1), seed=seed)
                kept, record = edit_concepts(chosen, request, resolved, written, 1)
                strip = plan_strip(kept, panels, seed=seed if seed is not None else zlib.crc32(request.encode()))
            else:
                strip = write_strip(writer, request, resolved, panels, seed)
        finally:
            for caller in (writer, chosen):
                logged = getattr(caller, "exchanges", None)
                if logged:
                    exchanges += studio.gallery.log_exchanges(list(logged))
                    logged.clear()
        timings["writer"] = time.perf_counter() - started
        report("writing", 1, 1)
        writer_spec = writer.spec
    gag = Gag(
        id=new_gag_id(),
        created=now_iso(),
        request=request,
        subjects=[subject.name for subject in resolved],
        concepts=strip.panel_concepts(),
        images=[],
        renders=[],
        writer=writer_spec,
        artist=artist.spec,
        seed=seed,
        width=width,
        height=height,
        lettering=STRIP_LETTERING,
        strip=strip,
        layout=layout,
        timings=timings,
        editor=record,
    )
    filed, lettered = _paint_letter_file(studio, gag, resolved, artist, report, job_id)
    studio.gallery.link_exchanges(exchanges, filed.id)
    return filed, lettered


def rerender_strip(studio: Studio, original: Gag, progress: StudioProgress | None = None) -> Gag:
    """Paint a filed strip's panels again with its artist, seeds and size; file it as a new gag."""
    same = studio.backends.artist == original.artist
    artist = studio.artist if same else load_artist(original.artist, studio.settings)
    gag = original.model_copy(
        update={"id": new_gag_id(), "created": now_iso(), "parent": original.id, "timings": {}}, deep=True
    )
    subjects = [studio.subjects.find(name) or Subject(name=name) for name in original.subjects]
    return _paint_letter_file(studio, gag, subjects, artist, progress or (lambda *_: None))[0]


def reletter_strip(
    studio: Studio,
    gag: Gag,
    *,
    layout: str | None = None,
    balloon: str | None = None,
    text: str | None = None,
) -> Gag:
    """Set a filed strip's page again from its renders: in another layout, or with new words.

    `balloon` "P.N" names balloon N of panel P (both from 1) to say `text`; without it, `text` is the
    last panel's punchline (its caption box, or its last balloon).
    """
    strip = gag.strip
    assert strip is not None
    if layout is not None:
        check_layout(layout)
    if balloon is not None and text is None:
        raise UsageError("--balloon needs --caption: the words the balloon should say")
    if text is not None:
        # As long as a caption box may hold; a balloon's own limit is the Strip's to enforce (below).
        text = clean_text(text, what="the words", max_chars=MAX_CAPTION_CHARS, empty_hint="give the words to letter")
        strip = _with_words(strip, balloon, text)
    renders = [_load(path) for path in gag.renders]
    lettered = _letter(renders, strip, layout or gag.layout or "row", gag)
    updated = gag.model_copy(update={"strip": strip, "layout": layout or gag.layout})
    return studio.gallery.replace_images(updated, [lettered.page], lettering=STRIP_LETTERING)


def lettered_page(gag: Gag) -> LetteredStrip:
    """A filed strip's page set again from its renders, with where every balloon and box went (for checks)."""
    assert gag.strip is not None
    return _letter([_load(path) for path in gag.renders], gag.strip, gag.layout or "row", gag)


def _paint_letter_file(
    studio: Studio, gag: Gag, subjects: list[Subject], artist: Artist, report, job_id: str | None = None
) -> tuple[Gag, LetteredStrip]:
    strip = gag.strip
    assert strip is not None
    started = time.perf_counter()
    painting = paint_panels(
        artist,
        gag.concepts,
        seeds=[gag.seed + index for index in range(len(gag.concepts))],
        width=gag.width,
        height=gag.height,
        subjects=subjects,
        progress=lambda done, total: report("painting", done, total),
    )
    gag.timings["artist"] = time.perf_counter() - started
    # Every panel is checked before anything is written, as a gag's pictures are (the editor's safety check).
    safety = load_safety(studio.settings)
    blocked = [number for number, verdict in enumerate(safety.check(painting.images), 1) if verdict]
    if blocked:
        raise PicturesBlocked(
            f"the safety check ({safety.name}) blocked panel(s) {', '.join(map(str, blocked))} of this strip; "
            "nothing was saved: rephrase the request"
        )
    gag.artist = artist.spec
    gag.artist_details = painting.details
    gag.keep_clear = painting.keep_clear

    mark = time.perf_counter()
    report("lettering", 0, 1)
    lettered = _letter(painting.images, strip, gag.layout or "row", gag)
    gag.timings["letterer"] = time.perf_counter() - mark
    report("lettering", 1, 1)
    gag.timings["total"] = sum(gag.timings.get(stage, 0.0) for stage in ("writer", "artist", "letterer"))
    report("filing", 0, 1)
    filed = studio.gallery.add(gag, painting.images, [lettered.page], job_id=job_id)
    report("filing", 1, 1)
    return filed, lettered


def paint_panels(
    artist: Artist,
    concepts: list[Concept],
    *,
    seeds: list[int],
    width: int,
    height: int,
    subjects: list[Subject],
    progress=None,
) -> Painting:
    """A strip's panels, panel i with seeds[i], painted so the cast carries over from panel to panel.

    An artist that paints from a reference picture (Kontext, local or hosted: `takes_reference_image`)
    paints panel 1 first and every other panel from it; any other artist paints every panel in one
    call, where a batching artist (Flux) paints them together with the same character text in each prompt.
    """
    if not getattr(artist, "takes_reference_image", False) or len(concepts) < 2:
        return artist.paint(concepts, seeds=seeds, width=width, height=height, subjects=subjects, progress=progress)
    first = artist.paint(
        concepts[:1], seeds=seeds[:1], width=width, height=height, subjects=subjects, progress=progress
    )
    rest = artist.paint(
        concepts[1:],
        seeds=seeds[1:],
        width=width,
        height=height,
        subjects=subjects,
        progress=progress,
        reference=first.images[0],
    )
    details = dict(first.details)
    for key, value in rest.details.items():
        # Per-panel lists (seeds, prompts, references, sizes) run on across both calls; the rest is shared.
        if isinstance(value, list) and isinstance(details.get(key), list) and len(details[key]) == 1:
            details[key] = details[key] + value
    details["reference"] = "panel 1"
    keep_clear = [*first.keep_clear, *rest.keep_clear] if first.keep_clear or rest.keep_clear else []
    return Painting(images=[*first.images, *rest.images], details=details, keep_clear=keep_clear)


def _letter(renders: list[Image.Image], strip: Strip, layout: str, gag: Gag) -> LetteredStrip:
    from sightgag.letterer.page import letter_strip

    return letter_strip(renders, strip, layout, cast_boxes=drawn_cast(gag), keep_clear=gag.keep_clear)


def drawn_cast(gag: Gag) -> list[dict[str, Box]]:
    """Per panel, where the artist says it drew each character (only artists that know say: the sketch)."""
    boxes = []
    for panel in gag.artist_details.get("panels") or []:
        drawn = {}
        for member in panel.get("cast", []) if isinstance(panel, dict) else []:
            left, top, right, bottom = member["box"]
            left, right = max(0, left), min(gag.width, right)
            top, bottom = max(0, top), min(gag.height, bottom)
            if right > left and bottom > top:
                drawn[member["name"]] = Box(
                    x=left / gag.width, y=top / gag.height, w=(right - left) / gag.width, h=(bottom - top) / gag.height
                )
        boxes.append(drawn)
    return boxes


def _with_words(strip: Strip, balloon: str | None, text: str) -> Strip:
    data = strip.model_dump()
    if balloon is None:
        last = data["panels"][-1]
        if last["caption"] or not last["balloons"]:
            last["caption"] = text
        else:
            last["balloons"][-1]["text"] = text
    else:
        try:
            panel_number, balloon_number = (int(part) for part in balloon.split("."))
            if panel_number < 1 or balloon_number < 1:
                raise IndexError
            data["panels"][panel_number - 1]["balloons"][balloon_number - 1]["text"] = text
        except (ValueError, IndexError):
            raise UsageError(
                f"no balloon {balloon!r}: give PANEL.BALLOON, e.g. 2.1 (`gallery show` lists them)"
            ) from None
    try:
        return Strip.model_validate(data)
    except ValueError as error:
        raise UsageError(f"bad words for the strip: {error.errors()[0]['msg']}") from None  # type: ignore[attr-defined]


def _load(path) -> Image.Image:
    with Image.open(path) as image:
        return image.convert("RGB")
