"""The `xai` animator: Grok Imagine video, xAI's hosted image-to-video, animating the gag's still.

The still is uploaded (a PNG data URI) to `POST /videos/generations` with the concept's moment as
the motion prompt, a whole number of seconds (1 to 15), the nearest of xAI's video aspect ratios and
a resolution (`SIGHTGAG_XAI_VIDEO_RESOLUTION`, 480p by default). xAI answers at once with a
`request_id`; `GET /videos/{request_id}` is polled until its status is `done` (the video's URL, its
duration and `respect_moderation`), `expired` or `failed`, or until SIGHTGAG_XAI_VIDEO_DEADLINE.
The MP4 is fetched from its URL without the key, decoded with PyAV and resampled to the clip's frame
rate and the still's size; the prompt asks for no text, and the caption is the letterer's, laid on
afterwards. Errors read as the xai artist's (the same key rules and one-line messages): the key goes
to the configured API only, which is never followed through a redirect.

There is no seed: the same still animates differently each time (the record says so).
"""

from __future__ import annotations

import base64
import io
import math
import re
import time

import httpx
import openai
from PIL import Image

from sightgag.animator.base import Motion, Shot, frame_count, lettered_frames
from sightgag.animator.frames import resample
from sightgag.artist.xai import _origin, _snippet, api_errors
from sightgag.errors import SightgagError, UsageError
from sightgag.settings import Settings, secret

DEFAULT_MODEL = "grok-imagine-video"
_MODEL_NAME = re.compile(r"grok-[a-z0-9][a-z0-9.-]*")
ASPECT_RATIOS = ("1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3")
RESOLUTIONS = ("480p", "720p")
MIN_DURATION, MAX_DURATION = 1, 15
DOWNLOAD_TIMEOUT = 120.0
# The moment, as motion; text is the letterer's alone, so the model is asked for none.
PROMPT = (
    "Animate this cartoon panel for a few seconds, keeping its drawing style and framing: {moment}. "
    "{premise} Lively, comic timing; the motion settles at the end. No text, no captions, no speech bubbles."
)


class XaiAnimator:
    """Animates stills through xAI's hosted Grok Imagine video; needs XAI_API_KEY and a network connection."""

    reproducible = False

    def __init__(self, model: str | None, settings: Settings):
        self.model = (model or DEFAULT_MODEL).strip()
        if not _MODEL_NAME.fullmatch(self.model):
            raise UsageError(
                f"unknown xAI video model {self.model!r}: use {DEFAULT_MODEL} or another grok-imagine-video model"
            )
        if settings.xai_video_resolution not in RESOLUTIONS:
            raise UsageError(f"SIGHTGAG_XAI_VIDEO_RESOLUTION={settings.xai_video_resolution!r}: use 480p or 720p")
        self.settings = settings
        self.spec = f"xai:{self.model}"
        self.url = settings.xai_url.rstrip("/")

    def _key(self) -> str:
        key = secret(self.settings.xai_api_key)
        if not key:
            raise UsageError("xai needs XAI_API_KEY: create a key at https://console.x.ai and export XAI_API_KEY=...")
        return key

    def animate(self, shot: Shot, *, seconds: float, fps: int, seed: int) -> Motion:
        key = self._key()
        body = {
            "model": self.model,
            "prompt": PROMPT.format(moment=shot.concept.moment.rstrip("."), premise=shot.concept.premise),
            "image": {"url": _png_data_uri(shot.still)},
            "duration": min(MAX_DURATION, max(MIN_DURATION, math.ceil(seconds))),
            "aspect_ratio": nearest_ratio(*shot.still.size),
            "resolution": self.settings.xai_video_resolution,
        }
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
            with api_errors(self.settings, self.url):
                submitted = _json(client.post("/videos/generations", body=body, cast_to=httpx.Response))
            request_id = submitted.get("request_id") if isinstance(submitted, dict) else None
            if not isinstance(request_id, str) or not request_id:
                raise SightgagError(f"xAI accepted the clip without a request id: {_snippet(str(submitted))}")
            video = self._wait(client, request_id)
            data = _download(downloads, video["url"])
        total = frame_count(seconds, fps)
        frames = _frames(data, fps, total, shot.still.size)
        return Motion(
            frames=frames,
            lettered_from=total - lettered_frames(total, fps),
            details={
                "model": self.model,
                "seeded": False,
                "request_id": request_id,
                "prompt": body["prompt"],
                "duration": body["duration"],
                "aspect_ratio": body["aspect_ratio"],
                "resolution": body["resolution"],
            },
        )

    def _wait(self, client: openai.OpenAI, request_id: str) -> dict:
        """Poll until the clip is done; its `video` object, or a one-line error."""
        deadline = time.monotonic() + self.settings.xai_video_deadline
        while True:
            with api_errors(self.settings, self.url):
                answer = _json(client.get(f"/videos/{request_id}", cast_to=httpx.Response))
            if not isinstance(answer, dict):
                raise SightgagError(f"xAI sent junk instead of the clip's status: {_snippet(str(answer))}")
            if answer.get("block_reason"):
                raise SightgagError(
                    f"xAI's moderation refused the clip ({_snippet(str(answer['block_reason']))}): "
                    "try another gag, or the offline `sketch` animator"
                )
            status = answer.get("status")
            if status == "done":
                video = answer.get("video")
                if not isinstance(video, dict):
                    raise SightgagError(f"xAI said the clip is done but sent no video: {_snippet(str(answer))}")
                if video.get("respect_moderation") is False:
                    raise SightgagError(
                        "xAI's moderation withheld the clip (respect_moderation: false): "
                        "try another gag, or the offline `sketch` animator"
                    )
                if not isinstance(video.get("url"), str) or not video["url"].startswith(("https://", "http://")):
                    raise SightgagError(f"xAI's finished clip has no download URL: {_snippet(str(video))}")
                return video
            if status in ("expired", "failed"):
                raise SightgagError(f"xAI's clip {status} before it was made: try again")
            if status != "pending":
                raise SightgagError(f"xAI sent an unknown clip status {status!r}: {_snippet(str(answer))}")
            if time.monotonic() + self.settings.xai_video_poll_interval > deadline:
                raise SightgagError(
                    f"xAI's clip was not done within {self.settings.xai_video_deadline:g} s "
                    f"(request {request_id}): try again later or raise SIGHTGAG_XAI_VIDEO_DEADLINE"
                )
            time.sleep(self.settings.xai_video_poll_interval)


def nearest_ratio(width: int, height: int) -> str:
    """xAI's video aspect ratio closest in shape to width x height (compared on a log scale)."""
    wanted = math.log(width / height)

    def distance(ratio: str) -> float:
        across, down = (float(part) for part in ratio.split(":"))
        return abs(math.log(across / down) - wanted)

    return min(ASPECT_RATIOS, key=distance)


def _png_data_uri(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _json(response: httpx.Response):
    try:
        return response.json()
    except ValueError:
        raise SightgagError(
            f"xAI sent junk instead of JSON (HTTP {response.status_code}): {_snippet(response.text)}"
        ) from None


def _download(downloads: httpx.Client, url: str) -> bytes:
    """The finished MP4, fetched from its URL without the key."""
    try:
        response = downloads.get(url)
    except httpx.HTTPError as error:
        raise SightgagError(f"could not download xAI's clip from {_origin(url)}: {error}; try again") from None
    if not response.is_success:
        raise SightgagError(
            f"could not download xAI's clip (HTTP {response.status_code}): its link may have expired; try again"
        )
    return response.content


def _frames(data: bytes, fps: int, total: int, size: tuple[int, int]) -> list[Image.Image]:
    """The video's frames at `fps`, `total` of them (the last held if the video is shorter), at the still's size."""
    import av

    try:
        with av.open(io.BytesIO(data)) as container:
            decoded = [(float(frame.time or 0.0), frame.to_image()) for frame in container.decode(video=0)]
    except (av.error.FFmpegError, ValueError, IndexError):
        raise SightgagError(f"xAI's clip is not a video ({len(data)} bytes): try again") from None
    if not decoded:
        raise SightgagError("xAI's clip has no frames: try again")
    return resample(decoded, fps, total, size)
