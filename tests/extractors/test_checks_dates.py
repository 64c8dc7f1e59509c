"""The done rule and a date whose day/month order nothing on its page proves."""

from __future__ import annotations

from extractors.checks import AMBIGUOUS_DATE, blocking_flags, review_flags
from extractors.fieldmap import dates
from extractors.merge import merge_pages
from models.extraction import ExtractedField, PageExtraction
from models.schemas import get_schema

INVOICE = get_schema("invoice")


def _flags(invoice_date: ExtractedField) -> list[str]:
    fields = {
        "invoice_number": ExtractedField(value="INV-7547", confidence=0.99, page=1),
        "invoice_date": invoice_date,
        "vendor_name": ExtractedField(value="Bramblecote Systems plc", confidence=0.99, page=1),
        "total_amount": ExtractedField(value=120.0, confidence=0.99, page=1),
    }
    merged = merge_pages(
        [PageExtraction(page_numbers=[1], fields=fields)], schema=INVOICE, engine="local", model=None
    )
    return blocking_flags(review_flags(merged, INVOICE))


def test_an_unproven_day_month_order_blocks_done() -> None:
    flagged = ExtractedField(value="2023-05-04", confidence=0.99, page=1, flags=[AMBIGUOUS_DATE])
    assert [f for f in _flags(flagged) if f.startswith("ambiguous_date: invoice_date 2023-05-04")]


def test_the_same_date_without_the_flag_does_not_block() -> None:
    plain = ExtractedField(value="2023-05-04", confidence=0.99, page=1)
    assert not [f for f in _flags(plain) if f.startswith("ambiguous_date")]


def test_the_mapper_and_the_done_rule_name_the_flag_alike() -> None:
    assert dates.AMBIGUOUS_DATE == AMBIGUOUS_DATE
