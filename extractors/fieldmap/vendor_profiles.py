"""Teaching a vendor profile from one approved document (pure: the caller reads the pages).

The approved values and the document's page lines give the vendor's keys (read from the
first page, leaving out the recipient's block so the tenant's own VAT id is never taken for
the vendor's) and, per field, where the value sat (``vendor_prior.learn_fields``; the first
page that holds a value teaches it). Taught into an existing profile, newer places replace
older ones field by field, ids accumulate, the layout and the example become the newest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from extractors.fieldmap.layout import Cell, Row
from extractors.fieldmap.vendor_keys import fold, read_keys
from extractors.fieldmap.vendor_prior import learn_fields, rows_of
from models.extraction import FieldScalar, PageExtraction
from models.page import TextLine
from models.schemas import ExtractionSchema
from models.vendor import FieldMemory, VendorProfile

# Fields naming the issuer and the recipient, by schema convention (first present wins).
VENDOR_NAME_FIELDS = ("vendor_name", "seller_name", "supplier_name", "merchant_name", "issuer_name")
CUSTOMER_NAME_FIELDS = ("customer_name", "buyer_name", "bill_to_name", "recipient_name")
_BLOCK_ROWS = 6
_ABOVE_ROWS = 3


def vendor_name_of(values: Mapping[str, FieldScalar]) -> str | None:
    """The approved vendor name, if the schema has such a field and it was set."""
    name = next((values.get(f) for f in VENDOR_NAME_FIELDS if values.get(f)), None)
    return str(name) if name is not None else None


def recipient_block(rows: Sequence[Row], values: Mapping[str, FieldScalar]) -> list[Cell]:
    """The cells of the recipient's block: its name, the few lines under it and the three
    over it, in its column."""
    name = next((values.get(f) for f in CUSTOMER_NAME_FIELDS if values.get(f)), None)
    target = fold(str(name)).replace(" ", "") if name else ""
    if len(target) < 4:
        return []
    out: list[Cell] = []
    for r, row in enumerate(rows):
        for cell in row.cells:
            if target not in fold(cell.text).replace(" ", ""):
                continue
            out.append(cell)
            # Its ids sit under the name, or over it in boxed forms ("Identificativo fiscale").
            for near in [*rows[max(0, r - _ABOVE_ROWS) : r], *rows[r + 1 : r + 1 + _BLOCK_ROWS]]:
                out.extend(c for c in near.cells if c.overlaps_x(cell) > 0)
    return out


def teach_profile(
    pages: Sequence[Sequence[TextLine]],
    values: Mapping[str, FieldScalar],
    schema: ExtractionSchema,
    *,
    document_id: str,
    existing: VendorProfile | None = None,
    mapped: Sequence[PageExtraction] = (),
) -> VendorProfile:
    """``existing`` (or a new profile) taught by one approved document: ``pages`` are its
    pages' lines in order, ``values`` the approved scalar values, ``mapped`` the mapper's
    reading of each page (optional: it breaks ties toward the place the mapper read)."""
    first = rows_of(pages[0]) if pages else []
    name = vendor_name_of(values)
    keys = read_keys(first, vendor_name=name, exclude=recipient_block(first, values))
    learned: dict[str, FieldMemory] = {}
    for number, lines in enumerate(pages, start=1):
        reading = mapped[number - 1] if len(mapped) >= number else None
        for field, memory in learn_fields(lines, values, schema, page_number=number, mapped=reading).items():
            learned.setdefault(field, memory)
    example = {k: v for k, v in values.items() if v is not None}
    if existing is None:
        return VendorProfile(
            schema_name=schema.name,
            display_name=name or next(iter(keys.tax_ids + keys.ibans), "unnamed vendor"),
            keys=keys,
            fields=learned,
            example=example,
            approvals=1,
            document_ids=[document_id],
        )
    merged_keys = keys.model_copy(
        update={
            "tax_ids": list(dict.fromkeys([*existing.keys.tax_ids, *keys.tax_ids])),
            "ibans": list(dict.fromkeys([*existing.keys.ibans, *keys.ibans])),
            "name": keys.name or existing.keys.name,
        }
    )
    seen = [d for d in existing.document_ids if d != document_id]
    return existing.model_copy(
        update={
            "display_name": name or existing.display_name,
            "keys": merged_keys,
            "fields": {**existing.fields, **learned},
            "example": example,
            "approvals": len(seen) + 1,
            "document_ids": [*seen, document_id],
        }
    )
