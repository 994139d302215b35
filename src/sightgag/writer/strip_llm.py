"""A Strip from an LLM behind an OpenAI-compatible API: the strip brief, the Strip schema, re-asks.

The schema goes to the server in the same three styles as the Concepts schema (see
sightgag.writer.openai_compat); whatever comes back is validated against the Strip contract, and an
answer that breaks it (a speaker who is not in the cast, a panel too many) is sent back with the problem.
"""

from __future__ import annotations

import copy
import json

from pydantic import ValidationError

from sightgag.strip import MAX_BALLOON_WORDS, Strip, check_panels, strip_schema
from sightgag.subjects import Subject
from sightgag.writer.openai_compat import (
    OpenAICompatWriter,
    SchemaStyle,
    UnusableAnswer,
    _describe,
    _make_strict,
    _snap_unit_numbers,
    _strip_code_fence,
)
from sightgag.writer.strip_brief import strip_reask_prompt, strip_system_prompt, strip_user_prompt


def write_strip(
    writer: OpenAICompatWriter, request: str, subjects: list[Subject], panels: int, seed: int | None
) -> Strip:
    check_panels(panels)
    writer.served_model()
    conversation = [
        {"role": "system", "content": strip_system_prompt(panels)},
        {"role": "user", "content": strip_user_prompt(request, subjects, panels)},
    ]
    schema = strip_provider_schema(writer.provider.schema_style, panels)
    def parse(answer: str, finish_reason: str | None) -> Strip:
        return parse_strip(answer, panels, finish_reason)

    strip = writer.ask(conversation, schema, seed, parse, strip_reask_prompt, "strip")
    return link_strip_subjects(strip, subjects)


def strip_provider_schema(style: SchemaStyle, panels: int) -> dict:
    """The Strip schema for `panels` panels, in the style a server enforces."""
    schema = copy.deepcopy(strip_schema())
    schema["properties"]["panels"].update(minItems=panels, maxItems=panels)
    if style == "openai_strict":
        _make_strict(schema)
    elif style == "grammar":
        _snap_unit_numbers(schema)
        word = r'[^ "\\\x00-\x1F\x7F]{1,24}'
        schema["$defs"]["Line"]["properties"]["text"]["pattern"] = f"^{word}( {word}){{0,{MAX_BALLOON_WORDS - 1}}}$"
    return schema


def parse_strip(answer: str, panels: int, finish_reason: str | None = None) -> Strip:
    """The strip in a model's answer, or UnusableAnswer saying what to fix."""
    try:
        data = json.loads(_strip_code_fence(answer), strict=False)
    except json.JSONDecodeError as error:
        problem = f"the answer is not valid JSON ({error.msg} at character {error.pos})"
        if finish_reason == "length":
            problem = "the answer was cut off at the length limit: write shorter fields"
        raise UnusableAnswer(problem) from error
    _names_as_cast(data)
    try:
        strip = Strip.model_validate(data)
    except ValidationError as error:
        raise UnusableAnswer(_describe(error)) from error
    if len(strip.panels) != panels:
        raise UnusableAnswer(f"you wrote {len(strip.panels)} panels; write exactly {panels}")
    return strip


def _names_as_cast(data: object) -> None:
    """Names that differ from a cast name only in case or spaces are that name (models write 'mittens')."""
    if not isinstance(data, dict) or not isinstance(data.get("cast"), list):
        return
    cast = [member for member in data["cast"] if isinstance(member, dict)]
    names = {_folded(str(member.get("name", ""))): member.get("name") for member in cast}
    if data["cast"] and not any(isinstance(m, dict) and m.get("role") == "hero" for m in data["cast"]):
        if isinstance(data["cast"][0], dict):
            data["cast"][0]["role"] = "hero"
    for panel in data.get("panels") or []:
        if not isinstance(panel, dict):
            continue
        named = [*((staged, "name") for staged in panel.get("cast") or [])]
        named += [(line, "speaker") for line in panel.get("balloons") or []]
        for item, key in named:
            if isinstance(item, dict) and isinstance(item.get(key), str):
                item[key] = names.get(_folded(item[key]), item[key])


def _folded(name: str) -> str:
    return " ".join(name.split()).casefold()


def link_strip_subjects(strip: Strip, subjects: list[Subject]) -> Strip:
    """Each character's `subject` names a known subject exactly, or is None (the artist looks it up by name)."""
    by_name = {name.casefold(): subject.name for subject in subjects for name in [subject.name, *subject.aliases]}
    for member in strip.cast:
        member.subject = by_name.get((member.subject or "").casefold()) or by_name.get(member.name.casefold())
    return strip
