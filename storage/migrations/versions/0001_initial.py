"""Initial schema: tenants, documents, pages, extractions, usage ledger.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types in storage/tables.py as they were at this revision.
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC_DATETIME = sa.DateTime(timezone=True)
MONEY = sa.Numeric(precision=18, scale=8)
DOCUMENT_STATUSES = (
    "queued", "processing", "done", "partial", "needs_review", "failed", "blocked", "rejected"
)


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", sa.Integer(), nullable=False, comment="Tenant number."),
        sa.Column("name", sa.String(200), nullable=False, comment="Unique tenant name."),
        sa.Column("tier", sa.String(64), nullable=False, comment="Licence tier name of the tenant."),
        sa.Column("created_at", UTC_DATETIME, nullable=False, comment="When the tenant was created (UTC)."),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenants")),
        sa.UniqueConstraint("name", name=op.f("uq_tenants_name")),
        comment="Customers of this deployment; each has one licence tier.",
    )

    op.create_table(
        "documents",
        sa.Column("id", sa.String(36), nullable=False, comment="Document UUID."),
        sa.Column("tenant_id", sa.Integer(), nullable=False, comment="Owning tenant."),
        sa.Column("sha256", sa.String(64), nullable=False, comment="sha256 of the file, hex."),
        sa.Column("schema_name", sa.String(100), nullable=False, comment="Extraction schema requested."),
        sa.Column("file_name", sa.String(500), nullable=False, comment="Original file name, for display only."),
        sa.Column("kind", sa.String(16), nullable=True, comment="Real file type sniffed from the bytes; null if it could not be told."),
        sa.Column("media_type", sa.String(100), nullable=False, comment="Media type of the file."),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False, comment="File size in bytes."),
        sa.Column("page_count", sa.Integer(), nullable=True, comment="Pages (or frames); null until inspected."),
        sa.Column("status", sa.String(20), nullable=False, comment="Lifecycle status (queued, processing, done, partial, ...)."),
        sa.Column("reason", sa.Text(), nullable=True, comment="Why the document ended in its status."),
        sa.Column("error_code", sa.String(64), nullable=True, comment="Stable error code when it failed or was refused."),
        sa.Column("engine", sa.String(32), nullable=True, comment="Engine that processed it; null until processed."),
        sa.Column("model", sa.String(200), nullable=True, comment="Model that processed it."),
        sa.Column("licence_tier", sa.String(64), nullable=False, comment="Licence tier in force when it was received."),
        sa.Column("cost_usd", MONEY, server_default=sa.text("0"), nullable=False, comment="Sum of its usage-ledger costs, USD."),
        sa.Column("blob_key", sa.String(200), nullable=True, comment="Blob store key; null if rejected before storage."),
        sa.Column("source", sa.String(16), nullable=False, comment="Where it came from: cli, api, batch."),
        sa.Column("priority", sa.Integer(), server_default=sa.text("0"), nullable=False, comment="Higher is claimed first."),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False, comment="Times a worker claimed it."),
        sa.Column("lease_owner", sa.String(200), nullable=True, comment="Worker holding the lease while processing."),
        sa.Column("lease_expires_at", UTC_DATETIME, nullable=True, comment="When the lease lapses and the sweeper may take it (UTC)."),
        sa.Column("created_at", UTC_DATETIME, nullable=False, comment="When received (UTC)."),
        sa.Column("updated_at", UTC_DATETIME, nullable=False, comment="Last change of the row (UTC)."),
        sa.Column("started_at", UTC_DATETIME, nullable=True, comment="When the latest attempt started (UTC)."),
        sa.Column("finished_at", UTC_DATETIME, nullable=True, comment="When it reached a final status (UTC)."),
        sa.CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in DOCUMENT_STATUSES) + ")",
            name=op.f("ck_documents_status_known"),
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_documents_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint(
            "tenant_id", "sha256", "schema_name", name=op.f("uq_documents_tenant_id_sha256_schema_name")
        ),
        comment="Documents received, one per (tenant, content, schema); the work queue.",
    )
    op.create_index(op.f("ix_documents_lease_expires_at"), "documents", ["lease_expires_at"])
    op.create_index(
        op.f("ix_documents_status_lease_expires_at"), "documents", ["status", "lease_expires_at"]
    )
    op.create_index(op.f("ix_documents_tenant_id_created_at"), "documents", ["tenant_id", "created_at"])

    op.create_table(
        "extractions",
        sa.Column("id", sa.Integer(), nullable=False, comment="Extraction number."),
        sa.Column("document_id", sa.String(36), nullable=False, comment="Document extracted."),
        sa.Column("version", sa.Integer(), nullable=False, comment="1, 2, ... per document."),
        sa.Column("is_current", sa.Boolean(), nullable=False, comment="True for the version in force."),
        sa.Column("schema_name", sa.String(100), nullable=False, comment="Extraction schema name."),
        sa.Column("schema_version", sa.String(32), nullable=False, comment="Extraction schema version."),
        sa.Column("engine", sa.String(32), nullable=False, comment="Engine that produced it."),
        sa.Column("model", sa.String(200), nullable=True, comment="Model that produced it."),
        sa.Column("result", JSON, nullable=False, comment="The DocumentExtraction as JSON (fields, tables, page failures, calls)."),
        sa.Column("review_flags", JSON, nullable=False, comment="Reasons a person should review it (JSON list)."),
        sa.Column("fingerprint", JSON, nullable=False, comment="What produced it: model, prompt/mapper version, schema hash, render settings."),
        sa.Column("created_at", UTC_DATETIME, nullable=False, comment="When stored (UTC)."),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name=op.f("fk_extractions_document_id_documents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extractions")),
        sa.UniqueConstraint("document_id", "version", name=op.f("uq_extractions_document_id_version")),
        comment="Extracted results, versioned per document; one current version each.",
    )
    op.create_index(op.f("ix_extractions_document_id"), "extractions", ["document_id"])
    # At most one current version per document (a partial unique index on both databases).
    op.create_index(
        "uq_extractions_current",
        "extractions",
        ["document_id"],
        unique=True,
        sqlite_where=sa.text("is_current"),
        postgresql_where=sa.text("is_current"),
    )

    op.create_table(
        "pages",
        sa.Column("document_id", sa.String(36), nullable=False, comment="Document the page belongs to."),
        sa.Column("page_number", sa.Integer(), nullable=False, comment="1-based page number."),
        sa.Column("width_pt", sa.Double(), nullable=False, comment="Width in points (pixels for images)."),
        sa.Column("height_pt", sa.Double(), nullable=False, comment="Height in points (pixels for images)."),
        sa.Column("text_quality", sa.String(16), nullable=False, comment="Verdict on the text layer: good, poor, empty."),
        sa.Column("route", sa.String(16), nullable=False, comment="How the page goes to the engine: text, image, both."),
        sa.Column("estimated_text_tokens", sa.Integer(), nullable=False, comment="Estimated text tokens."),
        sa.Column("estimated_image_tokens", sa.Integer(), nullable=False, comment="Estimated image tokens."),
        sa.Column("image_width", sa.Integer(), nullable=True, comment="Rendered image width, pixels."),
        sa.Column("image_height", sa.Integer(), nullable=True, comment="Rendered image height, pixels."),
        sa.Column("tiles", sa.Integer(), nullable=True, comment="Llama 4 tiles of the rendered image."),
        sa.Column("prepare_ms", sa.Double(), nullable=False, comment="Time to prepare the page, ms."),
        sa.Column("status", sa.String(16), nullable=False, comment="ok or failed."),
        sa.Column("error_code", sa.String(64), nullable=True, comment="Why the page failed, as a code."),
        sa.Column("error", sa.Text(), nullable=True, comment="Why the page failed, in words."),
        sa.CheckConstraint("status IN ('ok', 'failed')", name=op.f("ck_pages_status_known")),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_pages_document_id_documents"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("document_id", "page_number", name=op.f("pk_pages")),
        comment="Pages of documents as prepared: size, route, token estimates, failures.",
    )

    op.create_table(
        "usage_ledger",
        sa.Column("id", sa.Integer(), nullable=False, comment="Ledger row number."),
        sa.Column("document_id", sa.String(36), nullable=False, comment="Document the call was for."),
        sa.Column("extraction_id", sa.Integer(), nullable=True, comment="Extraction the call contributed to, if any."),
        sa.Column("page_numbers", JSON, nullable=False, comment="Pages sent (JSON list)."),
        sa.Column("engine", sa.String(32), nullable=False, comment="Engine called."),
        sa.Column("model", sa.String(200), nullable=True, comment="Model that answered."),
        sa.Column("attempt", sa.Integer(), nullable=False, comment="1 for the first try, 2 for the first retry..."),
        sa.Column("estimated_prompt_tokens", sa.Integer(), nullable=False, comment="Prompt tokens estimated."),
        sa.Column("estimated_image_tokens", sa.Integer(), nullable=False, comment="Image tokens estimated."),
        sa.Column("prompt_tokens", sa.Integer(), nullable=True, comment="Prompt tokens reported."),
        sa.Column("completion_tokens", sa.Integer(), nullable=True, comment="Completion tokens reported."),
        sa.Column("image_tokens", sa.Integer(), nullable=True, comment="Image tokens reported."),
        sa.Column("latency_ms", sa.Double(), nullable=False, comment="Call latency, ms."),
        sa.Column("finish_reason", sa.String(32), nullable=True, comment="Finish reason from the server (stop, length, ...)."),
        sa.Column("http_status", sa.Integer(), nullable=True, comment="HTTP status of the call."),
        sa.Column("cost_usd", MONEY, nullable=False, comment="Cost of the call, USD."),
        sa.Column("price_version", sa.String(64), nullable=True, comment="Price list version used for the cost."),
        sa.Column("error_code", sa.String(64), nullable=True, comment="Error code, if failed."),
        sa.Column("error", sa.Text(), nullable=True, comment="Error message, if failed."),
        sa.Column("created_at", UTC_DATETIME, nullable=False, comment="When the call was recorded (UTC)."),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_usage_ledger_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["extraction_id"],
            ["extractions.id"],
            name=op.f("fk_usage_ledger_extraction_id_extractions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_ledger")),
        comment="One row per engine call, retries included; costs sum here.",
    )
    op.create_index(op.f("ix_usage_ledger_created_at"), "usage_ledger", ["created_at"])
    op.create_index(op.f("ix_usage_ledger_document_id"), "usage_ledger", ["document_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_usage_ledger_document_id"), table_name="usage_ledger")
    op.drop_index(op.f("ix_usage_ledger_created_at"), table_name="usage_ledger")
    op.drop_table("usage_ledger")
    op.drop_table("pages")
    op.drop_index("uq_extractions_current", table_name="extractions")
    op.drop_index(op.f("ix_extractions_document_id"), table_name="extractions")
    op.drop_table("extractions")
    op.drop_index(op.f("ix_documents_tenant_id_created_at"), table_name="documents")
    op.drop_index(op.f("ix_documents_status_lease_expires_at"), table_name="documents")
    op.drop_index(op.f("ix_documents_lease_expires_at"), table_name="documents")
    op.drop_table("documents")
    op.drop_table("tenants")
