"""Configuration: environment variables SIGHTGAG_*, the usual API key variables, and the home folder."""

from __future__ import annotations

from pathlib import Path

import platformdirs
from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_home() -> Path:
    return Path(platformdirs.user_data_dir("sightgag", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SIGHTGAG_", extra="ignore")

    home: Path = Field(default_factory=_default_home, description="gallery, subjects, caches")
    writer: str = "auto"
    artist: str = "auto"

    # API keys keep their usual names, so a user's existing environment just works.
    xai_api_key: str | None = Field(default=None, validation_alias=AliasChoices("XAI_API_KEY", "SIGHTGAG_XAI_API_KEY"))
    openai_api_key: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "SIGHTGAG_OPENAI_API_KEY")
    )
    bfl_api_key: str | None = Field(default=None, validation_alias=AliasChoices("BFL_API_KEY", "SIGHTGAG_BFL_API_KEY"))
    openai_compat_api_key: str | None = Field(
        default=None, description="sent to an openai-compat:URL server that wants a key (vLLM --api-key, LiteLLM)"
    )

    # Writer behaviour.
    writer_timeout: float = Field(default=60.0, description="seconds per LLM call")
    writer_retries: int = Field(default=3, description="retries on timeouts and 5xx, with backoff")
    writer_reasks: int = Field(default=2, description="times to ask again with the validation error")
    ollama_url: str = "http://127.0.0.1:11434/v1"

    # Flux artist behaviour. Each is harmless where it does not apply (e.g. offload on the CPU).
    device: str | None = Field(default=None, description="cuda, mps or cpu; chosen automatically when unset")
    dtype: str | None = Field(default=None, description="bfloat16, float16 or float32; by device when unset")
    cpu_offload: bool = Field(default=False, description="model CPU offload: less VRAM, slower")
    compile: bool = Field(default=False, description="torch.compile the transformer (CUDA only)")
    quantize: str | None = Field(default=None, description="'nf4' or 'int8' via bitsandbytes (CUDA only)")

    # The editor (src/sightgag/editor): ranking before painting, checks after it.
    editor: str = Field(default="auto", description="auto, offline, none, or an LLM spec such as grok or openai-compat:URL")
    retries: int = Field(default=2, description="repaints of a picture that fails a check, with the next seeds")
    safety: str = Field(default="auto", description="auto, local, openai or off (off: pictures are filed unchecked)")
    safety_threshold: float = Field(default=0.5, description="local detector: P(nsfw) at which a picture is blocked")
    moderation_url: str = Field(default="https://api.openai.com/v1", description="where OpenAI's moderation is asked")
    vision: str = Field(default="auto", description="auto (the editor's LLM if it is grok or openai), off, or a spec")

    # Hosted BFL API.
    bfl_url: str = "https://api.bfl.ai/v1"
    bfl_deadline: float = Field(default=300.0, description="seconds to wait for a hosted render")
    bfl_poll_interval: float = 0.5

    def gallery_dir(self) -> Path:
        return self.home / "gallery"

    def database(self) -> Path:
        return self.home / "sightgag.db"
