"""Business rules and confidence thresholds that decide whether a person must look."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from pydantic import ValidationError

from models.extraction import DocumentExtraction
from models.schemas import ExtractionSchema, FieldKind

# Below this, a value is not trusted without a person looking at it.
LOW_CONFIDENCE = 0.6
# Amount comparisons tolerate rounding to the cent.
CENT = Decimal("0.01")

# Fields without which a built-in document is not usable.
_ESSENTIAL = {
    "invoice": ("invoice_number", "total_amount"),
    "receipt": ("total_amount",),
}


def _money(extraction: DocumentExtraction, name: str) -> Decimal | None:
    found = extraction.fields.get(name)
    if found is None or found.value is None or isinstance(found.value, bool):
        return None
    try:
        return Decimal(str(found.value))
    except InvalidOperation:
        return None


def review_flags(extraction: DocumentExtraction, schema: ExtractionSchema) -> list[str]:
    """Reasons a person should review this extraction (empty when it can be trusted)."""
    flags: list[str] = []
    for name in _ESSENTIAL.get(schema.name, ()):
        if extraction.fields.get(name) is None:
            flags.append(f"missing: {name} was not found")
    for name, found in extraction.fields.items():
        if found.confidence < LOW_CONFIDENCE:
            flags.append(f"low_confidence: {name} ({found.confidence:.2f})")
        if "ungrounded" in found.flags:
            flags.append(f"ungrounded: {name} does not appear in the page text")

    subtotal = _money(extraction, "subtotal")
    tax = _money(extraction, "tax_amount")
    total = _money(extraction, "total_amount")
    known = subtotal is not None and tax is not None and total is not None
    if known and abs(subtotal + tax - total) > CENT:  # type: ignore[operator]
        flags.append(f"totals_mismatch: subtotal {subtotal} + tax {tax} != total {total}")
    if schema.name in _ESSENTIAL and subtotal is not None:
        table_fields = [s for s in schema.fields if s.kind is FieldKind.TABLE]
        rows = extraction.tables.get(table_fields[0].name, []) if table_fields else []
        amounts = [r["amount"].value for r in rows if "amount" in r and r["amount"].value is not None]
        if rows and len(amounts) == len(rows):
            lines_sum = sum((Decimal(str(a)) for a in amounts), Decimal("0"))
            if abs(lines_sum - subtotal) > CENT:
                flags.append(f"lines_mismatch: line items sum to {lines_sum}, subtotal is {subtotal}")

    if not schema.free_form:
        try:
            schema.validate_values(extraction.values())
        except ValidationError as exc:
            for err in exc.errors()[:5]:
                where = ".".join(str(p) for p in err["loc"])
                flags.append(f"invalid: {where}: {err['msg']}")
    return flags


def with_review_flags(extraction: DocumentExtraction, schema: ExtractionSchema) -> DocumentExtraction:
    """The extraction with its rule-based review flags appended (merge flags kept)."""
    flags = [*extraction.review_flags, *review_flags(extraction, schema)]
    return extraction.model_copy(update={"review_flags": flags})
