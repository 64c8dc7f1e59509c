"""Folio's one ``Settings`` object (environment prefix ``FOLIO_``), built once and passed in."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from typing_extensions import Annotated

EngineName = Literal["auto", "local", "llama"]


class Settings(BaseSettings):
    """Every knob of Folio. Each field reads ``FOLIO_<NAME>`` from the environment or ``.env``."""

    model_config = SettingsConfigDict(
        env_prefix="FOLIO_", env_file=".env", extra="ignore", frozen=True
    )

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

    # --- intake limits -----------------------------------------------------------------
    max_file_bytes: int = Field(
        200 * 1024 * 1024, ge=1, description="Largest file accepted, in bytes."
    )
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
        "auto", description="Default engine: auto (llama if a server answers, else local), local, llama."
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

    # --- tenancy -----------------------------------------------------------------------
    default_tenant: str = Field("default", min_length=1, description="Tenant used when none is named.")
    default_tier: str = Field("standard", min_length=1, description="Licence tier of new tenants.")
    default_schema: str = Field("invoice", min_length=1, description="Schema used when none is named.")

    # --- queue -------------------------------------------------------------------------
    lease_seconds: float = Field(
        900.0, gt=0, description="How long a worker owns a document before the sweeper may take it."
    )
    log_level: str = Field("INFO", description="Log level for Folio's own loggers.")

    @field_validator("llm_base_urls", mode="before")
    @classmethod
    def _split_urls(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip().rstrip("/") for part in value.split(",") if part.strip()]
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
