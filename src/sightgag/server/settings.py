"""The server's own settings, read like the rest from SIGHTGAG_* environment variables."""

from __future__ import annotations

import ipaddress

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MB = 1024 * 1024


class ServerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SIGHTGAG_", extra="ignore")

    host: str = Field(default="127.0.0.1", description="the interface uvicorn binds; off loopback needs api_key")
    api_key: SecretStr | None = Field(
        default=None,
        description="when set, every route but /health and the page needs it as a bearer token; "
        "empty or blank counts as unset (see security.check_key for what a key must be)",
    )
    cors_origins: str = Field(
        default="", description="comma-separated origins allowed to call the API from a browser; none by default"
    )

    # Limits on what a request may send, checked before the body is read in full.
    max_json_bytes: int = Field(default=1 * MB, ge=1024)
    max_photo_bytes: int = Field(default=20 * MB, ge=1024)
    max_photos: int = Field(default=10, ge=1)

    # The render queue.
    server_worker: bool = Field(default=True, description="off: jobs are queued but not run (they run after a restart)")
    server_concurrency: int = Field(default=1, ge=1, description="batches painted at the same time (one GPU: 1)")
    server_writers: int = Field(
        default=4, ge=1, description="jobs written at the same time (an LLM writer mostly waits on the network)"
    )
    server_batch: int = Field(default=8, ge=1, description="most images painted in one pipeline call")
    server_batch_wait: float = Field(
        default=0.05,
        ge=0,
        description="seconds a batch with room waits for company after its oldest job was queued: requests sent "
        "together arrive a little apart, and a moment's wait is nothing next to painting",
    )
    server_job_timeout: float = Field(default=600.0, gt=0, description="seconds the OpenAI route waits for its job")

    @field_validator("host")
    @classmethod
    def _host(cls, host: str) -> str:
        # `[::1]` is how URLs write an IPv6 address; sockets and the loopback check want it bare.
        return host.strip().removeprefix("[").removesuffix("]").lower()

    @field_validator("api_key")
    @classmethod
    def _blank_key_is_no_key(cls, key: SecretStr | None) -> SecretStr | None:
        # An exported-but-empty SIGHTGAG_API_KEY must not become a key that an empty token matches.
        if key is None or not key.get_secret_value().strip():
            return None
        return SecretStr(key.get_secret_value().strip())

    def cors_origin_list(self) -> list[str]:
        return [origin.strip().rstrip("/") for origin in self.cors_origins.split(",") if origin.strip()]

    def max_upload_bytes(self) -> int:
        """The whole multipart body of a subject upload: every photo at its limit, plus the form's fields."""
        return self.max_photos * self.max_photo_bytes + MB


def is_loopback(host: str) -> bool:
    """True for 127.0.0.1, ::1, any 127.x address and 'localhost': addresses only this machine can reach."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False
