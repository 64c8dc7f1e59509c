"""Folio's one ``Settings`` object (environment prefix ``FOLIO_``), built once and passed in."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

EngineName = Literal["auto", "local", "llama"]


class Settings(BaseSettings):
    """Every knob of Folio. Each field reads ``FOLIO_<NAME>`` from the environment or ``.env``."""

    model_config = SettingsConfigDict(env_prefix="FOLIO_", env_file=".env", extra="ignore", frozen=True)

    # --- where things live -------------------------------------------------------------
    data_dir: Path = Field(
        Path("./var"),
        description="Data directory: blobs, the embedded SQLite database, Prefect's home.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db. "
        "Unset: SQLite file <data_dir>/folio.db.",
    )

    database_pool_size: int = Field(
        20,
        ge=1,
        le=500,
        description="PostgreSQL connections kept open per process (plus up to 10 more on demand).",
    )

    # --- intake limits -----------------------------------------------------------------
    max_file_bytes: int = Field(200 * 1024 * 1024, ge=1, description="Largest file accepted, in bytes.")
    max_pages: int = Field(2000, ge=1, le=100_000, description="Most pages (or frames) a document may have.")
    max_page_pixels: int = Field(
        80_000_000,
        ge=1_000_000,
        description="Most pixels one image page may decode to (decompression-bomb guard); "
        "also the ceiling for any rendered page.",
    )
    max_page_points: float = Field(
        14_400.0,
        ge=1_000.0,
        description="Longest side of a PDF page, in points (PDF allows 200 inches = 14,400 pt). "
        "Larger pages are rendered scaled down, never at full size.",
    )

    # --- page preparation --------------------------------------------------------------
    render_workers: int = Field(
        default_factory=lambda: max(1, min(4, os.cpu_count() or 1)),
        ge=1,
        le=64,
        description="Worker processes that render pages (PyMuPDF is not thread-safe).",
    )
    render_timeout_s: float = Field(
        30.0, gt=0, le=600, description="Time limit to prepare one page; past it the page fails."
    )
    render_dpi: float = Field(
        144.0,
        ge=36,
        le=600,
        description="Natural resolution for PDF pages before fitting into the Llama 4 tile grid.",
    )
    tile_size: int = Field(336, ge=112, le=1024, description="Llama 4 image tile edge, pixels.")
    max_tiles: int = Field(16, ge=1, le=64, description="Most tiles per image (Llama 4: 16).")
    jpeg_quality: int = Field(85, ge=30, le=100, description="JPEG quality of rendered pages.")
    render_images: Literal["always", "when_needed"] = Field(
        "when_needed",
        description="'when_needed' renders only pages whose route needs an image "
        "(scans, photos, poor text layers); 'always' renders every page.",
    )

    # --- engines -----------------------------------------------------------------------
    engine: EngineName = Field(
        "auto",
        description="Default engine: auto (llama if a server answers, else local), local, llama.",
    )
    ocr_timeout_s: float = Field(
        120.0, gt=0, le=3600, description="Time limit for OCR of one page by the local engine."
    )
    page_concurrency: int = Field(
        4, ge=1, le=256, description="Pages of one document extracted at the same time."
    )
    document_concurrency: int = Field(
        4, ge=1, le=256, description="Documents processed at the same time by one worker."
    )
    llm_base_urls: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="vLLM OpenAI-compatible base URLs (comma-separated), e.g. http://gpu1:8000/v1.",
    )
    llm_api_key: SecretStr | None = Field(None, description="Bearer key for the model server.")
    llm_model: str = Field(
        "meta-llama/Llama-4-Scout-17B-16E-Instruct", description="Model name sent to the server."
    )
    llm_max_concurrency_per_replica: int = Field(
        32,
        ge=1,
        le=1024,
        description="Requests in flight to one model-server replica at a time (the client's "
        "connection pool holds replicas x this many connections).",
    )
    llm_connect_timeout_s: float = Field(
        5.0, gt=0, le=120, description="Time limit to open a connection to the model server."
    )
    llm_read_timeout_s: float = Field(
        180.0,
        gt=0,
        le=3600,
        description="Time limit between bytes of a model-server answer. Streamed (the default, "
        "FOLIO_LLM_STREAM) it is the longest pause between two chunks, so a long, healthy "
        "answer finishes however long it takes; not streamed, the whole completion arrives at "
        "once and this bounds one generation.",
    )
    llm_stream: bool = Field(
        True,
        description="Stream answers (vLLM's stream with stream_options.include_usage): the read "
        "time limit applies between chunks, and each call records its time to first token and "
        "decode rate. False: one JSON answer per request.",
    )
    llm_write_timeout_s: float = Field(
        30.0, gt=0, le=600, description="Time limit to send one request body (images included)."
    )
    llm_pool_timeout_s: float = Field(
        30.0, gt=0, le=3600, description="Time limit to wait for a free pooled connection."
    )
    llm_max_attempts: int = Field(
        4,
        ge=1,
        le=20,
        description="Most HTTP attempts for one model request (first try plus retries on "
        "connect errors, timeouts, 429 and 5xx).",
    )
    llm_retry_budget_s: float = Field(
        120.0,
        gt=0,
        le=3600,
        description="Most time spent retrying one model request, waits included; past it the pages fail.",
    )
    llm_backoff_base_s: float = Field(
        0.5, ge=0, le=60, description="First retry wait (doubles each retry, with jitter)."
    )
    llm_backoff_max_s: float = Field(
        20.0, ge=0, le=600, description="Longest wait between two retries (Retry-After aside)."
    )
    llm_health_backoff_s: float = Field(
        5.0,
        gt=0,
        le=600,
        description="How long a replica that failed its health check is skipped before it "
        "is probed again (doubles while it keeps failing, up to 8x).",
    )
    llm_max_tokens_ceiling: int = Field(
        8192,
        ge=64,
        le=131_072,
        description="Most completion tokens (max_completion_tokens) one request may ask for. "
        "Each request asks for what its answer needs: the tokens of the schema filled for its "
        "pages x FOLIO_LLM_COMPLETION_MARGIN, capped here.",
    )
    llm_completion_margin: float = Field(
        1.5,
        ge=1.0,
        le=10.0,
        description="Completion budget of a request: this many times the tokens of the answer "
        "schema filled with typical values for its pages (rows counted on the page).",
    )
    llm_spend_ceiling_factor: float = Field(
        3.0,
        ge=1.0,
        le=100.0,
        description="Per-document ceiling: once a document's model calls would pass this many "
        "times its quote (completion tokens or dollars), no further call (a retry with a "
        "bigger budget, a split, a repair) is made for it and it goes to review with "
        "cost_overrun. Each page group's first request is always sent.",
    )
    llm_startup_wait_s: float = Field(
        3600.0,
        ge=0,
        le=7 * 86_400,
        description="How long a document waits in the queue (reason shown) for a configured "
        "model server that is not ready yet (vLLM loads weights for up to ~30 min) before it "
        "fails with model_unavailable. Tiers whose model_unavailable is 'fallback' go to their "
        "fallback engine at once instead, recorded on the document.",
    )
    llm_max_images_per_request: int = Field(
        5,
        ge=1,
        le=5,
        description="Most page images in one request (Meta tested Llama 4 with up to 5; "
        "vLLM's --limit-mm-per-prompt must allow at least this many).",
    )
    llm_witness: Literal["ocr", "text", "off"] = Field(
        "ocr",
        description="Second witness for the llama engine's essential values (the done rule "
        "accepts an unknown confidence only where a witness agrees, and a witness that reads "
        "something else sends the document to review): 'ocr' = the text layer of text pages "
        "and the local engine's OCR of image pages that hold an essential value (about 1 s of "
        "CPU a page, off the event loop, bounded like the local engine's OCR); 'text' = the "
        "text layer only (image pages go unwitnessed); 'off' = no witness and no grounding "
        "check (the model's answer stands alone).",
    )
    # Fairness (issue 6): see extractors/llama/scheduler.py.
    llm_scheduling_policy: Literal["fcfs", "priority"] = Field(
        "fcfs",
        description="The --scheduling-policy every vLLM replica runs with. 'priority': each "
        "request carries vLLM's 'priority' (interactive 0, batch 1; lower is served first). "
        "vLLM's current engine accepts and ignores the field on fcfs, so this is checked "
        "against the server's own configuration where it exposes it (/server_info).",
    )
    llm_interactive_burst: int = Field(
        8,
        ge=1,
        le=1000,
        description="Starvation guard: after this many interactive requests granted in a row "
        "while batch requests wait, one batch request gets the next model-server slot.",
    )

    # --- tenancy -----------------------------------------------------------------------
    default_tenant: str = Field("default", min_length=1, description="Tenant used when none is named.")
    default_tier: str = Field("standard", min_length=1, description="Licence tier of new tenants.")
    default_schema: str = Field("invoice", min_length=1, description="Schema used when none is named.")

    # --- cost and licence --------------------------------------------------------------
    # (issue 4: pricing, licence tiers, licence policy, quotes; see models/data/*.toml)
    licensee_country: str | None = Field(
        None,
        description="ISO 3166-1 alpha-2 code of the licensee's principal place of business. "
        "Unset: models whose licence restricts countries (multimodal Llama 4) are refused.",
    )
    licensee_monthly_active_users: int | None = Field(
        None, ge=0, description="Licensee's monthly active users (Llama 4: 700M threshold)."
    )
    meta_licence_reference: str | None = Field(
        None, description="Reference of a separate licence from Meta (licensees above 700M MAU)."
    )
    unknown_model_licence: Literal["block", "allow"] = Field(
        "allow",
        description="Models not in the catalog have an unknown licence: allow them with the "
        "warning recorded on every document (the operator chose the model), or block them.",
    )
    catalog_file: Path | None = Field(None, description="Model catalog TOML replacing the packaged one.")
    prices_file: Path | None = Field(None, description="Price list TOML replacing the packaged one.")
    price_overrides: dict[str, dict[str, Decimal]] = Field(
        default_factory=dict,
        description='Per-model price overrides, JSON: {"MODEL": {"input_usd_per_million": '
        '"0.1", "output_usd_per_million": "0.5"}}; they give the price list a new version.',
    )
    tiers_file: Path | None = Field(None, description="Licence tier TOML replacing the packaged one.")
    quote_prompt_overhead_tokens: int = Field(
        800, ge=0, description="Quote: prompt tokens of instructions and schema, per page."
    )
    quote_completion_tokens_per_page: int = Field(
        512, ge=0, description="Quote: expected completion tokens per page."
    )

    # --- queue -------------------------------------------------------------------------
    lease_seconds: float = Field(
        900.0, gt=0, description="How long a worker owns a document before the sweeper may take it."
    )
    log_level: str = Field("INFO", description="Log level for Folio's own loggers.")

    # --- api ---------------------------------------------------------------------------
    # (issue 5: the HTTP API, its webhook, callbacks, the in-process worker and sweeper)
    max_upload_bytes: int = Field(
        50 * 1024 * 1024,
        ge=1024,
        description="Largest HTTP request body accepted by the upload routes, in bytes "
        "(checked on Content-Length and counted while streaming: 413 past it).",
    )
    webhook_secret: SecretStr | None = Field(
        None,
        description="Shared secret of the signed inbound webhook and of outbound callback "
        "signatures (HMAC-SHA256). Unset: the webhook answers 401 and callbacks are refused.",
    )
    webhook_replay_window_s: float = Field(
        300.0, gt=0, le=3600, description="How far a signed timestamp may be from now, seconds."
    )
    callback_allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Host names callbacks may be sent to (comma-separated; exact match, or "
        "'.example.com' for any subdomain). Empty: no callbacks.",
    )
    callback_allow_http_loopback: bool = Field(
        False,
        description="Tests only: allow http:// callbacks to loopback addresses (127.0.0.1).",
    )
    callback_max_attempts: int = Field(
        5, ge=1, le=20, description="Most delivery attempts of one callback event."
    )
    callback_backoff_base_s: float = Field(
        1.0, ge=0, le=600, description="First wait between callback attempts (doubles, capped)."
    )
    callback_backoff_max_s: float = Field(
        60.0, ge=0, le=3600, description="Longest wait between two callback attempts."
    )
    callback_timeout_s: float = Field(
        10.0, gt=0, le=120, description="Time limit of one callback HTTP request."
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
    worker_queue_size: int = Field(
        1000,
        ge=1,
        description="Document ids the in-process worker holds before it drops "
        "triggers (the sweeper finds dropped ones).",
    )
    sweep_queued_after_s: float = Field(
        60.0, ge=0, description="A document queued this long without a worker is swept."
    )
    sweep_interval_s: float = Field(
        30.0, gt=0, description="How often the sweeper looks for lost or stuck documents."
    )
    prefect_deployment: str = Field(
        "process-document/folio",
        description="Deployment triggered per upload when PREFECT_API_URL is set.",
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

    # --- batch ingest and schedules ----------------------------------------------------
    # (issue 6: the inbox scanned by `folio batch` and the scheduled batch-ingest deployment)
    batch_inbox: Path | None = Field(
        None, description="Inbox folder the scheduled batch-ingest deployment scans for new files."
    )
    batch_after: Literal["move", "keep"] = Field(
        "move",
        description="What happens to a file once it has ended: 'move' it to the inbox's done/ "
        "or failed/ subfolder, or 'keep' it in place (remembered, never ingested again).",
    )
    batch_settle_s: float = Field(
        10.0,
        ge=0,
        le=86_400,
        description="A file modified less than this many seconds ago may still be being "
        "written; it is skipped until a later scan.",
    )
    batch_document_concurrency: int = Field(
        4, ge=1, le=256, description="Documents of one batch run processed at the same time."
    )
    batch_cron: str = Field(
        "0 2 * * *", min_length=1, description="Cron schedule of the batch-ingest deployment (UTC)."
    )
    batch_interval_s: float | None = Field(
        None,
        gt=0,
        description="Run the batch-ingest deployment every this many seconds instead of on "
        "FOLIO_BATCH_CRON (unset: the cron schedule).",
    )
    sweep_schedule_s: float = Field(
        60.0, gt=0, description="Interval of the scheduled sweep deployment, seconds."
    )

    @field_validator("llm_base_urls", mode="before")
    @classmethod
    def _split_urls(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip().rstrip("/") for part in value.split(",") if part.strip()]
        return value

    @field_validator("callback_allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        # issue 5: comma-separated host names, compared in lower case.
        if isinstance(value, str):
            return [part.strip().lower() for part in value.split(",") if part.strip()]
        return value

    @field_validator("licensee_country", mode="before")
    @classmethod
    def _country_code(cls, value: object) -> object:
        # Cost and licence (issue 4): an ISO 3166-1 alpha-2 code, stored in upper case.
        if isinstance(value, str):
            value = value.strip().upper() or None
            if value is not None and not (len(value) == 2 and value.isalpha()):
                raise ValueError("FOLIO_LICENSEE_COUNTRY must be an ISO 3166-1 alpha-2 code, e.g. US")
        return value

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL in use (SQLite under ``data_dir`` unless one is configured)."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'folio.db').resolve()}"

    @property
    def blob_dir(self) -> Path:
        """Where content-addressed blobs are stored."""
        return self.data_dir / "blobs"
