"""Merging pages into a document, and the review rules."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from extractors.checks import review_flags
from extractors.merge import merge_pages
from models.extraction import ExtractedField, PageExtraction, PageFailure
from models.schemas import get_schema

INVOICE = get_schema("invoice")


def field(value, page, confidence=0.95):
    return ExtractedField(value=value, confidence=confidence, page=page, source_text=str(value))


def row(description, amount, page):
    return {"description": field(description, page), "amount": field(amount, page)}


def test_tables_concatenate_in_page_order_whatever_the_completion_order():
    p2 = PageExtraction(page_numbers=[2], tables={"line_items": [row("c", 3.0, 2)]})
    p1 = PageExtraction(
        page_numbers=[1],
        fields={"invoice_number": field("INV-1", 1)},
        tables={"line_items": [row("a", 1.0, 1), row("b", 2.0, 1)]},
    )
    merged = merge_pages([p2, p1], schema=INVOICE, engine="local", model=None)
    assert [r["description"].value for r in merged.tables["line_items"]] == ["a", "b", "c"]
    assert merged.fields["invoice_number"].page == 1
    assert merged.review_flags == []


def test_conflicting_single_values_are_flagged_with_both_pages():
    p1 = PageExtraction(page_numbers=[1], fields={"invoice_number": field("INV-1", 1)})
    p3 = PageExtraction(page_numbers=[3], fields={"invoice_number": field("INV-9", 3)})
    merged = merge_pages([p1, p3], schema=INVOICE, engine="local", model=None)
    assert merged.fields["invoice_number"].value == "INV-1"
    assert "conflict" in merged.fields["invoice_number"].flags
    assert any("page 1" in f and "page 3" in f for f in merged.review_flags)


def test_same_value_on_two_pages_is_not_a_conflict():
    p1 = PageExtraction(page_numbers=[1], fields={"currency": field("EUR", 1)})
    p2 = PageExtraction(page_numbers=[2], fields={"currency": field("eur ", 2)})
    merged = merge_pages([p1, p2], schema=INVOICE, engine="local", model=None)
    assert merged.review_flags == []


def test_failed_pages_are_kept_as_failures_and_their_calls_counted():
    ok = PageExtraction(page_numbers=[1], fields={"invoice_number": field("X", 1)})
    bad = PageExtraction(
        page_numbers=[2], failure=PageFailure(page_number=2, code="page_timeout", message="slow")
    )
    prep = PageFailure(page_number=3, code="render_error", message="broken")
    merged = merge_pages([bad, ok], schema=INVOICE, engine="local", model=None, prepare_failures=[prep])
    assert [f.page_number for f in merged.page_failures] == [2, 3]


cents = st.decimals(min_value=Decimal("0"), max_value=Decimal("100000"), places=2)


@given(subtotal=cents, tax=cents, error=st.sampled_from([Decimal("0"), Decimal("0.05"), Decimal("1")]))
def test_totals_rule_flags_exactly_the_inconsistent_sums(subtotal, tax, error):
    total = subtotal + tax + error
    page = PageExtraction(
        page_numbers=[1],
        fields={
            "invoice_number": field("A-1", 1),
            "subtotal": field(float(subtotal), 1),
            "tax_amount": field(float(tax), 1),
            "total_amount": field(float(total), 1),
        },
    )
    merged = merge_pages([page], schema=INVOICE, engine="local", model=None)
    flagged = any(f.startswith("inconsistent: total_amount") for f in review_flags(merged, INVOICE))
    assert flagged == (error > Decimal("0.01"))


def test_missing_essentials_low_confidence_and_line_sums_are_flagged():
    page = PageExtraction(
        page_numbers=[1],
        fields={"subtotal": field(10.0, 1), "vendor_name": field("ACME", 1, confidence=0.3)},
        tables={"line_items": [row("a", 4.0, 1), row("b", 5.0, 1)]},
    )
    merged = merge_pages([page], schema=INVOICE, engine="local", model=None)
    flags = review_flags(merged, INVOICE)
    assert any(f.startswith("missing: invoice_number") for f in flags)
    assert any(f.startswith("missing: total_amount") for f in flags)
    assert any(f.startswith("low_confidence: vendor_name") for f in flags)
    assert any(f.startswith("inconsistent: line_items sum to 9.0, subtotal is 10.0") for f in flags)


def test_values_that_break_the_schema_are_flagged():
    page = PageExtraction(
        page_numbers=[1],
        fields={
            "invoice_number": field("A-1", 1),
            "total_amount": field(5.0, 1),
            "invoice_date": field("not a date", 1),
            "currency": field("euro", 1),
        },
    )
    merged = merge_pages([page], schema=INVOICE, engine="local", model=None)
    flags = review_flags(merged, INVOICE)
    assert any(f.startswith("invalid: invoice_date") for f in flags)
    assert any(f.startswith("invalid: currency") for f in flags)


def test_a_failed_group_call_fails_every_page_it_carried():
    group = PageExtraction(
        page_numbers=[4, 5, 6],
        failure=PageFailure(page_number=4, code="truncated", message="output cut off"),
    )
    merged = merge_pages([group], schema=INVOICE, engine="llama", model="m")
    assert [(f.page_number, f.code) for f in merged.page_failures] == [
        (4, "truncated"),
        (5, "truncated"),
        (6, "truncated"),
    ]
