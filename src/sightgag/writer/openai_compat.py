"""The LLM comedy writer over any OpenAI-compatible chat API: xAI's Grok, OpenAI, Ollama, llama.cpp servers.

Every backend gets the same brief and is held to the Concepts JSON schema by the server's structured
output while it writes. Whatever comes back is still validated with pydantic; an invalid answer is sent
back with the validation error, a few times at most.

Servers differ in which schemas they enforce and how they want them, hence three schema styles:

- "pydantic" (xAI): pydantic's schema as it is; xAI enforces $defs/$ref, anyOf, enums and bounds.
- "openai_strict" (OpenAI): reworked to OpenAI's strict subset (every property required,
  additionalProperties false, no defaults or string lengths, nothing beside a $ref).
- "grammar" (Ollama, llama.cpp servers, any URL): the schema is compiled into a sampling grammar, which
  ignores numeric bounds and validators, so numbers on the unit canvas become a 0.05 grid and the
  caption's word limit becomes a pattern.

and two wire forms of `response_format`: OpenAI's `{"type": "json_schema", "json_schema": {...}}`, and
`{"type": "json_object", "schema": ...}`, the only form llama-cpp-python's server turns into a grammar
(it answers "json_schema" with an HTTP 500 validation error). An `openai-compat` URL is asked in the
OpenAI form first, once and without retries, and falls back to the other form if the server rejects it.
"""

from __future__ import annotations

import copy
import json
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal
from urllib.parse import urlparse

import openai
from pydantic import ValidationError

from sightgag.concept import MAX_CAPTION_WORDS, Concept, Concepts, concepts_schema
from sightgag.errors import SightgagError, UsageError
from sightgag.settings import Settings
from sightgag.subjects import Subject
from sightgag.writer.base import ExchangeLog, NoUsableAnswer
from sightgag.writer.brief import reask_prompt, system_prompt, user_prompt
from sightgag.writer.request import clean_request

SchemaStyle = Literal["pydantic", "openai_strict", "grammar"]
Wire = Literal["json_schema", "json_object"]

SCHEMA_NAME = "sightgag_concepts"
MAX_CANDIDATES = 8  # Concepts holds at most this many.
NO_KEY = "no-key-needed"  # The SDK insists on a key; local servers ignore it.
UNIT_GRID = 0.05  # Layout boxes don't need finer steps than 5 % of the canvas.


@dataclass(frozen=True)
class Provider:
    """What differs between OpenAI-compatible services."""

    name: str
    base_url: str | None  # None: from the spec (openai-compat) or from settings (ollama)
    default_model: str | None
    key_env: str | None  # the variable users export; None for keyless local servers
    schema_style: SchemaStyle
    # OpenAI's and xAI's reasoning models refuse `max_tokens`; local servers only know `max_tokens`.
    budget_param: Literal["max_tokens", "max_completion_tokens"] = "max_tokens"
    key_required: bool = True  # False: sent when set (a gateway's key), else the server is keyless


PROVIDERS: dict[str, Provider] = {
    # grok-4.3 is xAI's current general model; the grok-4-fast slugs were retired and redirect to it.
    "grok": Provider("grok", "https://api.x.ai/v1", "grok-4.3", "XAI_API_KEY", "pydantic", "max_completion_tokens"),
    "openai": Provider(
        "openai", "https://api.openai.com/v1", "gpt-5-mini", "OPENAI_API_KEY", "openai_strict", "max_completion_tokens"
    ),
    "ollama": Provider("ollama", None, "qwen2.5", None, "grammar"),
    # vLLM started with --api-key, LiteLLM and other gateways want a key; llama.cpp and LM Studio do not.
    "openai-compat": Provider(
        "openai-compat", None, None, "SIGHTGAG_OPENAI_COMPAT_API_KEY", "grammar", key_required=False
    ),
}


class OpenAICompatWriter:
    """A comedy writer behind an OpenAI-compatible chat-completions API.

        writer = OpenAICompatWriter("grok", None, Settings())
        concepts = writer.write("my cat Mittens as a superhero", [mittens], n=3)

    For `openai-compat`, `model` is the server's URL, optionally followed by `#model-name`
    (e.g. "http://127.0.0.1:8080/v1#qwen2.5"); without a name the server's first listed model is used.
    `base_url` points any provider at a proxy or gateway. Every API call is appended to `exchanges`
    (never with the key) for the studio to file.
    """

    def __init__(
        self,
        provider: str,
        model: str | None,
        settings: Settings,
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        base_url: str | None = None,
    ):
        if provider not in PROVIDERS:
            raise UsageError(f"unknown LLM provider {provider!r}: use one of {', '.join(PROVIDERS)}")
        self.provider = PROVIDERS[provider]
        self.settings = settings
        self.max_tokens = max_tokens
        self.temperature = temperature
        self._log = ExchangeLog()

        if provider == "openai-compat":
            self.base_url, self.model = _split_compat_target(model)
        elif provider == "ollama":
            self.base_url, self.model = settings.ollama_url.rstrip("/"), model or self.provider.default_model
        else:
            self.base_url, self.model = self.provider.base_url, model or self.provider.default_model
        if base_url is not None:
            self.base_url = base_url.rstrip("/")

        self.wire: Wire = "json_schema"
        # Only an unknown server has to show which form of response_format it takes.
        self.wire_known = provider != "openai-compat"

        self.client = openai.OpenAI(
            api_key=self._api_key(),
            base_url=self.base_url,
            timeout=settings.writer_timeout,
            max_retries=settings.writer_retries,
        )

    @property
    def exchanges(self) -> list[dict]:
        """This thread's LLM calls not yet logged: the studio logs and clears them after each gag."""
        return self._log.calls

    @property
    def spec(self) -> str:
        if self.provider.name == "openai-compat":
            target = f"{self.base_url}#{self.model}" if self.model else self.base_url
            return f"openai-compat:{target}"
        return f"{self.provider.name}:{self.model}"

    def write(self, request: str, subjects: list[Subject], n: int = 1, seed: int | None = None) -> list[Concept]:
        """Return `n` validated Concepts, best first; raise SightgagError when the model can't deliver."""
        request = clean_request(request)
        if not 1 <= n <= MAX_CANDIDATES:
            raise UsageError(f"n must be between 1 and {MAX_CANDIDATES}, not {n}")
        self.served_model()
        schema = provider_schema(self.provider.schema_style, n)
        conversation = [
            {"role": "system", "content": system_prompt()},
            {"role": "user", "content": user_prompt(request, subjects, n)},
        ]

        def parse(answer: str, finish_reason: str | None) -> list[Concept]:
            return parse_concepts(answer, n, finish_reason)

        concepts = self.ask(conversation, schema, seed, parse, reask_prompt, "concepts")
        return [link_subjects(concept, subjects) for concept in concepts[:n]]

    def write_strip(self, request: str, subjects: list[Subject], panels: int = 4, seed: int | None = None):
        """A validated Strip of `panels` panels, written to the strip brief (sightgag.writer.strip_brief)."""
        from sightgag.writer.strip_llm import write_strip

        return write_strip(self, clean_request(request), subjects, panels, seed)

    def ask(self, conversation: list[dict], schema: dict, seed: int | None, parse, reask, what: str):
        """Ask until `parse(answer, finish_reason)` accepts an answer, sending its UnusableAnswer back each time."""
        messages = conversation
        tries = max(self.settings.writer_reasks, 0) + 1
        for attempt in range(tries):
            # A re-ask with the same seed tends to get the same mistake back; move the seed along.
            answer, finish_reason = self._complete(messages, schema, None if seed is None else seed + attempt)
            try:
                return parse(answer, finish_reason)
            except UnusableAnswer as problem:
                last_problem = problem
                self.exchanges[-1]["error"] = f"unusable answer: {_one_line(problem, limit=500)}"
                # Only the latest bad answer goes back: small models have small contexts.
                messages = conversation + [
                    {"role": "assistant", "content": answer},
                    {"role": "user", "content": reask(str(problem))},
                ]
        raise NoUsableAnswer(
            f"{self.spec} gave no usable {what} in {tries} tries (last problem: {_one_line(last_problem)}); "
            "try again, or pick a stronger model with --writer"
        )

    def ask_json(
        self, messages: list[dict], schema: dict, *, name: str, seed: int | None = None
    ) -> tuple[str, str | None]:
        """One structured-output call with any JSON schema, in the wire form this server takes.

        For other roles that talk to the same LLM (the editor's judge): the answer's text and why it
        stopped; the call is recorded in `exchanges`. `schema` must already suit the server's style
        (`self.provider.schema_style`).
        """
        self.served_model()
        return self._complete(messages, schema, seed, name=name)

    # One API call, and what can go wrong with it.

    def _complete(
        self, messages: list[dict], schema: dict, seed: int | None, *, name: str = SCHEMA_NAME
    ) -> tuple[str, str | None]:
        """One chat completion, recorded in `exchanges`; returns the answer's text and why it stopped."""
        options: dict = {}
        if seed is not None:
            options["seed"] = seed
        if self.max_tokens is not None:
            options[self.provider.budget_param] = self.max_tokens
        if self.temperature is not None:
            options["temperature"] = self.temperature

        record = {
            "provider": self.provider.name,
            "model": self.model,
            "base_url": self.base_url,
            "messages": copy.deepcopy(messages),
            "response": None,
            "error": None,
            "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        started = time.monotonic()
        try:
            completion = self._create(messages, schema, options, name)
        except openai.APIError as error:
            record["error"] = _one_line(error)
            raise self._explain(error) from error
        finally:
            record["duration_s"] = round(time.monotonic() - started, 3)
            self.exchanges.append(record)

        if not completion.choices:
            record["error"] = "no choices in the response"
            raise SightgagError(f"{self.spec} answered without a message: check that {self.base_url} is a chat API")
        choice = completion.choices[0]
        refusal = getattr(choice.message, "refusal", None)
        if refusal:
            record["error"] = f"refused: {_one_line(refusal)}"
            raise SightgagError(f"{self.spec} refused the request ({_one_line(refusal)}): rephrase it")
        answer = choice.message.content or ""
        record["response"] = answer
        return answer, choice.finish_reason

    def _create(self, messages: list[dict], schema: dict, options: dict, name: str = SCHEMA_NAME):
        if self.wire_known:
            return self.client.chat.completions.create(
                model=self.model, messages=messages, response_format=response_format(self.wire, schema, name), **options
            )
        # An unknown server: ask once in OpenAI's form without retries, so a server that rejects it
        # (llama-cpp-python answers HTTP 500) costs one quick request instead of a round of backoffs.
        try:
            completion = self.client.with_options(max_retries=0).chat.completions.create(
                model=self.model, messages=messages, response_format=response_format(self.wire, schema, name), **options
            )
        except openai.APIError as error:
            if isinstance(error, openai.APIStatusError) and _rejects_json_schema(error):
                self.wire = "json_object"
            # Either way, ask again with the client's usual retries.
            completion = self.client.chat.completions.create(
                model=self.model, messages=messages, response_format=response_format(self.wire, schema, name), **options
            )
        self.wire_known = True
        return completion

    def _explain(self, error: openai.APIError) -> SightgagError:
        """Turn the SDK's final error (after its own retries) into one line that says what to do."""
        name, where, retries = self.spec, self.base_url, self.settings.writer_retries
        if isinstance(error, openai.APITimeoutError):
            return SightgagError(
                f"{name} did not answer within {self.settings.writer_timeout:g} s ({retries} retries): "
                "raise SIGHTGAG_WRITER_TIMEOUT or pick another writer with --writer"
            )
        if isinstance(error, openai.APIConnectionError):
            hint = "start it with `ollama serve`" if self.provider.name == "ollama" else "check the URL and the network"
            return SightgagError(f"cannot reach {name} at {where}: {hint}, or pick another writer with --writer")
        if isinstance(error, openai.AuthenticationError):
            variable = self.provider.key_env or "the server's key"
            return UsageError(
                f"{name} rejected the API key (HTTP 401): check {variable}, or pick another writer with --writer"
            )
        if isinstance(error, openai.PermissionDeniedError):
            return UsageError(
                f"{name} denied access to model {self.model!r} (HTTP 403): pick another model with --writer"
            )
        if isinstance(error, openai.NotFoundError):
            return UsageError(
                f"{name}: model {self.model!r} not found at {where} (HTTP 404): "
                f"pick another with --writer {self.provider.name}:MODEL"
            )
        if isinstance(error, openai.RateLimitError):
            return SightgagError(
                f"{name} is rate-limiting us (HTTP 429) after {retries} retries: wait a minute and try again"
            )
        if isinstance(error, openai.APIStatusError) and error.status_code >= 500:
            return SightgagError(
                f"{name} failed with HTTP {error.status_code} after {retries} retries: "
                "try again later or pick another writer with --writer"
            )
        if isinstance(error, openai.APIStatusError):
            return SightgagError(
                f"{name} rejected the request (HTTP {error.status_code}: {_one_line(error.message)}): "
                "pick another writer with --writer"
            )
        return SightgagError(f"{name} failed: {_one_line(error)}")

    def _api_key(self) -> str:
        if self.provider.key_env is None:
            return NO_KEY
        key = {
            "XAI_API_KEY": self.settings.xai_api_key,
            "OPENAI_API_KEY": self.settings.openai_api_key,
            "SIGHTGAG_OPENAI_COMPAT_API_KEY": self.settings.openai_compat_api_key,
        }[self.provider.key_env]
        if not key and not self.provider.key_required:
            return NO_KEY
        if not key:
            raise UsageError(
                f"{self.provider.name} needs {self.provider.key_env}: export {self.provider.key_env}=... "
                "or pick another writer with --writer"
            )
        return key.get_secret_value()

    def served_model(self) -> str:
        """The model to ask: the one named in the spec, else the first the server lists (asked once)."""
        if self.model is None:
            self.model = self._first_served_model()
        return self.model

    def _first_served_model(self) -> str:
        try:
            models = list(self.client.models.list())
        except openai.APIError as error:
            raise self._explain(error) from error
        if not models:
            raise SightgagError(
                f"{self.base_url} serves no models: name one with --writer openai-compat:{self.base_url}#MODEL"
            )
        return models[0].id


def _rejects_json_schema(error: openai.APIStatusError) -> bool:
    """Whether a server's error says it does not take `response_format: json_schema`."""
    return error.status_code in (400, 422, 500) and "response_format" in f"{error.message} {error.body}"


# The schema, as each kind of server should get it.


def response_format(wire: Wire, schema: dict, name: str = SCHEMA_NAME) -> dict:
    if wire == "json_object":
        return {"type": "json_object", "schema": schema}
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": True}}


def provider_schema(style: SchemaStyle, n: int) -> dict:
    """The Concepts schema for one request of `n` candidates, in the style a server enforces."""
    schema = copy.deepcopy(concepts_schema())
    # Asking for exactly n stops a grammar-bound model from rambling on to the maximum.
    schema["properties"]["concepts"].update(minItems=n, maxItems=n)
    if style == "openai_strict":
        _make_strict(schema)
    elif style == "grammar":
        _fit_for_grammar(schema)
    return schema


def strict_schema(schema: dict) -> dict:
    """A copy of a pydantic JSON schema reworked into OpenAI's strict structured-output subset.

    Strict mode wants every property required (optional ones stay nullable or take a value), no extra
    properties, no `default`, no string length limits, and nothing beside a `$ref`. Pydantic still
    enforces the original constraints when the answer comes back.
    """
    schema = copy.deepcopy(schema)
    _make_strict(schema)
    return schema


def _make_strict(node: dict) -> None:
    if "$ref" in node:
        for key in [key for key in node if key != "$ref"]:
            del node[key]
        return
    for key in ("default", "title", "minLength", "maxLength"):
        node.pop(key, None)
    if "const" in node:
        node["enum"] = [node.pop("const")]
    if "properties" in node:
        node["additionalProperties"] = False
        node["required"] = list(node["properties"])
    for child in _subschemas(node):
        _make_strict(child)


def _fit_for_grammar(schema: dict) -> None:
    """Express as a grammar the rules a sampling grammar would otherwise miss (it ignores numeric bounds)."""
    _snap_unit_numbers(schema)
    # The caption's word limit, as a pattern: words of visible characters (no quote or backslash, so the
    # JSON string stays valid) separated by single spaces.
    word = r'[^ "\\\x00-\x1F\x7F]{1,24}'
    caption_text = schema["$defs"]["Caption"]["properties"]["text"]
    caption_text["pattern"] = f"^{word}( {word}){{0,{MAX_CAPTION_WORDS - 1}}}$"


def _snap_unit_numbers(node: dict) -> None:
    """Numbers bounded to 0..1 become an enum on a 0.05 grid."""
    if node.get("type") == "number" and node.get("maximum") == 1:
        start = 1 if node.get("exclusiveMinimum") == 0 else 0
        steps = round(1 / UNIT_GRID)
        node["enum"] = [round(i * UNIT_GRID, 2) for i in range(start, steps + 1)]
        for key in ("type", "minimum", "maximum", "exclusiveMinimum"):
            node.pop(key, None)
    for child in _subschemas(node):
        _snap_unit_numbers(child)


def _subschemas(node: dict):
    """The schemas nested directly in a schema node (never property names or enum values)."""
    yield from node.get("properties", {}).values()
    yield from node.get("$defs", {}).values()
    if isinstance(node.get("items"), dict):
        yield node["items"]
    yield from node.get("anyOf", [])


# Reading the answer.


class UnusableAnswer(ValueError):
    """An answer that did not parse or validate; its message is what the model is told."""


def parse_concepts(answer: str, n: int, finish_reason: str | None = None) -> list[Concept]:
    """The concepts in a model's answer, or UnusableAnswer saying what to fix."""
    try:
        # strict=False lets a raw tab or newline inside a string pass: harmless, and small models write them.
        data = json.loads(_strip_code_fence(answer), strict=False)
    except json.JSONDecodeError as error:
        problem = f"the answer is not valid JSON ({error.msg} at character {error.pos})"
        if finish_reason == "length":
            problem = "the answer was cut off at the length limit: write shorter fields"
        raise UnusableAnswer(problem) from error
    _hero_first(data)
    try:
        concepts = Concepts.model_validate(data).concepts
    except ValidationError as error:
        raise UnusableAnswer(_describe(error)) from error
    if len(concepts) < n:
        raise UnusableAnswer(f"you wrote {len(concepts)} concept(s); write exactly {n} distinct concepts")
    premises = [" ".join(concept.premise.casefold().split()) for concept in concepts[:n]]
    if len(set(premises)) < len(premises):
        raise UnusableAnswer("two concepts share the same premise: give each a different premise, foil or device")
    return concepts


def _hero_first(data: object) -> None:
    # The brief says the cast lists the hero first; a cast with no hero means the model forgot the role.
    concepts = data.get("concepts") if isinstance(data, dict) else None
    for concept in concepts if isinstance(concepts, list) else []:
        cast = concept.get("cast") if isinstance(concept, dict) else None
        if isinstance(cast, list) and cast and all(isinstance(member, dict) for member in cast):
            if not any(member.get("role") == "hero" for member in cast):
                cast[0]["role"] = "hero"


def _describe(error: ValidationError) -> str:
    """A validation error as a few short lines a model can act on."""
    lines = []
    for item in error.errors(include_url=False)[:8]:
        where = ".".join(str(part) for part in item["loc"]) or "the answer"
        lines.append(f"- {where}: {item['msg']}")
    if error.error_count() > 8:
        lines.append(f"- ... and {error.error_count() - 8} more problems")
    return "\n".join(lines)


def _strip_code_fence(answer: str) -> str:
    # Models in plain JSON mode sometimes wrap the object in a Markdown fence.
    match = re.fullmatch(r"\s*```(?:json)?\s*(.*?)\s*```\s*", answer, flags=re.DOTALL)
    return match.group(1) if match else answer


def link_subjects(concept: Concept, subjects: list[Subject]) -> Concept:
    """Make `subject` on each cast member name a known subject exactly, or be None.

    Models write "mittens" for "Mittens", or leave the field empty on a cast member named after the
    subject; the artist needs the exact name to find the subject's LoRA or photo.
    """
    by_name: dict[str, str] = {}
    for subject in subjects:
        for name in [subject.name, *subject.aliases]:
            by_name[name.casefold()] = subject.name
    for member in concept.cast:
        member.subject = by_name.get((member.subject or "").casefold()) or by_name.get(member.name.casefold())
    return concept


def _split_compat_target(target: str | None) -> tuple[str, str | None]:
    """'http://host:port/v1#model' -> ('http://host:port/v1', 'model')."""
    if not target:
        raise UsageError("openai-compat needs the server's URL: --writer openai-compat:http://127.0.0.1:8080/v1")
    url, _, model = target.partition("#")
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise UsageError(
            f"openai-compat needs an http(s) URL, not {url!r}: e.g. --writer openai-compat:http://127.0.0.1:8080/v1"
        )
    return url.rstrip("/"), model.strip() or None


def _one_line(text: object, limit: int = 200) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


# Factories for the entry points in pyproject.toml: one per provider, called as factory(model, settings).


def grok(model: str | None, settings: Settings) -> OpenAICompatWriter:
    return OpenAICompatWriter("grok", model, settings)


def openai_writer(model: str | None, settings: Settings) -> OpenAICompatWriter:
    return OpenAICompatWriter("openai", model, settings)


def ollama(model: str | None, settings: Settings) -> OpenAICompatWriter:
    return OpenAICompatWriter("ollama", model, settings)


def openai_compat(model: str | None, settings: Settings) -> OpenAICompatWriter:
    return OpenAICompatWriter("openai-compat", model, settings)
