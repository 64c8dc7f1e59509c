"""Scoring and run metrics on hand-built documents; every expected figure derived by hand
in the comments beside it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from models.evaluation import (
    DateOrder,
    StoredDocument,
    calibration_table,
    compare_runs,
    expected_calibration_error,
    score_document,
    summarise,
)
from models.schemas import get_schema

RECEIPT = get_schema("receipt")
TRUTH = {"merchant_name": "KEDAI RUNCIT ZBH", "date": "01/06/2018", "total_amount": "RM43.40"}


def field(value: Any, confidence: float | None, **extra: Any) -> dict[str, Any]:
    return {"value": value, "confidence": confidence, **extra}


def stored(name: str, status: str, fields: dict[str, Any] | None, **extra: Any) -> StoredDocument:
    result = None if fields is None else {"fields": fields, "tables": {}}
    return StoredDocument(
        document=name,
        document_id=f"id-{name}",
        status=status,
        pages=1,
        cost_usd=Decimal("0.01"),
        engine="local",
        result=result,
        fingerprint={"engine": "local", "mapper": "1"} if fields is not None else None,
        **extra,
    )


def five_documents() -> list[Any]:
    right_name, right_date, right_total = "Kedai Runcit ZBH", "2018-06-01", 43.4
    docs = [
        # A: done, every essential right.
        stored(
            "a",
            "done",
            {
                "merchant_name": field(right_name, 0.95),
                "date": field(right_date, 0.85),
                "total_amount": field(right_total, 0.95),
            },
        ),
        # B: done with a wrong total: what `done` must not do.
        stored(
            "b",
            "done",
            {
                "merchant_name": field(right_name, 0.85),
                "date": field(right_date, 0.85),
                "total_amount": field(4.34, 0.95),
            },
        ),
        # C: review; date missing, total of unknown confidence.
        stored(
            "c",
            "needs_review",
            {
                "merchant_name": field(right_name, 0.15),
                "total_amount": field(right_total, None),
            },
        ),
        # D: failed, nothing stored.
        stored("d", "failed", None),
        # E: review although all right.
        stored(
            "e",
            "needs_review",
            {
                "merchant_name": field(right_name, 0.55),
                "date": field(right_date, 0.55),
                "total_amount": field(right_total, 0.55),
            },
        ),
    ]
    scores = [score_document(RECEIPT, TRUTH, d, order=DateOrder.DMY) for d in docs]
    # F: done, but its truth checks no essential field: it says nothing about `done`.
    address = "NO.17,JALAN PERMAS 1/7, BANDAR BARU PERMAS JAYA,81750,MASAI"
    f = stored("f", "done", {"merchant_address": field(address.title(), None)})
    scores.append(score_document(RECEIPT, {"merchant_address": address}, f))
    return scores


def test_run_figures_by_hand() -> None:
    report = summarise(five_documents(), schema_name="receipt", wall_s=12.0)
    assert report.documents == 6
    # Checked: 3 fields x 5 documents + 1 address = 16; right: A3 B2 C2 D0 E3 F1 = 11.
    assert report.fields_checked == 16 and report.fields_correct == 11
    assert report.field_accuracy == pytest.approx(11 / 16)
    assert report.per_field["total_amount"].model_dump() == {
        "accuracy": pytest.approx(3 / 5),
        "checked": 5,
        "correct": 3,
        "missing": 1,
    }
    assert report.statuses == {"done": 3, "failed": 1, "needs_review": 2}
    assert report.straight_through == pytest.approx(3 / 6)
    # Done and judged: A (right), B (wrong total); F has no essential truth.
    assert report.done_documents == 3
    assert report.done_precision == pytest.approx(1 / 2)
    assert report.done_with_essential_errors == 1
    # Essential errors: B (done), C and D (not done) -> 2 of 3 went to a person.
    assert report.documents_with_essential_errors == 3
    assert report.review_recall == pytest.approx(2 / 3)
    # Essential fields right: 11 - F's address = 10 of 15; documents all right: A, E of 5.
    assert report.essential_field_accuracy == pytest.approx(10 / 15)
    assert report.document_accuracy == pytest.approx(2 / 5)
    # Missing: C's date, D's three. Unknown confidence: C's total, F's address.
    assert report.missing_values == 4 and report.unknown_confidence == 2
    assert report.calibrated_fields == 10
    # Cost: 6 documents of 1 page at $0.01.
    assert report.pages == 6 and report.cost_usd == Decimal("0.06")
    assert report.cost_per_page_usd == Decimal("0.01")
    assert report.seconds_per_page == pytest.approx(2.0)
    assert report.engine == "local" and report.fingerprint == {"engine": "local", "mapper": "1"}


def test_calibration_bins_and_ece_by_hand() -> None:
    report = summarise(five_documents(), schema_name="receipt")
    bins = {round(b.lower, 1): b for b in report.calibration if b.count}
    # [0.9, 1): 0.95 x3 (A name, A total right; B total wrong) -> accuracy 2/3.
    assert bins[0.9].count == 3 and bins[0.9].accuracy == pytest.approx(2 / 3)
    assert bins[0.9].mean_confidence == pytest.approx(0.95)
    # [0.8, 0.9): A date, B name, B date, all right; [0.5, 0.6): E x3 right; [0.1, 0.2): C name.
    assert (bins[0.8].count, bins[0.8].accuracy) == (3, 1.0)
    assert (bins[0.5].count, bins[0.5].accuracy) == (3, 1.0)
    assert (bins[0.1].count, bins[0.1].accuracy) == (1, 1.0)
    assert set(bins) == {0.1, 0.5, 0.8, 0.9}
    # ECE = .3*|2/3-.95| + .3*|1-.85| + .3*|1-.55| + .1*|1-.15| = .085+.045+.135+.085 = .35
    assert report.ece == pytest.approx(0.35)


def test_bin_edges_and_limits() -> None:
    table = calibration_table([(0.0, True), (0.3, False), (0.7, True), (1.0, True)])
    assert [b.count for b in table] == [1, 0, 0, 1, 0, 0, 0, 1, 0, 1]
    assert expected_calibration_error(calibration_table([])) is None
    # Perfect: half right at 0.5.
    assert expected_calibration_error(calibration_table([(0.5, True), (0.5, False)])) == pytest.approx(0.0)
    with pytest.raises(ValueError):
        calibration_table([(1.2, True)])


def test_no_done_document_means_no_done_precision() -> None:
    docs = [d for d in five_documents() if d.stored.status != "done"]
    report = summarise(docs, schema_name="receipt")
    assert report.done_precision is None and report.straight_through == 0.0
    assert report.review_recall == 1.0  # C and D both went to a person


def test_records_carry_the_extractions_evidence() -> None:
    doc = stored(
        "g",
        "needs_review",
        {
            "merchant_name": field(
                "KEDAI RUNCIT ZBH",
                0.7,
                method="top_line",
                evidence=["first line"],
                flags=["low_confidence"],
                page=1,
                source_text="KEDAI RUNCIT ZBH",
            ),
        },
        review_flags=["date: missing"],
    )
    truth = {**TRUTH, "currency": None, "_note": "annotator comment", "cashier": "ALI"}
    score = score_document(RECEIPT, truth, doc, order=DateOrder.DMY)
    name = next(r for r in score.fields if r.field == "merchant_name")
    assert (name.method, name.evidence, name.flags, name.page) == (
        "top_line",
        ["first line"],
        ["low_confidence"],
        1,
    )
    assert name.review_flags == ["date: missing"] and name.status == "needs_review" and name.essential
    # Null truth and "_" notes are not checked; unknown keys are listed, not scored.
    assert {r.field for r in score.fields} == {"merchant_name", "date", "total_amount"}
    assert score.unknown_truth_fields == ["cashier"]


def test_an_unreadable_truth_is_reported_not_scored() -> None:
    doc = stored("h", "done", {"date": field("2018-05-09", 0.9)})
    score = score_document(RECEIPT, {"date": "09/05/2018"}, doc)  # no order stated
    assert score.fields == [] and score.truth_errors and "date order" in score.truth_errors[0]


def test_line_items_by_rows() -> None:
    rows = [
        {"description": {"value": "Teh O Ais"}, "amount": {"value": 2.5}},
        {"description": {"value": "Nasi Lemak"}, "amount": {"value": 5.9}},  # truth says 5.00
        {"description": {"value": "Extra row"}, "amount": {"value": 1.0}},
    ]
    doc = StoredDocument(document="i", status="done", result={"fields": {}, "tables": {"line_items": rows}})
    truth = {
        "line_items": [
            {"description": "TEH O AIS", "amount": "2.50"},
            {"description": "NASI LEMAK", "amount": "5.00"},
        ]
    }
    report = summarise([score_document(RECEIPT, truth, doc)], schema_name="receipt")
    table = report.tables["line_items"]
    assert (table.rows_truth, table.rows_extracted, table.rows_matched) == (2, 3, 1)
    assert table.recall == pytest.approx(1 / 2) and table.precision == pytest.approx(1 / 3)


def test_compare_runs_shows_deltas_and_what_differs() -> None:
    before = summarise(five_documents(), schema_name="receipt").as_json()
    after = dict(before, field_accuracy=0.75, engine="llama", fingerprint={"engine": "llama", "mapper": "1"})
    after["per_field"] = {**before["per_field"], "total_amount": {"accuracy": 0.8, "checked": 5}}
    change = compare_runs(before, after)
    accuracy = next(c for c in change.headline if c.name == "field_accuracy")
    assert accuracy.delta == pytest.approx(0.75 - 11 / 16)
    total = next(c for c in change.per_field if c.name == "total_amount")
    assert total.delta == pytest.approx(0.8 - 0.6)
    names = {s.name for s in change.settings}
    assert {"engine", "fingerprint.engine"} <= names and "fingerprint.mapper" not in names
    # A figure one run lacks compares as None, not an error.
    older = {k: v for k, v in before.items() if k != "ece"}
    ece = next(c for c in compare_runs(older, before).headline if c.name == "ece")
    assert ece.a is None and ece.delta is None
