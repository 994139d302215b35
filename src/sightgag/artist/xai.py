"""The `xai` artist: Grok Imagine, xAI's hosted image models, through the OpenAI SDK.

xAI's image API is OpenAI-shaped at https://api.x.ai/v1 (docs.x.ai, "Image Generation"):
`POST /images/generations` takes a prompt (up to 10,000 characters), `n` (1..10), an `aspect_ratio`
and a `resolution` ("1k" or "2k") instead of pixel sizes, and `response_format` "url" or "b64_json";
`POST /images/edits` takes the same with the pictures to start from, as JSON (`image: {url}` for one,
`images: [{url}, ...]` for up to three; a data URI is a URL). The SDK's own `images.edit()` sends
multipart forms, which xAI refuses, so both calls go through the SDK's plain `post`: its retries
(429 and 5xx, honouring `Retry-After`), timeouts and error types, with a body exactly as documented.
Each answer's `data[i]` has `b64_json` or `url`, the `revised_prompt` xAI painted from, and
`respect_moderation: false` when moderation withheld the picture.

What these models lack, said plainly: no seed (a re-render paints a new picture), no negative prompt
and no pixel size (the nearest of xAI's aspect ratios is asked for, and the picture is kept at the
size xAI painted it; the letterer works at that size). With a personal subject cast, the subject's
stored photos (up to three, the metadata-free copies the library keeps) go to the edits endpoint, as
Kontext is used for BFL.

The key goes to the configured API only: the SDK is told not to follow redirects (a redirect is
reported, never followed with the key), and an image URL in an answer is fetched without it.
"""

from __future__ import annotations

import base64
import contextlib
import binascii
import io
import math
import mimetypes
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
from PIL import Image, UnidentifiedImageError

from sightgag.artist.base import Painting, Progress, reference_subject
from sightgag.artist.prompt import describe
from sightgag.concept import Concept
from sightgag.errors import SightgagError, UsageError
from sightgag.hygiene import strip_unsafe
from sightgag.settings import Settings, secret
from sightgag.subjects import Subject

DEFAULT_MODEL = "grok-imagine-image"
# As docs.x.ai names them; -pro is being retired in favour of -quality but still answers.
MODELS = ("grok-imagine-image", "grok-imagine-image-quality", "grok-imagine-image-pro", "grok-imagine-image-2.0")
_MODEL_NAME = re.compile(r"grok-[a-z0-9][a-z0-9.-]*")  # a newer Grok Imagine model is passed on as named

# The API's own limits and choices (docs.x.ai, image generation and editing).
MAX_PROMPT = 10_000
MAX_REFERENCES = 3
RESOLUTIONS = ("1k", "2k")
ASPECT_RATIOS = ("1:1", "3:4", "4:3", "9:16", "16:9", "2:3", "3:2", "9:19.5", "19.5:9", "9:20", "20:9", "1:2", "2:1")
MAX_REFERENCE_BYTES = 20 * 1024 * 1024

DOWNLOAD_TIMEOUT = 60.0
MODERATION_WORDS = ("moderat", "content policy", "safety", "blocked")


def nearest_aspect_ratio(width: int, height: int) -> str:
    """xAI's aspect ratio closest in shape to width x height.

    Compared on a log scale, so that 2:1 and 1:2 are equally far from 1:1.
    """
    if width <= 0 or height <= 0:
        raise UsageError(f"bad size {width}x{height}: use positive WIDTHxHEIGHT, e.g. 1024x768")
    wanted = math.log(width / height)

    def distance(ratio: str) -> float:
        across, down = (float(part) for part in ratio.split(":"))
        return abs(math.log(across / down) - wanted)

    return min(ASPECT_RATIOS, key=distance)


class XaiArtist:
    """Paints through xAI's hosted Grok Imagine models; needs XAI_API_KEY and a network connection."""

    reproducible = False  # no seed: the same concept paints a different picture each time

    def __init__(self, model: str | None, settings: Settings):
        self.model = (model or DEFAULT_MODEL).strip()
        if not _MODEL_NAME.fullmatch(self.model):
            raise UsageError(f"unknown xAI image model {self.model!r}: use one of {', '.join(MODELS)}")
        if settings.xai_resolution not in RESOLUTIONS:
            raise UsageError(f"SIGHTGAG_XAI_RESOLUTION={settings.xai_resolution!r}: use 1k or 2k")
        self.settings = settings
        self.spec = f"xai:{self.model}"
        self.url = settings.xai_url.rstrip("/")

    def check(self, width: int, height: int) -> None:
        """Refuse now what painting would refuse: no key (xAI takes any size as its nearest aspect ratio)."""
        self._key()

    def _key(self) -> str:
        key = secret(self.settings.xai_api_key)
        if not key:
            raise UsageError("xai needs XAI_API_KEY: create a key at https://console.x.ai and export XAI_API_KEY=...")
        return key

    def paint(
        self,
        concepts: list[Concept],
        *,
        seeds: list[int],
        width: int,
        height: int,
        subjects: list[Subject] = (),
        progress: Progress | None = None,
    ) -> Painting:
        """Paint each concept once, one request after another. `seeds` are recorded as not used.

        `details` holds the model, the requested size, the aspect ratio and resolution sent, then one
        entry per image in endpoints, prompts, revised_prompts (xAI's rewording, or None),
        references (the subject photos sent, or []) and sizes (as xAI painted them).
        """
        key = self._key()
        shape = {"aspect_ratio": nearest_aspect_ratio(width, height), "resolution": self.settings.xai_resolution}
        details: dict = {
            "model": self.model,
            "requested_size": [width, height],
            **shape,
            "seeded": False,
            "endpoints": [],
            "prompts": [],
            "revised_prompts": [],
            "references": [],
            "sizes": [],
        }
        images: list[Image.Image] = []
        if progress:
            progress(0, len(concepts))
        # Redirects are not followed: the SDK would carry the key to wherever one points.
        with (
            openai.DefaultHttpxClient(follow_redirects=False) as api_http,
            httpx.Client(follow_redirects=True, timeout=DOWNLOAD_TIMEOUT) as downloads,
        ):
            client = openai.OpenAI(
                api_key=key,
                base_url=self.url,
                timeout=self.settings.xai_timeout,
                max_retries=self.settings.xai_retries,
                http_client=api_http,
            )
            for index, concept in enumerate(concepts):
                path, body, references = self._request(concept, shape, subjects)
                item = self._call(client, path, body)
                images.append(self._picture(item, downloads))
                details["endpoints"].append(path)
                details["prompts"].append(body["prompt"])
                # A model's text, kept in the record and served back: cleaned and bounded as every model text is.
                revised = strip_unsafe(str(item.get("revised_prompt") or ""))[:MAX_PROMPT]
                details["revised_prompts"].append(revised or None)
                details["references"].append([str(photo) for photo in references])
                details["sizes"].append(list(images[-1].size))
                if progress:
                    progress(index + 1, len(concepts))
        return Painting(images=images, details=details)

    # The request.

    def _request(self, concept: Concept, shape: dict, subjects: list[Subject]) -> tuple[str, dict, list[Path]]:
        """The endpoint and JSON body for one picture, and the subject photos it sends."""
        description = describe(concept, subjects)
        body: dict = {"model": self.model, "n": 1, "response_format": "b64_json", **shape}
        found = reference_subject(concept, subjects)
        if found is None:
            return "/images/generations", {**body, "prompt": _clip(description)}, []
        member, subject = found
        references = list(subject.photos[:MAX_REFERENCES])
        kind = subject.kind or member.kind or "subject"
        part = "the hero of this scene" if member.role == "hero" else f"{member.name} in this scene"
        # The edit starts from the photos, so the prompt says what to make of them.
        pictures = "this photo" if len(references) == 1 else f"these {len(references)} photos"
        prompt = _clip(f"Make the {kind} in {pictures} {part}: {description}")
        urls = [{"url": _data_uri(photo)} for photo in references]
        sent = {"image": urls[0]} if len(urls) == 1 else {"images": urls}
        return "/images/edits", {**body, "prompt": prompt, **sent}, references

    # One exchange.

    def _call(self, client: openai.OpenAI, path: str, body: dict) -> dict:
        """POST one request; the first image item of the answer, or a one-line error."""
        with api_errors(self.settings, self.url):
            response = client.post(path, body=body, cast_to=httpx.Response)
        try:
            answer = response.json()
        except ValueError:
            answer = None
        data = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(data, list):
            raise SightgagError(
                f"xAI sent junk instead of an image answer (HTTP {response.status_code}, "
                f"{response.headers.get('content-type', 'no content type')}): {_snippet(response.text)}"
            )
        if answer.get("block_reason"):
            raise SightgagError(
                f"xAI's moderation refused the prompt ({_snippet(str(answer['block_reason']))}): "
                "reword the request, or ask for a different joke"
            )
        if not data:
            raise SightgagError("xAI answered without any image: try again")
        item = data[0]
        if not isinstance(item, dict):
            raise SightgagError(f"xAI sent junk instead of an image answer: {_snippet(response.text)}")
        if item.get("respect_moderation") is False:
            raise SightgagError(
                "xAI's moderation withheld the picture (respect_moderation: false): "
                "reword the request, or ask for a different joke"
            )
        return item

    def _picture(self, item: dict, downloads: httpx.Client) -> Image.Image:
        """The image of one answer item: decoded from b64_json, or fetched from its URL without the key."""
        encoded = item.get("b64_json")
        if isinstance(encoded, str) and encoded:
            # Some answers carry a data URI rather than bare base64.
            encoded = encoded.split(",", 1)[1] if encoded.startswith("data:") else encoded
            try:
                data = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                raise SightgagError("xAI's image is not valid base64: try again") from None
            return _open(data, item.get("mime_type") or "b64_json")
        url = item.get("url")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise SightgagError(f"xAI answered without an image or an image URL: {_snippet(str(item))}")
        try:
            response = downloads.get(url)
        except httpx.HTTPError as error:
            raise SightgagError(f"could not download xAI's picture from {_origin(url)}: {error}; try again") from None
        if not response.is_success:
            raise SightgagError(
                f"could not download xAI's picture (HTTP {response.status_code}): its link may have expired; try again"
            )
        return _open(response.content, response.headers.get("content-type", "unknown type"))


@contextlib.contextmanager
def api_errors(settings: Settings, url: str) -> Iterator[None]:
    """One-line errors for a call to xAI's API through the OpenAI SDK: a timeout, no connection, an HTTP error."""
    try:
        yield
    except openai.APITimeoutError:
        tries = settings.xai_retries + 1
        raise SightgagError(
            f"xAI did not answer within {settings.xai_timeout:g} s "
            f"({tries} {'try' if tries == 1 else 'tries'}): try again later or raise SIGHTGAG_XAI_TIMEOUT"
        ) from None
    except openai.APIConnectionError as error:
        raise SightgagError(
            f"could not reach xAI at {_origin(url)}: {error.__cause__ or error}; "
            "check the network (or SIGHTGAG_XAI_URL) and try again"
        ) from None
    except openai.APIStatusError as error:
        raise status_error(error, settings, url) from None


def status_error(error: openai.APIStatusError, settings: Settings, url: str) -> SightgagError:
    """What an HTTP error from xAI's API means, in one line: a redirect not followed, a bad key, no credits..."""
    code = error.status_code
    detail = _error_detail(error.response)
    if 300 <= code < 400:
        location = error.response.headers.get("location", "")
        elsewhere = _origin(location) if location.startswith(("http://", "https://")) else "elsewhere"
        return SightgagError(
            f"xAI's API at {_origin(url)} redirected to {elsewhere} (HTTP {code}); "
            "the key is only sent to the configured address: check SIGHTGAG_XAI_URL"
        )
    if code in (401, 403):
        return UsageError(f"xAI rejected the API key (HTTP {code}{detail}): check XAI_API_KEY")
    if code == 402:
        return SightgagError(
            "xAI says the account is out of credits (HTTP 402): add credits at https://console.x.ai"
        )
    tries = f" after {settings.xai_retries + 1} tries" if settings.xai_retries else ""
    if code == 429:
        return SightgagError(
            f"xAI kept refusing: too many requests at once (HTTP 429){tries}: wait a minute and try again"
        )
    if code >= 500:
        return SightgagError(f"xAI is failing (HTTP {code}{detail}){tries}: try again later")
    if code == 400 and any(word in detail.lower() for word in MODERATION_WORDS):
        return SightgagError(
            f"xAI's moderation refused the prompt (HTTP 400{detail}): "
            "reword the request, or ask for a different joke"
        )
    return SightgagError(f"xAI refused the request (HTTP {code}{detail}): this is a sightgag bug, please report it")


def _data_uri(path: Path) -> str:
    """A subject photo as a data URI, the form xAI takes for an image it has no URL for."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise UsageError(
            f"cannot read the subject photo {path}: {error.strerror}; re-add the subject's photos"
        ) from None
    if len(data) > MAX_REFERENCE_BYTES:
        raise UsageError(f"the subject photo {path} is over 20 MB, more than xAI accepts: add a smaller photo")
    mime = mimetypes.guess_type(str(path))[0] or "image/jpeg"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _open(data: bytes, kind: str) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError):
        raise SightgagError(f"xAI's image is not a picture ({len(data)} bytes of {kind}): try again") from None
    return image.convert("RGB")


def _clip(prompt: str) -> str:
    """At most MAX_PROMPT characters, cut at a word: a concept's description is far shorter, but never refused."""
    if len(prompt) <= MAX_PROMPT:
        return prompt
    return prompt[:MAX_PROMPT].rsplit(" ", 1)[0]


def _error_detail(response) -> str:
    """xAI's error message: `{"error": "..."}` or OpenAI's `{"error": {"message": ...}}`, else the text."""
    try:
        body = response.json()
    except ValueError:
        body = response.text
    if isinstance(body, dict):
        body = body.get("error", body)
        if isinstance(body, dict):
            body = body.get("message", body)
    text = str(body) if body else ""
    return f": {_snippet(text)}" if text else ""


def _origin(url: str) -> str:
    parsed = httpx.URL(url)
    return f"{parsed.scheme}://{parsed.host}" + (f":{parsed.port}" if parsed.port else "")


def _snippet(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
