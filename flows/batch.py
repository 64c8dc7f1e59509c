"""Batch ingest: scan a source, register what is new, process it with bounded concurrency,
and mark each file done or failed. Plain asyncio; the Prefect flow ``batch-ingest`` in
``flows.process`` wraps it (a task run per document, artifacts).

Never twice: the ``source_files`` table remembers every file by (source, path, size,
mtime), and intake dedupes by content. Resumable: a file whose document was registered but
not ended (a crash, a killed worker) stays ``registered`` there, and the next run finishes
it; the claim in ``run_document`` makes sure no document is processed twice.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from core.errors import BadInputError
from core.logging import get_logger
from core.settings import Settings
from flows.folders import os_error_reason
from flows.intake import IntakeResult, register_file
from flows.pipeline import RELEASED_REASON, DocumentRun, Pipeline, open_pipeline, run_document
from flows.results import load_outcome
from flows.schemas import resolve_schema
from flows.sources import Source, SourceChangedError, SourceItem, SourceSkip
from flows.stopping import STOP_GRACE_S, StopRequest
from models.document import DocumentStatus
from models.outcome import BatchReport, FileOutcome, FileStatus
from storage import repository as repo
from storage.blobs import BlobStore
from storage.database import make_engine, make_session_factory
from storage.migrate import upgrade

log = get_logger("batch")

# Documents in these statuses ended well: their files go to done/, the others to failed/.
GOOD_ENDINGS = frozenset({DocumentStatus.DONE, DocumentStatus.PARTIAL, DocumentStatus.NEEDS_REVIEW})

# How often an idle batch worker checks whether the run was stopped.
_STOP_POLL_S = 0.5
# After a stop, how long the workers may take to give their documents back and Prefect to
# record it, before the run reports anyway (its documents are released either way).
_WIND_DOWN_S = STOP_GRACE_S / 2

RunOne = Callable[[Pipeline, str], Awaitable[DocumentRun]]


@dataclass(frozen=True)
class BatchFileOutcome:
    """How one file of the batch ended (or where it stands, if another worker holds it)."""

    key: str  # the file's path inside the source
    file: FileOutcome  # its location in the source, and its document's outcome

    @property
    def status(self) -> FileStatus:
        return self.file.status

    @property
    def reason(self) -> str | None:
        return self.file.reason

    @property
    def document_id(self) -> str | None:
        return self.file.document_id

    @property
    def pages(self) -> int | None:
        return self.file.pages

    @property
    def cost_usd(self) -> Decimal:
        return self.file.cost_usd

    @property
    def duplicate(self) -> bool:
        return self.file.duplicate


@dataclass(frozen=True)
class BatchProgress:
    """Where the batch stands: sent after the scan and after every file."""

    documents_total: int
    documents_done: int
    pages_done: int
    cost_usd: Decimal
    elapsed_s: float

    @property
    def pages_per_s(self) -> float:
        """Pages finished per second so far."""
        return self.pages_done / self.elapsed_s if self.elapsed_s > 0 else 0.0


@dataclass
class BatchSummary:
    """What one batch run did."""

    source: str
    files_seen: int = 0
    registered: int = 0  # new files registered by this run
    resumed: int = 0  # files registered by an earlier run and finished by this one
    skipped_known: int = 0  # ended in an earlier run
    skipped_unsettled: int = 0  # still being written, or changed after the scan
    skipped: dict[str, int] = field(default_factory=dict)  # entries not read, by kind
    processed: int = 0  # documents this run brought to a final status
    pages: int = 0
    cost_usd: Decimal = Decimal(0)
    elapsed_s: float = 0.0
    outcomes: list[BatchFileOutcome] = field(default_factory=list)
    stopped: str | None = None  # the signal that stopped the run before it ended

    @property
    def by_status(self) -> dict[str, int]:
        """Files per final (or current) document status."""
        return dict(Counter(str(o.status) for o in self.outcomes))

    def report(self, flow_run_id: str | None = None) -> BatchReport:
        """The counts without the per-file outcomes (the flow's return value)."""
        return BatchReport(
            source=self.source,
            files_seen=self.files_seen,
            registered=self.registered,
            resumed=self.resumed,
            skipped_known=self.skipped_known,
            skipped_unsettled=self.skipped_unsettled,
            skipped=dict(self.skipped),
            stopped=self.stopped,
            processed=self.processed,
            by_status=self.by_status,
            pages=self.pages,
            cost_usd=self.cost_usd,
            elapsed_s=round(self.elapsed_s, 3),
            flow_run_id=flow_run_id,
        )


@dataclass(frozen=True)
class BatchHooks:
    """How a caller follows and steers a batch run; every hook is optional.

    ``on_document`` and ``on_progress`` may be plain functions or coroutine functions;
    ``on_registered`` is called (plain) in the registering thread. ``run_one`` processes one
    document (default ``run_document``; the Prefect flow wraps it in a task run). ``stop``:
    once set, no new file is started, documents in progress go back to the queue (their
    files stay registered, and the next run resumes them) and the summary says ``stopped``.
    """

    on_document: Callable[[BatchFileOutcome], Any] | None = None
    on_progress: Callable[[BatchProgress], Any] | None = None
    on_registered: Callable[[IntakeResult], Any] | None = None
    run_one: RunOne | None = None
    stop: StopRequest | None = None


@dataclass(frozen=True)
class _Target:
    """Where the run's new files are registered (the settings' defaults filled in)."""

    schema_name: str
    tenant: str


@dataclass(frozen=True)
class _Work:
    source_file_id: int | None
    item: SourceItem
    document_id: str | None
    duplicate: bool
    resumed: bool
    failure: str | None = None  # the file could not be registered at all


async def _call(callback: Callable[[Any], Any] | None, value: Any) -> None:
    if callback is None:
        return
    result = callback(value)
    if inspect.isawaitable(result):
        await result


async def run_batch_ingest(
    settings: Settings,
    source: Source,
    *,
    schema_name: str | None = None,
    tenant: str | None = None,
    engine: str | None = None,
    hooks: BatchHooks | None = None,
) -> BatchSummary:
    """Ingest everything new in ``source`` and finish what an earlier run left; every file
    ends done or failed with a reason, and no bad file stops the run. Entries the source
    does not read (hidden, links, special files) are reported as ``skipped`` outcomes.
    ``hooks``: callbacks, the way one document is run, and the stop request (``BatchHooks``).
    """
    started = time.perf_counter()
    hooks = hooks or BatchHooks()
    target = _Target(
        schema_name=schema_name or settings.tenancy.default_schema,
        tenant=tenant or settings.tenancy.default_tenant,
    )
    upgrade(settings)
    db = make_engine(settings)
    try:
        sessions = make_session_factory(db)
        with sessions() as session:
            resolve_schema(session, target.schema_name)  # an unknown schema stops the run before anything
        scan = await asyncio.to_thread(source.scan)
        summary = BatchSummary(
            source=source.name, files_seen=len(scan.items), skipped_unsettled=scan.unsettled
        )
        for skip in scan.skipped:
            await _report_skipped(source, skip, summary, hooks.on_document)
        new, resumed = await asyncio.to_thread(_plan, sessions, source, scan.items, summary)
        log.info(
            "batch %s: %d new file(s), %d resumed, %d already ingested, %d still being written",
            source.name,
            len(new),
            len(resumed),
            summary.skipped_known,
            summary.skipped_unsettled,
        )
        if not new and not resumed:
            summary.elapsed_s = time.perf_counter() - started
            return summary
        run = _BatchRun(
            settings, source, sessions=sessions, summary=summary, target=target, hooks=hooks, started=started
        )
        async with open_pipeline(settings, engine_name=engine) as pipeline:
            work = run.run(pipeline, new, resumed)
            if hooks.stop is None:
                await work
            else:
                summary.stopped = await _until_stopped(work, hooks.stop, pipeline)
    finally:
        db.dispose()
    summary.elapsed_s = time.perf_counter() - started
    log.info(
        "batch %s: %d file(s) ended in %.1f s: %s; %d page(s), $%s",
        source.name,
        len(summary.outcomes),
        summary.elapsed_s,
        ", ".join(f"{n} {s}" for s, n in sorted(summary.by_status.items())) or "nothing",
        summary.pages,
        summary.cost_usd,
    )
    return summary


async def _run_document(pipeline: Pipeline, document_id: str) -> DocumentRun:
    return await run_document(pipeline, document_id)


async def _until_stopped(work: Awaitable[None], stop: StopRequest, pipeline: Pipeline) -> str | None:
    """Run ``work`` to its end, or until ``stop``: then cancel it (each document in
    progress gives itself back), wait a little, and give back whatever is still held.
    Returns the signal's name when stopped."""
    running = asyncio.ensure_future(work)
    asked = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({running, asked}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        asked.cancel()
    if running.done():
        running.result()
        return None
    running.cancel()
    await asyncio.wait({running}, timeout=_WIND_DOWN_S)
    if running.done() and not running.cancelled() and running.exception() is not None:
        log.info("batch: the stopped run ended with %s", type(running.exception()).__name__)
    with pipeline.sessions.begin() as session:
        released = repo.release_documents(session, owner=pipeline.owner, reason=RELEASED_REASON)
    if released:
        log.info("batch: released %d document(s) still in progress", len(released))
    return stop.signal_name


async def _report_skipped(
    source: Source,
    skip: SourceSkip,
    summary: BatchSummary,
    on_document: Callable[[BatchFileOutcome], Any] | None,
) -> None:
    """An entry the source does not read: logged, counted and reported as an outcome."""
    log.info("batch: %s %s: %s", skip.path, skip.status, skip.reason)
    summary.skipped[skip.kind] = summary.skipped.get(skip.kind, 0) + 1
    file = FileOutcome(
        file=source.location(skip.path), status=skip.status, reason=skip.reason, skipped=skip.kind
    )
    outcome = BatchFileOutcome(skip.path, file)
    summary.outcomes.append(outcome)
    await _call(on_document, outcome)


def _plan(
    sessions: sessionmaker[Session], source: Source, items: list[SourceItem], summary: BatchSummary
) -> tuple[list[SourceItem], list[_Work]]:
    """New files, and files an earlier run registered but did not end."""
    with sessions() as session:
        known = repo.find_source_files(session, source=source.name, paths=[i.path for i in items])
        pending = repo.pending_source_files(session, source=source.name)
    new = [i for i in items if (i.path, i.size_bytes, i.mtime_ns) not in known]
    summary.skipped_known = sum(
        1
        for i in items
        if (row := known.get((i.path, i.size_bytes, i.mtime_ns))) and row.state != "registered"
    )
    resumed = [
        _Work(row.id, SourceItem(row.path, row.size_bytes, row.mtime_ns), row.document_id, False, True)
        for row in pending
    ]
    return new, resumed


class _BatchRun:
    """One run's state: a producer registers files while workers process documents."""

    def __init__(
        self,
        settings: Settings,
        source: Source,
        *,
        sessions: sessionmaker[Session],
        summary: BatchSummary,
        target: _Target,
        hooks: BatchHooks,
        started: float,
    ) -> None:
        self.settings = settings
        self.source = source
        self.sessions = sessions
        self.blobs = BlobStore(settings.storage.blob_dir)
        self.summary = summary
        self.target = target
        self.hooks = hooks
        self.total = 0  # files to end: set when the run starts
        self.started = started
        # Documents this run is processing: a second file with the same bytes waits for it.
        self._running: dict[str, asyncio.Event] = {}

    async def run(self, pipeline: Pipeline, new: list[SourceItem], resumed: list[_Work]) -> None:
        run_one = self.hooks.run_one or _run_document
        self.total = len(new) + len(resumed)
        workers = self.settings.batch.document_concurrency
        queue: asyncio.Queue[_Work | None] = asyncio.Queue(maxsize=workers * 2)
        await self._progress()

        stop = asyncio.Event()  # set when the producer fails: workers end after their document

        async def produce() -> None:
            try:
                for work in resumed:
                    await queue.put(work)
                for item in new:
                    registered = await asyncio.to_thread(self._register, item)
                    if registered is not None:
                        await queue.put(registered)
            except BaseException:
                stop.set()
                raise
            for _ in range(workers):
                await queue.put(None)

        async def consume() -> None:
            # Polls ``stop`` as well as the queue: a worker whose cancellation was swallowed
            # somewhere below must not wait forever for a producer that is gone.
            while not stop.is_set():
                try:
                    work = await asyncio.wait_for(queue.get(), _STOP_POLL_S)
                except TimeoutError:
                    continue
                if work is None:
                    return
                await self._handle(pipeline, work, run_one)

        try:
            async with asyncio.TaskGroup() as group:  # a crash in one (a bug) stops all: rerun resumes
                group.create_task(produce())
                for _ in range(workers):
                    group.create_task(consume())
        except ExceptionGroup as crash:  # the caller sees the error itself, not a group
            raise crash.exceptions[0] from None

    def _register(self, item: SourceItem) -> _Work | None:
        """Intake for one new file; None if it is skipped this time (changed, or taken)."""
        try:
            with self.source.fetch(item) as path:
                intake = register_file(
                    path,
                    settings=self.settings,
                    sessions=self.sessions,
                    blobs=self.blobs,
                    tenant=self.target.tenant,
                    schema_name=self.target.schema_name,
                    source="batch",
                )
        except SourceChangedError as exc:
            log.info("batch: %s skipped: %s", item.path, exc)
            self.summary.skipped_unsettled += 1
            return None
        except Exception as exc:  # unreadable file, full disk: the file fails, the run goes on
            # The reason is for the tenant (it lands beside the file in failed/): the path
            # and the exception's text go to the log only.
            log.exception("batch: %s could not be registered", item.path)
            if isinstance(exc, OSError):
                reason = os_error_reason(exc)
            elif isinstance(exc, BadInputError):
                reason = exc.message
            else:
                reason = f"the file could not be registered (internal error {type(exc).__name__})"
            with self.sessions.begin() as session:
                row_id = repo.record_source_file(
                    session,
                    source=self.source.name,
                    path=item.path,
                    size_bytes=item.size_bytes,
                    mtime_ns=item.mtime_ns,
                    sha256=None,
                    document_id=None,
                    state="registered",
                )
            return None if row_id is None else _Work(row_id, item, None, False, False, failure=reason)
        with self.sessions.begin() as session:
            row_id = repo.record_source_file(
                session,
                source=self.source.name,
                path=item.path,
                size_bytes=item.size_bytes,
                mtime_ns=item.mtime_ns,
                sha256=intake.sha256,
                document_id=intake.document_id,
            )
        if row_id is None:  # a concurrent run recorded it first and handles it
            return None
        self.summary.registered += 1
        if self.hooks.on_registered is not None:
            self.hooks.on_registered(intake)
        return _Work(row_id, item, intake.document_id, not intake.created, False)

    async def _handle(self, pipeline: Pipeline, work: _Work, run_one: RunOne) -> None:
        processed = False
        document_id = work.document_id
        if document_id is not None and document_id in self._running:
            await self._running[document_id].wait()  # a copy of a file this run is processing
        elif document_id is not None and not await asyncio.to_thread(self._is_final, document_id):
            self._running[document_id] = ended = asyncio.Event()
            try:
                processed = (await run_one(pipeline, document_id)).processed
            except Exception:  # a bug or an outage: the document stays for the sweeper or a rerun
                log.exception("batch: %s (document %s) was not processed", work.item.path, document_id)
            finally:
                ended.set()
                del self._running[document_id]
        outcome = await asyncio.to_thread(self._end, work)
        self.summary.processed += processed
        self.summary.resumed += work.resumed and outcome.file.is_final
        self.summary.outcomes.append(outcome)
        self.summary.pages += outcome.pages or 0
        self.summary.cost_usd += outcome.cost_usd
        log.info(
            "batch: %s -> %s%s (%s page(s), $%s)%s",
            work.item.path,
            outcome.status,
            " (duplicate)" if outcome.duplicate else "",
            outcome.pages if outcome.pages is not None else "-",
            outcome.cost_usd,
            f": {outcome.reason}" if outcome.reason and outcome.status != DocumentStatus.DONE else "",
        )
        await _call(self.hooks.on_document, outcome)
        await self._progress()

    def _is_final(self, document_id: str) -> bool:
        with self.sessions() as session:
            document = repo.get_document(session, document_id)
            return document is None or DocumentStatus(document.status).is_final

    def _end(self, work: _Work) -> BatchFileOutcome:
        """Mark the file by its document's status, and say how it ended."""
        location = self.source.location(work.item.path)
        if work.document_id is None:
            reason = work.failure or "the file could not be registered"
            self._mark(work, "failed", reason)
            rejected = FileOutcome(file=location, status=DocumentStatus.REJECTED, reason=reason)
            return BatchFileOutcome(work.item.path, rejected)
        with self.sessions() as session:
            document = load_outcome(session, work.document_id)
        status = document.status
        if status.is_final:
            if status in GOOD_ENDINGS:
                self._mark(work, "done", document.reason)
            else:
                self._mark(work, "failed", f"{status.value}: {document.reason or 'no reason recorded'}")
        # Not final: another worker holds it; the file stays registered for the next run.
        file = FileOutcome.of_document(location, document, duplicate=work.duplicate)
        return BatchFileOutcome(work.item.path, file)

    def _mark(self, work: _Work, state: str, reason: str | None) -> None:
        # Move first, then record: a crash in between leaves the row registered, and the
        # rerun's move finds nothing to move and records it.
        try:
            if state == "done":
                self.source.mark_done(work.item)
            else:
                self.source.mark_failed(work.item, reason or state)
        except Exception:  # the file stays; the document's result is kept either way
            log.exception("batch: could not mark %s %s", work.item.path, state)
        if work.source_file_id is not None:
            with self.sessions.begin() as session:
                repo.finish_source_file(
                    session, source_file_id=work.source_file_id, state=state, reason=reason
                )

    async def _progress(self) -> None:
        await _call(
            self.hooks.on_progress,
            BatchProgress(
                documents_total=self.total,
                documents_done=len(self.summary.outcomes),
                pages_done=self.summary.pages,
                cost_usd=self.summary.cost_usd,
                elapsed_s=time.perf_counter() - self.started,
            ),
        )
