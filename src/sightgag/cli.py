"""The command line: `sightgag make "my cat Mittens as a superhero"` and friends.

Every failure the user can act on is one line on stderr and exit status 2 (usage) or 1 (runtime);
`--debug` shows the traceback instead.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import click
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sightgag.errors import SightgagError, UsageError
from sightgag.settings import Settings

app = typer.Typer(
    help="Personalized funny pictures: an LLM comedy writer, FLUX.1, and real lettering.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
gallery_app = typer.Typer(help="Browse the gallery; re-render or re-letter a gag.", no_args_is_help=True)
app.add_typer(gallery_app, name="gallery")
subjects_app = typer.Typer(help="Your own subjects (pets, friends, yourself), learned from photos.", no_args_is_help=True)
app.add_typer(subjects_app, name="subjects")

out = Console(soft_wrap=True)  # paths and captions must never be broken across lines
err = Console(stderr=True)

WriterOption = Annotated[
    Optional[str], typer.Option("--writer", "-w", help="grok[:MODEL], openai[:MODEL], ollama[:MODEL], openai-compat:URL, local[:MODEL], offline, auto")
]
ArtistOption = Annotated[
    Optional[str], typer.Option("--artist", "-a", help="flux:schnell, flux:dev, flux:/path, bfl:flux-pro-1.1, sketch, auto")
]
JsonOption = Annotated[bool, typer.Option("--json", help="print one JSON object instead of text")]
EditorOption = Annotated[
    Optional[str], typer.Option("--editor", help="ranks the candidates: auto, offline, none, or an LLM spec (grok, openai, openai-compat:URL)")
]
CandidatesOption = Annotated[Optional[int], typer.Option("--candidates", help="concepts the writer drafts for the editor to rank (default 2 x N, at most 8)")]

_debug = False


@app.callback()
def _root(debug: Annotated[bool, typer.Option("--debug", help="show tracebacks")] = False) -> None:
    global _debug
    _debug = debug


def _studio(writer: str | None = None, artist: str | None = None):
    from sightgag.studio import Studio

    return Studio(writer=writer, artist=artist, settings=Settings())


def _parse_size(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    width, sep, height = text.lower().partition("x")
    if not sep or not width.isdigit() or not height.isdigit():
        raise UsageError(f"bad --size {text!r}: use WIDTHxHEIGHT, e.g. 1024x768")
    return int(width), int(height)


def _say_backends(studio, as_json: bool) -> None:
    # Said once, in one line, so the user knows what `auto` picked and how to pick otherwise.
    if not as_json and (studio.backends.writer_reason or studio.backends.artist_reason):
        err.print(studio.backends.describe(), style="dim", highlight=False, soft_wrap=True)


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
    retries: Annotated[Optional[int], typer.Option("--retries", help="repaints of a picture that fails a check (default 2)")] = None,
    as_json: JsonOption = False,
) -> None:
    """Write, paint and letter a gag, and file it in the gallery."""
    parsed_size = _parse_size(size)
    if lettering is not None:
        _check_lettering(lettering)
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
    if as_json:
        summary = gag.summary()
        summary["images"] = images
        print(json.dumps(summary, ensure_ascii=False))
        return
    for path, concept in zip(images, gag.concepts):
        out.print(f"[bold]{concept.title}[/bold]  [dim]({concept.device.value})[/dim]", highlight=False)
        out.print(f"  {concept.caption.text}", highlight=False)
        out.print(f"  {path}", style="cyan", highlight=False)
    out.print(f"[dim]gag {gag.id} · seed {gag.seed} · {gag.timings.get('total', 0):.1f} s[/dim]", highlight=False)


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
        out.print(f"[bold]{number}. {item.title}[/bold]  [dim]({item.device.value})[/dim]", highlight=False)
        out.print(f"   premise: {item.premise}", highlight=False)
        out.print(f"   cast:    {', '.join(f'{m.name} ({m.role})' for m in item.cast)}", highlight=False)
        out.print(f"   moment:  {item.moment}", highlight=False)
        out.print(f"   caption: [italic]{item.caption.text}[/italic] [dim]({item.caption.lettering})[/dim]", highlight=False)


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
        table.add_row(gag.id, gag.concept.caption.text, gag.artist, str(len(gag.images)))
    out.print(table)


@gallery_app.command("show")
def gallery_show(gag_id: Annotated[str, typer.Argument(help="a gag id or a unique prefix")], as_json: JsonOption = False) -> None:
    """Everything recorded about one gag."""
    from sightgag.gallery import Gallery

    gag = Gallery(Settings().home).get(gag_id)
    if as_json:
        print(json.dumps(gag.summary(), ensure_ascii=False))
        return
    out.print(f"[bold]{gag.concept.title}[/bold]  {gag.id}", highlight=False)
    out.print(f"request:  {gag.request}", highlight=False)
    out.print(f"caption:  {gag.concept.caption.text}", highlight=False)
    out.print(f"writer:   {gag.writer}   artist: {gag.artist}   seed: {gag.seed}   size: {gag.width}x{gag.height}", highlight=False)
    for path in gag.images:
        out.print(f"  {path}", style="cyan", highlight=False)
    if gag.editor is not None:
        _print_editor(gag.editor)


@gallery_app.command("rerender")
def gallery_rerender(gag_id: Annotated[str, typer.Argument(help="a gag id or a unique prefix")], as_json: JsonOption = False) -> None:
    """Paint a gag again with the same concept, artist and seed."""
    # The gag names its own artist; the studio's defaults are never loaded.
    studio = _studio("offline", "sketch")
    with _ProgressBars(enabled=not as_json and sys.stderr.isatty()) as bars:
        gag = studio.rerender(gag_id, progress=bars)
    _print_gag_paths(gag, as_json)


@gallery_app.command("reletter")
def gallery_reletter(
    gag_id: Annotated[str, typer.Argument(help="a gag id or a unique prefix")],
    lettering: Annotated[Optional[str], typer.Option(help="meme, caption, balloon, label or none")] = None,
    caption: Annotated[Optional[str], typer.Option(help="new caption text")] = None,
    as_json: JsonOption = False,
) -> None:
    """Letter a gag again without painting it again."""
    if lettering is not None:
        _check_lettering(lettering)
    gag = _studio("offline", "sketch").reletter(gag_id, lettering=lettering, caption=caption)
    _print_gag_paths(gag, as_json)


def _print_editor(record) -> None:
    out.print(f"editor:   {record.editor} · {record.candidates} candidates", highlight=False)
    for judgement in record.ranking:
        mark = "kept" if judgement.kept else "    "
        out.print(f"  {mark} {judgement.score:4.1f}  {judgement.caption}  [dim]{judgement.reason}[/dim]", highlight=False)
    for change in record.punch_up:
        out.print(f"  punch-up: {change.original!r} → {change.caption!r}", highlight=False)
    for picture in record.pictures:
        tries = ", ".join(
            f"seed {attempt.seed}"
            + (" blocked" if attempt.blocked else "")
            + (f" sign {attempt.sign.read!r} ({attempt.sign.similarity:.2f})" if attempt.sign else "")
            + ("" if attempt.vision is None else " vision ok" if attempt.vision.passed else " vision failed")
            for attempt in picture.attempts
        )
        out.print(f"  picture {picture.concept + 1}: {tries}", highlight=False)
    out.print(f"  safety: {record.safety} · blocked: {record.blocked} · vision: {record.vision}", highlight=False)
    for note in record.notes + [note for picture in record.pictures for note in picture.notes]:
        out.print(f"  note: {note}", highlight=False)


def _print_gag_paths(gag, as_json: bool) -> None:
    if as_json:
        print(json.dumps(gag.summary(), ensure_ascii=False))
        return
    for path in gag.images:
        out.print(str(path), style="cyan", highlight=False)
    out.print(f"[dim]gag {gag.id}[/dim]", highlight=False)


# -- subjects ---------------------------------------------------------------------------------


def _library():
    from sightgag.subjects.library import SubjectLibrary

    return SubjectLibrary(Settings().home)


def _print_subject(subject, as_json: bool) -> None:
    if as_json:
        print(json.dumps(subject.model_dump(mode="json"), ensure_ascii=False))
        return
    out.print(f"[bold]{subject.name}[/bold]" + (f"  [dim]({subject.kind})[/dim]" if subject.kind else ""), highlight=False)
    if subject.aliases:
        out.print(f"  also called: {', '.join(subject.aliases)}", highlight=False)
    out.print(f"  traits: {'; '.join(subject.traits) or '(none yet: sightgag subjects edit NAME --trait ...)'}", highlight=False)
    out.print(f"  photos: {len(subject.photos)}" + (f"   LoRA: {subject.lora} (trigger {subject.trigger})" if subject.lora else ""), highlight=False)


@subjects_app.command("add")
def subjects_add(
    name: Annotated[str, typer.Argument(help="what you call them, e.g. Mittens")],
    photos: Annotated[list[Path], typer.Argument(help="one or more photos (JPEG, PNG, WebP)")],
    kind: Annotated[str, typer.Option(help="cat, dog, person, ...")] = "",
    vision: Annotated[Optional[str], typer.Option(help="a vision-capable writer spec to describe traits (default: grok/openai when a key is set, else read from the photos)")] = None,
    as_json: JsonOption = False,
) -> None:
    """Add a subject with photos (or more photos to one you have)."""
    from sightgag.subjects.describe import describe_traits

    library = _library()
    subject, skipped = library.add(name, photos, kind=kind)
    if not subject.traits:
        subject.traits = describe_traits(subject, Settings(), vision)
        library.update(subject)
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
    if kind is not None:
        subject.kind = kind.strip().lower()
    if trait:
        subject.traits = [" ".join(item.split()) for item in trait if item.strip()]
    subject.traits += [" ".join(item.split()) for item in add_trait if item.strip()]
    if alias:
        from sightgag.subjects.library import clean_name

        subject.aliases = [clean_name(item) for item in alias]
    _print_subject(library.update(subject), as_json)


@subjects_app.command("remove")
def subjects_remove(name: Annotated[str, typer.Argument(help="a name or alias")], as_json: JsonOption = False) -> None:
    """Forget a subject and delete its stored photos (the gags made with it stay)."""
    subject = _library().remove(name)
    if as_json:
        print(json.dumps({"removed": subject.name}, ensure_ascii=False))
    else:
        out.print(f"removed {subject.name}", highlight=False)


# -- serve ------------------------------------------------------------------------------------


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="the interface to listen on; anything but loopback needs SIGHTGAG_API_KEY")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="the port to listen on")] = 8000,
) -> None:
    """The studio in your browser, a JSON API and an OpenAI-compatible endpoint."""
    from sightgag.server import serve as run_server

    run_server(host, port)


# -- train ------------------------------------------------------------------------------------


@app.command()
def train(
    name: Annotated[str, typer.Argument(help="the subject, by name or alias")],
    base: Annotated[Optional[str], typer.Option(help="the FLUX.1 model to fine-tune: flux:schnell (default), flux:dev, flux:/path")] = None,
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
        TextColumn(f"training {subject.name}"),
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
        task = progress.add_task("train", total=None, loss="…")
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
    out.print(f"[bold]{subject.name}[/bold]: {result.steps_done} steps{resumed} · trigger [bold]{result.trigger}[/bold]", highlight=False)
    if result.losses:
        window = max(1, min(10, len(result.losses) // 2))
        first, last = result.losses[:window], result.losses[-window:]
        out.print(f"  loss {sum(first) / len(first):.4f} → {sum(last) / len(last):.4f}", highlight=False)
    out.print(f"  {result.lora_path}", style="cyan", highlight=False, soft_wrap=True)


# -- doctor -----------------------------------------------------------------------------------


@app.command()
def doctor(as_json: JsonOption = False) -> None:
    """What is installed, which backends can run here, and why not."""
    from sightgag.doctor import diagnose

    report = diagnose(Settings())
    if as_json:
        print(json.dumps(report, ensure_ascii=False))
        return
    out.print(f"home: {report['home']}", highlight=False)
    out.print(f"auto picks → writer: [bold]{report['auto']['writer']}[/bold] · artist: [bold]{report['auto']['artist']}[/bold]", highlight=False)
    for section in ("writers", "artists", "packages"):
        table = Table(section, "ready", "why")
        for row in report[section]:
            table.add_row(row["name"], "[green]yes[/green]" if row["ready"] else "[red]no[/red]", row["why"])
        out.print(table)


# -- helpers ----------------------------------------------------------------------------------


def _check_lettering(style: str) -> None:
    from sightgag.concept import Lettering
    from typing import get_args

    if style not in get_args(Lettering):
        raise UsageError(f"unknown lettering {style!r}: use one of {', '.join(get_args(Lettering))}")


def _copy_out(gag, folder: Path) -> list[str]:
    import shutil

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"cannot use --out {folder}: {error.strerror}") from None
    copies = []
    for index, path in enumerate(gag.images):
        target = folder / f"{gag.id}-{index}.png"
        shutil.copyfile(path, target)
        copies.append(str(target))
    return copies


def main() -> None:
    """Entry point: one-line errors and the documented exit codes, tracebacks only with --debug."""
    try:
        result = app(standalone_mode=False)
    except click.exceptions.UsageError as error:
        # Click's own usage message (a missing argument, an unknown option) already says what to do.
        error.show()
        sys.exit(2)
    except click.exceptions.Abort:
        err.print("aborted")
        sys.exit(130)
    except SightgagError as error:
        if _debug:
            raise
        message = " ".join(str(error).split())  # one line, whatever the message held
        print(f"error: {message}", file=sys.stderr)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as error:  # a bug, or a library failing in a way we did not foresee
        if _debug:
            raise
        print(f"error: {type(error).__name__}: {error} (run with --debug for the traceback)", file=sys.stderr)
        sys.exit(1)
    sys.exit(result if isinstance(result, int) else 0)


if __name__ == "__main__":
    main()
