"""A local stand-in for xAI's video API (FastAPI on a free loopback port), answering as xAI documents it.

    with FakeXaiVideo() as xai:
        settings = Settings(XAI_API_KEY=xai.key, xai_url=xai.url, xai_video_poll_interval=0.01)
        ...

`POST /v1/videos/generations` checks the bearer key and the fields (model, prompt, image {url: a
data URI}, duration 1..15, aspect_ratio, resolution 480p/720p; anything else is refused as xAI
refuses it) and answers `{"request_id": ...}`. `GET /v1/videos/{id}` answers `{"status": "pending"}`
for the first `pending_polls` polls, then `{"status": "done", "video": {"url", "duration",
"respect_moderation"}, "model"}`. The video is a real H.264 MP4 made with PyAV from the uploaded
picture: its first frame is that picture, then a bar sweeps across it. It is served at /files/ID.mp4.

Scripting: `moderation = "prompt"` refuses the submission with xAI's HTTP 400; `"video"` finishes with
`respect_moderation: false`; `stall = True` keeps answering pending (a timeout); `final_status` ends
with "expired" or "failed"; `file_redirect` sends downloads elsewhere. Everything is kept in `received`.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import tempfile
import threading
import uuid
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from fake_http import LoopbackServer, Received
from fastapi import FastAPI, Request, Response
from PIL import Image

ASPECT_RATIOS = ("1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3")
# xAI's 480p is 480 lines; the fake's videos are far smaller, in the same shapes, to stay fast.
FAKE_SHORT_SIDE = {"480p": 96, "720p": 144}
FPS = 24
FIELDS = {"model", "prompt", "image", "duration", "aspect_ratio", "resolution", "user"}



class FakeXaiVideo(LoopbackServer):
    """xAI's video API on a free local port; use as a context manager."""

    def __init__(self, key: str = "xai-test-key"):
        self.key = key
        self.received: list[Received] = []
        self.uploads: list[Image.Image] = []  # the picture each accepted submission sent
        self.pending_polls = 2
        self.moderation: str | None = None
        self.stall = False
        self.final_status = "done"
        self.file_redirect: str | None = None
        self.jobs: dict[str, dict] = {}
        self.files: dict[str, bytes] = {}
        self._lock = threading.Lock()
        super().__init__(_app(self), name="the fake xAI video server")

    def requests_to(self, prefix: str) -> list[Received]:
        return [request for request in self.received if request.path.startswith(prefix)]

    def _record(self, request: Request, body: dict | None) -> None:
        with self._lock:
            headers = {name.lower(): value for name, value in request.headers.items()}
            self.received.append(Received(request.method, request.url.path, headers, body))

    def _authorised(self, request: Request) -> bool:
        return request.headers.get("authorization", "") == f"Bearer {self.key}"

    async def submit(self, request: Request) -> Response:
        try:
            body = json.loads(await request.body() or b"null")
        except ValueError:
            body = None
        self._record(request, body if isinstance(body, dict) else None)
        if not self._authorised(request):
            return _error(401, "Incorrect API key provided")
        if not isinstance(body, dict):
            return _error(400, "the request body must be a JSON object")
        problem, picture = _check(body)
        if problem:
            return _error(400, problem)
        if self.moderation == "prompt":
            return _error(400, "Generated video rejected by content moderation.")
        self.uploads.append(picture)
        request_id = uuid.uuid4().hex
        self.jobs[request_id] = {"body": body, "picture": picture, "polls": 0}
        return _json(200, {"request_id": request_id})

    async def status(self, request: Request, request_id: str) -> Response:
        self._record(request, None)
        if not self._authorised(request):
            return _error(401, "Incorrect API key provided")
        job = self.jobs.get(request_id)
        if job is None:
            return _error(404, f"no such request {request_id}")
        job["polls"] += 1
        if self.stall or job["polls"] <= self.pending_polls:
            return _json(200, {"status": "pending"})
        if self.final_status != "done":
            return _json(200, {"status": self.final_status})
        body = job["body"]
        if self.moderation == "video":
            video = {"url": None, "duration": body.get("duration", 8), "respect_moderation": False}
            return _json(200, {"status": "done", "video": video, "model": body["model"]})
        if request_id not in self.files:
            self.files[request_id] = _video(job["picture"], body)
        url = f"{self.origin}/files/{request_id}.mp4"
        video = {"url": url, "duration": body.get("duration", 8), "respect_moderation": True}
        return _json(200, {"status": "done", "video": video, "model": body["model"], "usage": {"cost_in_usd_ticks": 1}})

    async def file(self, request: Request, name: str) -> Response:
        self._record(request, None)
        if self.file_redirect:
            return Response(status_code=302, headers={"location": self.file_redirect})
        data = self.files.get(name.removesuffix(".mp4"))
        if data is None:
            return Response(b"not found", status_code=404, media_type="text/plain")
        return Response(data, media_type="video/mp4")


def _app(fake: FakeXaiVideo) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/videos/generations")
    async def generations(request: Request) -> Response:
        return await fake.submit(request)

    @app.get("/v1/videos/{request_id}")
    async def status(request: Request, request_id: str) -> Response:
        return await fake.status(request, request_id)

    @app.get("/files/{name}")
    async def files(request: Request, name: str) -> Response:
        return await fake.file(request, name)

    return app


def _json(status: int, data: object) -> Response:
    return Response(json.dumps(data).encode(), status_code=status, media_type="application/json")


def _error(status: int, message: str) -> Response:
    return _json(status, {"code": "Client specified an invalid argument", "error": message})


def _check(body: dict) -> tuple[str | None, Image.Image | None]:
    for name in body:
        if name not in FIELDS:
            return f"Argument not supported: {name}", None
    if not isinstance(body.get("prompt"), str) or not body["prompt"].strip():
        return "prompt: field required", None
    duration = body.get("duration", 8)
    if not isinstance(duration, int) or not 1 <= duration <= 15:
        return "duration: must be between 1 and 15", None
    if body.get("aspect_ratio") not in (None, *ASPECT_RATIOS):
        return f"aspect_ratio: must be one of {', '.join(ASPECT_RATIOS)}", None
    if body.get("resolution") not in (None, "480p", "720p"):
        return "resolution: must be 480p or 720p", None
    image = body.get("image")
    if image is None:
        return None, None  # text to video
    url = image.get("url") if isinstance(image, dict) else None
    if not isinstance(url, str) or not url.startswith("data:image/") or ";base64," not in url:
        return "image url: could not fetch or decode the image", None
    try:
        picture = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1], validate=True)))
        picture.load()
    except (binascii.Error, ValueError, OSError):
        return "image url: could not fetch or decode the image", None
    return None, picture.convert("RGB")


def _video(picture: Image.Image | None, body: dict) -> bytes:
    """An H.264 MP4 of `duration` seconds: the picture at the ratio's shape, a white bar sweeping across it."""
    across, down = (int(part) for part in (body.get("aspect_ratio") or "16:9").split(":"))
    short = FAKE_SHORT_SIDE[body.get("resolution") or "480p"]
    scale = short / min(across, down)
    width, height = (round(across * scale / 2) * 2, round(down * scale / 2) * 2)
    still = (picture or Image.new("RGB", (width, height), "grey")).resize((width, height))
    frames = FPS * body.get("duration", 8)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fake.mp4"
        with av.open(str(path), "w", format="mp4") as container:
            stream = container.add_stream("libx264", rate=Fraction(FPS, 1))
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            for index in range(frames):
                pixels = np.array(still)
                if index:
                    bar = int(index / frames * width)
                    pixels[:, max(0, bar - 3) : bar + 3] = 255
                for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
        return path.read_bytes()
