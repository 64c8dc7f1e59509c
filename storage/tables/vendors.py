"""Vendor memory: per tenant, one profile per vendor, taught by approved documents."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from storage.tables.base import Base, JSONType, new_document_id, utcnow


class VendorProfileRow(Base):
    """One vendor of one tenant: its keys, what it taught per field, its last example.

    The JSON columns hold ``models.vendor`` types as dumped (keys, field memories, the last
    approved values); ``document_ids`` are the approved documents that taught it, oldest first.
    """

    __tablename__ = "vendor_profiles"
    __table_args__ = (
        sa.Index(None, "tenant_id", "schema_name"),
        {"comment": "Vendor memory: what approved documents taught, per tenant and vendor."},
    )

    id: Mapped[str] = mapped_column(
        sa.String(36), primary_key=True, default=new_document_id, comment="Profile id."
    )
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("tenants.id"), comment="Owning tenant.")
    schema_name: Mapped[str] = mapped_column(sa.String(200), comment="Extraction schema it was taught for.")
    display_name: Mapped[str] = mapped_column(sa.String(300), comment="The vendor's approved name.")
    keys: Mapped[Any] = mapped_column(JSONType, comment="Tax ids, IBANs, normalised name, layout words.")
    fields: Mapped[Any] = mapped_column(JSONType, comment="Per field: label, placement and boxes learned.")
    example: Mapped[Any] = mapped_column(JSONType, comment="The last approved document's values.")
    approvals: Mapped[int] = mapped_column(comment="How many approved documents taught it.")
    document_ids: Mapped[Any] = mapped_column(JSONType, comment="Those documents' ids, oldest first.")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, comment="When it was first taught (UTC).")
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, comment="When it was last taught (UTC).")
