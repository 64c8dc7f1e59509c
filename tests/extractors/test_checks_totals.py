"""The done rule and a total its engine found contradicted by its page's amounts."""

from __future__ import annotations

from extractors.checks import INCONSISTENT, blocking_flags, review_flags
from extractors.fieldmap import totals
from extractors.merge import merge_pages
from models.extraction import ExtractedField, PageExtraction
from models.schemas import get_schema

INVOICE = get_schema("invoice")
NET_DETAIL = "total 18238.67 equals the net line 'Total Net' while tax 3647.73 is printed"


def _document(total: ExtractedField) -> PageExtraction:
    fields = {
        "invoice_number": ExtractedField(value="INV-7547", confidence=0.99, page=1),
        "invoice_date": ExtractedField(value="2023-04-25", confidence=0.99, page=1),
        "vendor_name": ExtractedField(value="Bramblecote Systems plc", confidence=0.99, page=1),
        "tax_amount": ExtractedField(value=3647.73, confidence=0.99, page=1),
        "total_amount": total,
    }
    return PageExtraction(page_numbers=[1], fields=fields)


def _flags(total: ExtractedField) -> list[str]:
    merged = merge_pages([_document(total)], schema=INVOICE, engine="local", model=None)
    return review_flags(merged, INVOICE)


def test_a_total_flagged_inconsistent_by_its_engine_blocks_done_with_the_failed_check() -> None:
    total = ExtractedField(
        value=18238.67,
        confidence=0.99,
        page=1,
        flags=[INCONSISTENT],
        evidence=["label 'Total'", f"check failed: {NET_DETAIL}"],
    )
    flags = blocking_flags(_flags(total))
    assert f"inconsistent: total_amount {NET_DETAIL}" in flags


def test_the_same_total_without_the_flag_is_not_inconsistent() -> None:
    total = ExtractedField(value=18238.67, confidence=0.99, page=1, evidence=["label 'Total'"])
    assert not [f for f in _flags(total) if f.startswith("inconsistent")]


def test_the_mapper_and_the_done_rule_name_the_flag_alike() -> None:
    assert totals.INCONSISTENT == INCONSISTENT
