"""The HTTP API: API keys (hashed), callback deliveries, callback URL and idempotency key.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of the column type in storage/tables.py as it was at this revision.
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column(
        "documents",
        sa.Column(
            "callback_url", sa.String(2000), nullable=True,
            comment="Where the final status is posted (signed), if anywhere.",
        ),
    )
    op.add_column(
        "documents",
        sa.Column(
            "idempotency_key", sa.String(200), nullable=True,
            comment="The uploader's idempotency key, unique per tenant.",
        ),
    )
    op.create_index(
        op.f("ix_documents_tenant_id_idempotency_key"), "documents",
        ["tenant_id", "idempotency_key"], unique=True,
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False, comment="Key number."),
        sa.Column(
            "tenant_id", sa.Integer(), nullable=True,
            comment="Tenant the key acts for; null for an admin key.",
        ),
        sa.Column("key_hash", sa.String(64), nullable=False, comment="sha256 of the key, hex."),
        sa.Column("prefix", sa.String(16), nullable=False, comment="First characters, for display."),
        sa.Column("created_at", UTC_DATETIME, nullable=False, comment="When created (UTC)."),
        sa.Column(
            "revoked_at", UTC_DATETIME, nullable=True,
            comment="When revoked (UTC); a revoked key is refused.",
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_api_keys_tenant_id_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
        comment="API keys: sha256 of each key; the key itself is never stored.",
    )
    op.create_table(
        "callback_deliveries",
        sa.Column("id", sa.Integer(), nullable=False, comment="Attempt row number."),
        sa.Column("document_id", sa.String(36), nullable=False, comment="Document the event is about."),
        sa.Column("url", sa.String(2000), nullable=False, comment="Where it was posted."),
        sa.Column("event", sa.String(64), nullable=False, comment="Event name, e.g. document.finished."),
        sa.Column("attempt", sa.Integer(), nullable=False, comment="1, 2, ... per event."),
        sa.Column("status_code", sa.Integer(), nullable=True, comment="HTTP status answered; null if none."),
        sa.Column("error", sa.Text(), nullable=True, comment="Why the attempt failed, if it did."),
        sa.Column("delivered_at", UTC_DATETIME, nullable=False, comment="When the attempt was made (UTC)."),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_callback_deliveries_document_id_documents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_deliveries")),
        comment="Outbound callback attempts, one row each.",
    )
    op.create_index(
        op.f("ix_callback_deliveries_document_id"), "callback_deliveries", ["document_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_callback_deliveries_document_id"), table_name="callback_deliveries")
    op.drop_table("callback_deliveries")
    op.drop_table("api_keys")
    op.drop_index(op.f("ix_documents_tenant_id_idempotency_key"), table_name="documents")
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("idempotency_key")
        batch.drop_column("callback_url")
