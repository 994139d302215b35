"""Strips through the studio: write a Strip, paint its panels in one artist call, letter the page, file it.

A strip is filed as one gag: its panels' Concepts and clean renders, its lettered page as the one
image, and the whole Strip and layout. Its panels are checked as a gag's pictures are (safety, signs,
the vision judge), failures repainted, and the editor's record of it all kept with the gag. Rerendering
paints the same panels with the same seeds and checks them again (the same repaints, so the same page,
bit for bit, from a seeded artist); reletterering sets the page again from the renders, in another
layout or with one balloon's words changed.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from PIL import Image

from sightgag.artist import Artist, load_artist
from sightgag.bounds import check_seed, check_size
from sightgag.concept import MAX_CAPTION_CHARS, Box, Concept
from sightgag.editor import Editor, EditorRecord, default_candidates
from sightgag.editor.desk import check_candidates, check_retries, edit_concepts, edit_strips, keep_checked
from sightgag.editor.paintings import CheckedPainting, Checks, kept_seeds, paint_checked
from sightgag.editor.safety import PicturesBlocked
from sightgag.errors import UsageError, first_line
from sightgag.gag import Gag
from sightgag.gallery import new_gag_id, now_iso
from sightgag.hygiene import clean_text
from sightgag.strip import Strip, check_layout, check_panels
from sightgag.studio import Draft
from sightgag.subjects import Subject
from sightgag.writer.base import NoUsableAnswer, Writer
from sightgag.writer.request import clean_request
from sightgag.writer.strips import plan_strip, write_strip

if TYPE_CHECKING:
    from sightgag.letterer.page import LetteredStrip
    from sightgag.studio import Studio, StudioProgress

DEFAULT_PANEL_SIZE = (512, 512)
# Whole strips a writer that writes strips drafts for the editor to rank, unless told. A gag's candidates
# come eight to one call; each strip is a call of its own, three or four times as long as one gag. Two
# drafts let the editor drop the worse of two for one extra call; a third costs as much again and
# mostly adds another strip to read, so more is for the asking (--candidates).
DEFAULT_STRIP_CANDIDATES = 2
STRIP_LETTERING = "strip"  # what a strip's record says in place of a single panel's lettering style


def prepare_strip(
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
    editor: str | Editor | None = None,
    candidates: int | None = None,
    retries: int | None = None,
) -> Draft:
    """Check the request and write the strip (unless `strip` is given): a strip ready to paint with
    `finish_strip`, not yet painted or filed. The server writes strips in its writers' threads this way.

    `writer` and `artist` stand in for the studio's own. The editor ranks `candidates` drafts: whole
    strips from a writer that writes strips (`write_strip`), else gags, the best of which becomes the
    punchline. Every panel is checked as a gag's picture is, and one that fails is painted again, up to
    `retries` times.
    """
    request = clean_request(request)
    check_panels(panels)
    check_layout(layout)
    check_candidates(candidates, 1)
    check_retries(retries)
    width, height = check_size(*size) if size is not None else DEFAULT_PANEL_SIZE
    seed = secrets.randbelow(2**31) if seed is None else check_seed(seed)
    report = progress or (lambda stage, done, total: None)
    resolved = studio.subjects_for(subjects, request)
    artist = artist or studio.artist  # built before writing: a bad artist spec fails before an LLM call is paid for
    timings: dict[str, float] = {}
    exchanges: list[int] = []
    writer_spec = "given"
    record = None
    chosen = None
    if strip is None:
        writer = writer or studio.writer
        chosen = studio.choose_editor(editor, writer)
        strip, record = _write(
            studio, writer, chosen, request, resolved, panels, seed, candidates, report, timings, exchanges
        )
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
    return Draft(gag, resolved, exchanges=exchanges, editor=chosen, retries=retries)


def finish_strip(
    studio: Studio, draft: Draft, *, artist: Artist, progress: StudioProgress | None = None
) -> tuple[Gag, LetteredStrip]:
    """Paint a prepared strip's panels (checked), letter its page and file it; the gag and its page."""
    checks = studio.checks_for(draft.editor, draft.retries, draft.replay)
    report = progress or (lambda stage, done, total: None)
    return _paint_letter_file(
        studio, draft.gag, draft.subjects, artist, report, checks, draft.job_id, draft.exchanges
    )


def _write(
    studio: Studio,
    writer: Writer,
    editor: Editor,
    request: str,
    subjects: list[Subject],
    panels: int,
    seed: int,
    candidates: int | None,
    report,
    timings: dict[str, float],
    exchanges: list[int],
) -> tuple[Strip, EditorRecord]:
    """The writer's drafts and the editor's pick of them: the strip, and how it was chosen.

    A writer that writes strips drafts whole strips and the editor keeps the best; any other writer
    drafts gags, the editor keeps the best and the strip is planned back from it as its punchline.
    Exchanges are logged as they happen, failures included, and their rows added to `exchanges`.
    """
    writes_strips = getattr(writer, "write_strip", None) is not None
    if editor.spec == "none":
        drafts = 1  # nobody to choose: one draft, taken as written
    else:
        drafts = candidates or (DEFAULT_STRIP_CANDIDATES if writes_strips else default_candidates(1))
    started = time.perf_counter()
    report("writing", 0, drafts if writes_strips else 1)
    try:
        if writes_strips:
            strips, dropped = _draft_strips(writer, request, subjects, panels, seed, drafts, report)
        else:
            concepts = writer.write(request, subjects, n=drafts, seed=seed)[:drafts]
    finally:
        exchanges += studio.log_exchanges(writer)
    timings["writer"] = time.perf_counter() - started
    if not writes_strips:
        report("writing", 1, 1)

    started = time.perf_counter()
    try:
        if writes_strips:
            strip, record = edit_strips(editor, request, subjects, strips)
            record.notes += dropped
        else:
            kept, record = edit_concepts(editor, request, subjects, concepts, 1)
            strip = plan_strip(kept, panels, seed=seed)
    finally:
        exchanges += studio.log_exchanges(editor)
    timings["editor"] = time.perf_counter() - started
    return strip, record


def _draft_strips(
    writer: Writer, request: str, subjects: list[Subject], panels: int, seed: int, count: int, report
) -> tuple[list[Strip], list[str]]:
    """`count` strips by a writer that writes strips, and a note for each it could not write.

    A draft the writer gets no usable answer for (after its re-asks) is dropped as long as another is
    written; a backend that fails (down, slow, a bad key) fails the strip at once.
    """
    strips: list[Strip] = []
    dropped: list[str] = []
    for number in range(count):
        try:
            # Each draft its own seed, so a different strip rather than the same one again. A re-ask moves
            # the seed along too, but with the problem in the conversation: no two calls ask the same.
            strips.append(write_strip(writer, request, subjects, panels, seed + number))
        except NoUsableAnswer as error:
            if number == count - 1 and not strips:
                raise
            dropped.append(f"strip draft {number + 1} of {count} dropped: {first_line(error)}")
        report("writing", number + 1, count)
    return strips, dropped


def rerender_strip(studio: Studio, original: Gag, progress: StudioProgress | None = None) -> Gag:
    """Paint a filed strip's panels again with its artist, seeds and size; file it as a new gag."""
    same = studio.backends.artist == original.artist
    artist = studio.artist if same else load_artist(original.artist, studio.settings)
    gag = original.model_copy(
        update={"id": new_gag_id(), "created": now_iso(), "parent": original.id, "timings": {}}, deep=True
    )
    subjects = [studio.subjects.find(name) or Subject(name=name) for name in original.subjects]
    return finish_strip(studio, Draft.rerendering(gag, subjects), artist=artist, progress=progress)[0]


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
    studio: Studio,
    gag: Gag,
    subjects: list[Subject],
    artist: Artist,
    report,
    checks: Checks,
    job_id: str | None = None,
    exchanges: Sequence[int] = (),
) -> tuple[Gag, LetteredStrip]:
    strip = gag.strip
    assert strip is not None
    started = time.perf_counter()
    try:
        # Every panel is checked (and failures repainted) before anything is lettered or written.
        painting = paint_panels(
            artist,
            gag.concepts,
            seeds=[gag.seed + index for index in range(len(gag.concepts))],
            width=gag.width,
            height=gag.height,
            subjects=subjects,
            checks=checks,
            progress=lambda done, total: report("painting", done, total),
        )
    finally:
        # What the vision model was asked and answered is logged like the writer's calls (named once filed).
        looked = studio.log_exchanges(checks.vision)
    gag.timings["artist"] = time.perf_counter() - started
    renders = keep_checked(gag, painting, slice(0, len(gag.concepts)), checks)
    gag.artist = artist.spec
    gag.artist_details = painting.details

    mark = time.perf_counter()
    report("lettering", 0, 1)
    lettered = _letter(renders, strip, gag.layout or "row", gag)
    gag.timings["letterer"] = time.perf_counter() - mark
    report("lettering", 1, 1)
    gag.timings["total"] = sum(gag.timings.get(stage, 0.0) for stage in ("writer", "editor", "artist", "letterer"))
    report("filing", 0, 1)
    filed = studio.gallery.add(gag, renders, [lettered.page], job_id=job_id)
    studio.gallery.link_exchanges([*exchanges, *looked], filed.id)
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
    checks: Checks,
    progress=None,
) -> CheckedPainting:
    """A strip's panels, panel i with seeds[i], painted so the cast carries over from panel to panel, and
    each checked as a gag's picture is (safety, sign, vision), repainted while it fails, the best try kept.

    An artist that paints from a reference picture (Kontext, local or hosted: `takes_reference_image`)
    paints and checks panel 1 first, then every other panel from the panel 1 it kept; any other artist
    paints every panel in one call, where a batching artist (Flux) paints them together with the same
    character text in each prompt. A panel the safety check blocks in every try refuses the whole strip.
    """
    if not getattr(artist, "takes_reference_image", False) or len(concepts) < 2:
        painting = paint_checked(
            artist, concepts, seeds=seeds, width=width, height=height, subjects=subjects, checks=checks,
            progress=progress,
        )  # fmt: skip
        _refuse_blocked(painting.images, checks)
        return painting
    first = paint_checked(
        artist, concepts[:1], seeds=seeds[:1], width=width, height=height, subjects=subjects,
        checks=replace(checks, replay=checks.replay[:1]), progress=progress,
    )  # fmt: skip
    _refuse_blocked(first.images, checks)  # with no panel 1 there is nothing to paint the others from
    rest = paint_checked(
        artist, concepts[1:], seeds=seeds[1:], width=width, height=height, subjects=subjects,
        checks=replace(checks, replay=checks.replay[1:]), progress=progress, reference=first.images[0],
    )  # fmt: skip
    images = [*first.images, *rest.images]
    _refuse_blocked(images, checks)
    details = dict(first.details)
    for key, value in rest.details.items():
        # Per-panel lists (seeds, prompts, references, sizes) run on across both calls; the rest is shared.
        if isinstance(value, list) and isinstance(details.get(key), list) and len(details[key]) == 1:
            details[key] = details[key] + value
    details["reference"] = "panel 1"
    pictures = [*first.pictures, *rest.pictures]
    for number, picture in enumerate(pictures):
        picture.concept = number
    details.pop("kept_seeds", None)  # each call's covers its own panels: said again for the whole strip
    seeds_kept = kept_seeds(pictures)
    if seeds_kept is not None:
        details["kept_seeds"] = seeds_kept
    return CheckedPainting(images, [*first.keep_clear, *rest.keep_clear], pictures, details)


def _refuse_blocked(images: Sequence[Image.Image | None], checks: Checks) -> None:
    """A strip missing a panel is no strip: one panel blocked in every try stops it before anything is written."""
    blocked = [number for number, image in enumerate(images, 1) if image is None]
    if blocked:
        tries = max(checks.retries, 0) + 1
        raise PicturesBlocked(
            f"the safety check ({checks.safety.name}) blocked panel(s) {', '.join(map(str, blocked))} of this strip "
            f"in {tries} {'try' if tries == 1 else 'tries'} each; nothing was saved: rephrase the request"
        )


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
