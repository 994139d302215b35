"""Caption drafts from a small local model, for the offline writer (opt-in: `offline:smollm2`).

SmolLM2-135M cannot write a whole concept, but it can be asked for a one-line caption for a premise
the planner already worked out. Most of what it writes restates the premise or rambles, so drafts are
filtered hard and only offered to the writer as extra candidates next to the curated lines.
It runs through llama.cpp (llama-cpp-python), which loads the GGUF in well under a second on a CPU;
the model is loaded on first use and kept.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from sightgag.errors import SightgagError, UsageError
from sightgag.settings import Settings
from sightgag.writer.base import ExchangeLog
from sightgag.writer.embedded import EMBEDDED_NAME, embedded_gguf
from sightgag.writer.jokes import content_words, restates, usable
from sightgag.writer.planner import Plan

SYSTEM = (
    "You write short, funny captions for single-panel cartoons. One line, under 12 words. "
    "Don't describe the picture: add a thought, a line of dialogue or a consequence."
)
MAX_TOKENS = 24


class CaptionDrafter:
    def __init__(self, model: str, settings: Settings, log: ExchangeLog):
        self.path = embedded_gguf() if model == EMBEDDED_NAME else Path(model).expanduser()
        if not self.path.is_file() or self.path.suffix != ".gguf":
            raise UsageError(
                f"offline:{model}: name a .gguf file or {EMBEDDED_NAME}, e.g. --writer offline:{EMBEDDED_NAME}"
            )
        self.log = log  # the writer's: its calls are recorded with the writer's own
        self._llm = None
        self._running = threading.Lock()  # a llama.cpp model answers one call at a time

    def draft(self, plan: Plan, premise: str, count: int, seed: int) -> list[str]:
        """Up to `count` drafts that survive the filter (often none)."""
        messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": f"Cartoon: {premise}\nCaption:"}]
        names = set(content_words(plan.hero.label)) | (set(content_words(plan.foil.label)) if plan.foil else set())
        kept: list[str] = []
        for attempt in range(count):
            text = self._complete(messages, seed + attempt)
            caption = _tidy(text)
            if caption and _passes(caption, plan.request, premise, names) and caption not in kept:
                kept.append(caption)
        return kept

    def _complete(self, messages: list[dict], seed: int) -> str:
        record = {
            "provider": "llama.cpp",
            "model": self.path.name,
            "messages": messages,
            "response": None,
            "error": None,
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        started = time.monotonic()
        try:
            with self._running:
                answer = self._model().create_chat_completion(
                    messages, max_tokens=MAX_TOKENS, temperature=0.9, top_p=0.95, seed=seed
                )
            record["response"] = answer["choices"][0]["message"]["content"] or ""
            return record["response"]
        except Exception as error:  # llama.cpp reports failures as plain exceptions
            record["error"] = str(error)
            raise SightgagError(
                f"the caption drafter failed ({error}): use --writer offline without a model"
            ) from error
        finally:
            record["duration_s"] = round(time.monotonic() - started, 3)
            self.log.calls.append(record)

    def _model(self):
        if self._llm is None:
            try:
                from llama_cpp import Llama
            except ImportError:
                raise UsageError("caption drafts need llama-cpp-python: pip install llama-cpp-python") from None
            self._llm = Llama(model_path=str(self.path), n_ctx=512, verbose=False)
        return self._llm


def _tidy(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    line = re.sub(r"^(caption|the caption)\s*:\s*", "", line, flags=re.IGNORECASE).strip().strip('"“”').strip()
    if line and line[-1] not in ".!?":
        line += "."
    return line


def _passes(caption: str, request: str, premise: str, names: set[str]) -> bool:
    """Short, clean, about the hero or foil, and saying something the request and premise don't."""
    words = caption.split()
    return (
        3 <= len(words) <= 14
        and usable(caption, request)
        and not restates(caption, premise)
        and not re.search(r"[#@*<>\[\]{}|_\\/]|https?:|caption|cartoon", caption, flags=re.IGNORECASE)
        and all(character.isprintable() for character in caption)
        and bool(names & set(content_words(caption)))
    )
