"""Settings sections of the pipeline: storage, intake limits, page preparation, extraction,
tenancy, licence, pricing, the queue, batch ingest and logging."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from core.settings.section import ENV_FILE, Section

EngineName = Literal["auto", "local", "llama"]


def default_data_dir() -> Path:
    """The data directory when ``FOLIO_DATA_DIR`` is not set: ``$XDG_DATA_HOME/folio``, else
    ``~/.local/share/folio``. It is the same whatever folder ``folio`` runs from, so a
    command run from ``examples/`` sees the documents one run from the project did."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base).expanduser() / "folio"


class StorageSettings(Section):
    """Where things live: the data directory (blobs, SQLite, Prefect's home) and the database."""

    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Data directory: blobs, the embedded SQLite database, Prefect's home. "
        "Default: $XDG_DATA_HOME/folio, else ~/.local/share/folio, whatever the current folder "
        "(`folio db info` prints it); a relative path is taken from the current folder.",
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

    @field_validator("data_dir")
    @classmethod
    def _home(cls, value: Path) -> Path:
        return value.expanduser()  # "~/folio" in .env means the home folder, as in a shell

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


class IntakeSettings(Section):
    """Limits a file must pass to be accepted."""

    max_file_bytes: int = Field(200 * 1024 * 1024, ge=1, description="Largest file accepted, in bytes.")
    max_pages: int = Field(2000, ge=1, le=100_000, description="Most pages (or frames) a document may have.")
    max_page_pixels: int = Field(
        80_000_000,
        ge=1_000_000,
        description="Most pixels one image page may decode to (decompression-bomb guard); "
        "also the ceiling for any rendered page.",
    )
    max_page_decode_bytes: int = Field(
        256 * 1024 * 1024,
        ge=16 * 1024 * 1024,
        le=16 * 1024 * 1024 * 1024,
        description="Most memory one image page may take to decode, in bytes: width x height x "
        "bytes per pixel of its mode (x frames held to compose an animation frame), plus the "
        "copies made to convert and shrink it. JPEGs over it are decoded reduced; other images "
        "over it are rejected.",
    )
    max_page_points: float = Field(
        14_400.0,
        ge=1_000.0,
        description="Longest side of a PDF page, in points (PDF allows 200 inches = 14,400 pt). "
        "Larger pages are rendered scaled down, never at full size.",
    )


class PageSettings(Section):
    """Page preparation: rendering pages to images that fit the Llama 4 tile grid."""

    render_workers: int = Field(
        default_factory=lambda: max(1, min(4, os.cpu_count() or 1)),
        ge=1,
        le=64,
        description="Worker processes that render pages (PyMuPDF is not thread-safe). Default: the "
        "CPU cores, at most 4.",
    )
    render_memory_bytes: int = Field(
        384 * 1024 * 1024,
        ge=16 * 1024 * 1024,
        le=64 * 1024 * 1024 * 1024,
        description="Most memory the render workers' image decodes and the local engine's OCR "
        "together may spend at once, in bytes, by each page's decode cost (see "
        "FOLIO_MAX_PAGE_DECODE_BYTES) and each OCR's estimated peak (~310 MiB for a full-size "
        "page): one whose cost would go over it waits, its time limit stopped, until others "
        "finish; one costing more runs alone.",
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
    tile_text_floor_px: float = Field(
        10.0,
        ge=0,
        le=64,
        description="Tile budget: an image page goes to the model cut to the box of its text "
        "(when that takes fewer tiles) and on the smallest tile grid "
        "that keeps its characters' median height at least this many pixels (measured by "
        "bench/tile_budget.py: the lowest height at which OCR still reads scans as on the "
        "largest grid, mean character similarity >= 0.98, no truth value lost); "
        "0 sends every image page whole, on the largest grid (max_tiles).",
    )
    jpeg_quality: int = Field(85, ge=30, le=100, description="JPEG quality of rendered pages.")
    render_images: Literal["always", "when_needed"] = Field(
        "when_needed",
        description="'when_needed' renders only pages whose route needs an image "
        "(scans, photos, poor text layers); 'always' renders every page.",
    )


class ExtractionSettings(Section):
    """Which engine extracts, and how many pages and documents at the same time."""

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
    date_order: Literal["auto", "dmy", "mdy"] = Field(
        "auto",
        description="Day/month order the local engine gives a numeric date such as 04/05/2023 when "
        "nothing on its page proves one (no unambiguous date, month name, currency or country): "
        "'auto' flags it ambiguous_date for review; 'dmy' or 'mdy' reads it that way, for a "
        "deployment that knows its documents. A proof on the page always wins.",
    )


class TenancySettings(Section):
    """What is used when a request names no tenant, tier or schema."""

    default_tenant: str = Field("default", min_length=1, description="Tenant used when none is named.")
    default_tier: str = Field("standard", min_length=1, description="Licence tier of new tenants.")
    default_schema: str = Field("invoice", min_length=1, description="Schema used when none is named.")


class LicenceSettings(Section):
    """The licensee's facts the model licences ask about, and the catalog and tier files
    (see models/data/*.toml)."""

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
    tiers_file: Path | None = Field(None, description="Licence tier TOML replacing the packaged one.")

    @field_validator("licensee_country", mode="before")
    @classmethod
    def _country_code(cls, value: object) -> object:
        # An ISO 3166-1 alpha-2 code, stored in upper case.
        if isinstance(value, str):
            value = value.strip().upper() or None
            if value is not None and not (len(value) == 2 and value.isalpha()):
                raise ValueError("FOLIO_LICENSEE_COUNTRY must be an ISO 3166-1 alpha-2 code, e.g. US")
        return value


class PricingSettings(Section):
    """The price list and the quote made before any model call."""

    prices_file: Path | None = Field(None, description="Price list TOML replacing the packaged one.")
    price_overrides: dict[str, dict[str, Decimal]] = Field(
        default_factory=dict,
        description='Per-model price overrides, JSON: {"MODEL": {"input_usd_per_million": '
        '"0.1", "output_usd_per_million": "0.5"}}; they give the price list a new version.',
    )
    quote_prompt_overhead_tokens: int = Field(
        800, ge=0, description="Quote: prompt tokens of instructions and schema, per page."
    )
    quote_completion_tokens_per_page: int = Field(
        512, ge=0, description="Quote: expected completion tokens per page."
    )


class QueueSettings(Section):
    """The documents table as the queue: worker leases, the in-process worker, the sweeper,
    and the Prefect deployment triggered per upload."""

    lease_seconds: float = Field(
        900.0, gt=0, description="How long a worker owns a document before the sweeper may take it."
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
    sweep_schedule_s: float = Field(
        60.0, gt=0, description="Interval of the scheduled sweep deployment, seconds."
    )
    prefect_deployment: str = Field(
        "process-document/folio",
        description="Deployment triggered per upload when PREFECT_API_URL is set.",
    )


class BatchSettings(Section):
    """The inbox scanned by ``folio batch`` and the scheduled batch-ingest deployment (``FOLIO_BATCH_…``)."""

    model_config = SettingsConfigDict(
        env_prefix="FOLIO_BATCH_", env_file=ENV_FILE, extra="ignore", frozen=True
    )

    inbox: Path | None = Field(
        None, description="Inbox folder the scheduled batch-ingest deployment scans for new files."
    )
    after: Literal["move", "keep"] = Field(
        "move",
        description="What happens to a file once it has ended: 'move' it to the inbox's done/ "
        "or failed/ subfolder, or 'keep' it in place (remembered, never ingested again).",
    )
    settle_s: float = Field(
        10.0,
        ge=0,
        le=86_400,
        description="A file modified less than this many seconds ago may still be being "
        "written; it is skipped until a later scan.",
    )
    document_concurrency: int = Field(
        4, ge=1, le=256, description="Documents of one batch run processed at the same time."
    )
    cron: str = Field(
        "0 2 * * *", min_length=1, description="Cron schedule of the batch-ingest deployment (UTC)."
    )
    interval_s: float | None = Field(
        None,
        gt=0,
        description="Run the batch-ingest deployment every this many seconds instead of on "
        "FOLIO_BATCH_CRON (unset: the cron schedule).",
    )


class LoggingSettings(Section):
    """Folio's own loggers (``FOLIO_LOG_…``)."""

    model_config = SettingsConfigDict(env_prefix="FOLIO_LOG_", env_file=ENV_FILE, extra="ignore", frozen=True)

    level: str = Field("INFO", description="Log level for Folio's own loggers.")
