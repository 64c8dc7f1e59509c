"""Run files through Folio from the command line: intake, then one flow run for the batch."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from core.settings import Settings
from flows.intake import IntakeResult, iter_input_files, register_file
from flows.policy import cost_summary, quote_files
from flows.results import document_summary
from models.document import DocumentStatus
from storage import repository as repo
from storage.blobs import BlobStore
from storage.database import make_engine, make_session_factory
from storage.migrate import upgrade

ProgressCallback = Callable[[int, int], None]

# How often the progress display reads document statuses from the database.
_PROGRESS_INTERVAL_S = 0.25


@dataclass(frozen=True)
class BatchRequest:
    """What the caller asked for."""

    paths: list[Path]
    schema_name: str
    tenant: str
    engine: str | None = None
    password: str | None = None
    reprocess: bool = False
    dry_run: bool = False  # issue 4: quote only; nothing registered, no engine called


async def run_batch(
    settings: Settings, request: BatchRequest, *, on_progress: ProgressCallback | None = None
) -> list[dict[str, Any]]:
    """Register every file, process those that need it, and describe each file's outcome."""
    upgrade(settings)
    db = make_engine(settings)
    sessions = make_session_factory(db)
    blobs = BlobStore(settings.blob_dir)
    if request.dry_run:  # cost and licence (issue 4): quotes without registering or calling
        try:
            return await quote_files(
                settings,
                sessions,
                iter_input_files(request.paths),
                tenant=request.tenant,
                schema_name=request.schema_name,
                engine_name=request.engine,
                password=request.password,
            )
        finally:
            db.dispose()
    try:
        from flows.process import process_documents  # imports Prefect: after configure_prefect

        intakes: list[IntakeResult | dict[str, Any]] = []
        for path in iter_input_files(request.paths):
            if not path.is_file():
                intakes.append(
                    {
                        "file": str(path),
                        "document_id": None,
                        "status": "rejected",
                        "reason": "no such file",
                        "schema": request.schema_name,
                    }
                )
                continue
            intakes.append(
                register_file(
                    path,
                    settings=settings,
                    sessions=sessions,
                    blobs=blobs,
                    tenant=request.tenant,
                    schema_name=request.schema_name,
                )
            )
        to_run = _documents_to_run(sessions, intakes, reprocess=request.reprocess)
        if to_run:
            flow_run = asyncio.create_task(
                process_documents(
                    to_run,
                    password=SecretStr(request.password) if request.password else None,
                    engine=request.engine,
                    settings=settings,
                )
            )
            while not flow_run.done():
                if on_progress is not None:
                    on_progress(_count_final(sessions, to_run), len(to_run))
                await asyncio.wait({flow_run}, timeout=_PROGRESS_INTERVAL_S)
            flow_run.result()
            if on_progress is not None:
                on_progress(len(to_run), len(to_run))
        return [_describe(sessions, item) for item in intakes]
    finally:
        db.dispose()


def _documents_to_run(sessions: Any, intakes: list[Any], *, reprocess: bool) -> list[str]:
    ids: list[str] = []
    for item in intakes:
        if not isinstance(item, IntakeResult) or item.document_id in ids:
            continue
        if item.status is DocumentStatus.QUEUED:
            ids.append(item.document_id)
        elif reprocess and item.status is not DocumentStatus.REJECTED:
            with sessions.begin() as session:
                if repo.requeue_document(session, document_id=item.document_id):
                    ids.append(item.document_id)
        elif item.status is DocumentStatus.PROCESSING:
            ids.append(item.document_id)  # the claim decides: an expired lease is taken over
    return ids


def _count_final(sessions: Any, ids: list[str]) -> int:
    with sessions() as session:
        return repo.count_final(session, ids)


def _describe(sessions: Any, item: IntakeResult | dict[str, Any]) -> dict[str, Any]:
    if isinstance(item, dict):
        return item
    with sessions() as session:
        summary = document_summary(session, item.document_id)
        costs = cost_summary(session, item.document_id)  # issue 4: policy decision and quote
    return {"file": item.file, **summary, **costs, "duplicate": not item.created}
