"""A local stand-in for Black Forest Labs' hosted API, for tests.

A real HTTP server on 127.0.0.1 (stdlib `http.server` in a thread) that answers the way BFL's API
reference says the real one does:

- `POST /v1/<model>` with an `x-key` header and a JSON body checked field by field against the
  model's documented inputs (unknown fields are rejected, unlike the real API, so drift shows up);
  answers `{"id", "polling_url"}` or a FastAPI-style `{"detail": ...}` error.
- `GET <polling_url>` (`/v1/get_result?id=...`, with `x-key`) answers `{"id", "status", "result",
  "progress", "details", "preview"}`: "Pending" a few times, then "Ready" with `result.sample`.
- `GET result.sample` serves the picture, a PNG it paints itself, without needing the key
  (on BFL it is a signed delivery URL).

Tests script the unhappy paths: `outcome` for how tasks end, `queue(...)` for HTTP failures (and
redirects), `sample` for junk instead of a picture, `polling_origin` for polling URLs that name
another server, and `redirect_polls_to` for polls answered with a redirect. Everything received is kept in `received`.

    with FakeBfl() as bfl:
        settings = Settings(BFL_API_KEY=bfl.key, bfl_url=bfl.url, bfl_poll_interval=0.01)
        ...
        assert bfl.submissions[0]["seed"] == 7
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import random
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from fake_http import Received, Reply
from PIL import Image

# The statuses a task can end in (API reference: get_result's StatusResponse; "Failed" as some clients see it).
OUTCOMES = ("Ready", "Error", "Failed", "Request Moderated", "Content Moderated", "Task not found", "never")

# Aspect-ratio models paint about 1 MP on BFL; this fake paints about a quarter of that to stay fast.
FAKE_AREA = 512 * 512




# Field checks: each returns an error message, or None when the value is fine.
Check = Callable[[object], "str | None"]


def _integer(low: int | None = None, high: int | None = None, multiple_of: int = 1, nullable: bool = False) -> Check:
    def check(value: object) -> str | None:
        if value is None and nullable:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            return "Input should be a valid integer"
        if (low is not None and value < low) or (high is not None and value > high):
            return f"Input should be between {low} and {high}"
        if value % multiple_of:
            return f"Input should be a multiple of {multiple_of}"
        return None

    return check


def _number(low: float, high: float) -> Check:
    def check(value: object) -> str | None:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return "Input should be a valid number"
        return None if low <= value <= high else f"Input should be between {low} and {high}"

    return check


def _string(nullable: bool = True, required_text: bool = False) -> Check:
    def check(value: object) -> str | None:
        if value is None and nullable:
            return None
        if not isinstance(value, str):
            return "Input should be a valid string"
        return "String should not be empty" if required_text and not value.strip() else None

    return check


def _boolean(value: object) -> str | None:
    return None if isinstance(value, bool) else "Input should be a valid boolean"


def _choice(*options: str) -> Check:
    def check(value: object) -> str | None:
        return None if value in options else f"Input should be {', '.join(repr(o) for o in options)}"

    return check


def _base64_image(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        return "Input should be a valid string"
    try:
        Image.open(io.BytesIO(base64.b64decode(value, validate=True))).verify()
    except (binascii.Error, ValueError, OSError):
        return "Input should be a base64 encoded image"
    return None


def _aspect_ratio(value: object) -> str | None:
    if value is None:
        return None
    try:
        ratio = Fraction(*(int(part) for part in str(value).split(":")))
    except (TypeError, ValueError, ZeroDivisionError):
        return "Aspect ratio should look like '16:9'"
    return None if Fraction(9, 21) <= ratio <= Fraction(21, 9) else "Aspect ratio should be between 21:9 and 9:21"


def _fields(**extra: Check) -> dict[str, Check]:
    common = {
        "prompt": _string(nullable=False, required_text=True),  # optional on BFL; sightgag always sends one
        "seed": _integer(nullable=True),
        "prompt_upsampling": _boolean,
        "safety_tolerance": _integer(0, 6),
        "output_format": _choice("jpeg", "png"),
        "webhook_url": _string(),
        "webhook_secret": _string(),
    }
    return {**common, **extra}


_SIDE = _integer(256, 1440, multiple_of=32)
# Inputs per model, from BFL's API reference (FluxPro11Inputs, FluxUltraInputs, FluxKontextProInputs, ...).
MODELS: dict[str, dict[str, Check]] = {
    "flux-pro-1.1": _fields(
        width=_SIDE, height=_SIDE, image_prompt=_base64_image, output_format=_choice("jpeg", "png", "webp")
    ),
    "flux-pro-1.1-ultra": _fields(
        aspect_ratio=_aspect_ratio, raw=_boolean, image_prompt=_base64_image, image_prompt_strength=_number(0, 1)
    ),
    "flux-kontext-pro": _fields(input_image=_base64_image, aspect_ratio=_aspect_ratio),
    "flux-kontext-max": _fields(input_image=_base64_image, aspect_ratio=_aspect_ratio),
    "flux-pro": _fields(
        width=_SIDE,
        height=_SIDE,
        image_prompt=_base64_image,
        steps=_integer(1, 50),
        guidance=_number(1.5, 5),
        interval=_number(1, 4),
    ),
    "flux-dev": _fields(
        width=_SIDE, height=_SIDE, image_prompt=_base64_image, steps=_integer(1, 50), guidance=_number(1.5, 5)
    ),
}


@dataclass
class Task:
    id: str
    model: str
    body: dict
    polls: int = 0


class FakeBfl:
    """BFL's API on a free local port; use as a context manager."""

    def __init__(self, key: str = "bfl-test-key", *, pending_polls: int = 2, outcome: str = "Ready"):
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}")
        self.key = key
        self.pending_polls = pending_polls  # "Pending" answers before the outcome
        self.outcome = outcome
        self.details: dict | None = None  # what a failed or moderated task says about itself
        self.sample: bytes | None = None  # served instead of a real PNG when set (junk)
        self.polling_origin: str | None = None  # polling URLs on another server's origin when set
        self.redirect_polls_to: str | None = None  # polls of /v1/get_result answer 307 to this base URL when set
        self.received: list[Received] = []
        self.tasks: dict[str, Task] = {}
        self._queued: dict[str, list[Reply]] = {"post": [], "poll": [], "download": []}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        # A short poll interval so stopping the server (once per test) takes milliseconds, not half a second.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def origin(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def url(self) -> str:
        """The base URL to put in Settings.bfl_url."""
        return f"{self.origin}/v1"

    def __enter__(self) -> FakeBfl:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def queue(self, route: str, *replies: int | Reply) -> None:
        """Answer the next requests on `route` ("post", "poll" or "download") with these, in order."""
        with self._lock:
            self._queued[route].extend(
                reply if isinstance(reply, Reply) else Reply.json(reply, {"detail": f"scripted HTTP {reply}"})
                for reply in replies
            )

    # What tests look at.

    @property
    def submissions(self) -> list[dict]:
        """Bodies of the accepted POSTs, in order."""
        return [task.body for task in self.tasks.values()]

    def requests_to(self, route: str) -> list[Received]:
        return [request for request in self.received if _route(request.method, request.path) == route]

    # Serving.

    def answer(self, method: str, target: str, headers: dict[str, str], raw_body: bytes) -> Reply:
        route = _route(method, target)
        body = None
        if method == "POST":
            try:
                body = json.loads(raw_body or b"null")
            except ValueError:
                body = None
        with self._lock:
            self.received.append(Received(method, target, headers, body if isinstance(body, dict) else None))
            queued = self._queued.get(route)
            if queued:
                return queued.pop(0)
        if route in ("post", "poll"):
            refused = self._check_key(headers)
            if refused:
                return refused
        if route == "post":
            return self._submit(urlsplit(target).path.removeprefix("/v1/"), raw_body, body)
        if route == "poll":
            if self.redirect_polls_to and urlsplit(target).path == "/v1/get_result":
                return Reply(307, headers={"location": f"{self.redirect_polls_to}/v1/get_result?{urlsplit(target).query}"})
            return self._poll(parse_qs(urlsplit(target).query).get("id", [""])[0])
        if route == "download":
            return self._download(urlsplit(target).path.removeprefix("/delivery/").removesuffix(".png"))
        return Reply.json(404, {"detail": "Not Found"})

    def _check_key(self, headers: dict[str, str]) -> Reply | None:
        if "x-key" not in headers:
            return Reply.json(403, {"detail": "Not authenticated"})
        if headers["x-key"] != self.key:
            return Reply.json(401, {"detail": "Invalid API key"})
        return None

    def _submit(self, model: str, raw_body: bytes, body: object) -> Reply:
        if model not in MODELS:
            return Reply.json(404, {"detail": "Not Found"})
        if not isinstance(body, dict):
            return _invalid(["body"], "Input should be a valid JSON object")
        fields = MODELS[model]
        for name, value in body.items():
            if name not in fields:
                return _invalid(["body", name], "Extra inputs are not permitted")
            problem = fields[name](value)
            if problem:
                return _invalid(["body", name], problem)
        if "prompt" not in body:
            return _invalid(["body", "prompt"], "Field required")
        task = Task(id=str(uuid.uuid4()), model=model, body=body)
        with self._lock:
            self.tasks[task.id] = task
        polling_origin = self.polling_origin or self.origin
        return Reply.json(200, {"id": task.id, "polling_url": f"{polling_origin}/v1/get_result?id={task.id}"})

    def _poll(self, task_id: str) -> Reply:
        with self._lock:
            task = self.tasks.get(task_id)
            if task is not None:
                task.polls += 1
        if task is None or self.outcome == "Task not found":
            return Reply.json(200, _status(task_id, "Task not found"))
        if self.outcome == "never" or task.polls <= self.pending_polls:
            return Reply.json(200, _status(task.id, "Pending", progress=task.polls / (self.pending_polls + 1)))
        if self.outcome != "Ready":
            return Reply.json(200, _status(task.id, self.outcome, details=self.details))
        result = {
            "sample": f"{self.origin}/delivery/{task.id}.png?se=2030-01-01&sig=fake",
            "prompt": task.body["prompt"],
            "seed": task.body.get("seed"),
            "start_time": 0.0,
            "end_time": 1.0,
            "duration": 1.0,
        }
        return Reply.json(200, _status(task.id, "Ready", result=result, progress=1.0))

    def _download(self, task_id: str) -> Reply:
        task = self.tasks.get(task_id)
        if task is None:
            return Reply(404, b"<Error><Code>BlobNotFound</Code></Error>", "application/xml")
        if self.sample is not None:
            return Reply(200, self.sample, "image/png")
        return Reply(200, paint(task), "image/png")


def paint(task: Task) -> bytes:
    """The PNG the fake 'renders': the size the request asked for, in a colour picked by its seed."""
    width, height = output_size(task)
    colour = tuple(random.Random(task.body.get("seed")).randrange(256) for _ in range(3))
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def output_size(task: Task) -> tuple[int, int]:
    """What BFL paints for this request: its width and height, or its aspect ratio at a fixed area."""
    body = task.body
    if "width" in MODELS[task.model]:
        return body.get("width", 1024), body.get("height", 768)
    if body.get("aspect_ratio"):
        ratio = Fraction(*(int(part) for part in body["aspect_ratio"].split(":")))
    elif body.get("input_image"):
        reference = Image.open(io.BytesIO(base64.b64decode(body["input_image"])))
        ratio = Fraction(*reference.size)  # Kontext keeps the input's shape when no ratio is given
    else:
        ratio = Fraction(16, 9) if task.model == "flux-pro-1.1-ultra" else Fraction(1, 1)
    width = (FAKE_AREA * ratio) ** 0.5
    return round(width / 32) * 32, round(FAKE_AREA / width / 32) * 32


def _status(task_id: str, status: str, **fields: object) -> dict:
    return {
        "id": task_id,
        "status": status,
        "result": None,
        "progress": None,
        "details": None,
        "preview": None,
    } | fields


def _invalid(location: list[str], message: str) -> Reply:
    return Reply.json(422, {"detail": [{"loc": location, "msg": message, "type": "value_error"}]})


def _route(method: str, target: str) -> str:
    path = urlsplit(target).path
    if method == "POST" and path.startswith("/v1/"):
        return "post"
    if method == "GET" and path.endswith("/v1/get_result"):  # under a prefix too: a redirect's target
        return "poll"
    if method == "GET" and path.startswith("/delivery/"):
        return "download"
    return "other"


def _handler_for(fake: FakeBfl) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes; with Nagle on, each reply waits ~40 ms for a delayed ACK.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            self._serve(b"")

        def do_POST(self) -> None:
            self._serve(self.rfile.read(int(self.headers.get("content-length") or 0)))

        def _serve(self, raw_body: bytes) -> None:
            headers = {name.lower(): value for name, value in self.headers.items()}
            reply = fake.answer(self.command, self.path, headers, raw_body)
            self.send_response(reply.status)
            self.send_header("content-type", reply.content_type)
            self.send_header("content-length", str(len(reply.body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply.body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep pytest's output clean

    return Handler
