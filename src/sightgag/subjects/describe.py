"""Choosing how a new subject's traits are found: a vision-capable writer if there is one, else the photos."""

from __future__ import annotations

import openai
from PIL import Image

from sightgag.errors import SightgagError
from sightgag.settings import Settings
from sightgag.subjects.subject import Subject
from sightgag.subjects.traits import describe_subject, photo_traits


def describe_traits(
    subject: Subject, settings: Settings, vision: str | None = None, images: list[Image.Image] | None = None
) -> list[str]:
    """Traits for a subject from its photos: `images`, or else its stored photos.

    `vision` is a writer spec whose model accepts images (e.g. `grok`, `openai:gpt-4o`,
    `openai-compat:http://127.0.0.1:8080/v1#llava`). Without one, Grok or OpenAI are asked when their
    key is set; otherwise the traits are read off the photos offline.
    """
    if images is None:
        images = [Image.open(path).convert("RGB") for path in subject.photos]
    if vision is None:
        vision = "grok" if settings.xai_api_key else "openai" if settings.openai_api_key else None
    if vision is None or vision == "offline":
        return photo_traits(images, subject.kind)

    from sightgag.writer.openai_compat import OpenAICompatWriter
    from sightgag.spec import Spec

    spec = Spec.parse(vision)
    writer = OpenAICompatWriter(spec.provider, spec.model, settings)
    try:
        return describe_subject(writer.client, writer.served_model(), subject.name, subject.kind, images)
    except openai.OpenAIError as error:
        raise SightgagError(f"{writer.spec} could not describe {subject.name}'s photos: {error}") from None


def trait_reader(settings: Settings, vision: str | None = None):
    """`describe_traits` as `SubjectLibrary.add` takes it: run on a new subject's photos before anything is stored."""
    return lambda subject, images: describe_traits(subject, settings, vision, images)
