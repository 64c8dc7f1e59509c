"""Run files through Folio from the command line: intake, then one flow run for the batch.

Every path given ends in a row: a document's outcome, or why the file was not read
(``flows.folders``). A stop (``flows.stopping``) cancels the flow run: documents in
progress go back to the queue at once, and the rows say what finished.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from core.errors import BadInputError
from core.logging import get_logger
from core.settings import Settings
from flows.folders import InputScan, SkippedEntry, os_error_reason, scan_inputs
from flows.intake import IntakeResult, register_file
from flows.pipeline import RELEASED_REASON
from flows.quotes import quote_files
from flows.results import load_outcome
from flows.stopping import STOP_GRACE_S, StopRequest
from models.document import DocumentStatus
from models.outcome import SKIPPED, FileOutcome
from storage import repository as repo
from storage.blobs import BlobStore
from storage.database import make_engine, make_session_factory
from storage.migrate import upgrade

log = get_logger("batch_run")

ProgressCallback = Callable[[int, int], None]

# How often the progress display reads document statuses from the database.
_PROGRESS_INTERVAL_S = 0.25
# After a stop, how long the flow run may take to wind down before the rows are read
# anyway (Prefect reports the cancellation to its API, which may be gone after a Ctrl-C).
_WIND_DOWN_S = STOP_GRACE_S / 2
# The reason of a document that was never started because the run stopped first.
NOT_STARTED_REASON = "the run was stopped before this document was started; it is queued"


@dataclass(frozen=True)
class BatchRequest:
    """What the caller asked for."""

    paths: list[Path]
    schema_name: str
    tenant: str
    engine: str | None = None
    password: str | None = None
    reprocess: bool = False
    dry_run: bool = False  # quote only (``quote_batch``): nothing registered, no engine called


def run_owner() -> str:
    """A lease owner for one command-line run (host, process and a random part)."""
    return f"{socket.gethostname()}:{os.getpid()}:run-{uuid.uuid4().hex[:8]}"


async def run_batch(
    settings: Settings,
    request: BatchRequest,
    *,
    on_progress: ProgressCallback | None = None,
    stop: StopRequest | None = None,
    owner: str | None = None,
) -> list[FileOutcome]:
    """Register every file, process those that need it, and say where each file ended.

    ``stop``: once set, documents in progress are given back to the queue and the outcomes
    say where every file stands. ``owner``: the lease owner of this run's documents
    (default: a new one), so a caller can release them itself if the run does not end.
    """
    upgrade(settings)
    db = make_engine(settings)
    sessions = make_session_factory(db)
    blobs = BlobStore(settings.storage.blob_dir)
    scan = scan_inputs(request.paths)
    _log_skipped(scan)
    skipped = [_skipped(entry, request.schema_name) for entry in scan.skipped]
    try:
        intakes: list[IntakeResult | FileOutcome] = []
        for path in scan.files:
            if stop is not None and stop.is_set():
                intakes.append(_not_read(path, request.schema_name))
            else:
                intakes.append(_register(path, settings, sessions, blobs, request))
        to_run = _documents_to_run(sessions, intakes, reprocess=request.reprocess)
        stopped = stop is not None and stop.is_set()
        if to_run and not stopped:
            stopped = await _process(settings, sessions, request, to_run, on_progress, stop, owner)
        return [_describe(sessions, item, stopped=stopped) for item in intakes] + skipped
    finally:
        db.dispose()


async def quote_batch(settings: Settings, request: BatchRequest) -> list[dict[str, Any]]:
    """What processing the request's files would decide and cost (``flows.quotes.quote_files``:
    one JSON row a file), then a row for each entry that would not be read."""
    upgrade(settings)
    db = make_engine(settings)
    scan = scan_inputs(request.paths)
    _log_skipped(scan)
    try:
        quotes = await quote_files(
            settings,
            make_session_factory(db),
            scan.files,
            tenant=request.tenant,
            schema_name=request.schema_name,
            engine_name=request.engine,
            password=request.password,
        )
    finally:
        db.dispose()
    return quotes + [_skipped(entry, request.schema_name).row() for entry in scan.skipped]


async def _process(
    settings: Settings,
    sessions: sessionmaker[Session],
    request: BatchRequest,
    to_run: list[str],
    on_progress: ProgressCallback | None,
    stop: StopRequest | None,
    owner: str | None,
) -> bool:
    """One flow run for ``to_run``; True when ``stop`` ended it early."""
    from flows.process import process_documents  # imports Prefect: after configure_prefect

    owner = owner or run_owner()
    flow_run = asyncio.create_task(
        process_documents(
            to_run,
            password=SecretStr(request.password) if request.password else None,
            engine=request.engine,
            settings=settings,
            owner=owner,
        )
    )
    stop_asked = asyncio.create_task(stop.wait()) if stop is not None else None
    try:
        while not flow_run.done():
            if on_progress is not None:
                on_progress(_count_final(sessions, to_run), len(to_run))
            waited = {flow_run} if stop_asked is None else {flow_run, stop_asked}
            await asyncio.wait(waited, timeout=_PROGRESS_INTERVAL_S)
            if stop_asked is not None and stop_asked.done() and not flow_run.done():
                await _wind_down(sessions, flow_run, owner, to_run)
                return True
    finally:
        if stop_asked is not None:
            stop_asked.cancel()
    flow_run.result()
    if on_progress is not None:
        on_progress(len(to_run), len(to_run))
    return False


async def _wind_down(
    sessions: sessionmaker[Session], flow_run: asyncio.Task[Any], owner: str, to_run: list[str]
) -> None:
    """Cancel the flow run (its documents in progress give themselves back), wait a little
    for Prefect to record it, then give back whatever this run still holds."""
    flow_run.cancel()
    await asyncio.wait({flow_run}, timeout=_WIND_DOWN_S)
    if not flow_run.done():
        log.warning("the flow run did not end %.0f s after the stop; not waiting", _WIND_DOWN_S)
    else:
        # Retrieved so a failure of the cancelled run is not reported as never retrieved.
        error = None if flow_run.cancelled() else flow_run.exception()
        if error is not None:
            log.info("the stopped flow run ended with %s", type(error).__name__)
    release_run(sessions, owner, to_run)


def release_run(sessions: sessionmaker[Session], owner: str, document_ids: list[str] | None) -> list[str]:
    """Give back every document ``owner`` still holds (queued again, lease cleared)."""
    with sessions.begin() as session:
        released = repo.release_documents(
            session, owner=owner, document_ids=document_ids, reason=RELEASED_REASON
        )
    if released:
        log.info("released %d document(s) still in progress: %s", len(released), ", ".join(released))
    return released


def _register(
    path: Path,
    settings: Settings,
    sessions: sessionmaker[Session],
    blobs: BlobStore,
    request: BatchRequest,
) -> IntakeResult | FileOutcome:
    """Intake for one file; a file that cannot be read is a ``rejected`` outcome, never an
    error that ends the run (the files registered before it would be left queued)."""
    try:
        return register_file(
            path,
            settings=settings,
            sessions=sessions,
            blobs=blobs,
            tenant=request.tenant,
            schema_name=request.schema_name,
        )
    except (OSError, BadInputError) as exc:  # unreadable, or no longer a regular file
        log.warning("%s could not be read: %s", path, exc)
        return FileOutcome(
            file=str(path),
            status=DocumentStatus.REJECTED,
            reason=os_error_reason(exc) if isinstance(exc, OSError) else exc.message,
            schema_name=request.schema_name,
        )


def _not_read(path: Path, schema_name: str) -> FileOutcome:
    return FileOutcome(
        file=str(path),
        status=SKIPPED,
        reason="the run was stopped before this file was read; run again to process it",
        skipped="stopped",
        schema_name=schema_name,
    )


def _skipped(entry: SkippedEntry, schema_name: str) -> FileOutcome:
    return FileOutcome(
        file=str(entry.path),
        status=entry.status,
        reason=entry.reason,
        skipped=entry.kind,
        schema_name=schema_name,
    )


def _log_skipped(scan: InputScan) -> None:
    for entry in scan.skipped:
        log.info("%s %s: %s", entry.path, entry.status, entry.reason)


def _documents_to_run(
    sessions: sessionmaker[Session], intakes: list[IntakeResult | FileOutcome], *, reprocess: bool
) -> list[str]:
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


def _count_final(sessions: sessionmaker[Session], ids: list[str]) -> int:
    with sessions() as session:
        return repo.count_final(session, ids)


def _describe(
    sessions: sessionmaker[Session], item: IntakeResult | FileOutcome, *, stopped: bool = False
) -> FileOutcome:
    if isinstance(item, FileOutcome):
        return item
    with sessions() as session:
        document = load_outcome(session, item.document_id)
    not_started = stopped and document.status is DocumentStatus.QUEUED and not document.reason
    return FileOutcome.of_document(
        item.file,
        document,
        duplicate=not item.created,
        reason=NOT_STARTED_REASON if not_started else None,
    )
