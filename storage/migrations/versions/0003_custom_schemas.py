"""Custom extraction schemas: users' JSON Schemas, versioned by name.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types in storage/tables.py as they were at this revision.
# Plain JSON on PostgreSQL too (not JSONB): it keeps the key order of ``properties``.
JSON = sa.JSON()
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "extraction_schemas",
        sa.Column("id", sa.Integer(), nullable=False, comment="Schema version row number."),
        sa.Column("name", sa.String(100), nullable=False, comment="Schema name, as in --schema."),
        sa.Column("version", sa.Integer(), nullable=False, comment="1, 2, ... per name."),
        sa.Column("description", sa.Text(), nullable=False, comment="What the schema extracts."),
        sa.Column(
            "json_schema", JSON, nullable=False,
            comment="The JSON Schema as registered, key order kept.",
        ),
        sa.Column(
            "schema_hash", sa.String(64), nullable=False,
            comment="sha256 of the canonical JSON Schema and description.",
        ),
        sa.Column("created_at", UTC_DATETIME, nullable=False, comment="When registered (UTC)."),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extraction_schemas")),
        sa.UniqueConstraint("name", "version", name=op.f("uq_extraction_schemas_name_version")),
        comment="Custom extraction schemas, versioned by name; the latest is in force.",
    )


def downgrade() -> None:
    op.drop_table("extraction_schemas")
