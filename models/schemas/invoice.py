"""The built-in ``invoice`` schema. Field names are a public contract."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from models.schemas.types import CurrencyCode, Money


class InvoiceLineItem(BaseModel):
    """One billed line."""

    model_config = ConfigDict(extra="forbid")

    description: str | None = Field(
        None,
        description="What was billed.",
        json_schema_extra={"aliases": ["description", "item", "service", "product", "details"]},
    )
    quantity: float | None = Field(
        None,
        description="How many units.",
        json_schema_extra={"aliases": ["quantity", "qty", "units", "hours", "menge"]},
    )
    unit_price: Money | None = Field(
        None,
        description="Price of one unit.",
        json_schema_extra={"aliases": ["unit price", "price", "rate", "unit cost", "each"]},
    )
    amount: Money | None = Field(
        None,
        description="Line total.",
        json_schema_extra={"aliases": ["amount", "total", "line total", "sum", "betrag"]},
    )


class Invoice(BaseModel):
    """A supplier's invoice."""

    model_config = ConfigDict(extra="forbid")

    vendor_name: str | None = Field(
        None,
        description="The company that issued the invoice.",
        json_schema_extra={"aliases": ["from", "vendor", "supplier", "seller", "issued by"]},
    )
    vendor_address: str | None = Field(
        None,
        description="Postal address of the vendor.",
        json_schema_extra={"kind": "address", "aliases": ["vendor address", "from address"]},
    )
    customer_name: str | None = Field(
        None,
        description="Who is billed.",
        json_schema_extra={
            "aliases": ["bill to", "billed to", "customer", "client", "sold to", "invoice to"]
        },
    )
    invoice_number: str | None = Field(
        None,
        description="The invoice's identifier as printed.",
        json_schema_extra={
            "aliases": [
                "invoice number",
                "invoice no",
                "invoice #",
                "invoice id",
                "inv no",
                "number",
                "rechnungsnummer",
                "facture n",
            ]
        },
    )
    invoice_date: dt.date | None = Field(
        None,
        description="Date of issue (ISO 8601).",
        json_schema_extra={
            "aliases": [
                "invoice date",
                "date of issue",
                "issue date",
                "issued",
                "date",
                "rechnungsdatum",
            ]
        },
    )
    due_date: dt.date | None = Field(
        None,
        description="Payment due date (ISO 8601).",
        json_schema_extra={"aliases": ["due date", "payment due", "due", "pay by", "fällig"]},
    )
    currency: CurrencyCode | None = None
    subtotal: Money | None = Field(
        None,
        description="Total before tax.",
        json_schema_extra={"aliases": ["subtotal", "sub total", "net amount", "net total", "net"]},
    )
    tax_amount: Money | None = Field(
        None,
        description="Tax (VAT, sales tax) amount.",
        json_schema_extra={"aliases": ["tax", "vat", "sales tax", "gst", "mwst", "tax amount"]},
    )
    total_amount: Money | None = Field(
        None,
        description="Amount due including tax.",
        json_schema_extra={
            "aliases": [
                "total due",
                "amount due",
                "total amount",
                "grand total",
                "balance due",
                "total",
                "gesamtbetrag",
            ]
        },
    )
    line_items: list[InvoiceLineItem] = Field(
        default_factory=list, description="Billed lines in the order printed."
    )
