"""Per-call timing of streamed model answers: time to first token and decode rate.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "usage_ledger",
        sa.Column(
            "first_token_ms", sa.Double(), nullable=True,
            comment="Time from sending the request to the first generated token, ms (streamed calls).",
        ),
    )
    op.add_column(
        "usage_ledger",
        sa.Column(
            "tokens_per_s", sa.Double(), nullable=True,
            comment="Decode rate after the first token, tokens per second (streamed calls).",
        ),
    )


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (SQLite >= 3.35): a batch copy would break the views.
    op.drop_column("usage_ledger", "tokens_per_s")
    op.drop_column("usage_ledger", "first_token_ms")
