"""The `bfl` artist: Black Forest Labs' hosted FLUX API.

Each picture is one task on BFL's side: POST the request to the model's endpoint, which answers
`{"id", "polling_url"}`; GET the polling URL (with the `x-key` header) until `status` is "Ready";
then download `result.sample`, a signed delivery URL that expires after about ten minutes, so it is
fetched at once. Request shapes follow BFL's API reference (docs.bfl.ai, "API Reference").

The key goes only to BFL's API: the configured URL's origin, or one of the API hosts BFL documents
(api.bfl.ai, api.eu.bfl.ai, api.us.bfl.ai and the regional api.eu1/api.us1, over https; the docs'
integration guidelines say the polling URL points at "the region that handled your request", so any
api.<region>.bfl.ai is accepted). A polling URL elsewhere is refused, a redirect elsewhere is
followed without the key, and the signed delivery URL is fetched without it.

Sizes: the width/height models (flux-pro-1.1, flux-pro, flux-dev) take 256..1440 pixels per side in
multiples of 32; a request outside that is scaled and rounded to the nearest valid size, and both
sizes are recorded. The aspect-ratio models (ultra, Kontext) choose their own pixel count (about
1 MP for Kontext, about 4 MP for ultra) and take a ratio between 21:9 and 9:21. In both cases the
picture is kept at the size BFL painted it; `details["sizes"]` says what that was.
"""

from __future__ import annotations

import base64
import io
import re
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import httpx
from PIL import Image, UnidentifiedImageError

from sightgag.artist.base import CARRY_OVER, Painting, Progress, reference_subject
from sightgag.artist.prompt import describe
from sightgag.concept import Concept
from sightgag.errors import SightgagError, UsageError
from sightgag.settings import Settings, secret
from sightgag.subjects import Subject

DEFAULT_MODEL = "flux-pro-1.1"

# BFL's own bounds (API reference, FLUX1.1 [pro] width/height; Kontext and ultra aspect_ratio).
MIN_SIDE, MAX_SIDE, SIDE_STEP = 256, 1440, 32
WIDEST_RATIO, TALLEST_RATIO = Fraction(21, 9), Fraction(9, 21)
MAX_REFERENCE_BYTES = 20 * 1024 * 1024  # Kontext accepts input images up to 20 MB.

# Moderation level 0 (strictest) .. 6; 2 is BFL's default. PNG so the letterer starts from lossless pixels.
SAFETY_TOLERANCE = 2
OUTPUT_FORMAT = "png"

# Bounded retries for 429, 5xx and network failures. Waits start at the poll interval and double.
ATTEMPTS = 4
MAX_BACKOFF = 30.0
READ_TIMEOUT, CONNECT_TIMEOUT = 60.0, 10.0

# BFL's API hosts: global, the EU and US multi-cluster endpoints, and regional clusters (eu1, us1...).
BFL_API_HOST = re.compile(r"api(\.[a-z]{2}\d*)?\.bfl\.ai")
KEY_HEADER = "x-key"

# Statuses of a finished task that did not produce a picture (the API reference's StatusResponse).
MODERATED = ("Request Moderated", "Content Moderated")
FAILED = ("Error", "Failed")
NOT_FOUND = "Task not found"


@dataclass(frozen=True)
class Endpoint:
    """One BFL model: where to POST and how it is told the picture's shape."""

    path: str
    sizing: str  # "pixels": width and height; "aspect_ratio": a W:H string
    takes_reference: bool = False  # Kontext: an input_image to edit
    extra: tuple[tuple[str, object], ...] = ()  # fixed fields only this model takes


ENDPOINTS: dict[str, Endpoint] = {
    "flux-pro-1.1": Endpoint("flux-pro-1.1", sizing="pixels"),
    "flux-pro-1.1-ultra": Endpoint("flux-pro-1.1-ultra", sizing="aspect_ratio", extra=(("raw", False),)),
    "flux-kontext-pro": Endpoint("flux-kontext-pro", sizing="aspect_ratio", takes_reference=True),
    "flux-kontext-max": Endpoint("flux-kontext-max", sizing="aspect_ratio", takes_reference=True),
    "flux-pro": Endpoint("flux-pro", sizing="pixels"),
    "flux-dev": Endpoint("flux-dev", sizing="pixels"),
}


def fit_size(width: int, height: int) -> tuple[int, int]:
    """The nearest size a width/height BFL model accepts, keeping the shape as far as the bounds allow."""
    if width <= 0 or height <= 0:
        raise UsageError(f"bad size {width}x{height}: use positive WIDTHxHEIGHT, e.g. 1024x768")
    scale = 1.0
    if max(width, height) > MAX_SIDE:
        scale = MAX_SIDE / max(width, height)
    if min(width, height) * scale < MIN_SIDE:
        scale = MIN_SIDE / min(width, height)

    def side(pixels: float) -> int:
        snapped = round(pixels / SIDE_STEP) * SIDE_STEP
        return min(MAX_SIDE, max(MIN_SIDE, snapped))

    return side(width * scale), side(height * scale)


def aspect_ratio(width: int, height: int) -> str:
    """`width:height` as the small W:H ratio BFL's aspect-ratio models take, within 21:9..9:21."""
    if width <= 0 or height <= 0:
        raise UsageError(f"bad size {width}x{height}: use positive WIDTHxHEIGHT, e.g. 1024x768")
    ratio = Fraction(width, height).limit_denominator(21)
    ratio = min(WIDEST_RATIO, max(TALLEST_RATIO, ratio))
    return f"{ratio.numerator}:{ratio.denominator}"


class BflArtist:
    """Paints through BFL's hosted API; needs BFL_API_KEY and a network connection."""

    def __init__(self, model: str | None, settings: Settings):
        self.model = model or DEFAULT_MODEL
        if self.model not in ENDPOINTS:
            raise UsageError(f"unknown BFL model {self.model!r}: use one of {', '.join(ENDPOINTS)}")
        self.endpoint = ENDPOINTS[self.model]
        self.settings = settings
        self.spec = f"bfl:{self.model}"
        self.url = f"{settings.bfl_url.rstrip('/')}/{self.endpoint.path}"
        self.api_origin = _origin(settings.bfl_url)

    def check(self, width: int, height: int) -> None:
        """Refuse now what painting would refuse: no key (any positive size is fitted to what BFL takes)."""
        self._key()
        self._shape(width, height)

    def _key(self) -> str:
        key = secret(self.settings.bfl_api_key)
        if not key:
            raise UsageError(
                "bfl needs BFL_API_KEY: create a key at https://dashboard.bfl.ai and export BFL_API_KEY=..."
            )
        return key

    def may_carry_key(self, url: httpx.URL | str) -> bool:
        """True for BFL's API: the configured origin, or a documented BFL API host over https."""
        url = httpx.URL(url)
        if _origin(url) == self.api_origin:
            return True
        return url.scheme == "https" and url.port in (None, 443) and BFL_API_HOST.fullmatch(url.host) is not None

    def paint(
        self,
        concepts: list[Concept],
        *,
        seeds: list[int],
        width: int,
        height: int,
        subjects: list[Subject] = (),
        progress: Progress | None = None,
        reference: Image.Image | None = None,
    ) -> Painting:
        """Paint each concept once, one BFL task after another; image i uses seeds[i].

        A Kontext model paints a concept without a subject photo from `reference` when one is given
        (a strip's first panel, so its characters carry over).

        `details` holds the model, endpoint, requested size and what was sent for it (width and height,
        or aspect_ratio), then one entry per image in request_ids, seeds, prompts, references (the
        subject photo sent to Kontext, or None), polls and sizes (as BFL painted them).
        """
        key = self._key()
        shape = self._shape(width, height)
        details: dict = {
            "model": self.model,
            "endpoint": self.url,
            "requested_size": [width, height],
            **shape,
            "request_ids": [],
            "seeds": [],
            "prompts": [],
            "references": [],
            "polls": [],
            "sizes": [],
        }
        images: list[Image.Image] = []
        if progress:
            progress(0, len(concepts))
        # Redirects are followed, but every request (a redirected one too) passes through the hook
        # that drops the key when the request is not for BFL's API: httpx itself strips only Authorization.
        with httpx.Client(follow_redirects=True, event_hooks={"request": [self._drop_key_off_bfl]}) as client:
            for index, concept in enumerate(concepts):
                body, sent = self._body(concept, seeds[index], shape, subjects, reference)
                image, request_id, polls = self._render(client, key, body)
                images.append(image)
                details["request_ids"].append(request_id)
                details["seeds"].append(seeds[index])
                details["prompts"].append(body["prompt"])
                details["references"].append(sent)
                details["polls"].append(polls)
                details["sizes"].append(list(image.size))
                if progress:
                    progress(index + 1, len(concepts))
        return Painting(images=images, details=details)

    # The request.

    def _shape(self, width: int, height: int) -> dict:
        if self.endpoint.sizing == "pixels":
            api_width, api_height = fit_size(width, height)
            return {"width": api_width, "height": api_height}
        return {"aspect_ratio": aspect_ratio(width, height)}

    @property
    def takes_reference_image(self) -> bool:
        return self.endpoint.takes_reference

    def _body(
        self, concept: Concept, seed: int, shape: dict, subjects: list[Subject], given: Image.Image | None = None
    ) -> tuple[dict, str | None]:
        """The JSON body for one picture, and the reference it sends: a photo's path, "given", or None."""
        description = describe(concept, subjects)
        body: dict = {"prompt": description, "seed": seed, **shape, **dict(self.endpoint.extra)}
        reference = None
        if self.endpoint.takes_reference:
            found = reference_subject(concept, subjects)
            if found is not None:
                member, subject = found
                reference = subject.photos[0]
                body["input_image"] = _base64_photo(reference)
                kind = subject.kind or member.kind or "subject"
                # Kontext edits the photo it is given, so the prompt is an instruction, not a caption.
                part = "the hero of this scene" if member.role == "hero" else f"{member.name} in this scene"
                body["prompt"] = f"Make this {kind} {part}: {description}"
            elif given is not None:
                buffer = io.BytesIO()
                given.convert("RGB").save(buffer, format="PNG")
                body["input_image"] = base64.b64encode(buffer.getvalue()).decode("ascii")
                body["prompt"] = f"{CARRY_OVER} {description}"
                reference = "given"
        body.update(
            prompt_upsampling=False,  # the writer's words are the joke; BFL must not rewrite them
            safety_tolerance=SAFETY_TOLERANCE,
            output_format=OUTPUT_FORMAT,
        )
        return body, str(reference) if reference else None

    # One task: submit, poll, download.

    def _render(self, client: httpx.Client, key: str, body: dict) -> tuple[Image.Image, str, int]:
        deadline = time.monotonic() + self.settings.bfl_deadline
        submitted = self._call(client, "POST", self.url, deadline, key, "the request", json=body)
        request_id, polling_url = submitted.get("id"), submitted.get("polling_url")
        if not isinstance(request_id, str) or not isinstance(polling_url, str):
            raise SightgagError(f"BFL answered without a task id and polling URL: {_snippet(str(submitted))}")
        if not self._is_url(polling_url) or not self.may_carry_key(polling_url):
            raise SightgagError(
                f"BFL's answer names a polling URL off BFL's API ({_snippet(polling_url, 80)}): the key is not sent "
                f"there; check SIGHTGAG_BFL_URL (now {self.api_origin})"
            )

        polls = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SightgagError(
                    f"BFL did not finish within {self.settings.bfl_deadline:g} s (task {request_id}): "
                    "try again later or raise SIGHTGAG_BFL_DEADLINE"
                )
            time.sleep(min(self.settings.bfl_poll_interval, remaining))
            polls += 1
            result = self._call(client, "GET", polling_url, deadline, key, "the task status")
            status = result.get("status")
            if status == "Ready":
                break
            _raise_for_status(status, result, request_id)

        payload = result.get("result")
        sample = payload.get("sample") if isinstance(payload, dict) else None
        if not isinstance(sample, str):
            raise SightgagError(f"BFL said task {request_id} is ready but sent no image URL: {_snippet(str(result))}")
        # The signed delivery URL needs no key, and the key must not travel to another host.
        download = self._send(client, "GET", sample, deadline, key=None)
        if not download.is_success:
            raise SightgagError(
                f"could not download BFL's picture for task {request_id} (HTTP {download.status_code}): "
                "its link may have expired; try again"
            )
        return _open_image(download, request_id), request_id, polls

    def _drop_key_off_bfl(self, request: httpx.Request) -> None:
        if KEY_HEADER in request.headers and not self.may_carry_key(request.url):
            del request.headers[KEY_HEADER]

    @staticmethod
    def _is_url(text: str) -> bool:
        try:
            return httpx.URL(text).scheme in ("http", "https")
        except httpx.InvalidURL:
            return False

    def _call(
        self,
        client: httpx.Client,
        method: str,
        url: str,
        deadline: float,
        key: str,
        what: str,
        json: dict | None = None,
    ) -> dict:
        """One call to BFL's API: the JSON object it answered, or a clear error."""
        response = self._send(client, method, url, deadline, key=key, json=json)
        if not response.is_success:
            raise _http_error(response)
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise SightgagError(
                f"BFL sent junk instead of JSON for {what} (HTTP {response.status_code}, "
                f"{response.headers.get('content-type', 'no content type')}): {_snippet(response.text)}"
            )
        return data

    def _send(
        self, client: httpx.Client, method: str, url: str, deadline: float, *, key: str | None, json: dict | None = None
    ) -> httpx.Response:
        """One HTTP exchange, retried a bounded number of times on 429, 5xx and network failures.

        Any other answer, success or not, is returned for the caller to read.
        """
        headers = {"accept": "application/json"}
        if key is not None:
            headers[KEY_HEADER] = key
        for attempt in range(ATTEMPTS):
            last = attempt == ATTEMPTS - 1
            # A hung connection must not outlive the deadline by a whole read timeout.
            read = max(1.0, min(READ_TIMEOUT, deadline - time.monotonic()))
            timeout = httpx.Timeout(read, connect=CONNECT_TIMEOUT)
            try:
                response = client.request(method, url, headers=headers, json=json, timeout=timeout)
            except httpx.TransportError as error:
                if last:
                    raise SightgagError(
                        f"could not reach BFL at {_origin(url)}: {error or type(error).__name__}; "
                        "check the network (or SIGHTGAG_BFL_URL) and try again"
                    ) from None
                _wait(self._backoff(attempt, None), deadline)
                continue
            if response.status_code != 429 and response.status_code < 500:
                return response
            if last:
                raise _http_error(response, tries=ATTEMPTS)
            _wait(self._backoff(attempt, response.headers.get("retry-after")), deadline)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _backoff(self, attempt: int, retry_after: str | None) -> float:
        try:
            asked = float(retry_after) if retry_after is not None else None
        except ValueError:
            asked = None  # an HTTP date; the exponential wait is a fine stand-in
        wait = asked if asked is not None else self.settings.bfl_poll_interval * 2**attempt
        return min(MAX_BACKOFF, max(0.0, wait))


def _base64_photo(path: Path) -> str:
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise UsageError(
            f"cannot read the subject photo {path}: {error.strerror}; re-add the subject's photos"
        ) from None
    if len(data) > MAX_REFERENCE_BYTES:
        raise UsageError(f"the subject photo {path} is over 20 MB, more than BFL accepts: add a smaller photo")
    return base64.b64encode(data).decode("ascii")


def _raise_for_status(status: object, result: dict, request_id: str) -> None:
    """Raise for a finished task that failed; return for one still in progress."""
    detail = _detail(result)
    if status in MODERATED:
        stage = "prompt" if status == "Request Moderated" else "picture"
        raise SightgagError(
            f"BFL's moderation refused the {stage} ({status}{detail}): reword the request, or ask for a different joke"
        )
    if status in FAILED:
        raise SightgagError(
            f"BFL could not paint task {request_id} ({status}{detail}): try again, or a different request"
        )
    if status == NOT_FOUND:
        raise SightgagError(f"BFL lost task {request_id} (Task not found): it may have expired; try again")
    if not isinstance(status, str):
        raise SightgagError(f"BFL sent a task status without a status: {_snippet(str(result))}")
    # "Pending", and any in-progress status BFL adds later: keep polling until the deadline.


def _detail(result: dict) -> str:
    """The task's own explanation (its `details` or `error` field), as a short suffix."""
    parts = [_flatten(result[field]) for field in ("details", "error") if result.get(field)]
    return ": " + _snippet("; ".join(parts)) if parts else ""


def _flatten(value: object) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_flatten(item)}" for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(_flatten(item) for item in value)
    return str(value)


def _http_error(response: httpx.Response, *, tries: int = 1) -> SightgagError:
    code = response.status_code
    detail = _error_detail(response)
    if code in (401, 403):
        return UsageError(f"BFL rejected the API key (HTTP {code}{detail}): check BFL_API_KEY")
    if code == 402:
        return SightgagError(
            "BFL says the account is out of credits (HTTP 402): add credits at https://dashboard.bfl.ai"
        )
    after = f" after {tries} tries" if tries > 1 else ""
    if code == 429:
        return SightgagError(
            f"BFL kept refusing: too many requests at once (HTTP 429){after}: wait a minute and try again"
        )
    if code >= 500:
        return SightgagError(f"BFL is failing (HTTP {code}{detail}){after}: try again later")
    return SightgagError(f"BFL refused the request (HTTP {code}{detail}): this is a sightgag bug, please report it")


def _error_detail(response: httpx.Response) -> str:
    """BFL's error detail: a string, or FastAPI's list of {loc, msg} validation errors."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = response.text
    if isinstance(detail, list):
        detail = "; ".join(
            f"{'.'.join(str(part) for part in item.get('loc', []))}: {item.get('msg')}"
            if isinstance(item, dict)
            else str(item)
            for item in detail
        )
    return f": {_snippet(str(detail))}" if detail else ""


def _open_image(response: httpx.Response, request_id: str) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(response.content))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError):
        raise SightgagError(
            f"BFL's image for task {request_id} is not a picture ({len(response.content)} bytes of "
            f"{response.headers.get('content-type', 'unknown type')}): try again"
        ) from None
    return image.convert("RGB")


def _wait(seconds: float, deadline: float) -> None:
    # Never sleep past the deadline: the poll loop reports it with the right message.
    time.sleep(max(0.0, min(seconds, deadline - time.monotonic())))


def _origin(url: str | httpx.URL) -> str:
    parsed = httpx.URL(url)
    return f"{parsed.scheme}://{parsed.host}" + (f":{parsed.port}" if parsed.port else "")


def _snippet(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
