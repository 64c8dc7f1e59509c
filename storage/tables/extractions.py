"""Extraction results: every version of a document's result (one current), and the typed
values of the current version, one row per field or table cell, for filtering.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from storage.tables.base import Base, JSONType, utcnow


class Extraction(Base):
    """One version of a document's extracted result; exactly one version is current."""

    __tablename__ = "extractions"
    __table_args__ = (
        sa.UniqueConstraint("document_id", "version"),
        # At most one current version per document, enforced by the database itself.
        sa.Index(
            "uq_extractions_current",
            "document_id",
            unique=True,
            sqlite_where=sa.text("is_current"),
            postgresql_where=sa.text("is_current"),
        ),
        {"comment": "Extracted results, versioned per document; one current version each."},
    )

    id: Mapped[int] = mapped_column(primary_key=True, comment="Extraction number.")
    document_id: Mapped[str] = mapped_column(
        sa.ForeignKey("documents.id"), index=True, comment="Document extracted."
    )
    version: Mapped[int] = mapped_column(comment="1, 2, ... per document.")
    is_current: Mapped[bool] = mapped_column(comment="True for the version in force.")
    schema_name: Mapped[str] = mapped_column(sa.String(100), comment="Extraction schema name.")
    schema_version: Mapped[str] = mapped_column(sa.String(32), comment="Extraction schema version.")
    engine: Mapped[str] = mapped_column(sa.String(32), comment="Engine that produced it.")
    model: Mapped[str | None] = mapped_column(sa.String(200), comment="Model that produced it.")
    result: Mapped[dict[str, Any]] = mapped_column(
        comment="The DocumentExtraction as JSON (fields, tables, page failures, calls)."
    )
    review_flags: Mapped[list[str]] = mapped_column(
        JSONType, comment="Reasons a person should review it (JSON list)."
    )
    fingerprint: Mapped[dict[str, Any]] = mapped_column(
        comment="What produced it: model, prompt/mapper version, schema hash, render settings."
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, comment="When stored (UTC).")
    # Review (0010): a person's correction is a new version like any other, marked as theirs.
    source: Mapped[str] = mapped_column(
        sa.String(16),
        default="engine",
        server_default=sa.text("'engine'"),
        comment="Who made the version: engine (the pipeline) or human (a reviewer's correction).",
    )
    author: Mapped[str | None] = mapped_column(
        sa.String(200),
        comment="The person who made a human version (API key name or CLI user); null for engine.",
    )


class ExtractionField(Base):
    """One value of a document's current extraction, typed for filtering.

    Single fields have ``table_name`` null; table cells carry the table's name and the row
    index. Rows are replaced whenever a new extraction version becomes current, so this
    table only ever describes current results (the JSON in ``extractions`` keeps history).
    """

    __tablename__ = "extraction_fields"
    __table_args__ = (
        sa.Index(None, "tenant_id", "schema_name", "name", "value_number"),
        # Field predicates: name, table and typed value, with the document for
        # index-only semi-joins; text is compared through its lower-cased key.
        sa.Index(None, "name", "table_name", "value_number", "document_id"),
        sa.Index(None, "name", "table_name", "value_date", "document_id"),
        sa.Index(None, "name", "table_name", "value_key", "document_id"),
        {"comment": "Typed values of current extractions, one row per field or table cell."},
    )

    id: Mapped[int] = mapped_column(primary_key=True, comment="Field row number.")
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tenants.id"), comment="Owning tenant.")
    document_id: Mapped[str] = mapped_column(
        sa.ForeignKey("documents.id", ondelete="CASCADE"), index=True, comment="Document."
    )
    extraction_id: Mapped[int] = mapped_column(
        sa.ForeignKey("extractions.id", ondelete="CASCADE"),
        index=True,
        comment="Extraction (current version) the value belongs to.",
    )
    schema_name: Mapped[str] = mapped_column(sa.String(100), comment="Extraction schema name.")
    table_name: Mapped[str | None] = mapped_column(
        sa.String(100), comment="Table the cell belongs to; null for a single field."
    )
    row_index: Mapped[int | None] = mapped_column(comment="0-based table row; null for a field.")
    name: Mapped[str] = mapped_column(sa.String(100), comment="Field (or table column) name.")
    value_text: Mapped[str | None] = mapped_column(
        sa.String(600), comment="The value as text (cut at 600 characters); null if not found."
    )
    value_key: Mapped[str | None] = mapped_column(
        sa.String(600), comment="value_text lower-cased, for case-insensitive filters (0008)."
    )
    value_number: Mapped[Decimal | None] = mapped_column(
        sa.Numeric(24, 8), comment="The value as a number, when it is one."
    )
    value_date: Mapped[dt.date | None] = mapped_column(
        sa.Date, comment="The value as a date, when it is an ISO 8601 date."
    )
    confidence: Mapped[float | None] = mapped_column(comment="Engine confidence 0..1.")
    page: Mapped[int | None] = mapped_column(comment="1-based page the value came from.")
    flagged: Mapped[bool] = mapped_column(
        comment="True when the field carries flags or a review flag names it."
    )
