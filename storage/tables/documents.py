"""Documents (the queue of record: one row per tenant, content and schema) and their pages
as preparation found them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.document import DocumentStatus, FileKind
from models.page import PageRoute, TextQuality
from storage.tables.base import Base, StrEnumType, new_document_id, utcnow


class Document(Base):
    """One file for one tenant and schema: the row is the queue of record for its processing."""

    __tablename__ = "documents"
    __table_args__ = (
        # The idempotency key: the same bytes for the same tenant and schema are one document.
        sa.UniqueConstraint("tenant_id", "sha256", "schema_name"),
        # What the sweeper and the workers look for: queued, or processing past the lease.
        sa.Index(None, "status", "lease_expires_at"),
        sa.Index(None, "tenant_id", "created_at"),
        sa.Index(None, "tenant_id", "quoted_at"),  # monthly budgets
        sa.Index(None, "tenant_id", "idempotency_key", unique=True),  # NULLs never clash
        sa.Index(None, "created_at", "id"),  # keyset pages, newest first
        sa.Index(None, "status", "finished_at", "id"),  # the review queue, oldest first (0010)
        sa.Index(None, "tenant_id", "reviewed_at"),  # reviewed documents for export (0010)
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

    # Cost and licence: the policy decision, the model's licence, and the quote.
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

    # Uploads through the HTTP API.
    callback_url: Mapped[str | None] = mapped_column(
        sa.String(2000), comment="Where the final status is posted (signed), if anywhere."
    )
    idempotency_key: Mapped[str | None] = mapped_column(
        sa.String(200), comment="The uploader's idempotency key, unique per tenant."
    )

    # Review (0010): a person approved (done) or rejected it; the rejection's reason is ``reason``.
    reviewed_by: Mapped[str | None] = mapped_column(
        sa.String(200), comment="The person who approved or rejected it in review; null if nobody did."
    )
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(comment="When it was approved or rejected (UTC).")


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
