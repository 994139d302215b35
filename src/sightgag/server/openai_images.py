"""OpenAI's Images API, `POST /v1/images/generations`, so apps that speak it can use sightgag.

The prompt goes through the writer like any request, so what comes back is a gag, not a literal
rendering; `revised_prompt` carries the image prompt the writer's concept became, as DALL-E 3 and
xAI's image API report theirs. The model name picks the artist:

    flux-schnell, flux.1-schnell    -> flux:schnell
    flux-dev, flux.1-dev            -> flux:dev
    grok-imagine-image[-...]        -> xai:that model
    PROVIDER or PROVIDER:MODEL      -> that artist (any registered one, plugins too: `sightgag plugins`),
                                       within what a request may name
    dall-e-3, gpt-image-1, others   -> the server's default artist

Each request is a job in the same queue as /api/jobs, so concurrent requests are batched too.
What cannot succeed (a size the artist cannot paint, a hosted artist with no key) is refused with a
4xx before queuing, which OpenAI's clients do not retry; a retry of a timed-out request (or one
with an Idempotency-Key) waits for the job its first sending made rather than making another.
"""

from __future__ import annotations

import base64
import time
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.concurrency import run_in_threadpool

from sightgag.artist.prompt import describe
from sightgag.bounds import MAX_SIDE, MIN_SIDE
from sightgag.server.api import image_path
from sightgag.server.backends import Backends, request_artists
from sightgag.server.jobs import JobRequest, Repeat, check_size
from sightgag.server.security import api_key_scheme
from sightgag.server.state import Server
from sightgag.studio import MAX_N

MODELS = {
    "flux-schnell": "flux:schnell",
    "flux.1-schnell": "flux:schnell",
    "flux-dev": "flux:dev",
    "flux.1-dev": "flux:dev",
}


class ImageGenerationRequest(BaseModel):
    """OpenAI's request body; fields sightgag has no use for (quality, style, user...) are accepted and ignored."""

    model_config = ConfigDict(extra="ignore")

    prompt: str = Field(min_length=1, max_length=2000)
    model: str | None = Field(default=None, max_length=120)
    n: int = Field(default=1, ge=1, le=MAX_N)
    size: str | None = Field(default=None, description=f"WIDTHxHEIGHT, each side {MIN_SIDE}..{MAX_SIDE}, or auto")
    response_format: Literal["url", "b64_json"] | None = "url"

    @field_validator("size")
    @classmethod
    def _size(cls, size: str | None) -> str | None:
        return None if size in (None, "auto") else check_size(size)


class Image(BaseModel):
    b64_json: str | None = None
    url: str | None = None
    revised_prompt: str


class ImagesResponse(BaseModel):
    created: int
    data: list[Image]


def artist_for_model(model: str | None, backends: Backends) -> str:
    name = (model or "").strip().lower()
    if name in MODELS:
        return MODELS[name]
    if name.startswith("grok-imagine-"):
        return backends.artist_spec(f"xai:{name}")
    if ":" in name or name in request_artists():
        return backends.artist_spec(name)
    return backends.default_artist


async def generate_images(body: ImageGenerationRequest, request: Request, server: Server) -> ImagesResponse:
    """Write a gag from the prompt, paint and letter it, and answer as OpenAI's Images API does."""
    params = JobRequest(
        request=body.prompt,
        n=body.n,
        size=body.size,
        artist=artist_for_model(body.model, server.backends),
    )
    # The official clients send a request again after a timeout or a 5xx: the retry finds its first job.
    job = await run_in_threadpool(server.submit, params, Repeat.from_headers(request.headers))
    job = await server.wait(job.id, server.settings.server_job_timeout)
    if job.status == "failed":
        # The artist has retried what was worth retrying: a client's retry would fail the same way.
        raise HTTPException(502, f"the image could not be made: {job.error}", headers={"x-should-retry": "false"})

    gag = await run_in_threadpool(server.studio.gallery.get, job.gag_id)
    subjects = [subject for name in gag.subjects if (subject := server.studio.subjects.find(name))]
    data = []
    # An artist that rewrites prompts (xAI) reports what it painted from; the others paint the description.
    rewritten = gag.artist_details.get("revised_prompts") or []
    for index, concept in enumerate(gag.concepts):
        revised = (rewritten[index] if index < len(rewritten) else None) or describe(concept, subjects)
        if body.response_format == "b64_json":
            png = image_path(server.studio.gallery, gag, index).read_bytes()
            data.append(Image(b64_json=base64.b64encode(png).decode("ascii"), revised_prompt=revised))
        else:
            data.append(
                Image(url=str(request.url_for("gag_image", gag_id=gag.id, index=index)), revised_prompt=revised)
            )
    return ImagesResponse(created=int(time.time()), data=data)


def openai_router() -> APIRouter:
    router = APIRouter(prefix="/v1", dependencies=[Depends(api_key_scheme)], tags=["OpenAI-compatible"])
    router.add_api_route(
        "/images/generations",
        generate_images,
        methods=["POST"],
        response_model=ImagesResponse,
        response_model_exclude_none=True,
    )
    return router
