"""The document pipeline assembled in-process around any engine, for tests of the pipeline
itself: the real database, blob store, intake and page preparer, with the engine given
(``tests.fakes.engine.FakeEngine`` where reading is not what is tested). No Prefect.

    run = process_bytes(settings, invoice_pdf(truth), FakeEngine(truth.schema_values()))
    assert stored(settings, run.document_id).document.status == run.status
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from core.settings import Settings
from extractors.engines.base import Engine
from extractors.prepare import PagePreparer
from flows.intake import register_file
from flows.pipeline import DocumentRun, Pipeline, run_document
from storage import repository as repo
from storage.blobs import BlobStore
from storage.database import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.tables import Document, Extraction, UsageLedgerEntry


@asynccontextmanager
async def fake_pipeline(settings: Settings, engine: Engine) -> AsyncIterator[Pipeline]:
    """A pipeline on the (migrated) database of ``settings`` that extracts with ``engine``;
    the engine is closed with it."""
    upgrade(settings)
    db = make_engine(settings)
    try:
        async with PagePreparer(settings) as preparer:
            try:
                yield Pipeline(
                    settings=settings,
                    sessions=make_session_factory(db),
                    blobs=BlobStore(settings.storage.blob_dir),
                    preparer=preparer,
                    engine=engine,
                )
            finally:
                await engine.aclose()
    finally:
        db.dispose()


def process_bytes(
    settings: Settings,
    data: bytes,
    engine: Engine,
    *,
    name: str = "doc.pdf",
    tenant: str = "acme",
    schema: str = "invoice",
) -> DocumentRun:
    """Register ``data`` as a file of ``tenant`` and run it through a pipeline around
    ``engine``, the way a worker does."""
    folder = settings.storage.data_dir / "incoming"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)

    async def go() -> DocumentRun:
        async with fake_pipeline(settings, engine) as pipeline:
            intake = register_file(
                path,
                settings=settings,
                sessions=pipeline.sessions,
                blobs=pipeline.blobs,
                tenant=tenant,
                schema_name=schema,
            )
            return await run_document(pipeline, intake.document_id)

    return asyncio.run(go())


@dataclass(frozen=True)
class Stored:
    """What the database holds for one document: its row, current result and ledger rows."""

    document: Document
    extraction: Extraction | None
    ledger: list[UsageLedgerEntry]


def stored(settings: Settings, document_id: str) -> Stored:
    """Read back what the pipeline stored for ``document_id``."""
    db = make_engine(settings)
    try:
        with make_session_factory(db)() as session:
            document = repo.get_document(session, document_id)
            assert document is not None, document_id
            return Stored(
                document=document,
                extraction=repo.current_extraction(session, document_id),
                ledger=list(repo.ledger_for(session, document_id)),
            )
    finally:
        db.dispose()
