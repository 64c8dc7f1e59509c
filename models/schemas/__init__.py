"""Built-in extraction schemas and the lookup by name."""

from __future__ import annotations

from core.errors import ConfigurationError
from models.schemas.generic import GenericDocument
from models.schemas.invoice import Invoice, InvoiceLineItem
from models.schemas.receipt import Receipt, ReceiptLineItem
from models.schemas.spec import ExtractionSchema, FieldKind, FieldSpec, field_specs

BUILTIN_SCHEMAS: dict[str, ExtractionSchema] = {
    s.name: s
    for s in (
        ExtractionSchema(
            name="invoice",
            version="1",
            description="A supplier invoice.",
            model=Invoice,
            essential=("vendor_name", "invoice_number", "invoice_date", "total_amount"),
        ),
        ExtractionSchema(
            name="receipt",
            version="1",
            description="A till receipt.",
            model=Receipt,
            essential=("merchant_name", "date", "total_amount"),
        ),
        ExtractionSchema(
            name="generic",
            version="1",
            description="Key-value pairs and tables.",
            model=GenericDocument,
            free_form=True,
        ),
    )
}


def get_schema(name: str) -> ExtractionSchema:
    """A built-in schema by name, or a ConfigurationError listing the known ones."""
    try:
        return BUILTIN_SCHEMAS[name]
    except KeyError:
        known = ", ".join(sorted(BUILTIN_SCHEMAS))
        raise ConfigurationError(f"unknown schema {name!r}; known schemas: {known}") from None


__all__ = [
    "BUILTIN_SCHEMAS",
    "ExtractionSchema",
    "FieldKind",
    "FieldSpec",
    "GenericDocument",
    "Invoice",
    "InvoiceLineItem",
    "Receipt",
    "ReceiptLineItem",
    "field_specs",
    "get_schema",
]
