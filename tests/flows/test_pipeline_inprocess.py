"""The pipeline in-process (intake, policy, pages, quote, extract, merge, check, persist) with
the fake engine answering from the truth: no OCR, model server or Prefect, so these run in
the fast tier. What the local engine reads, and the Prefect flow around the pipeline, are
in ``test_pipeline.py``."""

from __future__ import annotations

from core.settings import Settings
from models.document import DocumentStatus
from tests.fakes.engine import FakeEngine
from tests.support.documents import broken_pdf, invoice_pdf
from tests.support.pipeline import process_bytes, stored
from tests.support.truth import make_invoice_truth


def test_an_invoice_is_extracted_stored_and_its_call_recorded(db_settings: Settings):
    truth = make_invoice_truth(61)
    engine = FakeEngine(truth.schema_values())
    run = process_bytes(db_settings, invoice_pdf(truth), engine)
    assert run.processed and run.status is DocumentStatus.DONE, run.reason
    result = stored(db_settings, run.document_id)
    assert result.document.status == run.status and result.document.page_count == 1
    assert result.extraction is not None
    assert (result.extraction.engine, result.extraction.model) == ("local", "fake")
    fields = result.extraction.result["fields"]
    for name in ("invoice_number", "invoice_date", "total_amount", "vendor_name"):
        assert fields[name]["value"] == truth.schema_values()[name], name
    assert [(row.page_numbers, row.engine, row.error_code) for row in result.ledger] == [([1], "local", None)]
    assert engine.calls == 1 and engine.closed


def test_a_finished_document_is_not_processed_again(settings: Settings):
    data = invoice_pdf(make_invoice_truth(62))
    first = process_bytes(settings, data, FakeEngine(make_invoice_truth(62).schema_values()))
    again = FakeEngine({})
    second = process_bytes(settings, data, again, name="copy.pdf")
    assert second.document_id == first.document_id
    assert second.processed is False and second.status is first.status
    assert again.calls == 0
    assert len(stored(settings, first.document_id).ledger) == 1


def test_pages_are_merged_in_page_order(settings: Settings):
    truth = make_invoice_truth(63)
    values = truth.schema_values()
    items = values["line_items"]
    by_page = {1: {**values, "line_items": items[:1]}, 2: {"line_items": items[1:]}}
    run = process_bytes(
        settings, invoice_pdf(truth, pages=2), FakeEngine(lambda page: by_page.get(page.page_number))
    )
    assert run.processed, run.reason
    result = stored(settings, run.document_id)
    assert result.document.page_count == 2
    assert result.extraction is not None
    merged = result.extraction.result["tables"]["line_items"]
    assert [row["description"]["value"] for row in merged] == [item["description"] for item in items]
    assert [row.page_numbers for row in result.ledger] == [[1], [2]]


def test_a_broken_file_is_rejected_before_the_engine_is_called(settings: Settings):
    engine = FakeEngine({})
    run = process_bytes(settings, broken_pdf(), engine)
    assert run.status is DocumentStatus.REJECTED and run.reason
    assert engine.calls == 0
    assert stored(settings, run.document_id).ledger == []
