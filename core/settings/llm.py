"""The llama engine's model server: where it is, how it is called, what one document may spend."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from core.settings.section import ENV_FILE, Section


class LlmSettings(Section):
    """The vLLM servers of the llama engine (``FOLIO_LLM_…``)."""

    model_config = SettingsConfigDict(env_prefix="FOLIO_LLM_", env_file=ENV_FILE, extra="ignore", frozen=True)

    base_urls: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="vLLM OpenAI-compatible base URLs (comma-separated), e.g. http://gpu1:8000/v1.",
    )
    api_key: SecretStr | None = Field(None, description="Bearer key for the model server.")
    model: str = Field(
        "meta-llama/Llama-4-Scout-17B-16E-Instruct", description="Model name sent to the server."
    )
    max_concurrency_per_replica: int = Field(
        32,
        ge=1,
        le=1024,
        description="Requests in flight to one model-server replica at a time (the client's "
        "connection pool holds replicas x this many connections).",
    )
    connect_timeout_s: float = Field(
        5.0, gt=0, le=120, description="Time limit to open a connection to the model server."
    )
    read_timeout_s: float = Field(
        180.0,
        gt=0,
        le=3600,
        description="Time limit between bytes of a model-server answer. Streamed (the default, "
        "FOLIO_LLM_STREAM) it is the longest pause between two chunks, so a long, healthy "
        "answer finishes however long it takes; not streamed, the whole completion arrives at "
        "once and this bounds one generation.",
    )
    stream: bool = Field(
        True,
        description="Stream answers (vLLM's stream with stream_options.include_usage): the read "
        "time limit applies between chunks, and each call records its time to first token and "
        "decode rate. False: one JSON answer per request.",
    )
    write_timeout_s: float = Field(
        30.0, gt=0, le=600, description="Time limit to send one request body (images included)."
    )
    pool_timeout_s: float = Field(
        30.0, gt=0, le=3600, description="Time limit to wait for a free pooled connection."
    )
    max_attempts: int = Field(
        4,
        ge=1,
        le=20,
        description="Most HTTP attempts for one model request (first try plus retries on "
        "connect errors, timeouts, 429 and 5xx).",
    )
    retry_budget_s: float = Field(
        120.0,
        gt=0,
        le=3600,
        description="Most time spent retrying one model request, waits included; past it the pages fail.",
    )
    backoff_base_s: float = Field(
        0.5, ge=0, le=60, description="First retry wait (doubles each retry, with jitter)."
    )
    backoff_max_s: float = Field(
        20.0, ge=0, le=600, description="Longest wait between two retries (Retry-After aside)."
    )
    health_backoff_s: float = Field(
        5.0,
        gt=0,
        le=600,
        description="How long a replica that failed its health check is skipped before it "
        "is probed again (doubles while it keeps failing, up to 8x).",
    )
    max_tokens_ceiling: int = Field(
        8192,
        ge=64,
        le=131_072,
        description="Most completion tokens (max_completion_tokens) one request may ask for. "
        "Each request asks for what its answer needs: the tokens of the schema filled for its "
        "pages x FOLIO_LLM_COMPLETION_MARGIN, capped here.",
    )
    completion_margin: float = Field(
        1.5,
        ge=1.0,
        le=10.0,
        description="Completion budget of a request: this many times the tokens of the answer "
        "schema filled with typical values for its pages (rows counted on the page).",
    )
    spend_ceiling_factor: float = Field(
        3.0,
        ge=1.0,
        le=100.0,
        description="Per-document ceiling: once a document's model calls would pass this many "
        "times its quote (completion tokens or dollars), no further call (a retry with a "
        "bigger budget, a split, a repair) is made for it and it goes to review with "
        "cost_overrun. Each page group's first request is always sent.",
    )
    startup_wait_s: float = Field(
        3600.0,
        ge=0,
        le=7 * 86_400,
        description="How long a document waits in the queue (reason shown) for a configured "
        "model server that is not ready yet (vLLM loads weights for up to ~30 min) before it "
        "fails with model_unavailable. Tiers whose model_unavailable is 'fallback' go to their "
        "fallback engine at once instead, recorded on the document.",
    )
    max_images_per_request: int = Field(
        5,
        ge=1,
        le=5,
        description="Most page images in one request (Meta tested Llama 4 with up to 5; "
        "vLLM's --limit-mm-per-prompt must allow at least this many).",
    )
    witness: Literal["ocr", "text", "off"] = Field(
        "ocr",
        description="Second witness for the llama engine's essential values (the done rule "
        "accepts an unknown confidence only where a witness agrees, and a witness that reads "
        "something else sends the document to review): 'ocr' = the text layer of text pages "
        "and the local engine's OCR of image pages that hold an essential value (about 1 s of "
        "CPU a page, off the event loop, bounded like the local engine's OCR); 'text' = the "
        "text layer only (image pages go unwitnessed); 'off' = no witness and no grounding "
        "check (the model's answer stands alone).",
    )
    # Fairness between uploads and batch runs: see extractors/llama/scheduler.py.
    scheduling_policy: Literal["fcfs", "priority"] = Field(
        "fcfs",
        description="The --scheduling-policy every vLLM replica runs with. 'priority': each "
        "request carries vLLM's 'priority' (interactive 0, batch 1; lower is served first). "
        "vLLM's current engine accepts and ignores the field on fcfs, so this is checked "
        "against the server's own configuration where it exposes it (/server_info).",
    )
    interactive_burst: int = Field(
        8,
        ge=1,
        le=1000,
        description="Starvation guard: after this many interactive requests granted in a row "
        "while batch requests wait, one batch request gets the next model-server slot.",
    )

    @field_validator("base_urls", mode="before")
    @classmethod
    def _split_urls(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip().rstrip("/") for part in value.split(",") if part.strip()]
        return value
