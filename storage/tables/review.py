"""Review: the audit trail of a person's corrections to extracted values."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from storage.tables.base import Base, JSONType, utcnow


class FieldCorrection(Base):
    """One value a person changed: from which extraction version to which, before and after.

    A correction of several fields makes one new extraction version and one row per field;
    the values are JSON as the extraction's result holds them (numbers, ISO dates, text).
    """

    __tablename__ = "field_corrections"
    __table_args__ = (
        sa.Index(None, "document_id", "to_version"),
        sa.Index(None, "tenant_id", "corrected_at"),  # per-tenant learning and reports
        {"comment": "Audit trail of reviewers' corrections, one row per changed field."},
    )

    id: Mapped[int] = mapped_column(primary_key=True, comment="Correction row number.")
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tenants.id"), comment="Owning tenant.")
    document_id: Mapped[str] = mapped_column(sa.ForeignKey("documents.id"), comment="Document corrected.")
    from_version: Mapped[int] = mapped_column(comment="Extraction version corrected.")
    to_version: Mapped[int] = mapped_column(comment="Extraction version the correction made.")
    field: Mapped[str] = mapped_column(
        sa.String(200),
        comment="Field path: a name, a table cell (line_items[2].amount) or a table row or table.",
    )
    before: Mapped[Any] = mapped_column(
        JSONType, nullable=True, comment="The value before, as JSON (null: none)."
    )
    after: Mapped[Any] = mapped_column(
        JSONType, nullable=True, comment="The value after, as JSON (null: none)."
    )
    author: Mapped[str] = mapped_column(
        sa.String(200), comment="Who corrected it (API key name or CLI user)."
    )
    corrected_at: Mapped[dt.datetime] = mapped_column(default=utcnow, comment="When it was corrected (UTC).")
