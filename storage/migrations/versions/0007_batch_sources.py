"""Batch ingest bookkeeping: the files seen in batch sources.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of the column type in storage/tables.py as it was at this revision.
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "source_files",
        sa.Column("id", sa.Integer(), nullable=False, comment="Source file row number."),
        sa.Column(
            "source", sa.String(500), nullable=False,
            comment="Which source, e.g. inbox:/srv/inbox (a bucket: s3://bucket/prefix).",
        ),
        sa.Column("path", sa.String(1000), nullable=False, comment="Path (or object key) inside the source."),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False, comment="File size when seen, bytes."),
        sa.Column(
            "mtime_ns", sa.BigInteger(), nullable=False,
            comment="Modification time when seen, ns since the epoch (a bucket: its ETag's time).",
        ),
        sa.Column(
            "sha256", sa.String(64), nullable=True,
            comment="sha256 of the content; null if it could not be read.",
        ),
        sa.Column(
            "document_id", sa.String(36), nullable=True, comment="Document it became; null if none."
        ),
        sa.Column(
            "state", sa.String(16), nullable=False,
            comment="registered (document made, not ended yet), done or failed.",
        ),
        sa.Column("reason", sa.Text(), nullable=True, comment="Why it failed, or its document's reason."),
        sa.Column("seen_at", UTC_DATETIME, nullable=False, comment="When first seen (UTC)."),
        sa.Column(
            "finished_at", UTC_DATETIME, nullable=True, comment="When it was marked done or failed (UTC)."
        ),
        sa.CheckConstraint(
            "state IN ('registered', 'done', 'failed')", name=op.f("ck_source_files_state_known")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_source_files_document_id_documents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_files")),
        sa.UniqueConstraint(
            "source", "path", "size_bytes", "mtime_ns",
            name=op.f("uq_source_files_source_path_size_bytes_mtime_ns"),
        ),
        comment="Files seen in batch sources (inbox folders, buckets); each ingested once.",
    )
    op.create_index(op.f("ix_source_files_source_state"), "source_files", ["source", "state"])
    op.create_index(op.f("ix_source_files_document_id"), "source_files", ["document_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_source_files_document_id"), table_name="source_files")
    op.drop_index(op.f("ix_source_files_source_state"), table_name="source_files")
    op.drop_table("source_files")
