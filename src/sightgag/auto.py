"""`auto`: pick the best writer and artist that can work right now, and say why.

Every check here is quick and local (environment variables, device files, the Hugging Face cache, one
300 ms probe of Ollama on loopback), so `auto` costs nothing noticeable on a plain laptop.
"""

from __future__ import annotations

import platform
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx

from sightgag.settings import Settings, secret

OLLAMA_PROBE_TIMEOUT = 0.3  # seconds; a local Ollama answers in milliseconds


@dataclass(frozen=True)
class Choice:
    spec: str
    reason: str

    def __str__(self) -> str:
        return f"{self.spec} ({self.reason})"


def ollama_answers(settings: Settings) -> bool:
    url = settings.ollama_url.rstrip("/") + "/models"
    try:
        return httpx.get(url, timeout=OLLAMA_PROBE_TIMEOUT).status_code == 200
    except httpx.HTTPError:
        return False


def choose_writer(settings: Settings) -> Choice:
    if secret(settings.xai_api_key):
        return Choice("grok", "XAI_API_KEY is set")
    if secret(settings.openai_api_key):
        return Choice("openai", "OPENAI_API_KEY is set")
    if ollama_answers(settings):
        return Choice("ollama", f"Ollama answers at {settings.ollama_url}")
    return Choice("offline", "no XAI_API_KEY, OPENAI_API_KEY or Ollama")


def gpu() -> str | None:
    """'cuda' or 'mps' when one is usable, else None.

    torch takes a second or two to import, so it is only asked when the machine looks like it has
    a GPU at all: NVIDIA's device files, or an Apple Silicon Mac.
    """
    looks_nvidia = Path("/dev/nvidiactl").exists() or shutil.which("nvidia-smi") is not None
    looks_apple = sys.platform == "darwin" and platform.machine() == "arm64"
    if not (looks_nvidia or looks_apple):
        return None
    try:
        import torch
    except ImportError:
        return None
    if torch.cuda.is_available():
        return "cuda"
    if looks_apple and torch.backends.mps.is_available():
        return "mps"
    return None


def hub_reachable() -> bool:
    try:
        httpx.head("https://huggingface.co", timeout=1.5)
        return True
    except httpx.HTTPError:
        return False


def _plan(settings: Settings) -> str:
    """'; <the memory plan>' for the one-line backend message, or '' if the settings cannot make one."""
    from sightgag.errors import SightgagError
    from sightgag.weights.memory import plan_here

    try:
        return f"; {plan_here(settings).message}"
    except SightgagError:
        return ""  # the artist itself says what is wrong with the settings when it is built


def choose_artist(settings: Settings) -> Choice:
    device = gpu()
    if device:
        from sightgag.artist.flux import has_cached_weights

        if has_cached_weights("schnell"):
            return Choice("flux:schnell", f"{device} GPU and FLUX.1 schnell in the Hugging Face cache{_plan(settings)}")
        if hub_reachable():
            why = f"{device} GPU; FLUX.1 schnell will be downloaded once (~34 GB){_plan(settings)}"
            return Choice("flux:schnell", why)
    # Hosted painters next: BFL first (it takes a seed, so a re-render is the same picture), then xAI.
    if secret(settings.bfl_api_key):
        why = "BFL_API_KEY is set" + ("" if device else " and no GPU")
        return Choice("bfl:flux-pro-1.1", why)
    if secret(settings.xai_api_key):
        why = "XAI_API_KEY is set" + ("" if device else " and no GPU") + "; BFL_API_KEY would take priority"
        return Choice("xai", why)
    if device:
        return Choice("sketch", f"{device} GPU but FLUX.1 weights neither cached nor reachable")
    return Choice("sketch", "no GPU; --artist flux:schnell, bfl:flux-pro-1.1 or xai to paint")
