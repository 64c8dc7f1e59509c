"""The pipeline stores calibrated confidence (raw score in the evidence), the calibration's
version in the fingerprint, and ends a document by the done rule.

The engine is a stand-in that answers fixed fields for a real generated PDF, so the fields'
raw scores are known; calibration, checks, status and storage are the pipeline's own."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from core.settings import Settings
from extractors.checks import blocking_flags
from extractors.prepare import PagePreparer
from flows.intake import register_file
from flows.pipeline import Pipeline, run_document
from models.calibration import load_calibration, raw_from_evidence
from models.document import DocumentStatus
from models.extraction import ExtractedField, PageExtraction
from models.page import PreparedPage
from models.schemas import ExtractionSchema
from storage import repository as repo
from storage.blobs import BlobStore
from storage.database import make_engine, make_session_factory
from storage.migrate import upgrade
from tests.support.documents import invoice_pdf
from tests.support.truth import make_invoice_truth


class FixedAnswers:
    """An engine named like the local one that answers the same fields for every page."""

    name = "local"
    model = "fixed-answers"
    max_pages_per_call = 1

    def __init__(self, fields: dict[str, ExtractedField]) -> None:
        self.fields = fields

    async def extract(self, pages: Sequence[PreparedPage], schema: ExtractionSchema) -> PageExtraction:
        return PageExtraction(page_numbers=[pages[0].page_number], fields=self.fields)

    async def aclose(self) -> None:
        return None


def run(settings: Settings, tmp_path: Path, engine: FixedAnswers, schema: str = "invoice"):
    upgrade(settings)
    db = make_engine(settings)
    sessions = make_session_factory(db)
    blobs = BlobStore(settings.storage.blob_dir)
    path = tmp_path / "doc.pdf"
    path.write_bytes(invoice_pdf(make_invoice_truth(41)))
    intake = register_file(
        path, settings=settings, sessions=sessions, blobs=blobs, tenant="acme", schema_name=schema
    )

    async def go():
        async with PagePreparer(settings) as preparer:
            pipeline = Pipeline(
                settings=settings, sessions=sessions, blobs=blobs, preparer=preparer, engine=engine
            )
            return await run_document(pipeline, intake.document_id)

    try:
        result = asyncio.run(go())
        with sessions() as session:
            stored = repo.current_extraction(session, intake.document_id)
            assert stored is not None
            return result, stored.result, stored.fingerprint
    finally:
        db.dispose()


def answer(value, confidence, method="label:right") -> ExtractedField:
    return ExtractedField(value=value, confidence=confidence, page=1, source_text=str(value), method=method)


def test_calibrated_confidence_and_the_calibration_version_are_stored(settings: Settings, tmp_path: Path):
    calibration = load_calibration("local")
    fields = {
        "vendor_name": answer("ACME GmbH", 0.97),
        "invoice_number": answer("INV-7", 0.95),
        "invoice_date": answer("2025-03-01", 0.93),
        "total_amount": answer(119.0, 0.91, "keyword:total"),
    }
    run_result, result, fingerprint = run(settings, tmp_path, FixedAnswers(fields))
    assert fingerprint["calibration"] == calibration.version
    for name, given in fields.items():
        stored = result["fields"][name]
        assert raw_from_evidence(stored["evidence"]) == given.confidence
        expected = calibration.probability(
            given.confidence, field=name, kind=_kind(name), method=given.method
        )
        assert stored["confidence"] == expected
    # The status is the done rule's verdict on what was stored: done with no blocking flag,
    # else needs_review with the blocking flags as the reason.
    blocking = blocking_flags(result["review_flags"])
    if run_result.status is DocumentStatus.DONE:
        assert blocking == [] and run_result.reason is None
    else:
        assert run_result.status is DocumentStatus.NEEDS_REVIEW
        assert run_result.reason == "; ".join(blocking[:5])


def test_nothing_found_ends_needs_review_with_a_reason(settings: Settings, tmp_path: Path):
    run_result, result, _ = run(settings, tmp_path, FixedAnswers({}), schema="generic")
    assert run_result.status is DocumentStatus.NEEDS_REVIEW
    assert run_result.reason == "no_fields: no field was found"
    assert result["fields"] == {}


def test_an_essential_field_of_unknown_confidence_is_not_done(settings: Settings, tmp_path: Path):
    fields = {
        "vendor_name": answer("ACME GmbH", 0.99),
        "invoice_number": answer("INV-7", 0.99),
        "invoice_date": answer("2025-03-01", 0.99),
        "total_amount": answer(119.0, None),
    }
    run_result, _, _ = run(settings, tmp_path, FixedAnswers(fields))
    assert run_result.status is DocumentStatus.NEEDS_REVIEW
    assert "unknown_confidence: total_amount" in run_result.reason


def _kind(name: str) -> str:
    return {"invoice_date": "date", "total_amount": "money"}.get(name, "text")


def test_the_deployment_date_order_is_in_the_fingerprint(settings: Settings, tmp_path: Path) -> None:
    fields = {"vendor_name": answer("ACME GmbH", 0.97)}
    _, _, fingerprint = run(settings, tmp_path, FixedAnswers(fields))
    assert fingerprint["date_order"] == "auto"
    dmy = settings.replace(extraction={"date_order": "dmy"}, storage={"data_dir": tmp_path / "dmy"})
    _, _, fingerprint = run(dmy, tmp_path, FixedAnswers(fields))
    assert fingerprint["date_order"] == "dmy"
