"""The native JSON API under /api: concepts, jobs and their live progress, the gallery, subjects.

Routes are thin: they check what came in, call the studio, the gallery, the subject library or the
job queue, and shape the answer. Nothing a request names reaches the file system unchecked: gag and
job ids must have their exact form and exist, image indexes are ints within range, and subject
names go through the library, which keeps them out of paths.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field
from sse_starlette import EventSourceResponse
from starlette.concurrency import run_in_threadpool

from sightgag.bounds import SEED_LIMIT
from sightgag.concept import Concept, Lettering
from sightgag.editor.record import EditorRecord
from sightgag.errors import UsageError
from sightgag.gag import Gag
from sightgag.gallery import Gallery
from sightgag.letterer import STYLES
from sightgag.server.jobs import Job, JobRequest, Repeat
from sightgag.server.security import api_key_scheme
from sightgag.server.state import Server, ServerState
from sightgag.strip import Layout
from sightgag.studio import MAX_N
from sightgag.subjects import Subject
from sightgag.subjects.library import clean_name

GAG_ID = re.compile(r"\d{8}-\d{6}-[0-9a-f]{6}")  # as sightgag.gallery.new_gag_id makes them
JOB_ID = re.compile(r"[0-9a-f]{16}")
SSE_PING_SECONDS = 15

EXAMPLES = [
    "my cat Mittens as a superhero fighting a giant ball of yarn",
    "my dog Biscuit giving a TED talk about squirrels",
    "grandpa losing a staring contest to a pigeon",
    "a goldfish running for mayor",
]


# -- request bodies ---------------------------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ConceptsRequest(_Body):
    request: str = Field(min_length=1, max_length=2000)
    subjects: list[str] = Field(default_factory=list, max_length=5)
    writer: str | None = Field(default=None, max_length=120)
    n: int = Field(default=1, ge=1, le=MAX_N)
    seed: int | None = Field(default=None, ge=0, lt=SEED_LIMIT)
    editor: str | None = Field(default=None, max_length=120, description="auto, offline, none or an LLM spec")
    candidates: int | None = Field(default=None, ge=1, le=8, description="concepts drafted for the editor to rank")


class ConceptsResponse(BaseModel):
    writer: str
    concepts: list[Concept]
    editor: EditorRecord | None = Field(default=None, description="how they were chosen: every candidate's score and reason")


class ReletterRequest(_Body):
    lettering: Lettering | None = None
    caption: str | None = Field(default=None, min_length=1, max_length=160)
    # A strip's page: another layout, or balloon "PANEL.N" saying `caption`.
    layout: Layout | None = None
    balloon: str | None = Field(default=None, pattern=r"^\d\.\d$", description="a strip's balloon, e.g. 2.1")


class SubjectEdit(_Body):
    kind: str | None = Field(default=None, max_length=40)
    traits: list[str] | None = Field(default=None, max_length=20)
    aliases: list[str] | None = Field(default=None, max_length=10)


# -- info -------------------------------------------------------------------------------------


def info(server: Server) -> dict:
    """The server's default backends and those a request may pick, the lettering styles and example requests."""
    return {
        "writer": server.backends.default_writer,
        "artist": server.backends.default_artist,
        **server.backends.choices(),  # "writers" and "artists": what a request may pick, for the page
        "lettering_styles": list(STYLES),
        "examples": EXAMPLES,
        "max_n": MAX_N,
        "max_photos": server.settings.max_photos,
        "max_photo_bytes": server.settings.max_photo_bytes,
    }


# -- concepts and jobs ------------------------------------------------------------------------


def write_concepts(body: ConceptsRequest, server: Server) -> ConceptsResponse:
    """Run the writer alone: concepts to choose from or edit, then render with POST /api/jobs."""
    writer = server.backends.writer_spec(body.writer)
    concepts, record = server.studio.edit(
        body.request, subjects=body.subjects, n=body.n, seed=body.seed, writer=server.backends.writer(writer),
        editor=body.editor, candidates=body.candidates,
    )  # fmt: skip
    return ConceptsResponse(writer=writer, concepts=concepts, editor=record)


def create_job(body: JobRequest, server: Server, request: Request) -> Job:
    """Queue a gag to make; follow it at /api/jobs/{id} or /api/jobs/{id}/events.

    Send an `Idempotency-Key` header to make sending the same request again safe: one job answers both.
    """
    return server.submit(body, Repeat.from_headers(request.headers))


def get_job(job_id: str, server: Server) -> Job:
    """A job's status and progress: stage, steps done of total."""
    return _job(server, job_id)


async def job_events(job_id: str, server: Server) -> EventSourceResponse:
    """Server-sent events: `progress` with the job on every change, then `done` or `failed`."""
    _job(server, job_id)

    async def stream():
        with server.events.listen(job_id) as changes:
            job = server.jobs.get(job_id)  # read after listening, so no change falls in between
            while not job.finished:
                yield {"event": "progress", "data": job.model_dump_json()}
                job = await changes.get()
            yield {"event": job.status, "data": job.model_dump_json()}

    return EventSourceResponse(stream(), ping=SSE_PING_SECONDS)


# -- gallery ----------------------------------------------------------------------------------


def list_gallery(server: Server, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[dict]:
    """The newest gags first."""
    gallery = server.studio.gallery
    return [gag_json(gallery, gag) for gag in gallery.list(limit)]


def show_gag(gag_id: str, server: Server) -> dict:
    return gag_json(server.studio.gallery, _gag(server, gag_id))


def delete_gag(gag_id: str, server: Server) -> dict:
    gag = server.studio.gallery.delete(_gag(server, gag_id).id)
    return {"deleted": gag.id}


def reletter_gag(gag_id: str, body: ReletterRequest, server: Server) -> dict:
    """Letter a gag again in another style or with another caption; its image URLs then show the new lettering."""
    gag = _gag(server, gag_id)
    try:
        if body.layout is not None or body.balloon is not None:
            relettered = server.studio.reletter_strip(
                gag.id, layout=body.layout, balloon=body.balloon, text=body.caption
            )
        else:
            relettered = server.studio.reletter(gag.id, lettering=body.lettering, caption=body.caption)
    except Exception:
        _gag(server, gag.id)  # deleted while it was being lettered (its files vanished): 404
        raise
    _gag(server, gag.id)  # deleted just after: say so, rather than describe a gag that is gone
    return gag_json(server.studio.gallery, relettered)


def gag_image(
    gag_id: str,
    index: Annotated[int, PathParam(ge=0, le=MAX_N)],
    server: Server,
    render: bool = False,
    download: bool = False,
) -> FileResponse:
    """A gag's lettered image as PNG; `?render=1` for the clean painting, `?download=1` to save it."""
    gag = _gag(server, gag_id)
    path = image_path(server.studio.gallery, gag, index, render=render)
    name = f"{gag.id}-{index}{'-render' if render else ''}.png"
    return FileResponse(
        path,
        media_type="image/png",
        filename=name if download else None,
        headers={"Cache-Control": "no-cache"},  # re-lettering changes what this URL shows
    )


def image_path(gallery: Gallery, gag: Gag, index: int, *, render: bool = False) -> Path:
    """Where a gag's lettered image (or clean render) is; HTTP 404 if it has no such image."""
    recorded = gag.renders if render else gag.images
    if not 0 <= index < len(recorded):
        raise HTTPException(404, f"gag {gag.id} has {len(recorded)} image(s): index {index} is out of range")
    # Only the file name comes from the record; the folder is the gallery's own.
    path = gallery.folder / gag.id / Path(recorded[index]).name
    if not path.is_file():
        raise HTTPException(404, f"the image file of gag {gag.id} is missing from the gallery")
    return path


def gag_json(gallery: Gallery, gag: Gag) -> dict:
    """The `--json` summary of a gag, with the URLs of its pictures; paths are relative to the home."""
    summary = gallery.record(gag)
    summary["image_urls"] = [f"/api/gags/{gag.id}/images/{index}" for index in range(len(gag.images))]
    summary["render_urls"] = [f"/api/gags/{gag.id}/images/{index}?render=1" for index in range(len(gag.renders))]
    return summary


# -- subjects ---------------------------------------------------------------------------------


# Subjects are answered as the library records them: photo paths relative to the home, never the
# server's own file system (`response_model=Subject` in the route table keeps their schema).


def list_subjects(server: Server) -> list[dict]:
    library = server.studio.subjects
    return [library.record(subject) for subject in library.list()]


def show_subject(name: str, server: Server) -> dict:
    return server.studio.subjects.record(_subject(server, name))


async def add_subject(
    server: Server,
    name: Annotated[str, Form(max_length=200)],
    photos: Annotated[list[UploadFile], File(description="JPEG, PNG or WebP photos")],
    kind: Annotated[str, Form(max_length=40)] = "",
) -> dict:
    """Add a subject with photos (or more photos to one you have), checked like `sightgag subjects add`."""
    if len(photos) > server.settings.max_photos:
        raise HTTPException(400, f"{len(photos)} photos sent: add at most {server.settings.max_photos} at a time")
    limit = server.settings.max_photo_bytes
    for photo in photos:
        if photo.size is not None and photo.size > limit:
            size, most = photo.size / 2**20, limit / 2**20
            raise HTTPException(
                413, f"{_shown(photo.filename)} is {size:.1f} MB: photos are at most {most:.0f} MB each"
            )
    return await run_in_threadpool(_add_subject, server, name, kind, photos)


def _add_subject(server: ServerState, name: str, kind: str, photos: list[UploadFile]) -> dict:
    from sightgag.subjects.describe import trait_reader

    library = server.studio.subjects
    with tempfile.TemporaryDirectory(prefix="sightgag-upload-") as folder:
        paths = []
        for number, photo in enumerate(photos):
            # One folder per photo, so the library's messages name the file as the user knows it.
            path = Path(folder) / str(number) / _safe_file_name(photo.filename, number)
            path.parent.mkdir()
            with path.open("wb") as copy:
                shutil.copyfileobj(photo.file, copy)
            paths.append(path)
        subject, _ = library.add(name, paths, kind=kind, describe=trait_reader(server.studio.settings))
    return library.record(subject)


def edit_subject(name: str, body: SubjectEdit, server: Server) -> dict:
    """Change a subject's kind, traits or aliases."""
    subject = _subject(server, name)
    if body.kind is not None:
        subject.kind = body.kind.lower()
    if body.traits is not None:
        subject.traits = [" ".join(trait.split()) for trait in body.traits if trait.strip()]
    if body.aliases is not None:
        subject.aliases = [clean_name(alias) for alias in body.aliases]
    library = server.studio.subjects
    return library.record(library.update(subject))


def delete_subject(name: str, server: Server) -> dict:
    """Forget a subject and its stored photos (gags made with it stay)."""
    return {"deleted": server.studio.subjects.remove(_subject(server, name).name).name}


def subject_photo(name: str, index: Annotated[int, PathParam(ge=0)], server: Server) -> FileResponse:
    """One of a subject's stored photos (normalised JPEG, no metadata)."""
    subject = _subject(server, name)
    if index >= len(subject.photos):
        raise HTTPException(404, f"{subject.name} has {len(subject.photos)} photo(s): index {index} is out of range")
    path = server.studio.subjects.folder_of(subject) / Path(subject.photos[index]).name
    if not path.is_file():
        raise HTTPException(404, f"a photo of {subject.name} is missing from the library")
    return FileResponse(path, media_type="image/jpeg")


# -- lookups ----------------------------------------------------------------------------------


def _job(server: ServerState, job_id: str) -> Job:
    job = server.jobs.get(job_id) if JOB_ID.fullmatch(job_id) else None
    if job is None:
        raise HTTPException(404, f"no job {job_id!r}")
    return job


def _gag(server: ServerState, gag_id: str) -> Gag:
    if not GAG_ID.fullmatch(gag_id):
        raise HTTPException(404, f"no gag {gag_id!r}: gag ids look like 20261122-035012-a1b2c3")
    try:
        return server.studio.gallery.get(gag_id)
    except UsageError:
        raise HTTPException(404, f"no gag {gag_id!r} in the gallery") from None


def _subject(server: ServerState, name: str) -> Subject:
    subject = server.studio.subjects.find(name)
    if subject is None:
        raise HTTPException(404, f"no subject named {name!r}")
    return subject


def _safe_file_name(name: str | None, number: int) -> str:
    """The upload's base name with anything odd replaced; never a path."""
    base = re.sub(r"[^\w.-]", "_", Path(name or "").name)[:80].lstrip(".")
    return base or f"photo-{number + 1}"


def _shown(name: str | None) -> str:
    return json.dumps(Path(name or "a photo").name[:80], ensure_ascii=False)


# -- the route table --------------------------------------------------------------------------


def api_router() -> APIRouter:
    """Every /api route; all need the API key when the server has one."""
    router = APIRouter(prefix="/api", dependencies=[Depends(api_key_scheme)])
    route = router.add_api_route

    route("/info", info, methods=["GET"], tags=["studio"])
    route("/concepts", write_concepts, methods=["POST"], tags=["studio"])
    route("/jobs", create_job, methods=["POST"], status_code=202, tags=["jobs"])
    route("/jobs/{job_id}", get_job, methods=["GET"], tags=["jobs"])
    route("/jobs/{job_id}/events", job_events, methods=["GET"], tags=["jobs"], response_class=EventSourceResponse)

    route("/gallery", list_gallery, methods=["GET"], tags=["gallery"])
    route("/gallery/{gag_id}", show_gag, methods=["GET"], tags=["gallery"])
    route("/gallery/{gag_id}", delete_gag, methods=["DELETE"], tags=["gallery"])
    route("/gallery/{gag_id}/reletter", reletter_gag, methods=["POST"], tags=["gallery"])
    route("/gags/{gag_id}/images/{index}", gag_image, methods=["GET"], tags=["gallery"], name="gag_image",
          response_class=FileResponse, responses={200: {"content": {"image/png": {}}}})  # fmt: skip

    route("/subjects", list_subjects, methods=["GET"], tags=["subjects"], response_model=list[Subject])
    # Its larger body limit is set with the others, in app.py (BodySizeLimit).
    route("/subjects", add_subject, methods=["POST"], status_code=201, tags=["subjects"], response_model=Subject)
    route("/subjects/{name}", show_subject, methods=["GET"], tags=["subjects"], response_model=Subject)
    route("/subjects/{name}", edit_subject, methods=["PATCH"], tags=["subjects"], response_model=Subject)
    route("/subjects/{name}", delete_subject, methods=["DELETE"], tags=["subjects"])
    route("/subjects/{name}/photos/{index}", subject_photo, methods=["GET"], tags=["subjects"],
          response_class=FileResponse, responses={200: {"content": {"image/jpeg": {}}}})  # fmt: skip
    return router
