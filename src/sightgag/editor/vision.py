"""Looking at the picture: a vision-capable LLM answers whether the painting shows the concept.

Asked of Grok, OpenAI or any OpenAI-compatible server that takes images (SIGHTGAG_VISION=SPEC), through
the writer's client: is the hero there and recognisable (against the subject's reference photo when
there is one), is the foil there, does the moment read, are there extra limbs or fingers, is the sign
spelled right. Any failure has the picture repainted. Without a vision model the step is skipped, and
the gag says why.
"""

from __future__ import annotations

import base64
import io
import json
from typing import Protocol

from PIL import Image

from sightgag.concept import Concept
from sightgag.editor.record import VisionVerdict
from sightgag.hygiene import strip_unsafe
from sightgag.settings import Settings
from sightgag.spec import Spec

VISION_PROVIDERS = ("grok", "openai")  # known to take images; an openai-compat server is named explicitly
QUESTIONS = {
    "hero_present": "Is {hero} in the picture and recognisable?",
    "foil_present": "Is {foil} in the picture?",
    "moment_readable": "Can you tell at a glance what is happening: {moment}",
    "no_extra_limbs": "Does every figure have the right number of arms, legs and fingers?",
    "sign_spelled": 'Does the sign read exactly "{sign}"?',
}


class VisionJudge(Protocol):
    name: str

    def judge(self, image: Image.Image, concept: Concept, reference: Image.Image | None = None) -> VisionVerdict: ...


class LLMVisionJudge:
    def __init__(self, llm):
        self.llm = llm
        self.name = llm.spec

    @property
    def exchanges(self) -> list[dict]:
        return self.llm.exchanges

    def judge(self, image: Image.Image, concept: Concept, reference: Image.Image | None = None) -> VisionVerdict:
        asked = questions_for(concept)
        text = (
            "The first image is a painting made for this joke: "
            f"{concept.premise} Answer each question about the painting with true or false."
        )
        if reference is not None:
            text += f" The second image is a photo of the real {concept.hero.name}: compare the hero with it."
        text += "\n" + "\n".join(f"- {key}: {question}" for key, question in asked.items())
        content = [{"type": "text", "text": text}, _image_part(image)]
        if reference is not None:
            content.append(_image_part(reference))
        schema = {
            "type": "object",
            "properties": {**{key: {"type": "boolean"} for key in asked}, "problem": {"type": "string"}},
            "required": [*asked, "problem"],
            "additionalProperties": False,
        }
        answer, _ = self.llm.ask_json([{"role": "user", "content": content}], schema, name="sightgag_vision")
        try:
            data = json.loads(answer, strict=False)
            failed = [key for key in asked if data[key] is not True]
        except (ValueError, KeyError, TypeError):
            # An unreadable look is no verdict: the picture is neither passed nor repainted on its account.
            return VisionVerdict(passed=True, problems=["the vision model's answer was unreadable"], model=self.name)
        problems = [asked[key] + " — no" for key in failed]
        extra = " ".join(strip_unsafe(str(data.get("problem") or "")).split())[:160]
        if failed and extra:
            problems.append(extra)
        return VisionVerdict(passed=not failed, problems=problems, model=self.name)


def questions_for(concept: Concept) -> dict[str, str]:
    foils = concept.foils
    asked = {
        "hero_present": QUESTIONS["hero_present"].format(
            hero=f"{concept.hero.name} ({concept.hero.kind or 'the hero'})"
        ),
        "moment_readable": QUESTIONS["moment_readable"].format(moment=concept.moment),
        "no_extra_limbs": QUESTIONS["no_extra_limbs"],
    }
    if foils:
        asked["foil_present"] = QUESTIONS["foil_present"].format(foil=foils[0].name)
    if concept.sign_text:
        asked["sign_spelled"] = QUESTIONS["sign_spelled"].format(sign=concept.sign_text)
    return asked


def load_vision(settings: Settings, editor_llm=None) -> tuple[VisionJudge | None, str]:
    """The vision judge to use, or None and why the step is skipped."""
    choice = (settings.vision or "auto").strip()
    if choice == "off":
        return None, "skipped: SIGHTGAG_VISION=off"
    if choice == "auto":
        provider = getattr(getattr(editor_llm, "provider", None), "name", None)
        if provider in VISION_PROVIDERS:
            return LLMVisionJudge(editor_llm), editor_llm.spec
        return None, "skipped: no vision model (an LLM editor on grok or openai, or SIGHTGAG_VISION=SPEC)"
    from sightgag.writer.openai_compat import OpenAICompatWriter

    parsed = Spec.parse(choice)
    llm = OpenAICompatWriter(parsed.provider, parsed.model, settings)
    return LLMVisionJudge(llm), llm.spec


def _image_part(image: Image.Image) -> dict:
    picture = image.convert("RGB")
    picture.thumbnail((768, 768))
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=88)
    return {
        "type": "image_url",
        "image_url": {"url": "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()},
    }
