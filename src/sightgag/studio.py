"""The Studio: request -> writer -> Concepts -> artist -> images -> letterer -> Gag -> gallery.

Nothing here knows about a particular backend: the writer and the artist are chosen by spec
(`grok`, `flux:schnell`, ...) or handed in as objects, and they only meet through Concepts.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from PIL import Image

from sightgag import auto
from sightgag.artist import Artist, load_artist
from sightgag.bounds import check_seed, check_size
from sightgag.concept import MAX_CAPTION_CHARS, Box, Concept, check_lettering
from sightgag.editor import Editor, default_candidates, load_editor
from sightgag.editor.desk import build_checks, check_candidates, edit_concepts, keep_checked, refuse_blocked
from sightgag.editor.paintings import CheckedPainting, Checks, paint_checked
from sightgag.editor.record import EditorRecord, PictureChecks
from sightgag.errors import UsageError
from sightgag.gag import Gag
from sightgag.gallery import Gallery, new_gag_id, now_iso
from sightgag.hygiene import clean_text
from sightgag.settings import Settings
from sightgag.strip import Strip
from sightgag.subjects import Subject
from sightgag.subjects.library import SubjectLibrary
from sightgag.writer import Writer, load_writer
from sightgag.writer.request import clean_request

MAX_N = 8
DEFAULT_SIZE = (1024, 1024)

# Called as progress(stage, done, total); stages are "writing", "painting", "lettering" and "filing".
StudioProgress = Callable[[str, int, int], None]


@dataclass
class Draft:
    """A gag whose concepts are written but not yet painted, with the subjects it needs.

    `job_id` names the server job it is for: the gallery records it, so that a job run again after
    a crash finds the gag it already filed. `exchanges` are the rows of the LLM log its writer made; they name the gag once it is filed.
    """

    gag: Gag
    subjects: list[Subject]
    job_id: str | None = None
    exchanges: list[int] = field(default_factory=list)
    editor: Editor | None = None  # whose LLM, if any, looks at the paintings
    retries: int | None = None  # repaints of a failing picture; the settings' when None
    replay: list[PictureChecks] = field(default_factory=list)  # a rerender's original tries (Checks.replay)

    @classmethod
    def rerendering(cls, gag: Gag, subjects: list[Subject]) -> Draft:
        """A filed gag (a copy under a new id) to paint again: as many repaints as it had, and its tries'
        vision verdicts to replay, so that the same tries are made and the same one kept."""
        record = gag.editor
        if record is None:
            return cls(gag, subjects)
        # Concepts whose every try was blocked were dropped from the gag: their records are left out too.
        replay = [picture for picture in record.pictures if picture.kept is not None]
        return cls(gag, subjects, retries=record.retries, replay=replay)

    def first_seeds(self) -> list[int]:
        """Each concept's first try: the gag's seed + i; for a rerender, the seed its original try began with
        (a concept whose every try was blocked left the gag, and its place in the seeds with it)."""
        if self.replay and len(self.replay) == len(self.gag.concepts):
            return [picture.attempts[0].seed for picture in self.replay]
        return [self.gag.seed + index for index in range(len(self.gag.concepts))]


@dataclass
class Painted:
    """Drafts painted together and checked, waiting to be lettered and filed one by one (`Studio.file`)."""

    drafts: list[Draft]
    painting: CheckedPainting
    checks: Checks
    artist: str  # the spec of the artist that painted them
    seconds: float  # how long painting and checking took, shared by every gag of the batch

    def span(self, index: int) -> slice:
        """Where the `index`-th draft's pictures are among the batch's."""
        start = sum(len(draft.gag.concepts) for draft in self.drafts[:index])
        return slice(start, start + len(self.drafts[index].gag.concepts))


@dataclass
class Backends:
    """Which writer and artist a studio uses, and why (for `auto`)."""

    writer: str
    artist: str
    writer_reason: str = ""
    artist_reason: str = ""

    def describe(self) -> str:
        writer = f"writer: {self.writer}" + (f" ({self.writer_reason})" if self.writer_reason else "")
        artist = f"artist: {self.artist}" + (f" ({self.artist_reason})" if self.artist_reason else "")
        return f"{writer} · {artist}"


class Studio:
    """Makes gags and files them in the gallery.

    studio = Studio(writer="grok", artist="flux:schnell")
    gag = studio.make("my cat Mittens as a superhero fighting a giant ball of yarn", seed=7)
    """

    def __init__(
        self,
        writer: str | Writer | None = None,
        artist: str | Artist | None = None,
        *,
        settings: Settings | None = None,
        editor: str | Editor | None = None,
        checks: Checks | None = None,
    ):
        """`editor` ranks the writer's candidates (a spec, see sightgag.editor; the settings' when None);
        `checks` stands in for the checks after painting that the settings ask for (safety, signs, vision)."""
        self.settings = settings or Settings()
        self.editor_spec = editor if isinstance(editor, str | None) else None
        self._editor = None if isinstance(editor, str | None) else editor
        self._checks = checks
        self.gallery = Gallery(self.settings.home)
        self.subjects = SubjectLibrary(self.settings.home)
        self._writer = writer if not isinstance(writer, str | None) else None
        self._artist = artist if not isinstance(artist, str | None) else None
        self.backends = self._resolve_backends(writer, artist)

    def _resolve_backends(self, writer: str | Writer | None, artist: str | Artist | None) -> Backends:
        backends = Backends(writer="", artist="")
        if self._writer is not None:
            backends.writer = self._writer.spec
        else:
            spec = writer or self.settings.writer
            if spec == "auto":
                choice = auto.choose_writer(self.settings)
                spec, backends.writer_reason = choice.spec, choice.reason
            backends.writer = spec
        if self._artist is not None:
            backends.artist = self._artist.spec
        else:
            spec = artist or self.settings.artist
            if spec == "auto":
                choice = auto.choose_artist(self.settings)
                spec, backends.artist_reason = choice.spec, choice.reason
            backends.artist = spec
        return backends

    # Backends are built on first use: `sightgag concept` never loads an image model.
    @property
    def writer(self) -> Writer:
        if self._writer is None:
            self._writer = load_writer(self.backends.writer, self.settings)
        return self._writer

    @property
    def artist(self) -> Artist:
        if self._artist is None:
            self._artist = load_artist(self.backends.artist, self.settings)
        return self._artist

    # -- the pipeline -------------------------------------------------------------------------

    def concept(
        self,
        request: str,
        *,
        subjects: Sequence[Subject | str] = (),
        n: int = 1,
        seed: int | None = None,
        writer: Writer | None = None,
        editor: str | Editor | None = None,
        candidates: int | None = None,
    ) -> list[Concept]:
        """The writer and the editor's ranking: the `n` best of the writer's candidate Concepts, best first.

        `writer` writes this call instead of the studio's own (a server shares one studio among requests).
        """
        return self.edit(
            request, subjects=subjects, n=n, seed=seed, writer=writer, editor=editor, candidates=candidates
        )[0]

    def edit(
        self,
        request: str,
        *,
        subjects: Sequence[Subject | str] = (),
        n: int = 1,
        seed: int | None = None,
        writer: Writer | None = None,
        editor: str | Editor | None = None,
        candidates: int | None = None,
    ) -> tuple[list[Concept], EditorRecord]:
        """As `concept`, with the editor's record of how the concepts were chosen (scores and reasons)."""
        request = clean_request(request)
        _check_n(n)
        if seed is not None:
            check_seed(seed)
        check_candidates(candidates, n)
        writer = writer or self.writer
        chosen = self.choose_editor(editor, writer)
        drafts = n if chosen.spec == "none" else (candidates or default_candidates(n))
        subjects = self.subjects_for(subjects, request)
        written, _ = self._write(writer, request, subjects, drafts, seed)
        try:
            return edit_concepts(chosen, request, subjects, written, n)
        finally:
            self.log_exchanges(chosen)

    def make(
        self,
        request: str,
        *,
        subjects: Sequence[Subject | str] = (),
        n: int = 1,
        seed: int | None = None,
        size: tuple[int, int] | None = None,
        lettering: str | None = None,
        concepts: Sequence[Concept] | None = None,
        progress: StudioProgress | None = None,
        editor: str | Editor | None = None,
        candidates: int | None = None,
        punch_up: bool = False,
        retries: int | None = None,
    ) -> Gag:
        """Write, paint, letter and file one gag: one picture per concept, best first.

        Pass `concepts` to paint exactly those (an edited concept, or a benchmark's fixed one);
        the writer and the editor's ranking are then skipped. Image i is painted with seed + i; a picture
        that fails a check is painted again with the next seeds, up to `retries` times.
        """
        draft = self.prepare(
            request, subjects=subjects, n=n, seed=seed, size=size, lettering=lettering, concepts=concepts, progress=progress,
            editor=editor, candidates=candidates, punch_up=punch_up, retries=retries,
        )  # fmt: skip
        return self.finish([draft], progress=progress)[0]

    def prepare(
        self,
        request: str,
        *,
        subjects: Sequence[Subject | str] = (),
        n: int = 1,
        seed: int | None = None,
        size: tuple[int, int] | None = None,
        lettering: str | None = None,
        concepts: Sequence[Concept] | None = None,
        progress: StudioProgress | None = None,
        writer: Writer | None = None,
        artist: Artist | None = None,
        editor: str | Editor | None = None,
        candidates: int | None = None,
        punch_up: bool = False,
        retries: int | None = None,
    ) -> Draft:
        """Check the request and write its concepts: a gag ready to paint, not yet painted or filed.

        The writer drafts `candidates` concepts (twice `n` by default) and the editor keeps the `n` best.
        `writer` and `artist` stand in for the studio's own for this gag; paint it with the same
        artist (`finish(..., artist=)`).
        """
        request = clean_request(request)
        _check_n(n)
        width, height = check_size(*size) if size is not None else DEFAULT_SIZE
        if lettering is not None:
            check_lettering(lettering)
        seed = secrets.randbelow(2**31) if seed is None else check_seed(seed)
        check_candidates(candidates, n)
        resolved = self.subjects_for(subjects, request)
        gag_id = new_gag_id()
        report = progress or _quiet
        timings: dict[str, float] = {}

        # Both backends are built before any work, so a bad spec or a missing key fails before an LLM call is paid for.
        if concepts is None:
            writer = writer or self.writer
        artist = artist or self.artist
        writer_spec = "given"
        exchanges: list[int] = []
        chosen_editor, record = None, None
        if concepts is None:
            chosen_editor = self.choose_editor(editor, writer)
            drafts = n if chosen_editor.spec == "none" else (candidates or default_candidates(n))
            started = time.perf_counter()
            report("writing", 0, 1)
            concepts, exchanges = self._write(writer, request, resolved, drafts, seed)
            timings["writer"] = time.perf_counter() - started
            report("writing", 1, 1)
            writer_spec = writer.spec
            started = time.perf_counter()
            try:
                concepts, record = edit_concepts(chosen_editor, request, resolved, concepts, n, punch_up=punch_up)
            finally:
                exchanges += self.log_exchanges(chosen_editor)
            timings["editor"] = time.perf_counter() - started
        gag = Gag(
            id=gag_id,
            created=now_iso(),
            request=request,
            subjects=[subject.name for subject in resolved],
            concepts=list(concepts),
            images=[],
            renders=[],
            writer=writer_spec,
            artist=artist.spec,
            seed=seed,
            width=width,
            height=height,
            lettering=lettering,
            timings=timings,
            editor=record,
        )
        return Draft(gag, resolved, exchanges=exchanges, editor=chosen_editor, retries=retries)

    def finish(
        self, drafts: Sequence[Draft], *, artist: Artist | None = None, progress: StudioProgress | None = None
    ) -> list[Gag]:
        """Paint drafts in one artist call, then letter and file each one.

        Drafts painted together must share a size; each keeps its own seeds. This is how the server
        batches compatible jobs: two gags, one pipeline call.
        """
        painted = self.paint(drafts, artist=artist, progress=progress)
        return [self.file(painted, index, progress=progress) for index in range(len(painted.drafts))]

    def paint(
        self, drafts: Sequence[Draft], *, artist: Artist | None = None, progress: StudioProgress | None = None
    ) -> Painted:
        """Paint drafts in one artist call and check every picture (repainting failures); nothing is filed yet.

        `file` then letters and files each draft. The server runs the two in different threads, so
        that its painter paints the next batch while this one is lettered and filed.
        """
        artist = artist or self.artist
        report = progress or _quiet
        drafts = list(drafts)
        sizes = {(draft.gag.width, draft.gag.height) for draft in drafts}
        if len(sizes) != 1:
            raise UsageError(f"gags painted together must share a size, not {sorted(sizes)}")
        width, height = sizes.pop()
        concepts = [concept for draft in drafts for concept in draft.gag.concepts]
        seeds = [seed for draft in drafts for seed in draft.first_seeds()]
        subjects = list({subject.name: subject for draft in drafts for subject in draft.subjects}.values())

        # A rerender's verdicts are replayed for its one draft; drafts painted together have none.
        replay = drafts[0].replay if len(drafts) == 1 else ()
        checks = self.checks_for(drafts[0].editor, drafts[0].retries, replay)
        started = time.perf_counter()
        # Every picture is checked (and failures repainted) before anything is lettered or written.
        painting = paint_checked(
            artist,
            concepts,
            seeds=seeds,
            width=width,
            height=height,
            subjects=subjects,
            checks=checks,
            progress=lambda done, total: report("painting", done, total),
        )
        seconds = time.perf_counter() - started
        # What the vision model was asked and answered is logged like the writer's calls (named once filed).
        looked = self.log_exchanges(checks.vision)
        if len(drafts) == 1:
            drafts[0].exchanges.extend(looked)
        if len(drafts) > 1:
            painting.details["batch"] = [draft.gag.id for draft in drafts]
        return Painted(drafts, painting, checks, artist.spec, seconds)

    def file(self, painted: Painted, index: int, *, progress: StudioProgress | None = None) -> Gag:
        """Letter and file the `index`-th draft of a painted batch; the filed gag.

        A gag whose every picture the safety check blocked is refused here, alone: the others of its
        batch are filed as usual.
        """
        report = progress or _quiet
        draft = painted.drafts[index]
        gag = draft.gag
        span = painted.span(index)
        refuse_blocked(painted.painting.images[span], painted.checks)
        renders = keep_checked(gag, painted.painting, span, painted.checks)
        gag.artist = painted.artist
        gag.artist_details = painted.painting.details
        gag.timings["artist"] = painted.seconds

        mark = time.perf_counter()
        report("lettering", 0, len(renders))
        lettered = self._letter(renders, gag.concepts, gag.lettering, gag.keep_clear, _heroes(gag))
        gag.timings["letterer"] = time.perf_counter() - mark
        report("lettering", len(renders), len(renders))
        # The record is written once, so "total" covers everything but filing it.
        gag.timings["total"] = sum(gag.timings.get(stage, 0.0) for stage in ("writer", "editor", "artist", "letterer"))

        report("filing", 0, 1)
        filed = self.gallery.add(gag, renders, lettered, job_id=draft.job_id)
        self.gallery.link_exchanges(draft.exchanges, filed.id)
        report("filing", 1, 1)
        return filed

    def strip(
        self,
        request: str,
        *,
        subjects: Sequence[Subject | str] = (),
        panels: int = 4,
        layout: str = "row",
        seed: int | None = None,
        size: tuple[int, int] | None = None,
        strip: Strip | None = None,
        progress: StudioProgress | None = None,
        editor: str | Editor | None = None,
        candidates: int | None = None,
        retries: int | None = None,
    ) -> Gag:
        """Write, paint, letter and file a comic strip of `panels` panels (size is per panel), as one gag.

        Its `strip` is the whole Strip, `renders` its panels, `images` its one lettered page. Pass `strip`
        to paint exactly that one; the writer is then skipped. The editor ranks `candidates` drafts: whole
        strips from a writer that writes strips, else gags whose best becomes the punchline. Panel i is
        painted with seed + i and checked like a gag's picture: one that fails is painted again with the
        next seeds, up to `retries` times.
        """
        from sightgag.strip_studio import finish_strip, prepare_strip

        draft = prepare_strip(
            self, request, subjects=subjects, panels=panels, layout=layout, seed=seed, size=size, strip=strip,
            progress=progress, editor=editor, candidates=candidates, retries=retries,
        )  # fmt: skip
        return finish_strip(self, draft, artist=self.artist, progress=progress)[0]

    def reletter_strip(
        self, gag_id: str, *, layout: str | None = None, balloon: str | None = None, text: str | None = None
    ) -> Gag:
        """Set a filed strip's page again: another layout, or balloon "P.N" (or the punchline) saying `text`."""
        from sightgag.strip_studio import reletter_strip

        gag = self.gallery.get(gag_id)
        if gag.strip is None:
            raise UsageError(f"gag {gag.id} is not a strip: use `sightgag gallery reletter` with --lettering")
        return reletter_strip(self, gag, layout=layout, balloon=balloon, text=text)

    def rerender(self, gag_id: str, *, progress: StudioProgress | None = None) -> Gag:
        """Paint a gag's concepts again with its artist, seed and size, and file the result as a new gag."""
        original = self.gallery.get(gag_id)
        if original.strip is not None:
            from sightgag.strip_studio import rerender_strip

            return rerender_strip(self, original, progress)
        artist = self.artist if self.backends.artist == original.artist else load_artist(original.artist, self.settings)
        gag = original.model_copy(
            update={"id": new_gag_id(), "created": now_iso(), "parent": original.id, "timings": {}}, deep=True
        )
        # A subject removed since keeps its name in the gag; it is painted from the concept alone.
        subjects = [self.subjects.find(name) or Subject(name=name) for name in original.subjects]
        return self.finish([Draft.rerendering(gag, subjects)], artist=artist, progress=progress)[0]

    def reletter(self, gag_id: str, *, lettering: str | None = None, caption: str | None = None) -> Gag:
        """Letter a gag again from its clean renders, in another style or with another caption."""
        if caption is not None:
            caption = clean_text(
                caption, what="the caption", max_chars=MAX_CAPTION_CHARS, empty_hint="give the words to letter"
            )
        if lettering is not None:
            check_lettering(lettering)
        gag = self.gallery.get(gag_id)
        if gag.strip is not None:
            if lettering is not None:
                raise UsageError("a strip is lettered as a strip: change its layout or a balloon instead")
            return self.reletter_strip(gag.id, text=caption)
        concepts = gag.concepts
        if caption is not None:
            # Validate through the Concept, so a 40-word caption is refused here as anywhere else.
            concepts = [_with_caption(concept, caption) for concept in concepts]
        renders = [_load(path) for path in gag.renders]
        style = lettering or gag.lettering
        images = self._letter(renders, concepts, style, gag.keep_clear, _heroes(gag))
        gag = gag.model_copy(update={"concepts": concepts})
        return self.gallery.replace_images(gag, images, lettering=style)

    def animate(
        self,
        gag_id: str,
        *,
        seconds: float = 3.0,
        fps: int = 24,
        format: str = "mp4",
        animator: str | None = None,
        seed: int | None = None,
        image: int = 0,
        size: tuple[int, int] | None = None,
    ) -> dict:
        """Animate one of a gag's pictures (`auto`: the offline `sketch` unless a GPU has Wan) and file the clip with it.

        Returns the clip's record: its file, how it was made (animator, model, seed), length and size.
        """
        from sightgag.animator.gag import animate_gag

        return animate_gag(
            gag_id,
            settings=self.settings,
            animator=animator,
            seconds=seconds,
            fps=fps,
            fmt=format,
            seed=seed,
            index=image,
            size=size,
        )

    # -- stages -----------------------------------------------------------------------------

    def checks_for(
        self, editor: Editor | None = None, retries: int | None = None, replay: Sequence[PictureChecks] = ()
    ) -> Checks:
        """The checks after painting: those the studio was given, else those the settings ask for, with the
        editor's LLM as the vision judge when it can see, and `retries` repaints (the settings' when None);
        a rerender's original tries to `replay` (Checks.replay)."""
        checks = self._checks or build_checks(self.settings, editor, retries)
        return replace(checks, replay=list(replay)) if replay else checks

    def choose_editor(self, editor: str | Editor | None, writer: Writer) -> Editor:
        """The editor a call asks for (a spec or an Editor), else the studio's own, else the settings'."""
        if editor is not None and not isinstance(editor, str):
            return editor
        if editor is None and self._editor is not None:
            return self._editor
        return load_editor(editor or self.editor_spec or self.settings.editor, self.settings, writer)

    def log_exchanges(self, caller: object) -> list[int]:
        """Log what a writer, editor or vision judge asked and was answered, with no gag yet; the rows."""
        exchanges = getattr(caller, "exchanges", None)
        if not exchanges:
            return []
        logged = self.gallery.log_exchanges(list(exchanges))
        exchanges.clear()
        return logged

    def _write(
        self, writer: Writer, request: str, subjects: list[Subject], n: int, seed: int | None
    ) -> tuple[list[Concept], list[int]]:
        """The writer's concepts, and the rows its exchanges were logged in.

        Exchanges are logged at once, failures included, with no gag: a gag that is never filed must
        not be named in the log. `finish` links them to the gag it files.
        """
        logged: list[int] = []
        try:
            concepts = writer.write(request, subjects, n=n, seed=seed)
        finally:
            logged = self.log_exchanges(writer)
        return concepts[:n], logged

    def _letter(
        self,
        images: list[Image.Image],
        concepts: list[Concept],
        lettering: str | None,
        keep_clear: Sequence[Sequence[Box]] = (),
        heroes: Sequence[Box | None] = (),
    ) -> list[Image.Image]:
        from sightgag.editor.clear_hero import letter_clear_of_hero
        from sightgag.letterer import letter
        from sightgag.letterer.errors import CaptionTooLongError

        # Artists that cannot know where they painted text (and gags filed before keep_clear) report nothing.
        keep_clear = [*keep_clear, *[()] * (len(images) - len(keep_clear))]
        heroes = [*heroes, *[None] * (len(images) - len(heroes))]
        lettered = []
        for image, concept, clear, hero in zip(images, concepts, keep_clear, heroes):
            try:
                placed = letter_clear_of_hero(image, concept, lettering, clear, forced=lettering is not None, hero=hero)
                lettered.append(placed.lettered.image)
            except CaptionTooLongError:
                if lettering is not None:
                    raise  # the user asked for this style: say it cannot fit, and how to fix it
                # The writer's choice of style does not fit; the band under the picture always does.
                lettered.append(letter(image, concept, style="caption"))
        return lettered

    def subjects_for(self, subjects: Sequence[Subject | str], request: str = "") -> list[Subject]:
        """The subjects given (objects or names in the library) plus those the request names."""
        chosen = [subject if isinstance(subject, Subject) else self.subjects.get(subject) for subject in subjects]
        for subject in self.subjects.named_in(request):
            if all(subject.name != other.name for other in chosen):
                chosen.append(subject)
        return chosen


def _quiet(stage: str, done: int, total: int) -> None:
    pass


def _check_n(n: int) -> None:
    if not 1 <= n <= MAX_N:
        raise UsageError(f"--n must be between 1 and {MAX_N}, not {n}")


def _heroes(gag: Gag) -> list[Box | None]:
    """Where the artist drew each picture's hero, when it said (the editor keeps it)."""
    return [picture.hero for picture in gag.editor.pictures] if gag.editor else []


def _with_caption(concept: Concept, caption: str) -> Concept:
    data = concept.model_dump()
    data["caption"]["text"] = caption
    try:
        return Concept.model_validate(data)
    except ValueError as error:
        raise UsageError(f"bad caption: {error.errors()[0]['msg']}") from None  # type: ignore[attr-defined]


def _load(path) -> Image.Image:
    with Image.open(path) as image:
        return image.convert("RGB")
