"""How run_document ends a document when pages or the engine fail, or another worker holds it.

The pipeline is assembled by hand around the real preparer and database, with the in-process
fake engine (``tests.fakes.engine``) failing or raising on chosen pages: the statuses and
reasons come from the pipeline's own logic, the failures from the fake."""

from __future__ import annotations

import asyncio
from pathlib import Path

from core.settings import Settings
from extractors.prepare import PagePreparer
from flows.intake import register_file
from flows.pipeline import Pipeline, run_document
from models.document import DocumentStatus
from storage import repository as repo
from storage.blobs import BlobStore
from storage.database import make_engine, make_session_factory
from storage.migrate import upgrade
from tests.fakes.engine import FakeEngine
from tests.support.documents import invoice_pdf
from tests.support.truth import make_invoice_truth


def process(settings: Settings, data: bytes, tmp_path: Path, engine, *, owner: str | None = None):
    upgrade(settings)
    db = make_engine(settings)
    sessions = make_session_factory(db)
    blobs = BlobStore(settings.storage.blob_dir)
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    intake = register_file(
        path,
        settings=settings,
        sessions=sessions,
        blobs=blobs,
        tenant="acme",
        schema_name="invoice",
    )

    async def go():
        async with PagePreparer(settings) as preparer:
            pipeline = Pipeline(
                settings=settings, sessions=sessions, blobs=blobs, preparer=preparer, engine=engine
            )
            if owner is not None:
                pipeline.owner = owner
            return await run_document(pipeline, intake.document_id)

    try:
        run = asyncio.run(go())
        with sessions() as session:
            document = repo.get_document(session, intake.document_id)
            ledger = repo.ledger_for(session, intake.document_id)
        return run, document, ledger, sessions
    finally:
        db.dispose()


def test_one_failed_page_makes_the_document_partial_and_keeps_the_rest(db_settings, tmp_path):
    truth = make_invoice_truth(31)
    run, document, ledger, _ = process(
        db_settings, invoice_pdf(truth, pages=2), tmp_path, FakeEngine(truth.schema_values(), fail={1})
    )
    assert run.status is DocumentStatus.PARTIAL
    assert "page(s) 1 of 2 failed" in run.reason and "503 busy" in run.reason
    assert document.status is DocumentStatus.PARTIAL and document.page_count == 2
    # The failed attempt is a ledger row too.
    assert sorted((row.page_numbers, row.error_code) for row in ledger) == [
        ([1], "model_server"),
        ([2], None),
    ]


def test_an_engine_that_raises_fails_its_page_not_the_worker(settings, tmp_path):
    run, document, _, _ = process(
        settings,
        invoice_pdf(make_invoice_truth(32), pages=2),
        tmp_path,
        FakeEngine({}, crash={2}),
    )
    assert run.status is DocumentStatus.PARTIAL
    assert "engine bug on page 2" in run.reason


def test_every_page_failing_makes_the_document_failed(settings, tmp_path):
    run, document, _, _ = process(
        settings,
        invoice_pdf(make_invoice_truth(33), pages=2),
        tmp_path,
        FakeEngine({}, fail={1, 2}),
    )
    assert run.status is DocumentStatus.FAILED
    assert run.reason.startswith("all 2 page(s) failed")


def test_a_time_limit_nothing_can_meet_ends_the_document_with_a_reason(tmp_path):
    settings = Settings(
        _env_file=None,
        storage={"data_dir": tmp_path / "var"},
        pages={"render_timeout_s": 0.000001, "render_images": "always", "render_workers": 1},
    )
    run, document, _, _ = process(settings, invoice_pdf(make_invoice_truth(34)), tmp_path, FakeEngine({}))
    # Opening the file in a worker is bounded by the same limit: the file is rejected or its
    # page fails; either way it ends in a stated status with a reason, and nothing hangs.
    assert run.status in (DocumentStatus.FAILED, DocumentStatus.REJECTED)
    assert run.reason


def test_a_document_held_by_another_worker_is_left_alone(settings, tmp_path):
    upgrade(settings)
    db = make_engine(settings)
    sessions = make_session_factory(db)
    path = tmp_path / "doc.pdf"
    path.write_bytes(invoice_pdf(make_invoice_truth(35)))
    intake = register_file(
        path,
        settings=settings,
        sessions=sessions,
        blobs=BlobStore(settings.storage.blob_dir),
        tenant="acme",
        schema_name="invoice",
    )
    with sessions.begin() as session:
        assert (
            repo.claim_document(session, intake.document_id, owner="other-host:1", lease_seconds=600)
            is not None
        )
    db.dispose()

    async def go():
        db = make_engine(settings)
        try:
            async with PagePreparer(settings) as preparer:
                pipeline = Pipeline(
                    settings=settings,
                    sessions=make_session_factory(db),
                    blobs=BlobStore(settings.storage.blob_dir),
                    preparer=preparer,
                    engine=FakeEngine({}),
                )
                return await run_document(pipeline, intake.document_id)
        finally:
            db.dispose()

    run = asyncio.run(go())
    assert run.processed is False and run.status is DocumentStatus.PROCESSING
