"""The calibrate step: calibrated confidence in, raw score kept in the evidence, unknown kept
unknown, passed amount checks recorded as evidence."""

from __future__ import annotations

import pytest

from extractors.calibrate import calibrate_extraction
from models.calibration import Calibration, CalibrationGroup, DoneRule, MonotoneMap, raw_from_evidence
from models.extraction import DocumentExtraction, ExtractedField
from models.schemas import get_schema

INVOICE = get_schema("invoice")
# Totals read by keyword are right half the time at raw 0.9; everything else as the raw says.
HALVING = Calibration(
    engine="local",
    version="local-test",
    fitted=True,
    groups={
        "field=total_amount|method=keyword:total": CalibrationGroup(
            count=100, accuracy=0.5, map=MonotoneMap(raw=(0.5, 0.9), probability=(0.3, 0.5))
        ),
        "*": CalibrationGroup(
            count=500, accuracy=0.8, map=MonotoneMap(raw=(0.0, 1.0), probability=(0.0, 1.0))
        ),
    },
    done=DoneRule(threshold=0.9, field_threshold=0.9),
)


def field(value, confidence, method=None) -> ExtractedField:
    return ExtractedField(value=value, confidence=confidence, page=1, method=method)


def extraction(**fields: ExtractedField) -> DocumentExtraction:
    return DocumentExtraction(schema_name="invoice", schema_version="1", engine="local", fields=fields)


def test_confidence_is_calibrated_and_the_raw_score_kept():
    doc = extraction(total_amount=field(119.0, 0.9, "keyword:total"), vendor_name=field("ACME", 0.7))
    calibrated = calibrate_extraction(doc, INVOICE, HALVING)
    total = calibrated.fields["total_amount"]
    assert total.confidence == 0.5
    assert raw_from_evidence(total.evidence) == 0.9
    assert calibrated.fields["vendor_name"].confidence == pytest.approx(0.7)


def test_calibrating_twice_starts_from_the_raw_score():
    doc = extraction(total_amount=field(119.0, 0.9, "keyword:total"))
    once = calibrate_extraction(doc, INVOICE, HALVING)
    twice = calibrate_extraction(once, INVOICE, HALVING)
    assert twice.fields == once.fields


def test_unknown_confidence_stays_unknown():
    doc = extraction(total_amount=field(119.0, None, "logprob"))
    assert calibrate_extraction(doc, INVOICE, HALVING).fields["total_amount"].confidence is None


def test_passed_amount_checks_become_evidence_of_their_fields():
    doc = extraction(
        subtotal=field(100.0, 0.9),
        tax_amount=field(19.0, 0.9),
        total_amount=field(119.0, 0.9, "keyword:total"),
    )
    fields = calibrate_extraction(doc, INVOICE, HALVING).fields
    assert "check:totals_agree" in fields["total_amount"].evidence
    assert "check:totals_agree" in fields["subtotal"].evidence
    wrong = doc.model_copy(update={"fields": {**doc.fields, "total_amount": field(120.0, 0.9)}})
    assert (
        "check:totals_agree" not in calibrate_extraction(wrong, INVOICE, HALVING).fields["subtotal"].evidence
    )


def test_values_read_from_a_text_layer_say_so():
    doc = extraction(total_amount=field(119.0, 0.9, "keyword:total"), vendor_name=field("ACME", 0.7))
    doc.fields["vendor_name"].page = 2
    fields = calibrate_extraction(doc, INVOICE, HALVING, text_layer_pages={1}).fields
    assert "source:text_layer" in fields["total_amount"].evidence
    assert "source:text_layer" not in fields["vendor_name"].evidence
