"""API keys, stored only as their sha256."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from storage.tables.base import Base, utcnow


class ApiKey(Base):
    """An API key, stored only as its sha256."""

    __tablename__ = "api_keys"
    __table_args__ = {"comment": "API keys: sha256 of each key; the key itself is never stored."}

    id: Mapped[int] = mapped_column(primary_key=True, comment="Key number.")
    tenant_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("tenants.id"), comment="Tenant the key acts for; null for an admin key."
    )
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, comment="sha256 of the key, hex.")
    prefix: Mapped[str] = mapped_column(sa.String(16), comment="First characters, for display.")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, comment="When created (UTC).")
    revoked_at: Mapped[dt.datetime | None] = mapped_column(
        comment="When revoked (UTC); a revoked key is refused."
    )
