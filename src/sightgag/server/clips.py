"""Clips in the native API: animate a filed gag, list its clips, fetch one.

    POST /api/gallery/{id}/clips   {"seconds": 3, "fps": 24, "format": "mp4"}  -> the clip's record and URL
    GET  /api/gallery/{id}/clips                                               -> its clips, oldest first
    GET  /api/gags/{id}/clips/{clip}                                           -> the file (MP4, GIF or WebP)

A request animates with the offline `sketch` animator: a hosted or local video model (a key to spend,
a GPU to hold for minutes) is for the command line and Studio.animate, as a model folder is for the
server's own settings. Only a clip id of the exact form the shelf makes, filed with that gag, names a file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from sightgag.animator.base import MAX_FPS, MAX_SECONDS, MIN_FPS, MIN_SECONDS
from sightgag.animator.encoding import MEDIA_TYPES
from sightgag.clips import ClipShelf
from sightgag.home import portable
from sightgag.server.api import _gag
from sightgag.server.security import api_key_scheme
from sightgag.server.state import Server

CLIP_ID = re.compile(r"\d{8}-\d{6}-[0-9a-f]{4}")  # as sightgag.clips.new_clip_id makes them


class ClipRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seconds: float = Field(default=3.0, ge=MIN_SECONDS, le=MAX_SECONDS)
    fps: int = Field(default=24, ge=MIN_FPS, le=MAX_FPS)
    format: Literal["mp4", "gif", "webp"] = "mp4"


async def animate_gag(gag_id: str, body: ClipRequest, server: Server) -> dict:
    """Animate a gag's first picture with the sketch animator and file the clip with it."""
    gag = _gag(server, gag_id)
    clip = await run_in_threadpool(
        server.studio.animate, gag.id, seconds=body.seconds, fps=body.fps, format=body.format, animator="sketch"
    )
    return _clip_json(server, clip)


def list_clips(gag_id: str, server: Server) -> list[dict]:
    gag = _gag(server, gag_id)
    return [_clip_json(server, clip) for clip in ClipShelf(server.studio.settings.home).list(gag.id)]


def clip_file(gag_id: str, clip_id: str, server: Server) -> FileResponse:
    gag = _gag(server, gag_id)
    clip = next(
        (clip for clip in ClipShelf(server.studio.settings.home).list(gag.id) if clip["id"] == clip_id),
        None,
    ) if CLIP_ID.fullmatch(clip_id) else None
    if clip is None:
        raise HTTPException(404, f"gag {gag.id} has no clip {clip_id!r}")
    # Only the file name comes from the record; the folder is the shelf's own.
    path = ClipShelf(server.studio.settings.home).folder(gag.id) / Path(clip["file"]).name
    if not path.is_file():
        raise HTTPException(404, f"the file of clip {clip_id} is missing from the gallery")
    return FileResponse(path, media_type=MEDIA_TYPES[clip["format"]])


def _clip_json(server, clip: dict) -> dict:
    return {**portable(clip, server.studio.settings.home), "url": f"/api/gags/{clip['gag']}/clips/{clip['id']}"}


def clips_router() -> APIRouter:
    router = APIRouter(prefix="/api", dependencies=[Depends(api_key_scheme)])
    router.add_api_route("/gallery/{gag_id}/clips", animate_gag, methods=["POST"], status_code=201, tags=["gallery"])
    router.add_api_route("/gallery/{gag_id}/clips", list_clips, methods=["GET"], tags=["gallery"])
    router.add_api_route("/gags/{gag_id}/clips/{clip_id}", clip_file, methods=["GET"], tags=["gallery"])
    return router
