"""The ORM tables: tenants, documents (the queue of record), pages, extractions, usage ledger.

Types are portable between SQLite (embedded mode) and PostgreSQL (production): JSON with a
JSONB variant, ``Numeric(18, 8)`` for money, and timestamps that are always aware UTC in
Python whatever the database hands back. Every schema change goes through an Alembic
revision in ``storage/migrations/versions``; a test checks that the two agree.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from models.document import DocumentStatus, FileKind
from models.page import PageRoute, TextQuality

# Deterministic constraint names, so later migrations can refer to them on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
Money = sa.Numeric(18, 8)


def utcnow() -> dt.datetime:
    """The current time, aware, in UTC."""
    return dt.datetime.now(dt.UTC)


def new_document_id() -> str:
    """A new document id: a random UUID in its 36-character text form."""
    return str(uuid.uuid4())


class UtcDateTime(sa.TypeDecorator[dt.datetime]):
    """A timestamp stored in UTC and always returned aware (SQLite hands back naive values)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            # A naive value would be read as local time on one database and UTC on the
            # other; refusing it keeps every stored instant unambiguous.
            raise ValueError(f"naive datetime {value!r}: pass an aware (UTC) datetime")
        value = value.astimezone(dt.UTC)
        # SQLite compares timestamps as text: one offset-free format keeps order correct.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class StrEnumType(sa.TypeDecorator[Any]):
    """A ``StrEnum`` stored as its plain string value, returned as the enum member."""

    impl = sa.String
    cache_ok = True

    def __init__(self, enum_class: type[StrEnum], length: int = 32) -> None:
        super().__init__(length)
        self.enum_class = enum_class
        self.length = length

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return self.enum_class(value).value  # raises ValueError on a value the enum lacks

    def process_result_value(self, value: Any, dialect: Dialect) -> StrEnum | None:
        return None if value is None else self.enum_class(value)


class Base(DeclarativeBase):
    """Declarative base carrying the naming convention and the shared type map."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UtcDateTime(), Decimal: Money, dict[str, Any]: JSONType}


class Tenant(Base):
    """A customer of the deployment; every document belongs to one."""

    __tablename__ = "tenants"
    __table_args__ = {"comment": "Customers of this deployment; each has one licence tier."}

    id: Mapped[int] = mapped_column(primary_key=True, comment="Tenant number.")
    name: Mapped[str] = mapped_column(sa.String(200), unique=True, comment="Unique tenant name.")
    tier: Mapped[str] = mapped_column(sa.String(64), comment="Licence tier name of the tenant.")
    callback_url: Mapped[str | None] = mapped_column(
        sa.String(2000),
        comment="Default callback URL for the tenant's documents; an upload's own URL wins.",
    )
    created_at: Mapped[dt.datetime] = mapped_column(
        default=utcnow, comment="When the tenant was created (UTC)."
    )


class Document(Base):
    """One file for one tenant and schema: the row is the queue of record for its processing."""

    __tablename__ = "documents"
    __table_args__ = (
        # The idempotency key: the same bytes for the same tenant and schema are one document.
        sa.UniqueConstraint("tenant_id", "sha256", "schema_name"),
        # What the sweeper and the workers look for: queued, or processing past the lease.
        sa.Index(None, "status", "lease_expires_at"),
        sa.Index(None, "tenant_id", "created_at"),
        sa.Index(None, "tenant_id", "quoted_at"),  # monthly budgets (issue 4)
        sa.Index(None, "tenant_id", "idempotency_key", unique=True),  # issue 5; NULLs never clash
        sa.Index(None, "created_at", "id"),  # keyset pages newest first (issue 7; 0008)
        sa.CheckConstraint(
            "status IN (" + ", ".join(f"'{s.value}'" for s in DocumentStatus) + ")",
            name="status_known",
        ),
        {"comment": "Documents received, one per (tenant, content, schema); the work queue."},
    )

    id: Mapped[str] = mapped_column(
        sa.String(36), primary_key=True, default=new_document_id, comment="Document UUID."
    )
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tenants.id"), comment="Owning tenant.")
    sha256: Mapped[str] = mapped_column(sa.String(64), comment="sha256 of the file, hex.")
    schema_name: Mapped[str] = mapped_column(sa.String(100), comment="Extraction schema requested.")
    file_name: Mapped[str] = mapped_column(sa.String(500), comment="Original file name, for display only.")
    kind: Mapped[FileKind | None] = mapped_column(
        StrEnumType(FileKind, 16),
        comment="Real file type sniffed from the bytes; null if it could not be told.",
    )
    media_type: Mapped[str] = mapped_column(sa.String(100), comment="Media type of the file.")
    size_bytes: Mapped[int] = mapped_column(sa.BigInteger, comment="File size in bytes.")
    page_count: Mapped[int | None] = mapped_column(comment="Pages (or frames); null until inspected.")
    status: Mapped[DocumentStatus] = mapped_column(
        StrEnumType(DocumentStatus, 20),
        default=DocumentStatus.QUEUED,
        comment="Lifecycle status (queued, processing, done, partial, ...).",
    )
    reason: Mapped[str | None] = mapped_column(sa.Text, comment="Why the document ended in its status.")
    error_code: Mapped[str | None] = mapped_column(
        sa.String(64), comment="Stable error code when it failed or was refused."
    )
    engine: Mapped[str | None] = mapped_column(
        sa.String(32), comment="Engine that processed it; null until processed."
    )
    model: Mapped[str | None] = mapped_column(sa.String(200), comment="Model that processed it.")
    licence_tier: Mapped[str] = mapped_column(
        sa.String(64), comment="Licence tier in force when it was received."
    )
    cost_usd: Mapped[Decimal] = mapped_column(
        default=Decimal(0),
        server_default=sa.text("0"),
        comment="Sum of its usage-ledger costs, USD.",
    )
    blob_key: Mapped[str | None] = mapped_column(
        sa.String(200), comment="Blob store key; null if rejected before storage."
    )
    source: Mapped[str] = mapped_column(sa.String(16), comment="Where it came from: cli, api, batch.")
    priority: Mapped[int] = mapped_column(
        default=0, server_default=sa.text("0"), comment="Higher is claimed first."
    )
    attempts: Mapped[int] = mapped_column(
        default=0, server_default=sa.text("0"), comment="Times a worker claimed it."
    )
    lease_owner: Mapped[str | None] = mapped_column(
        sa.String(200), comment="Worker holding the lease while processing."
    )
    lease_expires_at: Mapped[dt.datetime | None] = mapped_column(
        index=True, comment="When the lease lapses and the sweeper may take it (UTC)."
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, comment="When received (UTC).")
    updated_at: Mapped[dt.datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, comment="Last change of the row (UTC)."
    )
    started_at: Mapped[dt.datetime | None] = mapped_column(comment="When the latest attempt started (UTC).")
    finished_at: Mapped[dt.datetime | None] = mapped_column(comment="When it reached a final status (UTC).")

    # --- cost and licence (issue 4; migration 0002) -------------------------------------
    policy_decision: Mapped[str | None] = mapped_column(
        sa.String(16), comment="Policy outcome: allowed, routed or blocked; null until decided."
    )
    policy_reason: Mapped[str | None] = mapped_column(
        sa.Text, comment="Why blocked or routed, and the notes of an allowed decision."
    )
    model_licence: Mapped[str | None] = mapped_column(
        sa.String(64), comment="Licence id of the model that processes it (catalog)."
    )
    attribution: Mapped[str | None] = mapped_column(
        sa.String(200), comment="Attribution the model's licence requires (Built with Llama)."
    )
    licence_reference: Mapped[str | None] = mapped_column(
        sa.String(200), comment="Separate model licence relied upon (a Meta licence reference)."
    )
    quoted_tokens: Mapped[int | None] = mapped_column(
        comment="Quote: estimated input plus completion tokens, before any model call."
    )
    quoted_cost_usd: Mapped[Decimal | None] = mapped_column(
        comment="Quote: estimated cost, USD, before any model call."
    )
    price_version: Mapped[str | None] = mapped_column(
        sa.String(64), comment="Price list version of the quote."
    )
    quoted_at: Mapped[dt.datetime | None] = mapped_column(
        comment="When the quote was made (UTC): the month its pages count in."
    )

    # --- HTTP API (issue 5; migration 0004) ---------------------------------------------
    callback_url: Mapped[str | None] = mapped_column(
        sa.String(2000), comment="Where the final status is posted (signed), if anywhere."
    )
    idempotency_key: Mapped[str | None] = mapped_column(
        sa.String(200), comment="The uploader's idempotency key, unique per tenant."
    )


class Page(Base):
    """What preparation found on one page of a document."""

    __tablename__ = "pages"
    __table_args__ = (
        sa.CheckConstraint("status IN ('ok', 'failed')", name="status_known"),
        {"comment": "Pages of documents as prepared: size, route, token estimates, failures."},
    )

    document_id: Mapped[str] = mapped_column(
        sa.ForeignKey("documents.id", ondelete="CASCADE"),
        primary_key=True,
        comment="Document the page belongs to.",
    )
    page_number: Mapped[int] = mapped_column(primary_key=True, comment="1-based page number.")
    width_pt: Mapped[float] = mapped_column(comment="Width in points (pixels for images).")
    height_pt: Mapped[float] = mapped_column(comment="Height in points (pixels for images).")
    text_quality: Mapped[TextQuality] = mapped_column(
        StrEnumType(TextQuality, 16), comment="Verdict on the text layer: good, poor, empty."
    )
    route: Mapped[PageRoute] = mapped_column(
        StrEnumType(PageRoute, 16), comment="How the page goes to the engine: text, image, both."
    )
    estimated_text_tokens: Mapped[int] = mapped_column(comment="Estimated text tokens.")
    estimated_image_tokens: Mapped[int] = mapped_column(comment="Estimated image tokens.")
    image_width: Mapped[int | None] = mapped_column(comment="Rendered image width, pixels.")
    image_height: Mapped[int | None] = mapped_column(comment="Rendered image height, pixels.")
    tiles: Mapped[int | None] = mapped_column(comment="Llama 4 tiles of the rendered image.")
    prepare_ms: Mapped[float] = mapped_column(comment="Time to prepare the page, ms.")
    status: Mapped[str] = mapped_column(sa.String(16), comment="ok or failed.")
    error_code: Mapped[str | None] = mapped_column(sa.String(64), comment="Why the page failed, as a code.")
    error: Mapped[str | None] = mapped_column(sa.Text, comment="Why the page failed, in words.")


class Extraction(Base):
    """One version of a document's extracted result; exactly one version is current."""

    __tablename__ = "extractions"
    __table_args__ = (
        sa.UniqueConstraint("document_id", "version"),
        # At most one current version per document, enforced by the database itself.
        sa.Index(
            "uq_extractions_current",
            "document_id",
            unique=True,
            sqlite_where=sa.text("is_current"),
            postgresql_where=sa.text("is_current"),
        ),
        {"comment": "Extracted results, versioned per document; one current version each."},
    )

    id: Mapped[int] = mapped_column(primary_key=True, comment="Extraction number.")
    document_id: Mapped[str] = mapped_column(
        sa.ForeignKey("documents.id"), index=True, comment="Document extracted."
    )
    version: Mapped[int] = mapped_column(comment="1, 2, ... per document.")
    is_current: Mapped[bool] = mapped_column(comment="True for the version in force.")
    schema_name: Mapped[str] = mapped_column(sa.String(100), comment="Extraction schema name.")
    schema_version: Mapped[str] = mapped_column(sa.String(32), comment="Extraction schema version.")
    engine: Mapped[str] = mapped_column(sa.String(32), comment="Engine that produced it.")
    model: Mapped[str | None] = mapped_column(sa.String(200), comment="Model that produced it.")
    result: Mapped[dict[str, Any]] = mapped_column(
        comment="The DocumentExtraction as JSON (fields, tables, page failures, calls)."
    )
    review_flags: Mapped[list[str]] = mapped_column(
        JSONType, comment="Reasons a person should review it (JSON list)."
    )
    fingerprint: Mapped[dict[str, Any]] = mapped_column(
        comment="What produced it: model, prompt/mapper version, schema hash, render settings."
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, comment="When stored (UTC).")


class UsageLedgerEntry(Base):
    """One engine call (one attempt, failed ones included) and what it cost."""

    __tablename__ = "usage_ledger"
    __table_args__ = {"comment": "One row per engine call, retries included; costs sum here."}

    id: Mapped[int] = mapped_column(primary_key=True, comment="Ledger row number.")
    document_id: Mapped[str] = mapped_column(
        sa.ForeignKey("documents.id"), index=True, comment="Document the call was for."
    )
    extraction_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("extractions.id", ondelete="SET NULL"),
        comment="Extraction the call contributed to, if any.",
    )
    page_numbers: Mapped[list[int]] = mapped_column(JSONType, comment="Pages sent (JSON list).")
    engine: Mapped[str] = mapped_column(sa.String(32), comment="Engine called.")
    model: Mapped[str | None] = mapped_column(sa.String(200), comment="Model that answered.")
    attempt: Mapped[int] = mapped_column(comment="1 for the first try, 2 for the first retry...")
    estimated_prompt_tokens: Mapped[int] = mapped_column(comment="Prompt tokens estimated.")
    estimated_image_tokens: Mapped[int] = mapped_column(comment="Image tokens estimated.")
    prompt_tokens: Mapped[int | None] = mapped_column(comment="Prompt tokens reported.")
    completion_tokens: Mapped[int | None] = mapped_column(comment="Completion tokens reported.")
    image_tokens: Mapped[int | None] = mapped_column(comment="Image tokens reported.")
    latency_ms: Mapped[float] = mapped_column(comment="Call latency, ms.")
    first_token_ms: Mapped[float | None] = mapped_column(
        comment="Time from sending the request to the first generated token, ms (streamed calls)."
    )
    tokens_per_s: Mapped[float | None] = mapped_column(
        comment="Decode rate after the first token, tokens per second (streamed calls)."
    )
    finish_reason: Mapped[str | None] = mapped_column(
        sa.String(32), comment="Finish reason from the server (stop, length, ...)."
    )
    http_status: Mapped[int | None] = mapped_column(comment="HTTP status of the call.")
    cost_usd: Mapped[Decimal] = mapped_column(comment="Cost of the call, USD.")
    price_version: Mapped[str | None] = mapped_column(
        sa.String(64), comment="Price list version used for the cost."
    )
    error_code: Mapped[str | None] = mapped_column(sa.String(64), comment="Error code, if failed.")
    error: Mapped[str | None] = mapped_column(sa.Text, comment="Error message, if failed.")
    created_at: Mapped[dt.datetime] = mapped_column(
        default=utcnow, index=True, comment="When the call was recorded (UTC)."
    )


class ExtractionSchemaVersion(Base):
    """One version of a user-registered extraction schema (issue 3; migration 0003)."""

    __tablename__ = "extraction_schemas"
    __table_args__ = (
        sa.UniqueConstraint("name", "version"),
        {"comment": "Custom extraction schemas, versioned by name; the latest is in force."},
    )

    id: Mapped[int] = mapped_column(primary_key=True, comment="Schema version row number.")
    name: Mapped[str] = mapped_column(sa.String(100), comment="Schema name, as in --schema.")
    version: Mapped[int] = mapped_column(comment="1, 2, ... per name.")
    description: Mapped[str] = mapped_column(sa.Text, comment="What the schema extracts.")
    # Plain JSON, not JSONB, on PostgreSQL: JSONB reorders keys, and the order of
    # ``properties`` is the order of the fields (in the prompt, in results).
    json_schema: Mapped[dict[str, Any]] = mapped_column(
        sa.JSON(), comment="The JSON Schema as registered, key order kept."
    )
    schema_hash: Mapped[str] = mapped_column(
        sa.String(64), comment="sha256 of the canonical JSON Schema and description."
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, comment="When registered (UTC).")


class ExtractionField(Base):
    """One value of a document's current extraction, typed for filtering (issue 7; 0005).

    Single fields have ``table_name`` null; table cells carry the table's name and the row
    index. Rows are replaced whenever a new extraction version becomes current, so this
    table only ever describes current results (the JSON in ``extractions`` keeps history).
    """

    __tablename__ = "extraction_fields"
    __table_args__ = (
        sa.Index(None, "tenant_id", "schema_name", "name", "value_number"),
        # Field predicates (0008): name, table and typed value, with the document for
        # index-only semi-joins; text is compared through its lower-cased key.
        sa.Index(None, "name", "table_name", "value_number", "document_id"),
        sa.Index(None, "name", "table_name", "value_date", "document_id"),
        sa.Index(None, "name", "table_name", "value_key", "document_id"),
        {"comment": "Typed values of current extractions, one row per field or table cell."},
    )

    id: Mapped[int] = mapped_column(primary_key=True, comment="Field row number.")
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tenants.id"), comment="Owning tenant.")
    document_id: Mapped[str] = mapped_column(
        sa.ForeignKey("documents.id", ondelete="CASCADE"), index=True, comment="Document."
    )
    extraction_id: Mapped[int] = mapped_column(
        sa.ForeignKey("extractions.id", ondelete="CASCADE"),
        index=True,
        comment="Extraction (current version) the value belongs to.",
    )
    schema_name: Mapped[str] = mapped_column(sa.String(100), comment="Extraction schema name.")
    table_name: Mapped[str | None] = mapped_column(
        sa.String(100), comment="Table the cell belongs to; null for a single field."
    )
    row_index: Mapped[int | None] = mapped_column(comment="0-based table row; null for a field.")
    name: Mapped[str] = mapped_column(sa.String(100), comment="Field (or table column) name.")
    value_text: Mapped[str | None] = mapped_column(
        sa.String(600), comment="The value as text (cut at 600 characters); null if not found."
    )
    value_key: Mapped[str | None] = mapped_column(
        sa.String(600), comment="value_text lower-cased, for case-insensitive filters (0008)."
    )
    value_number: Mapped[Decimal | None] = mapped_column(
        sa.Numeric(24, 8), comment="The value as a number, when it is one."
    )
    value_date: Mapped[dt.date | None] = mapped_column(
        sa.Date, comment="The value as a date, when it is an ISO 8601 date."
    )
    confidence: Mapped[float | None] = mapped_column(comment="Engine confidence 0..1.")
    page: Mapped[int | None] = mapped_column(comment="1-based page the value came from.")
    flagged: Mapped[bool] = mapped_column(
        comment="True when the field carries flags or a review flag names it."
    )


class ApiKey(Base):
    """An API key, stored only as its sha256 (issue 5; migration 0004)."""

    __tablename__ = "api_keys"
    __table_args__ = {"comment": "API keys: sha256 of each key; the key itself is never stored."}

    id: Mapped[int] = mapped_column(primary_key=True, comment="Key number.")
    tenant_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("tenants.id"), comment="Tenant the key acts for; null for an admin key."
    )
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, comment="sha256 of the key, hex.")
    prefix: Mapped[str] = mapped_column(sa.String(16), comment="First characters, for display.")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, comment="When created (UTC).")
    revoked_at: Mapped[dt.datetime | None] = mapped_column(
        comment="When revoked (UTC); a revoked key is refused."
    )


class CallbackDelivery(Base):
    """One attempt to deliver a document's final-status event (issue 5; migration 0004)."""

    __tablename__ = "callback_deliveries"
    __table_args__ = {"comment": "Outbound callback attempts, one row each."}

    id: Mapped[int] = mapped_column(primary_key=True, comment="Attempt row number.")
    document_id: Mapped[str] = mapped_column(
        sa.ForeignKey("documents.id"), index=True, comment="Document the event is about."
    )
    url: Mapped[str] = mapped_column(sa.String(2000), comment="Where it was posted.")
    event: Mapped[str] = mapped_column(sa.String(64), comment="Event name, e.g. document.finished.")
    attempt: Mapped[int] = mapped_column(comment="1, 2, ... per event.")
    status_code: Mapped[int | None] = mapped_column(comment="HTTP status answered; null if none.")
    error: Mapped[str | None] = mapped_column(sa.Text, comment="Why the attempt failed, if it did.")
    delivered_at: Mapped[dt.datetime] = mapped_column(
        default=utcnow, comment="When the attempt was made (UTC)."
    )


class SourceFile(Base):
    """One file seen in a batch source (issue 6; migration 0007): the memory that keeps a
    rescan from ingesting it twice, and the file's own end (done or failed, with why)."""

    __tablename__ = "source_files"
    __table_args__ = (
        # A file is the same file while its path, size and modification time are unchanged.
        sa.UniqueConstraint("source", "path", "size_bytes", "mtime_ns"),
        sa.Index(None, "source", "state"),
        sa.CheckConstraint("state IN ('registered', 'done', 'failed')", name="state_known"),
        {"comment": "Files seen in batch sources (inbox folders, buckets); each ingested once."},
    )

    id: Mapped[int] = mapped_column(primary_key=True, comment="Source file row number.")
    source: Mapped[str] = mapped_column(
        sa.String(500), comment="Which source, e.g. inbox:/srv/inbox (a bucket: s3://bucket/prefix)."
    )
    path: Mapped[str] = mapped_column(sa.String(1000), comment="Path (or object key) inside the source.")
    size_bytes: Mapped[int] = mapped_column(sa.BigInteger, comment="File size when seen, bytes.")
    mtime_ns: Mapped[int] = mapped_column(
        sa.BigInteger, comment="Modification time when seen, ns since the epoch (a bucket: its ETag's time)."
    )
    sha256: Mapped[str | None] = mapped_column(
        sa.String(64), comment="sha256 of the content; null if it could not be read."
    )
    document_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("documents.id"), index=True, comment="Document it became; null if none."
    )
    state: Mapped[str] = mapped_column(
        sa.String(16), comment="registered (document made, not ended yet), done or failed."
    )
    reason: Mapped[str | None] = mapped_column(sa.Text, comment="Why it failed, or its document's reason.")
    seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow, comment="When first seen (UTC).")
    finished_at: Mapped[dt.datetime | None] = mapped_column(
        comment="When it was marked done or failed (UTC)."
    )


# The rollup tables live in their own module; importing it here registers them on
# Base.metadata wherever the tables are loaded (migrations, create_all, checks).
import storage.rollup_tables  # noqa: E402, F401
