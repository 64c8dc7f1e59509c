"""Cost and licence policy: the policy decision and the quote on every document.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types in storage/tables.py as they were at this revision.
UTC_DATETIME = sa.DateTime(timezone=True)
MONEY = sa.Numeric(precision=18, scale=8)

COLUMNS = (
    ("policy_decision", sa.String(16), "Policy outcome: allowed, routed or blocked; null until decided."),
    ("policy_reason", sa.Text(), "Why blocked or routed, and the notes of an allowed decision."),
    ("model_licence", sa.String(64), "Licence id of the model that processes it (catalog)."),
    ("attribution", sa.String(200), "Attribution the model's licence requires (Built with Llama)."),
    ("licence_reference", sa.String(200), "Separate model licence relied upon (a Meta licence reference)."),
    ("quoted_tokens", sa.Integer(), "Quote: estimated input plus completion tokens, before any model call."),
    ("quoted_cost_usd", MONEY, "Quote: estimated cost, USD, before any model call."),
    ("price_version", sa.String(64), "Price list version of the quote."),
    ("quoted_at", UTC_DATETIME, "When the quote was made (UTC): the month its pages count in."),
)


def upgrade() -> None:
    # Nullable columns only: ADD COLUMN needs no table rebuild on SQLite, and existing
    # documents simply have no decision or quote recorded.
    for name, type_, comment in COLUMNS:
        op.add_column("documents", sa.Column(name, type_, nullable=True, comment=comment))
    op.create_index(
        op.f("ix_documents_tenant_id_quoted_at"), "documents", ["tenant_id", "quoted_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_documents_tenant_id_quoted_at"), table_name="documents")
    for name, _type, _comment in reversed(COLUMNS):
        op.drop_column("documents", name)
