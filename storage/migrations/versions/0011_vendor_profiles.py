"""Vendor memory: per tenant, one profile per vendor, taught by approved documents.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types in storage/tables as they are at this revision.
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "vendor_profiles",
        sa.Column("id", sa.String(36), nullable=False, comment="Profile id."),
        sa.Column("tenant_id", sa.Integer(), nullable=False, comment="Owning tenant."),
        sa.Column(
            "schema_name", sa.String(200), nullable=False, comment="Extraction schema it was taught for."
        ),
        sa.Column("display_name", sa.String(300), nullable=False, comment="The vendor's approved name."),
        sa.Column("keys", JSON, nullable=False, comment="Tax ids, IBANs, normalised name, layout words."),
        sa.Column("fields", JSON, nullable=False, comment="Per field: label, placement and boxes learned."),
        sa.Column("example", JSON, nullable=False, comment="The last approved document's values."),
        sa.Column(
            "approvals", sa.Integer(), nullable=False, comment="How many approved documents taught it."
        ),
        sa.Column("document_ids", JSON, nullable=False, comment="Those documents' ids, oldest first."),
        sa.Column("created_at", UTC_DATETIME, nullable=False, comment="When it was first taught (UTC)."),
        sa.Column("updated_at", UTC_DATETIME, nullable=False, comment="When it was last taught (UTC)."),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_vendor_profiles_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vendor_profiles")),
        comment="Vendor memory: what approved documents taught, per tenant and vendor.",
    )
    op.create_index(
        op.f("ix_vendor_profiles_tenant_id_schema_name"), "vendor_profiles", ["tenant_id", "schema_name"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_vendor_profiles_tenant_id_schema_name"), table_name="vendor_profiles")
    op.drop_table("vendor_profiles")
