"""Run files through Folio from the command line: intake, then the documents that need it.

Files already processed are answered from the database before anything starts (a stored
``blocked`` or ``rejected`` ending is run again when its cause has changed: ``flows.reruns``).
The rest run in this process (``flows.local_run``), or as one flow run of
``process-documents`` when a Prefect API is configured to record it.

Every path given ends in a row: a document's outcome, or why the file was not read
(``flows.folders``); ``RunObservers.on_outcome`` hears each row as its file ends. A stop
(``flows.stopping``) cancels the run: documents in progress go back to the queue at once,
and the rows say what finished.

The pipeline's modules (PyMuPDF, OCR, the engines) are imported only once there is work.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Callable, Coroutine
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
from flows.reruns import RerunCheck, rerun_reason
from flows.run_rows import OutcomeCallback, RunRows
from flows.runtime import prefect_api_configured
from flows.stopping import RELEASED_REASON, STOP_GRACE_S, StopRequest
from models.document import DocumentStatus
from models.outcome import SKIPPED, FileOutcome
from storage import repository as repo
from storage.blobs import BlobStore
from storage.database import make_engine, make_session_factory
from storage.migrate import upgrade

log = get_logger("batch_run")

ProgressCallback = Callable[[int, int], None]
StageCallback = Callable[[str], None]

# How often the progress display reads document statuses from the database.
_PROGRESS_INTERVAL_S = 0.25
# After a stop, how long the flow run may take to wind down before the rows are read
# anyway (Prefect reports the cancellation to its API, which may be gone after a Ctrl-C).
_WIND_DOWN_S = STOP_GRACE_S / 2


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


@dataclass(frozen=True)
class RunObservers:
    """Who hears about a run as it goes (each optional)."""

    on_progress: ProgressCallback | None = None  # (documents final, documents to run)
    on_outcome: OutcomeCallback | None = None  # each file's row as the file ends
    on_stage: StageCallback | None = None  # what the run is doing now, in a few words

    def stage(self, words: str) -> None:
        """Say what the run is doing now."""
        if self.on_stage is not None:
            self.on_stage(words)


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
    observers: RunObservers | None = None,
) -> list[FileOutcome]:
    """Register every file, process those that need it, and say where each file ended.

    ``stop``: once set, documents in progress are given back to the queue and the outcomes
    say where every file stands. ``owner``: the lease owner of this run's documents
    (default: a new one), so a caller can release them itself if the run does not end.
    ``on_progress`` is ``observers.on_progress`` for callers that need nothing else.
    """
    observers = observers or RunObservers(on_progress=on_progress)
    observers.stage("opening the database")
    upgrade(settings)
    db = make_engine(settings)
    sessions = make_session_factory(db)
    blobs = BlobStore(settings.storage.blob_dir)
    scan = scan_inputs(request.paths)
    _log_skipped(scan)
    skipped = [_skipped(entry, request.schema_name) for entry in scan.skipped]
    try:
        intakes: list[IntakeResult | FileOutcome] = []
        for number, path in enumerate(scan.files, start=1):
            if stop is not None and stop.is_set():
                intakes.append(_not_read(path, request.schema_name))
            else:
                observers.stage(f"reading files ({number}/{len(scan.files)})")
                intakes.append(_register(path, settings, sessions, blobs, request))
        to_run = _documents_to_run(sessions, intakes, request, settings)
        rows = RunRows(sessions, intakes, skipped, to_run, observers.on_outcome)
        rows.emit(final=set())  # what is answered from the database, at once
        stopped = stop is not None and stop.is_set()
        if to_run and not stopped:
            stopped = await _process(settings, sessions, request, to_run, observers, stop, owner, rows)
        rows.emit(final=None, stopped=stopped)
        return rows.all(stopped=stopped)
    finally:
        db.dispose()


async def quote_batch(settings: Settings, request: BatchRequest) -> list[dict[str, Any]]:
    """What processing the request's files would decide and cost (``flows.quotes.quote_files``:
    one JSON row a file), then a row for each entry that would not be read."""
    from flows.quotes import quote_files  # the page preparer: only when quoting

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


async def _process(  # noqa: PLR0913 - the run's parts, passed on from run_batch
    settings: Settings,
    sessions: sessionmaker[Session],
    request: BatchRequest,
    to_run: list[str],
    observers: RunObservers,
    stop: StopRequest | None,
    owner: str | None,
    rows: RunRows,
) -> bool:
    """Process ``to_run`` (here, or as one flow run when Prefect is configured); True when
    ``stop`` ended it early."""
    owner = owner or run_owner()
    run = asyncio.create_task(_start(settings, request, to_run, owner, observers))
    stop_asked = asyncio.create_task(stop.wait()) if stop is not None else None
    try:
        while not run.done():
            _report(sessions, to_run, observers, rows)
            waited = {run} if stop_asked is None else {run, stop_asked}
            await asyncio.wait(waited, timeout=_PROGRESS_INTERVAL_S)
            if stop_asked is not None and stop_asked.done() and not run.done():
                await _wind_down(sessions, run, owner, to_run)
                return True
    finally:
        if stop_asked is not None:
            stop_asked.cancel()
    run.result()
    _report(sessions, to_run, observers, rows)
    return False


def _start(
    settings: Settings, request: BatchRequest, to_run: list[str], owner: str, observers: RunObservers
) -> Coroutine[Any, Any, Any]:
    """The run of ``to_run``: one ``process-documents`` flow run when a Prefect API is
    configured (it records the run), else the same pipeline in this process."""
    if prefect_api_configured():
        observers.stage("starting the Prefect flow run")
        from flows.process import process_documents  # imports Prefect: after configure_prefect

        return process_documents(
            to_run,
            password=SecretStr(request.password) if request.password else None,
            engine=request.engine,
            settings=settings,
            owner=owner,
        )
    from flows.local_run import process_here

    return process_here(
        settings,
        to_run,
        password=request.password,
        engine=request.engine,
        owner=owner,
        on_stage=observers.on_stage,
    )


def _report(
    sessions: sessionmaker[Session], to_run: list[str], observers: RunObservers, rows: RunRows
) -> None:
    """Tell the observers which documents have ended so far."""
    if observers.on_progress is None and observers.on_outcome is None:
        return
    with sessions() as session:
        final = repo.final_document_ids(session, to_run)
    if observers.on_progress is not None:
        observers.on_progress(len(final), len(to_run))
    rows.emit(final=final)


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
    sessions: sessionmaker[Session],
    intakes: list[IntakeResult | FileOutcome],
    request: BatchRequest,
    settings: Settings,
) -> list[str]:
    """The documents this run processes: new ones, those in progress (the claim decides: an
    expired lease is taken over), every one with ``reprocess``, and stored ``blocked`` or
    ``rejected`` endings whose cause has changed (``flows.reruns``)."""
    ids: list[str] = []
    check = RerunCheck(settings, password_given=bool(request.password), engine=request.engine)
    for item in intakes:
        if not isinstance(item, IntakeResult) or item.document_id in ids:
            continue
        if item.status in (DocumentStatus.QUEUED, DocumentStatus.PROCESSING):
            ids.append(item.document_id)
            continue
        with sessions.begin() as session:
            reason = "reprocess" if request.reprocess else rerun_reason(session, check, item.document_id)
            if reason is None:
                continue
            tenant, _document = repo.document_tenant(session, document_id=item.document_id)
            if repo.requeue_document(
                session, document_id=item.document_id, reason=reason, rejected=True, licence_tier=tenant.tier
            ):
                ids.append(item.document_id)
    return ids
