"""A field whose confidence is unknown (None) is stored as NULL, read back as None, left out
of mean confidences, and never counts as confident, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from core.settings import Settings
from models.extraction import DocumentExtraction, ExtractedField
from storage.database import session_scope
from storage.repository import (
    DocumentQuery,
    add_extraction,
    current_extraction,
    field_report,
    query_documents,
)
from storage.repository.reports import field_report_from_fields
from tests.storage import migrated, register_pdf
from tests.support.documents import make_pdf


@pytest.fixture
def factory(db_settings: Settings) -> Iterator[sessionmaker[Session]]:
    yield from migrated(db_settings)


def _extraction(total_confidence: float | None) -> DocumentExtraction:
    def field(value: str | float, confidence: float | None) -> ExtractedField:
        flags = ["confidence_unknown"] if confidence is None else []
        return ExtractedField(value=value, confidence=confidence, page=1, flags=flags)

    return DocumentExtraction(
        schema_name="invoice",
        schema_version="1",
        engine="llama",
        fields={"invoice_number": field("INV-1", 0.8), "total_amount": field(12.5, total_confidence)},
    )


def test_unknown_confidence_is_stored_skipped_in_means_and_never_confident(
    factory: sessionmaker[Session],
) -> None:
    with session_scope(factory) as session:
        known, _ = register_pdf(session, make_pdf("known"))
        unknown, _ = register_pdf(session, make_pdf("unknown"))
        add_extraction(session, document_id=known.id, extraction=_extraction(0.9), fingerprint={})
        add_extraction(session, document_id=unknown.id, extraction=_extraction(None), fingerprint={})
        known_id, unknown_id = known.id, unknown.id

    with session_scope(factory) as session:
        stored = current_extraction(session, unknown_id)
        assert stored is not None
        back = DocumentExtraction.model_validate(stored.result)
        assert back.fields["total_amount"].confidence is None
        assert back.min_confidence == 0.8  # the known one; unknown is not a minimum of 0

        for report in (field_report, field_report_from_fields):
            rows = {r["field"]: r for r in report(session, tenant_scope=None, schema="invoice")}
            total = rows["total_amount"]
            assert total["values"] == 2 and total["filled"] == 2
            assert total["mean_confidence"] == pytest.approx(0.9)  # the unknown one left out
            assert rows["invoice_number"]["mean_confidence"] == pytest.approx(0.8)

        page = query_documents(session, query=DocumentQuery(min_confidence=0.5), tenant_scope=None)
        assert [r["document_id"] for r in page.rows] == [known_id]
        everything = query_documents(session, query=DocumentQuery(), tenant_scope=None)
        assert {r["document_id"] for r in everything.rows} == {known_id, unknown_id}
