"""The built-in ``receipt`` schema. Field names are a public contract."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from models.schemas.types import CurrencyCode, Money


class ReceiptLineItem(BaseModel):
    """One purchased item."""

    model_config = ConfigDict(extra="forbid")

    description: str | None = Field(
        None, description="Item name.", json_schema_extra={"aliases": ["item", "description"]}
    )
    quantity: float | None = Field(
        None, description="How many.", json_schema_extra={"aliases": ["qty", "quantity"]}
    )
    unit_price: Money | None = Field(
        None, description="Price of one.", json_schema_extra={"aliases": ["price", "each"]}
    )
    amount: Money | None = Field(
        None, description="Line total.", json_schema_extra={"aliases": ["amount", "total"]}
    )


class Receipt(BaseModel):
    """A till or card receipt."""

    model_config = ConfigDict(extra="forbid")

    merchant_name: str | None = Field(
        None,
        description="The shop or business; usually the first line.",
        json_schema_extra={"aliases": ["merchant", "store", "shop"]},
    )
    merchant_address: str | None = Field(
        None,
        description="Address of the merchant.",
        json_schema_extra={"kind": "address", "aliases": ["address"]},
    )
    date: dt.date | None = Field(
        None,
        description="Date of purchase (ISO 8601).",
        json_schema_extra={"aliases": ["date", "datum", "purchase date"]},
    )
    currency: CurrencyCode | None = None
    total_amount: Money | None = Field(
        None,
        description="Amount paid including tax.",
        json_schema_extra={"aliases": ["total", "amount due", "grand total", "to pay", "summe"]},
    )
    tax_amount: Money | None = Field(
        None,
        description="Tax included.",
        json_schema_extra={"aliases": ["tax", "vat", "sales tax", "mwst"]},
    )
    line_items: list[ReceiptLineItem] = Field(default_factory=list, description="Items bought.")
