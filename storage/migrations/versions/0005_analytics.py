"""Analytics: typed field rows of current extractions, analyst views, a read-only role.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29

The backfill is frozen here: it reads each current extraction's stored JSON with a copy of
the typing rules as they were at this revision (``storage.repository.fields`` then), never
with application code, so this revision builds the same rows whatever the models become.
The view SQL comes from ``storage.analytics``, which is frozen by rule (a changed view
comes as new statements for a new revision).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from alembic import op

from storage.analytics import analyst_role_grants, analyst_role_revokes, create_views, drop_views

revision: str = "0005"
# After 0004: it rebuilds ``documents`` on SQLite (batch mode), which SQLite refuses while
# these views refer to it.
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BACKFILL_BATCH = 1000


def _create_table() -> None:
    op.create_table(
        "extraction_fields",
        sa.Column("id", sa.Integer(), nullable=False, comment="Field row number."),
        sa.Column("tenant_id", sa.Integer(), nullable=False, comment="Owning tenant."),
        sa.Column("document_id", sa.String(36), nullable=False, comment="Document."),
        sa.Column("extraction_id", sa.Integer(), nullable=False,
                  comment="Extraction (current version) the value belongs to."),
        sa.Column("schema_name", sa.String(100), nullable=False, comment="Extraction schema name."),
        sa.Column("table_name", sa.String(100), nullable=True,
                  comment="Table the cell belongs to; null for a single field."),
        sa.Column("row_index", sa.Integer(), nullable=True, comment="0-based table row; null for a field."),
        sa.Column("name", sa.String(100), nullable=False, comment="Field (or table column) name."),
        sa.Column("value_text", sa.String(600), nullable=True,
                  comment="The value as text (cut at 600 characters); null if not found."),
        sa.Column("value_number", sa.Numeric(24, 8), nullable=True,
                  comment="The value as a number, when it is one."),
        sa.Column("value_date", sa.Date(), nullable=True,
                  comment="The value as a date, when it is an ISO 8601 date."),
        sa.Column("confidence", sa.Double(), nullable=True, comment="Engine confidence 0..1."),
        sa.Column("page", sa.Integer(), nullable=True, comment="1-based page the value came from."),
        sa.Column("flagged", sa.Boolean(), nullable=False,
                  comment="True when the field carries flags or a review flag names it."),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"],
                                name=op.f("fk_extraction_fields_tenant_id_tenants")),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE",
                                name=op.f("fk_extraction_fields_document_id_documents")),
        sa.ForeignKeyConstraint(["extraction_id"], ["extractions.id"], ondelete="CASCADE",
                                name=op.f("fk_extraction_fields_extraction_id_extractions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extraction_fields")),
        comment="Typed values of current extractions, one row per field or table cell.",
    )
    for columns in (
        ["tenant_id", "schema_name", "name", "value_number"],
        ["name", "value_number"],
        ["name", "value_date"],
        ["name", "value_text"],
        ["document_id"],
        ["extraction_id"],
    ):
        op.create_index(op.f("ix_extraction_fields_" + "_".join(columns)), "extraction_fields", columns)


# --- frozen copy of the field typing of this revision ---------------------------------------
_TEXT_LIMIT = 600
_NUMERAL = re.compile(r"^[+-]?\d+(\.\d+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FLAG_SUBJECT = re.compile(r"^[a-z_]+: ([A-Za-z0-9_.\[\]]+)")


def _typed_value(value: Any) -> tuple[str | None, Decimal | None, dt.date | None]:
    if value is None:
        return None, None, None
    if isinstance(value, bool):
        return ("true" if value else "false"), None, None
    if isinstance(value, int | float):
        exact = Decimal(str(value))
        return str(value)[:_TEXT_LIMIT], exact if exact.is_finite() else None, None
    text = str(value)
    stripped = text.strip()
    number: Decimal | None = None
    if _NUMERAL.match(stripped):
        try:
            number = Decimal(stripped)
        except InvalidOperation:
            number = None
    date = None
    if _DATE.match(stripped):
        try:
            date = dt.date.fromisoformat(stripped)
        except ValueError:
            date = None
    return text[:_TEXT_LIMIT], number, date


def _row(
    name: str, found: dict[str, Any], table: str | None, row: int | None, flagged: bool
) -> dict[str, Any]:
    text, number, date = _typed_value(found.get("value"))
    return {
        "table_name": table, "row_index": row, "name": name, "value_text": text,
        "value_number": number, "value_date": date, "confidence": found.get("confidence"),
        "page": found.get("page"), "flagged": flagged or bool(found.get("flags")),
    }


def _field_rows(result: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """One row per single field and table cell, and a null row per missing field (JSON in)."""
    fields: dict[str, Any] = result.get("fields") or {}
    tables: dict[str, Any] = result.get("tables") or {}
    review_flags: list[str] = result.get("review_flags") or []
    subjects = {m.group(1) for m in map(_FLAG_SUBJECT.match, review_flags) if m}
    for name, found in fields.items():
        yield _row(name, found, None, None, name in subjects)
    for table, rows in tables.items():
        for index, cells in enumerate(rows):
            for column, cell in cells.items():
                yield _row(column, cell, table, index, table in subjects)
    for flag in review_flags:
        if flag.startswith("missing: "):
            name = flag.removeprefix("missing: ").split(" ", 1)[0]
            if name not in fields and name not in tables:
                yield {
                    "table_name": None, "row_index": None, "name": name, "value_text": None,
                    "value_number": None, "value_date": None, "confidence": None, "page": None,
                    "flagged": True,
                }


def _backfill() -> None:
    """Field rows for every current extraction stored before this revision."""
    bind = op.get_bind()
    # Typed columns: SQLite's driver binds neither Decimal nor date without them.
    typed: dict[str, Any] = {
        "value_number": sa.Numeric(24, 8), "value_date": sa.Date(), "flagged": sa.Boolean(),
    }
    fields = sa.table(
        "extraction_fields", *(sa.column(c, typed.get(c)) for c in (
            "tenant_id", "document_id", "extraction_id", "schema_name", "table_name", "row_index",
            "name", "value_text", "value_number", "value_date", "confidence", "page", "flagged",
        ))
    )
    current = sa.text(
        "SELECT e.id, e.document_id, d.tenant_id, e.result FROM extractions e "
        "JOIN documents d ON d.id = e.document_id WHERE e.is_current ORDER BY e.id"
    ).columns(sa.column("id"), sa.column("document_id"), sa.column("tenant_id"),
              sa.column("result", sa.JSON()))
    pending: list[dict[str, object]] = []
    for extraction_id, document_id, tenant_id, result in bind.execute(current).all():
        common = {"tenant_id": tenant_id, "document_id": document_id,
                  "extraction_id": extraction_id, "schema_name": result["schema_name"]}
        pending.extend({**common, **row} for row in _field_rows(result))
        if len(pending) >= _BACKFILL_BATCH:
            bind.execute(fields.insert(), pending)
            pending = []
    if pending:
        bind.execute(fields.insert(), pending)


def upgrade() -> None:
    _create_table()
    _backfill()
    dialect = op.get_bind().dialect.name
    for statement in create_views(dialect):
        op.execute(statement)
    if dialect == "postgresql":
        for statement in analyst_role_grants():
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in analyst_role_revokes():
            op.execute(statement)
    for statement in drop_views():
        op.execute(statement)
    op.drop_table("extraction_fields")
