"""The `local` writer: any chat model on this machine through transformers, held to the schema by a grammar.

    writer = LocalWriter(None, Settings())           # the embedded SmolLM2-135M (local:smollm2)
    writer = LocalWriter("Qwen/Qwen2.5-1.5B-Instruct", Settings())   # from the Hugging Face cache
    writer = LocalWriter("/models/my-model.gguf", Settings())        # a GGUF file
    concepts = writer.write("my cat Mittens as a superhero", subjects, n=1, seed=3)

Decoding is constrained by llguidance (the grammar engine behind llama.cpp's and vLLM's structured
output): at every step, tokens that would break the JSON schema are masked out, so the answer always
parses and has every field. The schema the model fills is a stricter cut of the Concepts schema
(hero first, short fields, exactly n concepts), so whatever it writes also fits the real one;
pydantic then checks what a grammar cannot (caption word count, distinct premises), and a bad
answer is re-asked with the error, a bounded number of times.

A GGUF file is dequantized by transformers on first load (about half a minute for the 135M model);
the result is saved under `settings.home / "models"` and loaded from there afterwards.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import shutil
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from sightgag.concept import MAX_CAPTION_WORDS, Concept, Concepts, concepts_schema
from sightgag.errors import SightgagError, UsageError
from sightgag.settings import Settings
from sightgag.subjects import Subject
from sightgag.writer.base import ExchangeLog, NoUsableAnswer
from sightgag.writer.brief import reask_prompt, system_prompt, user_prompt
from sightgag.writer.embedded import EMBEDDED_NAME, embedded_gguf
from sightgag.writer.openai_compat import link_subjects
from sightgag.writer.request import clean_request

log = logging.getLogger(__name__)

MAX_CANDIDATES = 8
TOKENS_PER_CONCEPT = 560  # the generation schema's worst case is about 460 tokens of plain words
JUDGE_TOKENS = 600  # the editor's rubric for 8 candidates, each mark a digit and a short reason

# The generation schema: the fields a model writes, and how long each may be. Shorter than the
# Concept's own limits so a small model cannot ramble past the token budget; everything else keeps
# its default.
CONCEPT_FIELDS = {
    "title": 50,
    "premise": 120,
    "device": None,
    "cast": None,
    "setting": 90,
    "moment": 140,
    "style": None,
    "caption": None,
    "sign_text": 32,
}
MEMBER_FIELDS = {
    "name": 32,
    "role": None,
    "subject": None,
    "kind": 24,
    "appearance": 80,
    "expression": 30,
    "pose": 50,
    "props": None,
    "box": None,
}
STYLE_FIELDS = {"medium": 40, "palette": 40, "lighting": 40, "camera": 40}
CAPTION_FIELDS = {"text": 100, "lettering": None}
MAX_CAST = 2  # hero and foil: extras cost a small model tokens it spends badly
MAX_PROPS = 2


@dataclass(frozen=True)
class LocalDialect:
    """How other roles (the editor's judge) talk to the local model, as `OpenAICompatWriter.provider` says it
    for a server: llguidance takes a JSON schema as a sampling grammar, as llama.cpp's server does."""

    name: str = "local"
    schema_style: str = "grammar"


class LocalWriter:
    """A comedy writer running a chat model in this process."""

    provider = LocalDialect()

    def __init__(
        self, model: str | None, settings: Settings, *, max_new_tokens: int | None = None, temperature: float = 0.7
    ):
        self.model_name = model or EMBEDDED_NAME
        self.settings = settings
        self.max_new_tokens = max_new_tokens
        self.temperature = temperature
        self._log = ExchangeLog()
        # One model, one generation at a time: the server writes several jobs at once, and threads
        # would share the model's torch RNG (and load it twice).
        self._running = threading.Lock()
        self._model = None
        self._tokenizer = None
        self._grammar_tokenizer = None

    @property
    def exchanges(self) -> list[dict]:
        """This thread's LLM calls not yet logged: the studio logs and clears them after each gag."""
        return self._log.calls

    @property
    def spec(self) -> str:
        return f"local:{self.model_name}"

    def write(self, request: str, subjects: list[Subject], n: int = 1, seed: int | None = None) -> list[Concept]:
        """Return `n` validated Concepts, best first; raise SightgagError when the model can't deliver."""
        request = clean_request(request)
        if not 1 <= n <= MAX_CANDIDATES:
            raise UsageError(f"n must be between 1 and {MAX_CANDIDATES}, not {n}")
        self._load()
        grammar = self._grammar(n, subjects)
        seed = 0 if seed is None else seed

        conversation = [
            {"role": "system", "content": system_prompt()},
            {"role": "user", "content": user_prompt(request, subjects, n)},
        ]
        messages = conversation
        problem = "no answer"
        for attempt in range(self.settings.writer_reasks + 1):
            # Each try samples afresh (seed + attempt): a re-ask alone rarely changes a small model's mind.
            answer = self._generate(
                messages, grammar, budget=self.max_new_tokens or TOKENS_PER_CONCEPT * n, seed=seed + attempt
            )
            try:
                concepts = _parse(answer, n)
            except _Unusable as unusable:
                problem = str(unusable)
                messages = conversation + [
                    {"role": "assistant", "content": answer},
                    {"role": "user", "content": reask_prompt(problem)},
                ]
                continue
            return [link_subjects(concept, subjects) for concept in concepts]
        raise NoUsableAnswer(
            f"{self.spec} gave no usable concepts in {attempt + 1} tries (last problem: {_one_line(problem)}); "
            "try another --seed, or a stronger model with --writer"
        )

    def ask_json(
        self, messages: list[dict], schema: dict, *, name: str, seed: int | None = None
    ) -> tuple[str, str | None]:
        """One grammar-constrained answer to any JSON schema (the editor's judge asks with this), recorded in
        `exchanges`: the answer's text and why it stopped ("length" when the budget ran out first)."""
        import llguidance

        self._load()
        grammar = llguidance.LLMatcher.grammar_from_json_schema(schema, defaults={"whitespace_flexible": False})
        answer = self._generate(messages, grammar, budget=self.max_new_tokens or JUDGE_TOKENS, seed=seed or 0)
        cut = self.exchanges[-1]["error"] is not None
        return answer, "length" if cut else "stop"

    # Generation.

    def _generate(self, messages: list[dict], grammar: str, *, budget: int, seed: int) -> str:
        import llguidance
        import torch
        from transformers import LogitsProcessorList

        record = {
            "provider": "transformers",
            "model": self.model_name,
            "messages": copy.deepcopy(messages),
            "response": None,
            "error": None,
            "seed": seed,
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        started = time.monotonic()
        try:
            prompt = self._tokenizer.apply_chat_template(
                messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
            ).to(self._model.device)
            matcher = llguidance.LLMatcher(self._grammar_tokenizer, grammar)
            with self._running, torch.random.fork_rng(devices=[]), torch.inference_mode():
                torch.manual_seed(seed)
                output = self._model.generate(
                    **prompt,
                    logits_processor=LogitsProcessorList(
                        [GrammarLogitsProcessor(matcher, self._grammar_tokenizer.vocab_size)]
                    ),
                    max_new_tokens=budget,
                    do_sample=True,
                    temperature=self.temperature,
                    top_p=0.95,
                    pad_token_id=self._tokenizer.pad_token_id or self._tokenizer.eos_token_id,
                )
            new_tokens = output[0, prompt["input_ids"].shape[1] :]
            answer = self._tokenizer.decode(new_tokens, skip_special_tokens=True)
            record["response"] = answer
            record["tokens"] = int(new_tokens.shape[0])
            if not matcher.is_accepting():
                record["error"] = f"stopped after {budget} tokens, before the JSON was complete"
            return answer
        except Exception as error:
            record["error"] = _one_line(error)
            raise SightgagError(f"{self.spec} failed while generating: {_one_line(error)}") from error
        finally:
            record["duration_s"] = round(time.monotonic() - started, 3)
            self.exchanges.append(record)

    def _grammar(self, n: int, subjects: list[Subject]) -> str:
        import llguidance

        schema = generation_schema(n, [subject.name for subject in subjects])
        # Compact JSON: no whitespace between tokens means fewer tokens to generate.
        return llguidance.LLMatcher.grammar_from_json_schema(schema, defaults={"whitespace_flexible": False})

    # Loading.

    def _load(self) -> None:
        with self._running:
            if self._model is None:
                self._load_now()

    def _load_now(self) -> None:
        try:
            import llguidance.hf
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as error:
            raise UsageError(
                f"the local writer needs transformers and llguidance: pip install llguidance ({error})"
            ) from None

        source = self._source()
        started = time.monotonic()
        try:
            self._tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=True)
            self._model = AutoModelForCausalLM.from_pretrained(source, local_files_only=True, dtype="auto")
        except OSError as error:
            raise UsageError(
                f"cannot load model {self.model_name!r} ({_one_line(error, 120)}): sightgag never downloads models; "
                "fetch it on a connected machine with `hf download MODEL`, or name a local folder or .gguf file"
            ) from None
        self._model.eval()
        if self._tokenizer.chat_template is None:
            raise UsageError(
                f"{self.model_name} has no chat template: use an instruct (chat) model with --writer local:MODEL"
            )
        self._grammar_tokenizer = llguidance.hf.from_tokenizer(self._tokenizer)
        log.info("loaded %s in %.1f s", self.model_name, time.monotonic() - started)

    def _source(self) -> str:
        """Where from_pretrained finds the model: a folder (a GGUF is converted into one first) or a Hub id."""
        if self.model_name == EMBEDDED_NAME:
            return str(self._converted(embedded_gguf()))
        path = Path(self.model_name).expanduser()
        if path.suffix == ".gguf":
            if not path.is_file():
                raise UsageError(f"no GGUF file at {path}: check the path in --writer local:PATH.gguf")
            return str(self._converted(path.resolve()))
        if path.is_dir():
            return str(path)
        if path.is_absolute() or self.model_name.startswith("."):
            raise UsageError(f"no model folder at {path}: check the path in --writer local:PATH")
        return self.model_name  # a Hugging Face id: from the local cache only

    def _converted(self, gguf: Path) -> Path:
        """The dequantized copy of a GGUF model, made once and kept under settings.home/models."""
        stat = gguf.stat()
        fingerprint = hashlib.sha256(f"{gguf}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:10]
        folder = self.settings.home / "models" / f"{gguf.stem}-{fingerprint}"
        if (folder / "config.json").is_file():
            return folder

        from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

        log.warning("converting %s for transformers, once (this takes a while)", gguf.name)
        try:
            tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
            model = AutoModelForCausalLM.from_pretrained(
                gguf.parent, gguf_file=gguf.name, quantization_config=GgufConfig(dequantize=True)
            )
        except (OSError, ValueError) as error:
            raise UsageError(
                f"transformers cannot read {gguf.name} ({_one_line(error, 120)}): use another model"
            ) from None
        # Written aside and renamed, so an interrupted conversion never looks finished.
        partial = folder.with_name(folder.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        model.save_pretrained(partial)
        tokenizer.save_pretrained(partial)
        partial.replace(folder)
        return folder


class GrammarLogitsProcessor:
    """Masks every token the grammar forbids at this step (a transformers logits processor)."""

    def __init__(self, matcher, vocab_size: int):
        self.matcher = matcher
        self.vocab_size = vocab_size
        self.prompt_length: int | None = None
        self.mask = None

    def __call__(self, input_ids, scores):
        import llguidance.numpy
        import llguidance.torch

        if self.prompt_length is None:
            self.prompt_length = input_ids.shape[1]
            self.mask = llguidance.numpy.allocate_token_bitmask(1, self.vocab_size)
        else:
            # The token chosen last step is now at the end of input_ids.
            self.matcher.consume_token(int(input_ids[0, -1]))
        llguidance.numpy.fill_next_token_bitmask(self.matcher, self.mask, 0)
        if scores.device.type == "cpu" and scores.dtype.is_floating_point and scores.dtype.itemsize == 4:
            # On the CPU, llguidance's numpy mask is ~1000x faster than its torch one (0.1 ms vs 100 ms).
            llguidance.numpy.apply_token_bitmask_inplace(scores.numpy(), self.mask)
        else:
            import torch

            llguidance.torch.apply_token_bitmask_inplace(scores, torch.from_numpy(self.mask).to(scores.device))
        return scores


def generation_schema(n: int, subject_names: list[str]) -> dict:
    """The JSON schema the model fills: a stricter cut of the Concepts schema, so answers fit both.

    Exactly `n` concepts; the hero first in the cast (so there always is one); `subject` one of the
    subjects' exact names or null; a caption of at most MAX_CAPTION_WORDS words; only the fields worth
    a small model's tokens, each shorter.
    """
    schema = copy.deepcopy(concepts_schema())
    defs = schema["$defs"]
    schema["properties"]["concepts"].update(minItems=n, maxItems=n)

    _keep(defs["Concept"], CONCEPT_FIELDS)
    _keep(defs["Style"], STYLE_FIELDS)
    _keep(defs["Caption"], CAPTION_FIELDS)
    # Short words fit many to the character limit: the word limit is held by a pattern too.
    defs["Caption"]["properties"]["text"]["pattern"] = rf"^\S+( \S+){{0,{MAX_CAPTION_WORDS - 1}}}$"
    _keep(defs["CastMember"], MEMBER_FIELDS)
    member = defs.pop("CastMember")
    member["properties"]["subject"] = {"enum": [*subject_names, None]}
    member["properties"]["props"] = {
        "type": "array",
        "items": {"type": "string", "maxLength": 24},
        "maxItems": MAX_PROPS,
    }
    hero, other = copy.deepcopy(member), copy.deepcopy(member)
    hero["properties"]["role"] = {"const": "hero"}
    other["properties"]["role"] = {"enum": ["foil", "extra"]}
    defs["Hero"], defs["Member"] = hero, other
    defs["Concept"]["properties"]["cast"] = {
        "type": "array",
        "prefixItems": [{"$ref": "#/$defs/Hero"}],
        "items": {"$ref": "#/$defs/Member"},
        "minItems": 1,
        "maxItems": MAX_CAST,
    }
    return schema


def _keep(node: dict, fields: dict[str, int | None]) -> None:
    """Keep only `fields` (all required), shortening string limits where a length is given."""
    node["properties"] = {name: node["properties"][name] for name in fields}
    node["required"] = list(fields)
    node["additionalProperties"] = False
    for name, length in fields.items():
        if length is None:
            continue
        prop = node["properties"][name]
        for option in prop.get("anyOf", [prop]):
            if option.get("type") == "string":
                option["maxLength"] = min(option.get("maxLength", length), length)


class _Unusable(ValueError):
    """An answer that failed validation; its message is what the model is told."""


def _parse(answer: str, n: int) -> list[Concept]:
    try:
        concepts = Concepts.model_validate_json(answer).concepts
    except ValidationError as error:
        lines = [
            f"- {'.'.join(str(part) for part in item['loc']) or 'the answer'}: {item['msg']}"
            for item in error.errors(include_url=False)[:8]
        ]
        raise _Unusable("\n".join(lines)) from error
    if len(concepts) < n:
        raise _Unusable(f"you wrote {len(concepts)} concept(s); write exactly {n} distinct concepts")
    premises = [" ".join(concept.premise.lower().split()) for concept in concepts[:n]]
    if len(set(premises)) < len(premises):
        raise _Unusable("two concepts share the same premise: give each a different premise, foil or device")
    return concepts[:n]


def _one_line(text: object, limit: int = 200) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 3] + "..."
