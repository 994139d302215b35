"""The editor: between the writer and the artist it ranks more candidates than asked for and keeps the
best; after the artist it reads signs, looks at the picture, checks safety and has failures repainted.

    editor = load_editor("auto", settings, writer=studio.writer)   # the writer's LLM, or offline
    ranking = editor.rank(request, subjects, candidates, n=2)

Specs: `auto` (the writer's LLM when the writer is an OpenAI-compatible LLM, else `offline`), any
OpenAI-compatible writer spec (`grok`, `openai:gpt-5-mini`, `ollama`, `openai-compat:URL`), `offline`,
or `none` (the writer's first N, unjudged).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sightgag.concept import Concept
from sightgag.editor.ranking import Ranking, default_candidates, writers_order
from sightgag.editor.record import EditorRecord
from sightgag.errors import UsageError
from sightgag.settings import Settings
from sightgag.spec import Spec
from sightgag.subjects import Subject

LLM_PROVIDERS = ("grok", "openai", "ollama", "openai-compat")
KNOWN_EDITORS = ("auto", *LLM_PROVIDERS, "local", "offline", "none")

__all__ = ["KNOWN_EDITORS", "Editor", "EditorRecord", "Ranking", "default_candidates", "load_editor"]


class Editor(Protocol):
    """Ranks candidates. An editor may also have `punch_up(request, concepts)` (rewrites the kept captions)
    and `rank_strips(request, subjects, concepts, n)` (whole strips, each as one Concept, judged as
    strips); without them, captions are kept and strips are ranked as gags are (editor/desk.py)."""

    spec: str

    def rank(self, request: str, subjects: list[Subject], concepts: Sequence[Concept], n: int) -> Ranking:
        """The `n` best distinct concepts, best first, and a judgement of every candidate."""
        ...


class NoEditor:
    """`--editor none`: the writer's first N, as it ordered them."""

    spec = "none"

    def rank(self, request: str, subjects: list[Subject], concepts: Sequence[Concept], n: int) -> Ranking:
        return writers_order(concepts, n, "not judged (--editor none)")


def load_editor(spec: str, settings: Settings, writer: object | None = None) -> Editor:
    """The editor a spec names; `writer` is the studio's writer, whose LLM `auto` reuses."""
    parsed = Spec.parse(spec)
    if parsed.provider == "none":
        return NoEditor()
    if parsed.provider == "offline":
        from sightgag.editor.offline import OfflineEditor

        return OfflineEditor()
    if parsed.provider == "auto":
        from sightgag.writer.openai_compat import OpenAICompatWriter

        from sightgag.writer.local import LocalWriter

        if isinstance(writer, OpenAICompatWriter | LocalWriter):
            from sightgag.editor.judge import LLMEditor

            return LLMEditor(writer)
        from sightgag.editor.offline import OfflineEditor

        return OfflineEditor()
    if parsed.provider in LLM_PROVIDERS:
        from sightgag.editor.judge import LLMEditor
        from sightgag.writer.openai_compat import OpenAICompatWriter

        return LLMEditor(OpenAICompatWriter(parsed.provider, parsed.model, settings))
    if parsed.provider == "local":
        from sightgag.editor.judge import LLMEditor
        from sightgag.writer.local import LocalWriter

        return LLMEditor(LocalWriter(parsed.model, settings))
    raise UsageError(f"unknown editor {spec!r}: use one of {', '.join(KNOWN_EDITORS)} (or an LLM spec like grok:MODEL)")
