"""The fields that have readers of their own (parties, document numbers, currency), and how
those readers' findings become ``ExtractedField``s (value, confidence, evidence, method).

Fields served, by name (so custom schemas with the same names are served too):

- the issuer's name: a text field ``<word>_name`` with ``<word>`` one of ``ISSUER_WORDS``
  (``vendor_name``, ``merchant_name``, ``seller_name``, ...) -> ``parties.read_seller``;
- the issuer's address: ``<word>_address`` of the same party
  -> ``seller_address.read_seller_address``;
- the billed party's name: ``customer_name``, ``buyer_name``, ``client_name``, ...
  -> ``buyer.read_buyer``;
- the document's number: ``invoice_number``, ``receipt_no``, ``document_id``, ...
  -> ``identifiers.read_document_number``;
- any currency field -> ``currency.read_currency``.

Confidence = mean OCR confidence of the finding's cells x the finding's quality; methods
and qualities are listed in ``parties``, ``seller_address``, ``buyer``, ``identifiers`` and
``currency``. For the parties' names and addresses, an OCR cell counts at its line's weakest
letter or digit where that is lower than the line's mean (``TextLine.min_char_confidence``):
one misread letter makes a wrong name, while the mean over a long line hardly moves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

from extractors.fieldmap.buyer import read_buyer
from extractors.fieldmap.currency import read_currency
from extractors.fieldmap.findings import Finding
from extractors.fieldmap.identifiers import is_document_number, read_document_number
from extractors.fieldmap.labels import LabelHit
from extractors.fieldmap.layout import Cell, Row
from extractors.fieldmap.parties import read_seller
from extractors.fieldmap.seller_address import read_seller_address
from models.extraction import ExtractedField, FieldScalar
from models.schemas import FieldKind, FieldSpec

# Who issued the document: a "<word>_name" field of these is the seller.
ISSUER_WORDS = frozenset(
    ["vendor", "merchant", "seller", "supplier", "company", "issuer", "store", "shop", "business", "biller"]
)
BUYER_WORDS = frozenset(["customer", "buyer", "client", "billed", "bill_to", "recipient", "purchaser"])


class PageView(Protocol):
    """What the readers need of the mapper's page context."""

    page_number: int
    rows: list[Row]
    unit: float
    used: set[tuple[int, int]]
    label_cells: set[tuple[int, int]]

    def field(
        self, value: FieldScalar, cells: Sequence[Cell], quality: float, flags: Sequence[str] = ()
    ) -> ExtractedField: ...


def _party(spec: FieldSpec, suffix: str) -> str | None:
    name = spec.name.lower()
    return name.removesuffix(suffix) if name.endswith(suffix) else None


def is_issuer_name(spec: FieldSpec) -> bool:
    """A text field that names whoever issued the document."""
    party = _party(spec, "_name")
    return spec.kind == FieldKind.TEXT and party is not None and bool(ISSUER_WORDS & set(party.split("_")))


def is_buyer_name(spec: FieldSpec) -> bool:
    """A text field that names the billed party."""
    party = _party(spec, "_name")
    return (
        spec.kind == FieldKind.TEXT
        and party is not None
        and (party in BUYER_WORDS or bool(BUYER_WORDS & set(party.split("_"))))
    )


def serves(spec: FieldSpec) -> bool:
    """Whether this module reads ``spec`` (the generic label reading is then skipped)."""
    if spec.kind == FieldKind.CURRENCY:
        return True
    if spec.kind != FieldKind.TEXT:
        return False
    return is_issuer_name(spec) or is_buyer_name(spec) or is_document_number(spec.name)


def at_weakest_letter(cell: Cell) -> Cell:
    """``cell`` with its OCR confidence lowered to its line's weakest letter or digit."""
    if cell.weakest is None or cell.weakest >= cell.confidence:
        return cell
    return replace(cell, confidence=cell.weakest)


def as_field(page: PageView, finding: Finding | None, *, spelled: bool = False) -> ExtractedField | None:
    """``finding`` as an ExtractedField with its method and evidence. ``spelled``: the value is
    text whose every letter counts (a name, an address), so its cells count at their weakest
    letter (``at_weakest_letter``)."""
    if finding is None:
        return None
    evidence = list(finding.evidence)
    cells = list(finding.cells)
    if spelled:
        weakest = [at_weakest_letter(c) for c in cells]
        if weakest != cells:
            mean, lowered = (sum(c.confidence for c in group) / len(group) for group in (cells, weakest))
            evidence.append(f"weakest letter: OCR {mean:.4f} -> {lowered:.4f}")
            cells = weakest
    found = page.field(finding.text, cells, finding.quality)
    return found.model_copy(update={"method": finding.method, "evidence": evidence})


def read_field(
    page: PageView, spec: FieldSpec, hits: Sequence[LabelHit], sellers: dict[str, Finding]
) -> ExtractedField | None:
    """The value of a field this module serves; a seller found is kept in ``sellers`` under
    its party ("vendor") for its address."""
    if is_issuer_name(spec):
        taken = page.label_cells | page.used
        seller = read_seller(page.rows, page.unit, page_number=page.page_number, label_hits=hits, taken=taken)
        if seller is not None:
            sellers[_party(spec, "_name") or spec.name] = seller
        return as_field(page, seller, spelled=True)
    if is_buyer_name(spec):
        seller = next(iter(sellers.values()), None)
        return as_field(page, read_buyer(page.rows, hits, page.label_cells, page.unit, seller), spelled=True)
    if spec.kind == FieldKind.CURRENCY:
        return as_field(page, read_currency(page.rows, hits, page.label_cells, page.unit))
    return as_field(page, read_document_number(page.rows, hits, page.label_cells, page.unit))


def read_issuer_address(
    page: PageView, spec: FieldSpec, hits: Sequence[LabelHit], sellers: dict[str, Finding]
) -> tuple[bool, ExtractedField | None]:
    """(served, value) for an address field: served when it is the address of a seller this
    page found and no label of its own introduces it."""
    party = _party(spec, "_address")
    seller = sellers.get(party) if party is not None else None
    if seller is None or hits:
        return False, None
    return True, as_field(page, read_seller_address(page.rows, page.unit, seller), spelled=True)
