"""Review queue: who made each extraction version (the engine or a person), the audit trail of
a person's corrections, and who reviewed a document.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types in storage/tables as they are at this revision.
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column(
        "extractions",
        sa.Column(
            "source", sa.String(16), server_default=sa.text("'engine'"), nullable=False,
            comment="Who made the version: engine (the pipeline) or human (a reviewer's correction).",
        ),
    )
    op.add_column(
        "extractions",
        sa.Column(
            "author", sa.String(200), nullable=True,
            comment="The person who made a human version (API key name or CLI user); null for engine.",
        ),
    )
    op.add_column(
        "documents",
        sa.Column(
            "reviewed_by", sa.String(200), nullable=True,
            comment="The person who approved or rejected it in review; null if nobody did.",
        ),
    )
    op.add_column(
        "documents",
        sa.Column("reviewed_at", UTC_DATETIME, nullable=True, comment="When it was approved or rejected (UTC)."),
    )
    # The review queue, oldest first, and the golden-set export of reviewed documents.
    op.create_index(op.f("ix_documents_status_finished_at_id"), "documents", ["status", "finished_at", "id"])
    op.create_index(op.f("ix_documents_tenant_id_reviewed_at"), "documents", ["tenant_id", "reviewed_at"])
    op.create_table(
        "field_corrections",
        sa.Column("id", sa.Integer(), nullable=False, comment="Correction row number."),
        sa.Column("tenant_id", sa.Integer(), nullable=False, comment="Owning tenant."),
        sa.Column("document_id", sa.String(36), nullable=False, comment="Document corrected."),
        sa.Column("from_version", sa.Integer(), nullable=False, comment="Extraction version corrected."),
        sa.Column("to_version", sa.Integer(), nullable=False, comment="Extraction version the correction made."),
        sa.Column(
            "field", sa.String(200), nullable=False,
            comment="Field path: a name, a table cell (line_items[2].amount) or a table row or table.",
        ),
        sa.Column("before", JSON, nullable=True, comment="The value before, as JSON (null: none)."),
        sa.Column("after", JSON, nullable=True, comment="The value after, as JSON (null: none)."),
        sa.Column("author", sa.String(200), nullable=False, comment="Who corrected it (API key name or CLI user)."),
        sa.Column("corrected_at", UTC_DATETIME, nullable=False, comment="When it was corrected (UTC)."),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_field_corrections_tenant_id_tenants")),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_field_corrections_document_id_documents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_field_corrections")),
        comment="Audit trail of reviewers' corrections, one row per changed field.",
    )
    op.create_index(
        op.f("ix_field_corrections_document_id_to_version"), "field_corrections", ["document_id", "to_version"]
    )
    op.create_index(
        op.f("ix_field_corrections_tenant_id_corrected_at"), "field_corrections", ["tenant_id", "corrected_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_field_corrections_tenant_id_corrected_at"), table_name="field_corrections")
    op.drop_index(op.f("ix_field_corrections_document_id_to_version"), table_name="field_corrections")
    op.drop_table("field_corrections")
    op.drop_index(op.f("ix_documents_tenant_id_reviewed_at"), table_name="documents")
    op.drop_index(op.f("ix_documents_status_finished_at_id"), table_name="documents")
    # Plain ALTER TABLE ... DROP COLUMN (SQLite >= 3.35): a batch copy would break the views.
    op.drop_column("documents", "reviewed_at")
    op.drop_column("documents", "reviewed_by")
    op.drop_column("extractions", "author")
    op.drop_column("extractions", "source")
