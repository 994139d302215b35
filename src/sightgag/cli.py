"""The command line: `sightgag make "my cat Mittens as a superhero"` and friends.

Every failure the user can act on is one line on stderr and exit status 2 (usage) or 1 (runtime);
`--debug` shows the traceback instead.

Data (requests, captions, titles, names, traits, paths, error messages) is printed as rich `Text`,
never as markup, and through `displayable`, so a caption "[/bold]" or an escape in a stored title prints
as typed instead of crashing the command or driving the terminal.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from sightgag.errors import SightgagError, UsageError
from sightgag.hygiene import displayable
from sightgag.settings import Settings

app = typer.Typer(
    help="Personalized funny pictures: an LLM comedy writer, FLUX.1, and real lettering.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
gallery_app = typer.Typer(help="Browse the gallery; re-render, re-letter or delete a gag.", no_args_is_help=True)
app.add_typer(gallery_app, name="gallery")
subjects_app = typer.Typer(help="Your own subjects (pets, friends, yourself), learned from photos.", no_args_is_help=True)
app.add_typer(subjects_app, name="subjects")

out = Console(soft_wrap=True)  # paths and captions must never be broken across lines
err = Console(stderr=True)

WriterOption = Annotated[
    Optional[str], typer.Option("--writer", "-w", help="grok[:MODEL], openai[:MODEL], ollama[:MODEL], openai-compat:URL, local[:MODEL], offline, auto, or a plugin's (sightgag plugins)")
]
ArtistOption = Annotated[
    Optional[str], typer.Option("--artist", "-a", help="flux:schnell, flux:dev, flux:/path, bfl:flux-pro-1.1, xai[:MODEL], sketch, auto, or a plugin's (sightgag plugins)")
]
JsonOption = Annotated[bool, typer.Option("--json", help="print one JSON object instead of text")]
EditorOption = Annotated[
    Optional[str], typer.Option("--editor", help="ranks the candidates: auto, offline, none, or an LLM spec (grok, openai, openai-compat:URL)")
]
CandidatesOption = Annotated[Optional[int], typer.Option("--candidates", help="concepts the writer drafts for the editor to rank (default 2 x N, at most 8)")]
RetriesOption = Annotated[Optional[int], typer.Option("--retries", help="repaints of a picture that fails a check (default 2)")]

_debug = False


@app.callback()
def _root(debug: Annotated[bool, typer.Option("--debug", help="show tracebacks")] = False) -> None:
    global _debug
    _debug = debug


def _studio(writer: str | None = None, artist: str | None = None):
    from sightgag.studio import Studio

    return Studio(writer=writer, artist=artist, settings=Settings())


def _line(*pieces: str | tuple[str, str], style: str = "") -> Text:
    """One line of data: each piece shown as written (never read as markup), a (text, style) pair styled."""
    return Text.assemble(
        *((displayable(piece), "") if isinstance(piece, str) else (displayable(piece[0]), piece[1]) for piece in pieces),
        style=style,
    )


def _parse_size(text: str | None) -> tuple[int, int] | None:
    from sightgag.bounds import parse_size

    if text is None:
        return None
    try:
        return parse_size(text)
    except UsageError as error:
        raise UsageError(f"--size: {error}") from None


def _say_backends(studio, as_json: bool) -> None:
    # Said once, in one line, so the user knows what `auto` picked and how to pick otherwise.
    if not as_json and (studio.backends.writer_reason or studio.backends.artist_reason):
        err.print(_line(studio.backends.describe(), style="dim"), soft_wrap=True)


class _ProgressBars:
    """Rich progress for the studio's stages; painting gets a bar over its steps."""

    def __init__(self, enabled: bool):
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            disable=not enabled,
            transient=True,
        )
        self.tasks: dict[str, int] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in self.tasks:
            self.tasks[stage] = self.progress.add_task(stage, total=total)
        self.progress.update(self.tasks[stage], completed=done, total=total)

    def __enter__(self):
        self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        return self.progress.__exit__(*exc)


@app.command()
def make(
    request: Annotated[str, typer.Argument(help='what you want, e.g. "my cat Mittens as a superhero"')],
    subject: Annotated[list[str], typer.Option("--subject", "-s", help="a personal subject in the picture (repeatable)")] = [],
    writer: WriterOption = None,
    artist: ArtistOption = None,
    lettering: Annotated[Optional[str], typer.Option(help="meme, caption, balloon, label or none (default: the writer's choice)")] = None,
    n: Annotated[int, typer.Option("--n", "-n", help="how many distinct gags (one picture each)")] = 1,
    seed: Annotated[Optional[int], typer.Option(help="seed for reproducible results")] = None,
    size: Annotated[Optional[str], typer.Option(help="WIDTHxHEIGHT, default 1024x1024")] = None,
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="also copy the pictures into this folder")] = None,
    editor: EditorOption = None,
    candidates: CandidatesOption = None,
    punch_up: Annotated[bool, typer.Option("--punch-up", help="an LLM editor rewrites the kept captions once")] = False,
    retries: RetriesOption = None,
    animate_too: Annotated[bool, typer.Option("--animate", help="also animate the first picture (3 s MP4, `sightgag animate` for more)")] = False,
    as_json: JsonOption = False,
) -> None:
    """Write, paint and letter a gag, and file it in the gallery."""
    from sightgag.bounds import check_seed
    from sightgag.concept import check_lettering

    # Everything the user typed is checked before a writer is paid or a pipeline loaded.
    parsed_size = _parse_size(size)
    if seed is not None:
        check_seed(seed)
    if lettering is not None:
        check_lettering(lettering)
    if out_dir is not None:
        _check_out_dir(out_dir)
    studio = _studio(writer, artist)
    _say_backends(studio, as_json)
    with _ProgressBars(enabled=not as_json and sys.stderr.isatty()) as bars:
        gag = studio.make(
            request, subjects=subject, n=n, seed=seed, size=parsed_size, lettering=lettering, progress=bars,
            editor=editor, candidates=candidates, punch_up=punch_up, retries=retries,
        )  # fmt: skip
    images = [str(path) for path in gag.images]
    if out_dir is not None:
        images = _copy_out(gag, out_dir)
    clip = studio.animate(gag.id) if animate_too else None
    if clip is not None and out_dir is not None:
        import shutil

        clip["file"] = shutil.copyfile(clip["file"], out_dir / f"{gag.id}-0.{clip['format']}").as_posix()
    if as_json:
        summary = gag.summary()
        summary["images"] = images
        if clip is not None:
            summary["clip"] = clip
        print(json.dumps(summary, ensure_ascii=False))
        return
    for path, concept in zip(images, gag.concepts):
        out.print(_line((concept.title, "bold"), "  ", (f"({concept.device.value})", "dim")))
        out.print(_line(f"  {concept.caption.text}"))
        out.print(_line(f"  {path}", style="cyan"))
    if clip is not None:
        _say_clip(clip)
    out.print(_line(f"gag {gag.id} · seed {gag.seed} · {gag.timings.get('total', 0):.1f} s", style="dim"))


@app.command()
def animate(
    gag_id: Annotated[str, typer.Argument(help="a gag id or a unique prefix")],
    seconds: Annotated[float, typer.Option(help="length of the clip")] = 3.0,
    fps: Annotated[int, typer.Option(help="frames per second")] = 24,
    fmt: Annotated[str, typer.Option("--format", help="mp4, gif or webp")] = "mp4",
    animator: Annotated[Optional[str], typer.Option(help="auto, sketch (offline), xai[:MODEL], wan[:SOURCE] or ltx[:SOURCE]")] = None,
    seed: Annotated[Optional[int], typer.Option(help="seed for the motion (default: the picture's own)")] = None,
    image: Annotated[int, typer.Option(help="which of the gag's pictures, from 0")] = 0,
    size: Annotated[Optional[str], typer.Option(help="WIDTHxHEIGHT the local video model makes (wan, ltx)")] = None,
    as_json: JsonOption = False,
) -> None:
    """Animate a filed gag: a few seconds of motion, the caption landing on the last beat, filed with the gag."""
    from sightgag.animator.gag import animate_gag

    clip = animate_gag(
        gag_id,
        settings=Settings(),
        animator=animator,
        seconds=seconds,
        fps=fps,
        fmt=fmt,
        seed=seed,
        index=image,
        size=_parse_size(size) if size else None,
    )
    if as_json:
        print(json.dumps(clip, ensure_ascii=False))
        return
    _say_clip(clip)


def _say_clip(clip: dict) -> None:
    out.print(_line(f"  {clip['file']}", style="cyan"))
    out.print(
        _line(
            f"  {clip['seconds']:g} s · {clip['fps']} fps · {clip['size']} · {clip['bytes'] / 1000:.0f} kB"
            f" ({clip['bytes_per_second'] / 1000:.0f} kB/s) · {clip['animator']} · seed {clip['seed']}",
            style="dim",
        )
    )


@app.command()
def strip(
    request: Annotated[str, typer.Argument(help='the story, e.g. "my cat Mittens vs the vacuum cleaner"')],
    panels: Annotated[int, typer.Option(help="3 or 4 panels")] = 4,
    layout: Annotated[str, typer.Option(help="row, grid (2 columns) or column (for phones)")] = "row",
    subject: Annotated[list[str], typer.Option("--subject", "-s", help="a personal subject in the strip (repeatable)")] = [],
    writer: WriterOption = None,
    artist: ArtistOption = None,
    seed: Annotated[Optional[int], typer.Option(help="seed for reproducible results (panel i gets seed + i)")] = None,
    size: Annotated[Optional[str], typer.Option(help="WIDTHxHEIGHT of each panel, default 512x512")] = None,
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="also copy the page into this folder")] = None,
    editor: EditorOption = None,
    candidates: Annotated[Optional[int], typer.Option("--candidates", help="drafts for the editor to rank: whole strips from an LLM writer (default 2), else gags for the punchline (default 2); at most 8")] = None,
    retries: RetriesOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write, paint and letter a comic strip of 3 or 4 panels with the same cast, and file it."""
    from sightgag.bounds import check_seed
    from sightgag.strip import check_layout, check_panels

    parsed_size = _parse_size(size)
    check_panels(panels)
    check_layout(layout)
    if seed is not None:
        check_seed(seed)
    if out_dir is not None:
        _check_out_dir(out_dir)
    studio = _studio(writer, artist)
    _say_backends(studio, as_json)
    with _ProgressBars(enabled=not as_json and sys.stderr.isatty()) as bars:
        gag = studio.strip(
            request, subjects=subject, panels=panels, layout=layout, seed=seed, size=parsed_size, progress=bars,
            editor=editor, candidates=candidates, retries=retries,
        )  # fmt: skip
    images = [str(path) for path in gag.images]
    if out_dir is not None:
        images = _copy_out(gag, out_dir)
    if as_json:
        summary = gag.summary()
        summary["images"] = images
        print(json.dumps(summary, ensure_ascii=False))
        return
    _print_strip(gag)
    out.print(_line(f"  {images[0]}", style="cyan"))
    out.print(_line(f"strip {gag.id} · seed {gag.seed} · {gag.timings.get('total', 0):.1f} s", style="dim"))


def _print_strip(gag) -> None:
    """The strip as a script: each panel's beat, then who says what."""
    out.print(_line((gag.strip.title, "bold"), "  ", (f"({gag.strip.device.value}, {len(gag.strip.panels)} panels)", "dim")))
    for number, panel in enumerate(gag.strip.panels, 1):
        out.print(_line((f"  {number}. {panel.beat}", "bold"), f"  {panel.moment}"))
        if panel.caption:
            out.print(_line("     [box] ", (panel.caption, "italic")))
        for index, line in enumerate(panel.balloons, 1):
            out.print(_line(f"     {number}.{index} {line.speaker}: ", (line.text, "italic")))


@app.command()
def concept(
    request: Annotated[str, typer.Argument(help="what you want")],
    subject: Annotated[list[str], typer.Option("--subject", "-s", help="a personal subject (repeatable)")] = [],
    n: Annotated[int, typer.Option("--n", "-n", help="how many distinct concepts")] = 1,
    seed: Annotated[Optional[int], typer.Option(help="seed, where the writer supports one")] = None,
    writer: WriterOption = None,
    editor: EditorOption = None,
    candidates: CandidatesOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run the writer (and the editor's ranking) and show the concepts kept."""
    studio = _studio(writer, "sketch")
    _say_backends(studio, as_json)
    concepts, record = studio.edit(request, subjects=subject, n=n, seed=seed, editor=editor, candidates=candidates)
    if as_json:
        concept_list = [c.model_dump(mode="json") for c in concepts]
        print(json.dumps({"writer": studio.backends.writer, "concepts": concept_list, "editor": record.model_dump(mode="json")}, ensure_ascii=False))
        return
    for number, item in enumerate(concepts, 1):
        out.print(_line((f"{number}. {item.title}", "bold"), "  ", (f"({item.device.value})", "dim")))
        out.print(_line(f"   premise: {item.premise}"))
        out.print(_line(f"   cast:    {', '.join(f'{m.name} ({m.role})' for m in item.cast)}"))
        out.print(_line(f"   moment:  {item.moment}"))
        out.print(_line("   caption: ", (item.caption.text, "italic"), " ", (f"({item.caption.lettering})", "dim")))


# -- gallery ----------------------------------------------------------------------------------


@gallery_app.command("list")
def gallery_list(
    limit: Annotated[int, typer.Option(help="how many, newest first")] = 20,
    as_json: JsonOption = False,
) -> None:
    """The newest gags."""
    from sightgag.gallery import Gallery

    gags = Gallery(Settings().home).list(limit)
    if as_json:
        print(json.dumps([gag.summary() for gag in gags], ensure_ascii=False))
        return
    if not gags:
        out.print("The gallery is empty: try `sightgag make \"my cat as a superhero\"`.")
        return
    table = Table("id", "caption", "artist", "images")
    for gag in gags:
        caption = f"[strip] {gag.strip.title}" if gag.strip else gag.concept.caption.text
        table.add_row(_line(gag.id), _line(caption), _line(gag.artist), str(len(gag.images)))
    out.print(table)


@gallery_app.command("show")
def gallery_show(gag_id: Annotated[str, typer.Argument(help="a gag id or a unique prefix")], as_json: JsonOption = False) -> None:
    """Everything recorded about one gag."""
    from sightgag.gallery import Gallery

    from sightgag.clips import ClipShelf

    settings = Settings()
    gag = Gallery(settings.home).get(gag_id)
    clips = ClipShelf(settings.home).list(gag.id)
    if as_json:
        print(json.dumps({**gag.summary(), "clips": clips}, ensure_ascii=False))
        return
    if gag.strip is not None:
        out.print(_line(f"strip {gag.id}   layout: {gag.layout}"))
        out.print(_line(f"request:  {gag.request}"))
        _print_strip(gag)
        out.print(_line(f"writer:   {gag.writer}   artist: {gag.artist}   seed: {gag.seed}   panel: {gag.width}x{gag.height}"))
        for path in gag.images:
            out.print(_line(f"  {path}", style="cyan"))
        if gag.editor is not None:
            _print_editor(gag.editor)
        return
    out.print(_line((gag.concept.title, "bold"), f"  {gag.id}"))
    out.print(_line(f"request:  {gag.request}"))
    out.print(_line(f"caption:  {gag.concept.caption.text}"))
    out.print(_line(f"writer:   {gag.writer}   artist: {gag.artist}   seed: {gag.seed}   size: {gag.width}x{gag.height}"))
    for path in gag.images:
        out.print(_line(f"  {path}", style="cyan"))
    if gag.editor is not None:
        _print_editor(gag.editor)
    for clip in clips:
        out.print(_line(f"clip:     {clip['seconds']:g} s {clip['format']} by {clip['animator']} (seed {clip['seed']})"))
        out.print(_line(f"  {clip['file']}", style="cyan"))


@gallery_app.command("rerender")
def gallery_rerender(gag_id: Annotated[str, typer.Argument(help="a gag id or a unique prefix")], as_json: JsonOption = False) -> None:
    """Paint a gag again with the same concept, artist and seed."""
    # The gag names its own artist; the studio's defaults are never loaded.
    studio = _studio("offline", "sketch")
    with _ProgressBars(enabled=not as_json and sys.stderr.isatty()) as bars:
        gag = studio.rerender(gag_id, progress=bars)
    if gag.artist_details.get("seeded") is False and not as_json:
        # An artist without seeds (xai) cannot paint the same picture twice; say so rather than pretend.
        err.print(_line(f"{gag.artist} takes no seed: this is a new picture of the same concept", style="dim"))
    _print_gag_paths(gag, as_json)


@gallery_app.command("reletter")
def gallery_reletter(
    gag_id: Annotated[str, typer.Argument(help="a gag id or a unique prefix")],
    lettering: Annotated[Optional[str], typer.Option(help="meme, caption, balloon, label or none")] = None,
    caption: Annotated[Optional[str], typer.Option(help="new caption text (for a strip: the words of --balloon)")] = None,
    layout: Annotated[Optional[str], typer.Option(help="a strip's page: row, grid or column")] = None,
    balloon: Annotated[Optional[str], typer.Option(help="a strip's balloon PANEL.N to reword with --caption, e.g. 2.1")] = None,
    as_json: JsonOption = False,
) -> None:
    """Letter a gag (or a strip's page) again without painting it again."""
    studio = _studio("offline", "sketch")
    if layout is not None or balloon is not None:
        gag = studio.reletter_strip(gag_id, layout=layout, balloon=balloon, text=caption)
    else:
        gag = studio.reletter(gag_id, lettering=lettering, caption=caption)
    _print_gag_paths(gag, as_json)


@gallery_app.command("delete")
def gallery_delete(gag_id: Annotated[str, typer.Argument(help="a gag id or a unique prefix")], as_json: JsonOption = False) -> None:
    """Delete a gag and its pictures (the LLM log keeps its exchanges)."""
    from sightgag.gallery import Gallery

    gag = Gallery(Settings().home).delete(gag_id)
    if as_json:
        print(json.dumps({"deleted": gag.id}, ensure_ascii=False))
    else:
        out.print(_line(f"deleted gag {gag.id}"))


def _print_editor(record) -> None:
    out.print(_line(f"editor:   {record.editor} · {record.candidates} candidates"))
    for judgement in record.ranking:
        mark = "kept" if judgement.kept else "    "
        out.print(_line(f"  {mark} {judgement.score:4.1f}  {judgement.caption}  ", (judgement.reason, "dim")))
    for change in record.punch_up:
        out.print(_line(f"  punch-up: {change.original!r} → {change.caption!r}"))
    for picture in record.pictures:
        tries = ", ".join(
            f"seed {attempt.seed}"
            + (" blocked" if attempt.blocked else "")
            + (f" sign {attempt.sign.read!r} ({attempt.sign.similarity:.2f})" if attempt.sign else "")
            + ("" if attempt.vision is None else " vision ok" if attempt.vision.passed else " vision failed")
            for attempt in picture.attempts
        )
        out.print(_line(f"  picture {picture.concept + 1}: {tries}"))
    out.print(_line(f"  safety: {record.safety} · blocked: {record.blocked} · vision: {record.vision}"))
    for note in record.notes + [note for picture in record.pictures for note in picture.notes]:
        out.print(_line(f"  note: {note}"))


def _print_gag_paths(gag, as_json: bool) -> None:
    if as_json:
        print(json.dumps(gag.summary(), ensure_ascii=False))
        return
    for path in gag.images:
        out.print(_line(str(path), style="cyan"))
    out.print(_line(f"gag {gag.id}", style="dim"))


# -- subjects ---------------------------------------------------------------------------------


def _library():
    from sightgag.subjects.library import SubjectLibrary

    return SubjectLibrary(Settings().home)


def _print_subject(subject, as_json: bool) -> None:
    if as_json:
        print(json.dumps(subject.model_dump(mode="json"), ensure_ascii=False))
        return
    out.print(_line((subject.name, "bold"), *([("  ", ""), (f"({subject.kind})", "dim")] if subject.kind else [])))
    if subject.aliases:
        out.print(_line(f"  also called: {', '.join(subject.aliases)}"))
    out.print(_line(f"  traits: {'; '.join(subject.traits) or '(none yet: sightgag subjects edit NAME --trait ...)'}"))
    out.print(_line(f"  photos: {len(subject.photos)}" + (f"   LoRA: {subject.lora} (trigger {subject.trigger})" if subject.lora else "")))


@subjects_app.command("add")
def subjects_add(
    name: Annotated[str, typer.Argument(help="what you call them, e.g. Mittens")],
    photos: Annotated[list[Path], typer.Argument(help="one or more photos (JPEG, PNG, WebP)")],
    kind: Annotated[str, typer.Option(help="cat, dog, person, ...")] = "",
    vision: Annotated[Optional[str], typer.Option(help="a vision-capable writer spec to describe traits (default: grok/openai when a key is set, else read from the photos)")] = None,
    as_json: JsonOption = False,
) -> None:
    """Add a subject with photos (or more photos to one you have)."""
    from sightgag.subjects.describe import trait_reader

    # Traits are read before anything is stored: if they cannot be, the subject is not half-added.
    subject, skipped = _library().add(name, photos, kind=kind, describe=trait_reader(Settings(), vision))
    if skipped and not as_json:
        err.print(f"skipped {skipped} duplicate photo(s)")
    _print_subject(subject, as_json)


@subjects_app.command("list")
def subjects_list(as_json: JsonOption = False) -> None:
    """Your subjects."""
    subjects = _library().list()
    if as_json:
        print(json.dumps([subject.model_dump(mode="json") for subject in subjects], ensure_ascii=False))
        return
    if not subjects:
        out.print("No subjects yet: sightgag subjects add Mittens cat1.jpg cat2.jpg --kind cat")
    for subject in subjects:
        _print_subject(subject, False)


@subjects_app.command("show")
def subjects_show(name: Annotated[str, typer.Argument(help="a name or alias")], as_json: JsonOption = False) -> None:
    """Everything known about one subject."""
    _print_subject(_library().get(name), as_json)


@subjects_app.command("edit")
def subjects_edit(
    name: Annotated[str, typer.Argument(help="a name or alias")],
    kind: Annotated[Optional[str], typer.Option(help="cat, dog, person, ...")] = None,
    trait: Annotated[list[str], typer.Option("--trait", "-t", help="replace the traits with these (repeatable)")] = [],
    add_trait: Annotated[list[str], typer.Option("--add-trait", help="add a trait (repeatable)")] = [],
    alias: Annotated[list[str], typer.Option("--alias", help="replace the aliases with these (repeatable)")] = [],
    as_json: JsonOption = False,
) -> None:
    """Change a subject's kind, traits or aliases."""
    library = _library()
    subject = library.get(name)
    # The library checks and tidies what changed, as it does for the HTTP API.
    if kind is not None:
        subject.kind = kind
    if trait:
        subject.traits = list(trait)
    subject.traits = [*subject.traits, *add_trait]
    if alias:
        subject.aliases = list(alias)
    _print_subject(library.update(subject), as_json)


@subjects_app.command("remove")
def subjects_remove(name: Annotated[str, typer.Argument(help="a name or alias")], as_json: JsonOption = False) -> None:
    """Forget a subject and delete its stored photos (the gags made with it stay)."""
    subject = _library().remove(name)
    if as_json:
        print(json.dumps({"removed": subject.name}, ensure_ascii=False))
    else:
        out.print(_line(f"removed {subject.name}"))


# -- serve ------------------------------------------------------------------------------------

RayOption = Annotated[bool, typer.Option("--ray", help="run on Ray (the ray extra): a local instance, or the cluster at --address")]
AddressOption = Annotated[Optional[str], typer.Option("--address", help="a Ray cluster to join: auto, HOST:6379 or ray://HOST:10001 (implies --ray)")]


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="the interface to listen on (IPv6 as ::1 or [::1]); anything but loopback needs SIGHTGAG_API_KEY")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="the port to listen on, 1-65535; 0 picks a free one")] = 8000,
    ray: Annotated[bool, typer.Option("--ray", help="run on Ray Serve, painters on the cluster's GPUs (docs/scale.md)")] = False,
    address: AddressOption = None,
    min_painters: Annotated[int, typer.Option(help="with --ray: painter replicas kept running")] = 1,
    max_painters: Annotated[int, typer.Option(help="with --ray: most painter replicas (one per GPU)")] = 1,
) -> None:
    """The studio in your browser, a JSON API and an OpenAI-compatible endpoint."""
    if ray or address:
        from sightgag.ray_cluster import require_ray

        require_ray()
        from sightgag.server.ray_app import serve_on_ray

        serve_on_ray(host, port, address, min_painters=min_painters, max_painters=max_painters)
        return
    from sightgag.server import serve as run_server

    run_server(host, port)


# -- batch ------------------------------------------------------------------------------------


@app.command()
def batch(
    requests: Annotated[Path, typer.Argument(help="a JSON Lines file, one request per line (docs/scale.md)")],
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="where results.jsonl and the pictures go (default: REQUESTS-results beside it)")] = None,
    ray: RayOption = False,
    address: AddressOption = None,
    concurrency: Annotated[Optional[int], typer.Option(help="with Ray: painter actors (default one per GPU, or CPU); without: lines written at once")] = None,
    writer: WriterOption = None,
    artist: ArtistOption = None,
    lettering: Annotated[Optional[str], typer.Option(help="for lines that do not choose one")] = None,
    n: Annotated[int, typer.Option("--n", "-n", help="for lines that do not say")] = 1,
    seed: Annotated[Optional[int], typer.Option(help="for lines that do not say (default: a random seed per line)")] = None,
    size: Annotated[Optional[str], typer.Option(help="for lines that do not say: WIDTHxHEIGHT, default 1024x1024")] = None,
    retry_failed: Annotated[bool, typer.Option("--retry-failed", help="make the lines that failed last time again")] = False,
    as_json: JsonOption = False,
) -> None:
    """Make a gag for every line of a JSON Lines file; a run started again skips the lines already done."""
    from sightgag.batch import BatchDefaults, BatchRun, default_out
    from sightgag.bounds import check_seed
    from sightgag.concept import check_lettering

    if ray or address:
        from sightgag.ray_cluster import require_ray

        require_ray()
    if concurrency is not None and concurrency < 1:
        raise UsageError(f"--concurrency must be at least 1, not {concurrency}")
    defaults = BatchDefaults(
        n=n,
        seed=check_seed(seed) if seed is not None else None,
        lettering=check_lettering(lettering) if lettering is not None else None,
        size=_parse_size(size),
    )
    out_dir = out_dir or default_out(requests)
    _check_out_dir(out_dir)
    run = BatchRun(requests, out_dir, _studio(writer, artist), defaults, retry_failed=retry_failed)
    skipped = len(run.entries) - len(run.todo)
    progress = Progress(TextColumn("gags"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err, disable=as_json or not sys.stderr.isatty())
    with progress:
        task = progress.add_task("gags", total=len(run.todo))
        report = lambda done, total: progress.update(task, completed=done)  # noqa: E731
        if ray or address:
            from sightgag.ray_batch import run_on_ray

            run_on_ray(run, address, concurrency=concurrency, progress=report)
        else:
            run.run(concurrency=concurrency or 1, progress=report)
    summary = {"results": str(run.results), "made": run.done, "failed": run.failed, "skipped": skipped}
    if as_json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        out.print(_line(f"{run.done} made, {run.failed} failed, {skipped} done before · {run.results}"))


# -- train ------------------------------------------------------------------------------------


@app.command()
def train(
    name: Annotated[str, typer.Argument(help="the subject, by name or alias")],
    base: Annotated[Optional[str], typer.Option(help="the FLUX.1 model to fine-tune: flux:dev (default; its LoRAs also paint with schnell), flux:schnell, flux:/path")] = None,
    steps: Annotated[Optional[int], typer.Option(help="training steps in all, those of a resumed run included (default 500)")] = None,
    rank: Annotated[Optional[int], typer.Option(help="LoRA rank (default 16)")] = None,
    lr: Annotated[Optional[float], typer.Option("--lr", help="learning rate (default 1e-4)")] = None,
    resolution: Annotated[Optional[int], typer.Option(help="training pixels per side, in aspect-ratio buckets (default 512)")] = None,
    quantize: Annotated[Optional[str], typer.Option(help="nf4 (QLoRA) or int8: a quantized base model, CUDA only")] = None,
    adam8bit: Annotated[bool, typer.Option("--adam8bit", help="8-bit AdamW (bitsandbytes), CUDA only")] = False,
    resume: Annotated[bool, typer.Option("--resume", help="go on from the last checkpoint")] = False,
    as_json: JsonOption = False,
) -> None:
    """Fine-tune a LoRA of a subject on its photos; the flux artist then uses it whenever the subject is cast."""
    from rich.progress import TimeRemainingColumn

    from sightgag.subjects.training import train_lora

    library = _library()
    subject = library.get(name)
    progress = Progress(
        TextColumn("{task.description}", markup=False),  # the name is data: never markup, never a format
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=as_json or not sys.stderr.isatty(),
        transient=True,
    )
    with progress:
        task = progress.add_task(displayable(f"training {subject.name}"), total=None, loss="…")
        result = train_lora(
            subject, library, base=base, steps=steps, rank=rank, learning_rate=lr, resolution=resolution,
            resume=resume, quantize=quantize, adam8bit=adam8bit, settings=Settings(),
            progress=lambda step, total, loss: progress.update(task, completed=step, total=total, loss=f"{loss:.4f}"),
        )  # fmt: skip
    if as_json:
        summary = {
            "subject": subject.name,
            "lora": str(result.lora_path),
            "trigger": result.trigger,
            "steps_done": result.steps_done,
            "resumed_from": result.resumed_from,
            "losses": result.losses,
        }
        print(json.dumps(summary, ensure_ascii=False))
        return
    resumed = f", resumed from step {result.resumed_from}" if result.resumed_from else ""
    out.print(_line((subject.name, "bold"), f": {result.steps_done} steps{resumed} · trigger ", (result.trigger, "bold")))
    if result.losses:
        window = max(1, min(10, len(result.losses) // 2))
        first, last = result.losses[:window], result.losses[-window:]
        out.print(_line(f"  loss {sum(first) / len(first):.4f} → {sum(last) / len(last):.4f}"))
    out.print(_line(f"  {result.lora_path}", style="cyan"), soft_wrap=True)


# -- doctor -----------------------------------------------------------------------------------


@app.command()
def doctor(as_json: JsonOption = False) -> None:
    """What is installed, which backends can run here, and why not."""
    from sightgag.doctor import diagnose

    report = diagnose(Settings())
    if as_json:
        print(json.dumps(report, ensure_ascii=False))
        return
    out.print(_line(f"home: {report['home']}"))
    out.print(_line("auto picks → writer: ", (report["auto"]["writer"], "bold"), " · artist: ", (report["auto"]["artist"], "bold")))
    for section in ("writers", "artists", "animators", "packages"):
        table = Table(section, "ready", "why")
        for row in report[section]:
            ready = Text("yes", style="green") if row["ready"] else Text("no", style="red")
            table.add_row(_line(row["name"]), ready, _line(row["why"]))
        out.print(table)
    for problem in report["plugin_problems"]:
        err.print(_line(f"plugin problem: {problem}", style="yellow"))


@app.command()
def plugins(as_json: JsonOption = False) -> None:
    """Every writer, artist, editor and animator provider: where it comes from and whether it can run here."""
    from sightgag.doctor import plugin_problems, providers

    rows = providers(Settings())
    if as_json:
        print(json.dumps({"providers": rows, "problems": plugin_problems(rows)}, ensure_ascii=False))
        return
    table = Table("role", "provider", "from", "ready", "why")
    for row in rows:
        ready = Text("broken", style="red") if row["error"] else Text("yes", style="green") if row["ready"] else Text("no", style="red")
        table.add_row(*(_line(text) for text in (row["role"].removesuffix("s"), row["name"], row["origin"])), ready, _line(row["why"]))
    out.print(table)
    for problem in plugin_problems(rows):
        err.print(_line(f"plugin problem: {problem}", style="yellow"))


# -- helpers ----------------------------------------------------------------------------------


def _check_out_dir(folder: Path) -> None:
    """A folder the pictures can be copied into, made if need be; UsageError before any work if not."""
    shown = displayable(str(folder))
    if not str(folder).isprintable():
        # Its paths are printed (and put in --json): a name that is not text would fail only after the work.
        raise UsageError(f"cannot use --out {shown}: its name holds bytes that are not UTF-8 text or controls")
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"cannot use --out {shown}: it is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # Permissions say little (root, read-only mounts, /proc): writing a file is the one true test.
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise UsageError(f"cannot use --out {shown}: {error.strerror or error}") from None


def _copy_out(gag, folder: Path) -> list[str]:
    import shutil

    _check_out_dir(folder)
    copies = []
    for index, path in enumerate(gag.images):
        target = folder / f"{gag.id}-{index}.png"
        shutil.copyfile(path, target)
        copies.append(str(target))
    return copies


def _parser_errors() -> tuple[type[Exception], type[Exception]]:
    """The ClickException and Abort classes of the click that the installed typer raises.

    typer 0.29 ships its own copy of click (`typer._click`), whose classes are not the click package's;
    older typers raise click's own. typer's public BadParameter and Abort are the ones raised, whichever.
    """
    click_exception = next(cls for cls in typer.BadParameter.__mro__ if cls.__name__ == "ClickException")
    return click_exception, typer.Abort


def _one_line(text: str) -> str:
    return displayable(" ".join(text.split()))


def _parser_error(error: Exception) -> int:
    """Say what the parser refused in one line; the exit status (2 for usage)."""
    if type(error).__name__ == "NoArgsIsHelpError":
        # `sightgag` or `sightgag gallery` alone: the help is the answer. typer's rich help has printed
        # itself already; plain click carries it in the message.
        if error.format_message().strip():
            print(error.format_message(), file=sys.stderr)
        return error.exit_code
    context = getattr(error, "ctx", None)
    hint = f" (see '{context.command_path} --help')" if context is not None else ""
    print(f"error: {_one_line(error.format_message())}{hint}", file=sys.stderr)
    return error.exit_code


def main() -> None:
    """Entry point: one-line errors and the documented exit codes, tracebacks only with --debug."""
    click_exception, abort = _parser_errors()
    try:
        result = app(standalone_mode=False)
    except click_exception as error:  # a missing argument, an unknown option, --n abc
        sys.exit(_parser_error(error))
    except (abort, KeyboardInterrupt):
        sys.exit(130)  # the user stopped it, and knows: nothing to add
    except SightgagError as error:
        if _debug:
            raise
        print(f"error: {_one_line(str(error))}", file=sys.stderr)  # one line, whatever the message held
        sys.exit(error.exit_code)
    except Exception as error:  # a bug, or a library failing in a way we did not foresee
        if _debug:
            raise
        print(f"error: {_one_line(f'{type(error).__name__}: {error}')} (run with --debug for the traceback)", file=sys.stderr)
        sys.exit(1)
    # typer answers Ctrl-C inside a command with exit code 130, and --help with 0.
    sys.exit(result if isinstance(result, int) else 0)


if __name__ == "__main__":
    main()
