"""Tenants: the customers of a deployment, each on one licence tier."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from storage.tables.base import Base, utcnow


class Tenant(Base):
    """A customer of the deployment; every document belongs to one."""

    __tablename__ = "tenants"
    __table_args__ = {"comment": "Customers of this deployment; each has one licence tier."}

    id: Mapped[int] = mapped_column(primary_key=True, comment="Tenant number.")
    name: Mapped[str] = mapped_column(sa.String(200), unique=True, comment="Unique tenant name.")
    tier: Mapped[str] = mapped_column(sa.String(64), comment="Licence tier name of the tenant.")
    callback_url: Mapped[str | None] = mapped_column(
        sa.String(2000),
        comment="Default callback URL for the tenant's documents; an upload's own URL wins.",
    )
    created_at: Mapped[dt.datetime] = mapped_column(
        default=utcnow, comment="When the tenant was created (UTC)."
    )
