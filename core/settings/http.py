"""The HTTP API (uploads, the signed webhook, rate limit, admin) and its outbound callbacks."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from core.settings.section import ENV_FILE, Section


class ApiSettings(Section):
    """The HTTP API: request bodies, the signed webhook, rate limit, keys, what ``folio serve`` runs."""

    max_upload_bytes: int = Field(
        50 * 1024 * 1024,
        ge=1024,
        description="Largest HTTP request body accepted by the upload routes, in bytes "
        "(checked on Content-Length and counted while streaming: 413 past it).",
    )
    max_json_body_bytes: int = Field(
        1024 * 1024,
        ge=1024,
        le=64 * 1024 * 1024,
        description="Largest HTTP request body accepted by every other route (JSON bodies: "
        "corrections, approvals, rejections; forms), in bytes: a Content-Length over it is "
        "refused before the body is read, a body without one is cut off once past it (413).",
    )
    webhook_secret: SecretStr | None = Field(
        None,
        description="Shared secret of the signed inbound webhook and of outbound callback "
        "signatures (HMAC-SHA256). Unset: the webhook answers 401 and callbacks are refused.",
    )
    webhook_replay_window_s: float = Field(
        300.0, gt=0, le=3600, description="How far a signed timestamp may be from now, seconds."
    )
    rate_limit_per_second: float = Field(
        50.0,
        ge=0,
        description="Requests per second each tenant may make (token bucket, in memory, one "
        "process); 0 turns the limit off.",
    )
    rate_limit_burst: int = Field(
        100, ge=1, description="Requests a tenant may make at once before the rate applies."
    )
    upload_concurrency: int = Field(
        64,
        ge=1,
        le=10_000,
        description="Requests with a body (uploads, signed webhooks) one API process serves at "
        "once; one more is answered 503 with Retry-After before any byte of it is read.",
    )
    upload_read_timeout_s: float = Field(
        15.0,
        gt=0,
        le=3600,
        description="Longest pause allowed while a request body arrives, and the time every "
        "body gets beyond what its size earns at FOLIO_UPLOAD_MIN_BYTES_PER_S; past it: 408.",
    )
    upload_min_bytes_per_s: int = Field(
        32 * 1024,
        ge=1,
        description="Slowest average rate a request body may arrive at once the first "
        "FOLIO_UPLOAD_READ_TIMEOUT_S are spent (a trickling body is cut off with 408).",
    )
    admin_key_hash: str | None = Field(
        None,
        description="sha256 (hex) of an admin API key; admin keys can also be created with "
        "`folio tenant key create NAME --admin`.",
    )
    api_key_cache_s: float = Field(
        5.0,
        ge=0,
        le=300,
        description="How long the API process remembers a resolved API key (its tenant); a "
        "revoked key keeps working at most this long. 0: look the key up on every request.",
    )
    api_process: bool = Field(
        True,
        description="`folio serve` processes uploads in its own process (in-process worker and "
        "sweeper, or a Prefect run per upload); false: it only registers them, for API-only nodes.",
    )


class CallbackSettings(Section):
    """Outbound callbacks (``FOLIO_CALLBACK_…``): where they may go, how often they are retried.

    They are signed with ``FOLIO_WEBHOOK_SECRET`` (:class:`ApiSettings`).
    """

    model_config = SettingsConfigDict(
        env_prefix="FOLIO_CALLBACK_", env_file=ENV_FILE, extra="ignore", frozen=True
    )

    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Host names callbacks may be sent to (comma-separated; exact match, or "
        "'.example.com' for any subdomain). Empty: no callbacks.",
    )
    max_attempts: int = Field(5, ge=1, le=20, description="Most delivery attempts of one callback event.")
    backoff_base_s: float = Field(
        1.0, ge=0, le=600, description="First wait between callback attempts (doubles, capped)."
    )
    backoff_max_s: float = Field(
        60.0, ge=0, le=3600, description="Longest wait between two callback attempts."
    )
    timeout_s: float = Field(10.0, gt=0, le=120, description="Time limit of one callback HTTP request.")

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        # Comma-separated host names, compared in lower case.
        if isinstance(value, str):
            return [part.strip().lower() for part in value.split(",") if part.strip()]
        return value
