"""Configuration: environment variables SIGHTGAG_*, the usual API key variables, and the home folder."""

from __future__ import annotations

from pathlib import Path

import platformdirs
from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_home() -> Path:
    return Path(platformdirs.user_data_dir("sightgag", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SIGHTGAG_", extra="ignore")

    home: Path = Field(default_factory=_default_home, description="gallery, subjects, caches")
    writer: str = "auto"
    artist: str = "auto"

    # API keys keep their usual names, so a user's existing environment just works. They are SecretStr,
    # so a repr, a log line or a traceback's locals never print them: `.get_secret_value()` where sent.
    xai_api_key: SecretStr | None = Field(default=None, validation_alias=AliasChoices("XAI_API_KEY", "SIGHTGAG_XAI_API_KEY"))
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "SIGHTGAG_OPENAI_API_KEY")
    )
    bfl_api_key: SecretStr | None = Field(default=None, validation_alias=AliasChoices("BFL_API_KEY", "SIGHTGAG_BFL_API_KEY"))
    openai_compat_api_key: SecretStr | None = Field(
        default=None, description="sent to an openai-compat:URL server that wants a key (vLLM --api-key, LiteLLM)"
    )

    @field_validator("xai_api_key", "openai_api_key", "bfl_api_key", "openai_compat_api_key", mode="before")
    @classmethod
    def _blank_key_is_no_key(cls, value: object) -> object:
        # `export XAI_API_KEY=` must not count as a key: auto would pick grok and fail at the first call.
        return value.strip() or None if isinstance(value, str) else value

    # Writer behaviour.
    writer_timeout: float = Field(default=60.0, description="seconds per LLM call")
    writer_retries: int = Field(default=3, description="retries on timeouts and 5xx, with backoff")
    writer_reasks: int = Field(default=2, description="times to ask again with the validation error")
    ollama_url: str = "http://127.0.0.1:11434/v1"

    # Flux artist behaviour. Each is harmless where it does not apply (e.g. offload on the CPU).
    device: str | None = Field(default=None, description="cuda, mps or cpu; chosen automatically when unset")
    dtype: str | None = Field(default=None, description="bfloat16, float16 or float32; by device when unset")
    cpu_offload: bool = Field(default=False, description="model CPU offload: less VRAM, slower (as offload=model)")
    offload: str | None = Field(
        default=None, description="model, group, sequential or none (CUDA only); chosen from free GPU memory when unset"
    )
    compile: bool = Field(default=False, description="torch.compile the transformer (CUDA only)")
    quantize: str | None = Field(
        default=None, description="'nf4' or 'int8' via bitsandbytes (CUDA only); chosen from free GPU memory when unset"
    )
    keep_pipelines: int = Field(default=1, ge=1, description="FLUX.1 pipelines kept loaded (least recently used go)")

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

    # Hosted xAI images (Grok Imagine); the key is XAI_API_KEY, as for the grok writer.
    xai_url: str = "https://api.x.ai/v1"
    xai_timeout: float = Field(default=120.0, description="seconds per xAI image request")
    xai_retries: int = Field(default=3, description="retries on timeouts, 429 and 5xx (Retry-After honoured)")
    xai_resolution: str = Field(default="1k", description="1k or 2k: xAI's output resolution")
    xai_video_resolution: str = Field(default="480p", description="480p or 720p: xAI's video resolution (480p costs least)")
    xai_video_deadline: float = Field(default=600.0, description="seconds to wait for a hosted clip")
    xai_video_poll_interval: float = Field(default=2.0, description="seconds between asking whether a clip is done")

    def gallery_dir(self) -> Path:
        return self.home / "gallery"

    def database(self) -> Path:
        return self.home / "sightgag.db"


def secret(value: object) -> str | None:
    """The text of a key setting, or None when unset: keys are read through here, whatever type holds them."""
    if value is None:
        return None
    reveal = getattr(value, "get_secret_value", None)  # pydantic's SecretStr
    text = reveal() if callable(reveal) else str(value)
    return text or None
