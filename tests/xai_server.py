"""A local stand-in for xAI's image API (FastAPI on a free loopback port), answering as docs.x.ai documents.

    with FakeXai() as xai:
        settings = Settings(XAI_API_KEY=xai.key, xai_url=xai.url)
        ...
        assert xai.bodies[0]["aspect_ratio"] == "1:1"

`POST /v1/images/generations` and `POST /v1/images/edits` take JSON, check the bearer key and the fields
the documentation lists (an unsupported one such as `size` is refused as xAI refuses it), and answer
`{"data": [{"b64_json" | "url", "mime_type", "revised_prompt", "respect_moderation"}], "usage": {...}}`.
Pictures are painted small, in the shape the aspect ratio asks for (an edit of one photo without a ratio
keeps the photo's shape). With response_format "url" the picture is served at /files/ID.png.

Scripting: `queue(Reply...)` answers the next API requests as given (a 429 with Retry-After, junk,
a redirect); `moderation = "prompt"` refuses the prompt with xAI's HTTP 400, `"picture"` withholds
the image with `respect_moderation: false`; `delay` seconds are waited before answering (a timeout);
`file_redirect` sends image downloads elsewhere. Everything received is kept in `received`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import json
import threading
import uuid
import zlib

from fake_http import LoopbackServer, Received, Reply
from fastapi import FastAPI, Request, Response
from PIL import Image

ASPECT_RATIOS = ("1:1", "3:4", "4:3", "9:16", "16:9", "2:3", "3:2", "9:19.5", "19.5:9", "9:20", "20:9", "1:2", "2:1")
# xAI paints about 1 or 4 megapixels; the fake paints far fewer pixels in the same shapes to stay fast.
FAKE_AREA = {"1k": 96 * 96, "2k": 192 * 192}
MAX_PROMPT = 10_000
MAX_IMAGES = 3




class FakeXai(LoopbackServer):
    """xAI's image API on a free local port; use as a context manager."""

    def __init__(self, key: str = "xai-test-key"):
        self.key = key
        self.received: list[Received] = []
        self.references: list[list[bytes]] = []  # the decoded images each accepted edit was sent
        self.moderation: str | None = None  # "prompt" or "picture"
        self.delay = 0.0
        self.file_redirect: str | None = None  # where image downloads are sent instead
        self.revised: bool | str = True  # answer with a revised_prompt (this text, when it is one)
        self.files: dict[str, bytes] = {}
        self._queued: list[Reply] = []
        self._lock = threading.Lock()
        super().__init__(_app(self), name="the fake xAI server")

    def queue(self, *replies: Reply) -> None:
        with self._lock:
            self._queued.extend(replies)

    @property
    def bodies(self) -> list[dict]:
        """The JSON bodies of every API request, accepted or not, in order."""
        return [request.body for request in self.received if request.path.startswith("/v1/") and request.body]

    def requests_to(self, prefix: str) -> list[Received]:
        return [request for request in self.received if request.path.startswith(prefix)]

    # Serving.

    async def api(self, request: Request, operation: str) -> Response:
        raw = await request.body()
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            body = None
        self._record(request, body if isinstance(body, dict) else None)
        if self.delay:
            await asyncio.sleep(self.delay)
        with self._lock:
            queued = self._queued.pop(0) if self._queued else None
        if queued is not None:
            return _response(queued)
        authorization = request.headers.get("authorization", "")
        if authorization != f"Bearer {self.key}":
            return _response(Reply.json(401, {"code": "Client specified an invalid argument", "error": "Incorrect API key provided"}))
        if not isinstance(body, dict):
            return _response(_invalid("the request body must be a JSON object"))
        problem = _check(body, operation)
        if problem:
            return _response(_invalid(problem))
        if self.moderation == "prompt":
            return _response(_invalid("Generated image rejected by content moderation."))
        images = _input_images(body)
        if operation == "edits":
            self.references.append(images)
        return _response(Reply.json(200, self._answer(body, images)))

    def _answer(self, body: dict, images: list[bytes]) -> dict:
        data = []
        for _ in range(body.get("n") or 1):
            if self.moderation == "picture":
                data.append({"b64_json": None, "url": None, "mime_type": "image/png", "revised_prompt": "", "respect_moderation": False})
                continue
            png = _paint(body, images)
            item: dict = {"mime_type": "image/png", "respect_moderation": True}
            if isinstance(self.revised, str):
                item["revised_prompt"] = self.revised
            else:
                item["revised_prompt"] = f"A vivid illustration: {body['prompt'][:200]}" if self.revised else ""
            if body.get("response_format") == "b64_json":
                item["b64_json"] = base64.b64encode(png).decode("ascii")
            else:
                name = uuid.uuid4().hex
                self.files[name] = png
                item["url"] = f"{self.origin}/files/{name}.png"
            data.append(item)
        return {"data": data, "usage": {"cost_in_usd_ticks": 200_000_000 * len(data)}}

    async def file(self, request: Request, name: str) -> Response:
        self._record(request, None)
        if self.file_redirect:
            return Response(status_code=302, headers={"location": self.file_redirect})
        png = self.files.get(name.removesuffix(".png"))
        if png is None:
            return Response(b"not found", status_code=404, media_type="text/plain")
        return Response(png, media_type="image/png")

    def _record(self, request: Request, body: dict | None) -> None:
        with self._lock:
            headers = {name.lower(): value for name, value in request.headers.items()}
            self.received.append(Received(request.method, request.url.path, headers, body))


def _app(fake: FakeXai) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/images/generations")
    async def generations(request: Request) -> Response:
        return await fake.api(request, "generations")

    @app.post("/v1/images/edits")
    async def edits(request: Request) -> Response:
        return await fake.api(request, "edits")

    @app.get("/files/{name}")
    async def files(request: Request, name: str) -> Response:
        return await fake.file(request, name)

    return app


def _response(reply: Reply) -> Response:
    return Response(reply.body, status_code=reply.status, media_type=reply.content_type, headers=reply.headers)


def _invalid(message: str) -> Reply:
    # xAI's error shape: {"code": ..., "error": ...}.
    return Reply.json(400, {"code": "Client specified an invalid argument", "error": message})


FIELDS = {
    "generations": {"prompt", "model", "n", "aspect_ratio", "resolution", "response_format", "quality", "user"},
    "edits": {"prompt", "model", "n", "aspect_ratio", "resolution", "response_format", "quality", "user", "image", "images", "mask"},
}


def _check(body: dict, operation: str) -> str | None:
    """What xAI would refuse in this body, or None."""
    for name in body:
        if name not in FIELDS[operation]:
            return f"Argument not supported: {name}"
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        return "prompt: field required"
    if len(prompt) > MAX_PROMPT:
        return f"prompt: at most {MAX_PROMPT} characters"
    n = body.get("n", 1)
    if n is not None and (not isinstance(n, int) or not 1 <= n <= 10):
        return "n: must be between 1 and 10"
    if body.get("aspect_ratio") not in (None, "auto", *ASPECT_RATIOS):
        return f"aspect_ratio: must be one of {', '.join(ASPECT_RATIOS)} or auto"
    if body.get("resolution") not in (None, "1k", "2k"):
        return "resolution: must be 1k or 2k"
    if body.get("response_format") not in (None, "url", "b64_json"):
        return "response_format: must be url or b64_json"
    if operation == "edits":
        if ("image" in body) == ("images" in body):
            return "exactly one of image and images is required"
        images = [body["image"]] if "image" in body else body["images"]
        if not isinstance(images, list) or not 1 <= len(images) <= MAX_IMAGES:
            return f"images: between 1 and {MAX_IMAGES} images"
        for image in images:
            if not isinstance(image, dict) or not isinstance(image.get("url"), str):
                return "each image must be an object with a url"
            if _decode(image["url"]) is None:
                return "image url: could not fetch or decode the image"
    return None


def _decode(url: str) -> bytes | None:
    """The bytes of a data-URI image (the fake fetches nothing from the network), or None if not a picture."""
    if not url.startswith("data:image/") or ";base64," not in url:
        return None
    try:
        data = base64.b64decode(url.split(",", 1)[1], validate=True)
        Image.open(io.BytesIO(data)).verify()
    except (binascii.Error, ValueError, OSError):
        return None
    return data


def _input_images(body: dict) -> list[bytes]:
    images = [body["image"]] if "image" in body else body.get("images", [])
    return [_decode(image["url"]) for image in images]


def _paint(body: dict, images: list[bytes]) -> bytes:
    """A small PNG in the shape asked for, in a colour of the prompt's."""
    ratio = body.get("aspect_ratio")
    if ratio in (None, "auto"):
        if len(images) == 1:  # one photo edited without a ratio keeps its shape
            across, down = Image.open(io.BytesIO(images[0])).size
        else:
            across, down = 1, 1
    else:
        across, down = (float(part) for part in ratio.split(":"))
    area = FAKE_AREA[body.get("resolution") or "1k"]
    width = round((area * across / down) ** 0.5)
    height = round(area / width)
    colour = tuple(zlib.crc32(body["prompt"].encode()) >> shift & 255 for shift in (0, 8, 16))
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="PNG")
    return buffer.getvalue()
