"""Repository functions on SQLite and PostgreSQL: registration, statuses, pages, results, cost."""

from __future__ import annotations

import datetime as dt
import random
import threading
from collections.abc import Iterator
from decimal import Decimal

import pymupdf
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session, sessionmaker

from core.errors import InternalError
from core.settings import Settings
from models.document import DocumentStatus, FileKind
from models.extraction import DocumentExtraction, ExtractedField, PageFailure
from models.page import PageImage, PageRoute, PreparedPage, TextQuality, TileGrid
from models.usage import EngineCall
from storage.database import session_scope
from storage.repository import (
    DocumentNotFoundError,
    add_extraction,
    add_usage,
    claim_document,
    current_extraction,
    extraction_history,
    finish_document,
    get_document,
    get_or_create_tenant,
    ledger_for,
    list_documents,
    pages_of,
    save_pages,
    set_document_status,
)
from storage.tables import Document, Extraction, Tenant
from tests.storage import migrated, register_pdf
from tests.support.documents import make_jpeg, make_pdf


@pytest.fixture
def factory(db_settings: Settings) -> Iterator[sessionmaker[Session]]:
    yield from migrated(db_settings)


def _count(factory: sessionmaker[Session], model: type, *where: object) -> int:
    with session_scope(factory) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0


# --- tenants and registration -------------------------------------------------------------


def test_get_or_create_tenant_returns_one_row_per_name(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as session:
        first = get_or_create_tenant(session, name="acme", tier="standard")
    with session_scope(factory) as session:
        again = get_or_create_tenant(session, name="acme", tier="enterprise")
        other = get_or_create_tenant(session, name="globex", tier="enterprise")
    assert again.id == first.id and again.tier == "standard"  # an existing tier is kept
    assert other.id != first.id and other.tier == "enterprise"
    assert _count(factory, Tenant) == 2


def test_registration_is_idempotent_per_tenant_content_and_schema(
    factory: sessionmaker[Session],
) -> None:
    data = make_pdf("Invoice INV-7", "Total 42.00")
    with session_scope(factory) as session:
        first, created = register_pdf(session, data, file_name="inv.pdf")
    assert created
    with session_scope(factory) as session:
        again, created_again = register_pdf(session, data, file_name="renamed.pdf")
        other_schema, created_schema = register_pdf(session, data, schema_name="receipt")
        other_tenant, created_tenant = register_pdf(session, data, tenant="globex")

    assert (again.id, created_again, again.file_name) == (first.id, False, "inv.pdf")
    assert created_schema and created_tenant
    assert len({first.id, other_schema.id, other_tenant.id}) == 3
    assert _count(factory, Document) == 3

    with session_scope(factory) as session:
        stored = get_document(session, first.id)
    assert stored is not None
    assert len(stored.id) == 36
    assert stored.kind is FileKind.PDF and stored.status is DocumentStatus.QUEUED
    assert stored.size_bytes == len(data) and stored.cost_usd == Decimal(0)
    assert (stored.attempts, stored.priority, stored.page_count) == (0, 0, None)


def test_a_document_registered_as_rejected_is_finished_with_its_reason(
    factory: sessionmaker[Session],
) -> None:
    data = b"%PDF-1.7\n" + make_pdf("truncated")[:200]
    with session_scope(factory) as session:
        document, _ = register_pdf(
            session,
            data,
            status=DocumentStatus.REJECTED,
            reason="the PDF is truncated",
            error_code="corrupt",
            blob_key=None,
        )
    with session_scope(factory) as session:
        stored = get_document(session, document.id)
    assert stored is not None
    assert stored.status is DocumentStatus.REJECTED
    assert (stored.reason, stored.error_code, stored.blob_key) == (
        "the PDF is truncated",
        "corrupt",
        None,
    )
    assert stored.finished_at is not None


def test_a_file_of_unknown_type_is_registered_without_a_kind(
    factory: sessionmaker[Session],
) -> None:
    data = b"MZ\x90\x00 not a document at all " + make_pdf("hidden")[:64]
    with session_scope(factory) as session:
        document, created = register_pdf(
            session,
            data,
            kind=None,
            media_type="application/octet-stream",
            status=DocumentStatus.REJECTED,
            reason="not a PDF or an image",
            error_code="unsupported_type",
        )
    with session_scope(factory) as session:
        stored = get_document(session, document.id)
    assert created and stored is not None
    assert (stored.kind, stored.status) == (None, DocumentStatus.REJECTED)
    with session_scope(factory) as session, pytest.raises(ValueError):
        register_pdf(session, data, schema_name="receipt", kind="exe")


def test_concurrent_registrations_of_the_same_bytes_give_one_row(
    factory: sessionmaker[Session],
) -> None:
    data = make_pdf("Same file, two uploads")
    with session_scope(factory) as session:
        get_or_create_tenant(session, name="acme", tier="standard")
    results: list[tuple[str, bool]] = []
    errors: list[BaseException] = []

    def register_in_thread() -> None:
        try:
            with session_scope(factory) as session:
                document, created = register_pdf(session, data)
                results.append((document.id, created))
        except BaseException as exc:  # noqa: BLE001 - a thread's error is surfaced by the assertions below
            errors.append(exc)

    # The first registration stays uncommitted while the second one runs: the second
    # must wait for it and then return the first one's row.
    with session_scope(factory) as holder:
        held, held_created = register_pdf(holder, data)
        second = threading.Thread(target=register_in_thread)
        second.start()
        second.join(timeout=0.5)
    second.join()

    assert errors == []
    assert held_created
    assert results == [(held.id, False)]
    assert _count(factory, Document) == 1


def test_many_threads_registering_at_once_give_one_row(factory: sessionmaker[Session]) -> None:
    data = make_pdf("Burst of uploads")
    barrier = threading.Barrier(6)
    results: list[tuple[str, bool]] = []

    def register_in_thread() -> None:
        barrier.wait()
        with session_scope(factory) as session:
            document, created = register_pdf(session, data)
            results.append((document.id, created))

    threads = [threading.Thread(target=register_in_thread) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 6
    assert len({document_id for document_id, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert _count(factory, Document) == 1


def test_get_document_is_scoped_to_the_tenant(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as session:
        document, _ = register_pdf(session, make_pdf("acme only"), tenant="acme")
        globex = get_or_create_tenant(session, name="globex", tier="standard")
    with session_scope(factory) as session:
        assert get_document(session, document.id, tenant_id=document.tenant_id) is not None
        assert get_document(session, document.id, tenant_id=globex.id) is None
        assert get_document(session, "00000000-0000-4000-8000-000000000000") is None


def test_list_documents_filters_and_puts_the_newest_first(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as session:
        acme = [register_pdf(session, make_pdf(f"acme {n}"))[0] for n in range(4)]
        globex = register_pdf(session, make_pdf("globex 0"), tenant="globex")[0]
        set_document_status(session, document_id=acme[1].id, status=DocumentStatus.PROCESSING)
    with session_scope(factory) as session:
        everything = list_documents(session)
        of_acme = list_documents(session, tenant_id=acme[0].tenant_id)
        processing = list_documents(session, status=DocumentStatus.PROCESSING)
        newest_two = list_documents(session, tenant_id=acme[0].tenant_id, limit=2)

    registered = [*acme, globex]
    assert [d.id for d in everything] == [
        d.id for d in sorted(registered, key=lambda d: d.created_at, reverse=True)
    ]
    assert {d.id for d in of_acme} == {d.id for d in acme}
    assert [d.id for d in processing] == [acme[1].id]
    assert [d.id for d in newest_two] == [d.id for d in of_acme[:2]]


def test_set_document_status_records_intermediate_states_only(
    factory: sessionmaker[Session],
) -> None:
    data = make_pdf("three pages", pages=3)
    with session_scope(factory) as session:
        document, _ = register_pdf(session, data)
    page_count = pymupdf.open(stream=data, filetype="pdf").page_count
    with session_scope(factory) as session:
        claimed = claim_document(session, document.id, owner="w1", lease_seconds=60)
        assert claimed is not None
        updated = set_document_status(
            session,
            document_id=document.id,
            status=DocumentStatus.PROCESSING,
            page_count=page_count,
        )
        assert updated.page_count == page_count and updated.lease_owner == "w1"
        with pytest.raises(InternalError):
            set_document_status(session, document_id=document.id, status=DocumentStatus.DONE)
        requeued = set_document_status(
            session, document_id=document.id, status=DocumentStatus.QUEUED, reason="retry"
        )
    assert requeued.status is DocumentStatus.QUEUED and requeued.reason == "retry"
    assert requeued.lease_owner is None and requeued.lease_expires_at is None
    with session_scope(factory) as session, pytest.raises(DocumentNotFoundError):
        set_document_status(session, document_id="missing", status=DocumentStatus.QUEUED)


# --- pages ----------------------------------------------------------------------------------


def _prepared_pages(data: bytes) -> list[PreparedPage]:
    """PreparedPages built from a real PDF: its text, its size and a rendered page image."""
    pages = []
    with pymupdf.open(stream=data, filetype="pdf") as pdf:
        for index, page in enumerate(pdf):
            text = page.get_text()
            pixmap = page.get_pixmap(dpi=36)
            grid = TileGrid(cols=1 + index % 2, rows=1)
            pages.append(
                PreparedPage(
                    page_number=index + 1,
                    width_pt=page.rect.width,
                    height_pt=page.rect.height,
                    text=text,
                    text_quality=TextQuality.GOOD if text.strip() else TextQuality.EMPTY,
                    route=PageRoute.BOTH,
                    image=PageImage(
                        jpeg=make_jpeg(pixmap.width, pixmap.height),
                        width=pixmap.width,
                        height=pixmap.height,
                        grid=grid,
                        estimated_tokens=145 * grid.tiles + 147,
                    ),
                    estimated_text_tokens=len(text) // 4,
                    prepare_ms=1.5 * (index + 1),
                )
            )
    return pages


def test_save_pages_stores_each_page_and_a_reprocess_replaces_them(
    factory: sessionmaker[Session],
) -> None:
    data = make_pdf("Page text for the layer", pages=3)
    pages = _prepared_pages(data)
    with session_scope(factory) as session:
        document, _ = register_pdf(session, data)
        save_pages(session, document_id=document.id, pages=pages)
    with session_scope(factory) as session:
        stored = pages_of(session, document.id)
    assert [p.page_number for p in stored] == [p.page_number for p in pages]
    for row, page in zip(stored, pages, strict=True):
        assert page.image is not None
        assert (row.width_pt, row.height_pt) == (page.width_pt, page.height_pt)
        assert (row.text_quality, row.route) == (page.text_quality, page.route)
        assert row.estimated_image_tokens == page.image.estimated_tokens
        assert (row.image_width, row.image_height) == (page.image.width, page.image.height)
        assert row.tiles == page.image.grid.tiles and row.status == "ok"

    failed = pages[1].model_copy(
        update={"image": None, "error_code": "page_timeout", "error": "render took too long"}
    )
    with session_scope(factory) as session:
        save_pages(session, document_id=document.id, pages=[failed])
    with session_scope(factory) as session:
        stored = pages_of(session, document.id)
    assert len(stored) == len(pages)
    assert (stored[1].status, stored[1].error_code, stored[1].tiles) == (
        "failed",
        "page_timeout",
        None,
    )
    assert stored[0].status == "ok"


# --- extractions ----------------------------------------------------------------------------


def _extraction(total: str, engine: str = "local") -> DocumentExtraction:
    return DocumentExtraction(
        schema_name="invoice",
        schema_version="1",
        engine=engine,
        fields={
            "invoice_number": ExtractedField(value="INV-7", confidence=0.9, page=1),
            "total": ExtractedField(value=total, confidence=0.8, page=1, source_text=total),
        },
        page_failures=[PageFailure(page_number=2, code="page_timeout", message="slow")],
        review_flags=["low_confidence:total"],
    )


def test_reprocessing_adds_a_version_and_moves_current(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as session:
        document, _ = register_pdf(session, make_pdf("Invoice INV-7"))
        first = add_extraction(
            session, document_id=document.id, extraction=_extraction("42.00"), fingerprint={"v": 1}
        )
    second_result = _extraction("42.50", engine="llama")
    with session_scope(factory) as session:
        second = add_extraction(
            session, document_id=document.id, extraction=second_result, fingerprint={"v": 2}
        )
    with session_scope(factory) as session:
        history = extraction_history(session, document.id)
        current = current_extraction(session, document.id)

    assert [(e.version, e.is_current) for e in history] == [(1, False), (2, True)]
    assert [e.id for e in history] == [first.id, second.id]
    assert current is not None and current.id == second.id
    assert current.result == second_result.model_dump(mode="json")
    assert DocumentExtraction.model_validate(current.result) == second_result
    assert (current.engine, current.review_flags, current.fingerprint) == (
        "llama",
        second_result.review_flags,
        {"v": 2},
    )


def test_the_database_rejects_two_current_versions(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as session:
        document, _ = register_pdf(session, make_pdf("Invoice INV-8"))
        add_extraction(session, document_id=document.id, extraction=_extraction("1.00"), fingerprint={})
    result = _extraction("2.00").model_dump(mode="json")

    def extra_row(version: int, is_current: bool) -> Extraction:
        return Extraction(
            document_id=document.id,
            version=version,
            is_current=is_current,
            schema_name="invoice",
            schema_version="1",
            engine="local",
            result=result,
            review_flags=[],
            fingerprint={},
        )

    with pytest.raises(IntegrityError), session_scope(factory) as session:
        session.add(extra_row(2, True))
        session.flush()
    # Versions that are not current may be many.
    with session_scope(factory) as session:
        session.add_all([extra_row(2, False), extra_row(3, False)])
    with session_scope(factory) as session:
        assert current_extraction(session, document.id) is not None
    assert _count(factory, Extraction, Extraction.is_current.is_(True)) == 1


# --- ledger and cost -----------------------------------------------------------------------


def _calls(rng: random.Random, count: int) -> list[EngineCall]:
    """Engine calls with random costs (8 decimals) and a failed attempt now and then."""
    calls = []
    for number in range(count):
        failed = number % 4 == 3
        calls.append(
            EngineCall(
                engine="llama",
                model="meta-llama/Llama-4-Scout-17B-16E-Instruct",
                page_numbers=[number + 1],
                attempt=2 if failed else 1,
                estimated_prompt_tokens=rng.randint(100, 3000),
                estimated_image_tokens=rng.choice([0, 747, 2467]),
                prompt_tokens=None if failed else rng.randint(100, 3000),
                completion_tokens=None if failed else rng.randint(10, 500),
                image_tokens=None if failed else rng.randint(0, 2467),
                latency_ms=rng.uniform(50, 5000),
                finish_reason=None if failed else "stop",
                http_status=503 if failed else 200,
                cost_usd=Decimal(rng.randint(0, 10**7)).scaleb(-8),
                price_version="2025-04",
                error_code="model_server" if failed else None,
                error="upstream unavailable" if failed else None,
            )
        )
    return calls


def test_cost_is_the_exact_sum_of_the_ledger(factory: sessionmaker[Session]) -> None:
    calls = _calls(random.Random(11), 13)
    with session_scope(factory) as session:
        document, _ = register_pdf(session, make_pdf("Invoice with costs"))
        extraction = add_extraction(
            session, document_id=document.id, extraction=_extraction("9.99"), fingerprint={}
        )
        rows = add_usage(session, document_id=document.id, extraction_id=extraction.id, calls=calls[:8])
        add_usage(session, document_id=document.id, extraction_id=None, calls=calls[8:])
        finished = finish_document(
            session, document_id=document.id, status=DocumentStatus.DONE, engine="llama"
        )
    assert len(rows) == 8 and all(row.id is not None for row in rows)

    with session_scope(factory) as session:
        ledger = ledger_for(session, document.id)
        stored = get_document(session, document.id)
    assert stored is not None
    assert stored.cost_usd == finished.cost_usd == sum((c.cost_usd for c in calls), Decimal(0))
    assert stored.cost_usd == sum((row.cost_usd for row in ledger), Decimal(0))
    assert isinstance(stored.cost_usd, Decimal)
    for row, call in zip(ledger, calls, strict=True):
        as_call = EngineCall.model_validate({name: getattr(row, name) for name in EngineCall.model_fields})
        assert as_call == call
    assert [row.extraction_id for row in ledger] == [extraction.id] * 8 + [None] * 5


def test_finishing_without_calls_costs_nothing(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as session:
        document, _ = register_pdf(session, make_pdf("blocked one"))
        finished = finish_document(
            session,
            document_id=document.id,
            status=DocumentStatus.BLOCKED,
            reason="monthly budget spent",
            error_code="policy",
        )
    assert finished.cost_usd == Decimal(0)
    assert (finished.status, finished.reason) == (DocumentStatus.BLOCKED, "monthly budget spent")
    with session_scope(factory) as session, pytest.raises(InternalError):
        finish_document(session, document_id=document.id, status=DocumentStatus.QUEUED)
    with session_scope(factory) as session, pytest.raises(DocumentNotFoundError):
        finish_document(session, document_id="missing", status=DocumentStatus.DONE)


# --- time -----------------------------------------------------------------------------------


def test_datetimes_come_back_aware_and_in_utc(factory: sessionmaker[Session]) -> None:
    before = dt.datetime.now(dt.UTC)
    # A claim time given in another zone is the same instant, stored and returned in UTC.
    claim_time = dt.datetime(2030, 5, 17, 9, 30, 15, 123456, tzinfo=dt.timezone(dt.timedelta(hours=5)))
    with session_scope(factory) as session:
        document, _ = register_pdf(session, make_pdf("clock"))
        claim_document(session, document.id, owner="w1", lease_seconds=90, now=claim_time)
    after = dt.datetime.now(dt.UTC)

    with session_scope(factory) as session:
        stored = session.scalars(sa.select(Document).where(Document.id == document.id)).one()
        tenant = session.get(Tenant, stored.tenant_id)
    assert tenant is not None
    stamps = [stored.created_at, stored.updated_at, stored.started_at, stored.lease_expires_at]
    for stamp in [*stamps, tenant.created_at]:
        assert stamp is not None and stamp.utcoffset() == dt.timedelta(0)
    assert before <= stored.created_at <= after
    assert stored.started_at == claim_time
    assert stored.lease_expires_at == claim_time + dt.timedelta(seconds=90)


def test_naive_datetimes_are_refused(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as session:
        document, _ = register_pdf(session, make_pdf("naive"))
    with session_scope(factory) as session, pytest.raises(StatementError, match="naive"):
        claim_document(session, document.id, owner="w1", lease_seconds=5, now=dt.datetime(2030, 1, 1))


def test_session_scope_rolls_back_on_error(factory: sessionmaker[Session]) -> None:
    with pytest.raises(RuntimeError), session_scope(factory) as session:
        register_pdf(session, make_pdf("never committed"))
        raise RuntimeError("boom")
    assert _count(factory, Document) == 0
    assert _count(factory, Tenant) == 0
