"""The done rule: each reason a document must be looked at, and the document that needs no one.

Rules are given explicitly (not read from the packaged calibration) so the tests hold
whatever a refit chooses; ``today`` is fixed so the date checks are reproducible.
"""

from __future__ import annotations

import datetime as dt

import pytest

from extractors.checks import blocking_flags, review_flags, with_review_flags
from flows.pipeline import _final_status
from models.calibration import DoneRule
from models.document import DocumentStatus
from models.extraction import DocumentExtraction, ExtractedField, ExtractedRow
from models.schemas import get_schema
from models.schemas.custom import schema_from_json_schema

INVOICE = get_schema("invoice")
RECEIPT = get_schema("receipt")
GENERIC = get_schema("generic")
TODAY = dt.date(2025, 6, 1)
MIN_RULE = DoneRule(combine="min", threshold=0.83, field_threshold=0.83)
PRODUCT_RULE = DoneRule(combine="product", threshold=0.85, field_threshold=0.9)


def field(value, confidence: float | None = 0.99, *, flags=(), evidence=()) -> ExtractedField:
    return ExtractedField(
        value=value,
        confidence=confidence,
        page=1,
        source_text=str(value),
        flags=list(flags),
        evidence=list(evidence),
    )


def invoice(**overrides) -> DocumentExtraction:
    """A confident invoice whose amounts and dates agree; ``name=None`` drops a field."""
    fields = {
        "vendor_name": field("ACME GmbH"),
        "invoice_number": field("INV-7"),
        "invoice_date": field("2025-03-01"),
        "due_date": field("2025-03-31"),
        "subtotal": field(100.0),
        "tax_amount": field(19.0),
        "total_amount": field(119.0),
    }
    for name, value in overrides.items():
        if value is None:
            fields.pop(name, None)
        else:
            fields[name] = value
    return DocumentExtraction(schema_name="invoice", schema_version="1", engine="local", fields=fields)


def flags_of(extraction: DocumentExtraction, schema=INVOICE, rule=MIN_RULE) -> list[str]:
    return review_flags(extraction, schema, rule, today=TODAY)


def lines(*amounts: float) -> dict[str, list[ExtractedRow]]:
    return {
        "line_items": [{"description": field(f"item {i}"), "amount": field(a)} for i, a in enumerate(amounts)]
    }


def test_a_confident_consistent_document_is_done():
    extraction = invoice().model_copy(update={"tables": lines(60.0, 40.0)})
    flags = flags_of(extraction)
    assert flags == []
    status, reason = _final_status(with_review_flags(extraction, INVOICE, MIN_RULE, today=TODAY), 1)
    assert status is DocumentStatus.DONE and reason is None


def test_zero_fields_is_never_done_even_for_generic():
    empty = DocumentExtraction(schema_name="generic", schema_version="1", engine="local")
    flags = flags_of(empty, GENERIC)
    assert flags == ["no_fields: no field was found"]
    status, reason = _final_status(empty.model_copy(update={"review_flags": flags}), 1)
    assert status is DocumentStatus.NEEDS_REVIEW and reason == "no_fields: no field was found"


@pytest.mark.parametrize("name", ["vendor_name", "invoice_number", "invoice_date", "total_amount"])
def test_each_missing_essential_field_is_a_reason(name):
    flags = flags_of(invoice(**{name: None}))
    assert f"missing: {name}" in flags
    assert blocking_flags(flags)


def test_receipt_essentials_come_from_the_schema():
    receipt = DocumentExtraction(
        schema_name="receipt", schema_version="1", engine="local", fields={"total_amount": field(4.7)}
    )
    flags = flags_of(receipt, RECEIPT)
    assert [f for f in flags if f.startswith("missing")] == ["missing: merchant_name", "missing: date"]


def test_low_confidence_essential_field_names_value_and_threshold():
    flags = flags_of(invoice(total_amount=field(119.0, 0.41)))
    assert "low_confidence: total_amount (0.41 < 0.83)" in flags
    assert flags_of(invoice(total_amount=field(119.0, 0.83))) == []  # the threshold itself clears


def test_unknown_confidence_never_passes_without_a_witness():
    unknown = invoice(total_amount=field(119.0, None))
    assert any(f.startswith("unknown_confidence: total_amount") for f in blocking_flags(flags_of(unknown)))
    witnessed_flag = invoice(total_amount=field(119.0, None, flags=["witness:agrees"]))
    witnessed_evidence = invoice(total_amount=field(119.0, None, evidence=["witness:agrees ocr line 12"]))
    assert flags_of(witnessed_flag) == []
    assert flags_of(witnessed_evidence) == []


def test_product_rule_judges_the_essential_fields_together():
    each = {n: field(invoice().fields[n].value, 0.95) for n in INVOICE.essential}
    flags = flags_of(invoice(**each), rule=PRODUCT_RULE)  # 0.95 ** 4 = 0.81 < 0.85
    assert any(
        f.startswith("low_confidence: vendor_name (0.95; essential fields together 0.81 < 0.85)")
        for f in flags
    )
    sure = {n: field(invoice().fields[n].value, 0.97) for n in INVOICE.essential}  # 0.885
    assert flags_of(invoice(**sure), rule=PRODUCT_RULE) == []


def test_a_weak_optional_field_is_a_visible_note_not_a_reason():
    extraction = invoice(customer_name=field("Someone", 0.2), currency=field("EUR", None))
    flags = flags_of(extraction)
    assert "uncertain: customer_name (0.20 < 0.83)" in flags
    assert "uncertain: currency (unknown confidence)" in flags
    assert blocking_flags(flags) == []
    status, _ = _final_status(extraction.model_copy(update={"review_flags": flags}), 1)
    assert status is DocumentStatus.DONE


def test_without_essential_fields_every_field_must_clear():
    schema = schema_from_json_schema(
        "memo",
        1,
        {"type": "object", "properties": {"title": {"type": "string"}, "author": {"type": "string"}}},
    )
    assert schema.essential == ()
    weak = DocumentExtraction(
        schema_name="memo",
        schema_version="1",
        engine="local",
        fields={"title": field("Q3 plan", 0.99), "author": field("Ann", 0.5)},
    )
    assert flags_of(weak, schema) == ["low_confidence: author (0.50 < 0.83)"]
    sure = weak.model_copy(update={"fields": {"title": field("Q3 plan", 0.99)}})
    assert flags_of(sure, schema) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"total_amount": field(120.0)},
            "inconsistent: total_amount 120.0 != subtotal 100.0 + tax_amount 19.0",
        ),
        (
            {"subtotal": None, "tax_amount": field(19.0), "total_amount": field(9.0)},
            "inconsistent: total_amount 9.0 is smaller than tax_amount 19.0",
        ),
    ],
)
def test_amount_checks_fail(changes, expected):
    assert expected in flags_of(invoice(**changes))


def test_line_items_are_checked_against_the_subtotal():
    good = invoice().model_copy(update={"tables": lines(60.0, 40.0)})
    bad = invoice().model_copy(update={"tables": lines(60.0, 30.0)})
    assert flags_of(good) == []
    assert "inconsistent: line_items sum to 90.0, subtotal is 100.0" in flags_of(bad)


def test_line_items_are_checked_against_the_total_when_there_is_no_subtotal():
    inclusive = invoice(subtotal=None).model_copy(update={"tables": lines(100.0, 19.0)})
    exclusive = invoice(subtotal=None).model_copy(update={"tables": lines(60.0, 40.0)})  # + tax 19
    rounded = invoice(subtotal=None, tax_amount=None, total_amount=field(10.0)).model_copy(
        update={"tables": lines(6.0, 3.97)}  # cash rounding to 5 cents
    )
    wrong = invoice(subtotal=None).model_copy(update={"tables": lines(60.0, 20.0)})
    assert flags_of(inclusive) == []
    assert flags_of(exclusive) == []
    assert flags_of(rounded) == []
    assert "inconsistent: line_items sum to 80.0, total_amount is 119.0" in flags_of(wrong)


def test_items_that_miss_a_total_other_printed_amounts_confirm_are_a_note_not_a_block():
    # cash - change confirms the total: the items table was misread (a quantity taken for an
    # amount), which a person reading the result should see, but not at the cost of review
    cash = "check passed: cash - change = total (150.00 - 31.00 = 119.00)"
    confirmed = invoice(subtotal=None, total_amount=field(119.0, evidence=[cash])).model_copy(
        update={"tables": lines(60.0, 20.0)}
    )
    by_items = invoice(
        subtotal=None, total_amount=field(119.0, evidence=["check passed: items sum to 119.00 (2 lines)"])
    ).model_copy(update={"tables": lines(60.0, 20.0)})
    flags = flags_of(confirmed)
    assert blocking_flags(flags) == []
    assert flags == [
        "uncertain: line_items sum to 80.0, total_amount is 119.0 "
        "(the total is confirmed: cash - change = total (150.00 - 31.00 = 119.00))"
    ]
    assert "inconsistent: line_items sum to 80.0, total_amount is 119.0" in blocking_flags(flags_of(by_items))


def test_rows_without_amounts_are_not_summed():
    rows = lines(60.0, 30.0)
    rows["line_items"][1].pop("amount")
    assert flags_of(invoice().model_copy(update={"tables": rows})) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"invoice_date": field("1985-03-01")}, "implausible_date: invoice_date 1985-03-01 is before 1990"),
        (
            {"invoice_date": field("2081-03-01"), "due_date": None},
            "implausible_date: invoice_date 2081-03-01 is more than a year after today (2025-06-01)",
        ),
        (
            {"due_date": field("2025-02-01")},
            "implausible_date: due_date 2025-02-01 is before invoice_date 2025-03-01",
        ),
        (
            {"invoice_date": field("2022-03-01")},
            "implausible_date: invoice_date 2022-03-01 is more than a year before due_date 2025-03-31",
        ),
    ],
)
def test_implausible_dates(changes, expected):
    assert expected in flags_of(invoice(**changes))


def test_plausible_dates_and_dates_that_are_not_the_documents_own_pass():
    schema = schema_from_json_schema(
        "form",
        1,
        {
            "type": "object",
            "properties": {
                "issue_date": {"type": "string", "format": "date"},
                "date_of_birth": {"type": "string", "format": "date"},
            },
        },
    )
    form = DocumentExtraction(
        schema_name="form",
        schema_version="1",
        engine="local",
        fields={"issue_date": field("2025-05-30"), "date_of_birth": field("1961-07-04")},
    )
    assert flags_of(form, schema) == []
    assert flags_of(invoice(invoice_date=field("2025-06-20"), due_date=field("2025-07-20"))) == []


@pytest.mark.parametrize(
    ("flag", "expected"),
    [
        ("ungrounded", "ungrounded: total_amount does not appear in the page text"),
        ("disagreement", "disagreement: total_amount 119.0 is not what the page's text says"),
    ],
)
def test_a_value_the_page_contradicts_blocks(flag, expected):
    flags = flags_of(invoice(total_amount=field(119.0, flags=[flag])))
    assert expected in blocking_flags(flags)


def test_merge_conflicts_stay_reasons_and_reason_lists_the_first_five():
    extraction = invoice(total_amount=field(119.0, 0.1)).model_copy(
        update={"review_flags": ["conflict: invoice_number is 'A' on page 1 but 'B' on page 2"]}
    )
    checked = with_review_flags(extraction, INVOICE, MIN_RULE, today=TODAY)
    status, reason = _final_status(checked, 2)
    assert status is DocumentStatus.NEEDS_REVIEW
    assert reason == (
        "conflict: invoice_number is 'A' on page 1 but 'B' on page 2; "
        "low_confidence: total_amount (0.10 < 0.83)"
    )


def test_gross_line_items_may_add_up_to_the_total():
    gross = invoice().model_copy(update={"tables": lines(71.39, 47.61)})  # 60 + 40 with 19 % VAT
    per_line_rounding = invoice().model_copy(update={"tables": lines(71.40, 47.61)})
    neither = invoice().model_copy(update={"tables": lines(71.39, 40.0)})
    assert flags_of(gross) == []
    assert flags_of(per_line_rounding) == []
    assert "inconsistent: line_items sum to 111.39, subtotal is 100.0" in flags_of(neither)


def test_a_confidence_just_under_the_bar_reads_as_under_it() -> None:
    from extractors.checks import _below

    assert _below(0.41, 0.83) == "0.41 < 0.83"
    assert _below(0.9978, 1.0) == "0.998 < 1.00"
    assert _below(0.88, 0.9984) == "0.88 < 0.9984"
    assert _below(0.99996, 1.0) == "0.99996 < 1.00"
