"""Custom extraction schemas that users register, versioned by name."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from storage.tables.base import Base, utcnow


class ExtractionSchemaVersion(Base):
    """One version of a user-registered extraction schema."""

    __tablename__ = "extraction_schemas"
    __table_args__ = (
        sa.UniqueConstraint("name", "version"),
        {"comment": "Custom extraction schemas, versioned by name; the latest is in force."},
    )

    id: Mapped[int] = mapped_column(primary_key=True, comment="Schema version row number.")
    name: Mapped[str] = mapped_column(sa.String(100), comment="Schema name, as in --schema.")
    version: Mapped[int] = mapped_column(comment="1, 2, ... per name.")
    description: Mapped[str] = mapped_column(sa.Text, comment="What the schema extracts.")
    # Plain JSON, not JSONB, on PostgreSQL: JSONB reorders keys, and the order of
    # ``properties`` is the order of the fields (in the prompt, in results).
    json_schema: Mapped[dict[str, Any]] = mapped_column(
        sa.JSON(), comment="The JSON Schema as registered, key order kept."
    )
    schema_hash: Mapped[str] = mapped_column(
        sa.String(64), comment="sha256 of the canonical JSON Schema and description."
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, comment="When registered (UTC).")
