"""One document from claim to final status, as plain async code: claim, policy, prepare,
quote, extract, merge, check, persist. The policy, inspect and quote steps live in
``flows.steps`` and the model-server step in ``flows.readiness``; the rules they apply in
``flows.cost_rules``. The Prefect flows in ``flows.process`` are thin wrappers around
``run_document``; nothing here imports Prefect.

Every document ends in a stated status with a reason, written by ``flows.steps.record_ending``;
no exception from a file escapes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace

from core.errors import FolioError, InternalError
from core.logging import get_logger
from core.settings import Settings
from extractors.calibrate import calibrate_extraction
from extractors.checks import blocking_flags, with_review_flags
from extractors.engines.call_context import CallContext, call_context
from extractors.engines.spend import spend_ceiling
from extractors.engines.vendor_context import VendorMemory, vendor_memory
from extractors.merge import merge_pages
from extractors.prepare import PagePreparer
from extractors.tokens import tile_budget_rule
from flows.cost_rules import cost_overrun_reason, load_cost_rules, priced_calls, spend_ceiling_for
from flows.engines import open_engine, resolve_engine_name
from flows.readiness import model_server_step
from flows.schemas import resolve_schema
from flows.steps import Ending, blocked, end_document, inspect_step, policy_step, quote_step, record_ending
from flows.stopping import RELEASED_REASON
from flows.vendor_memory import load_vendor_memory
from flows.worker import Pipeline, WorkItem
from models.calibration import load_calibration
from models.document import DocumentStatus, FileKind
from models.extraction import DocumentExtraction, PageExtraction, PageFailure
from models.page import PageRoute, PreparedPage
from models.schemas import ExtractionSchema
from storage import repository as repo
from storage.blobs import BlobStore
from storage.database import make_engine, make_session_factory

__all__ = ["RELEASED_REASON", "DocumentRun", "Pipeline", "open_pipeline", "release_document", "run_document"]

log = get_logger("pipeline")

# Bumped when the local mapping or the prompt changes in a way that changes results.
PIPELINE_VERSION = "1"


@asynccontextmanager
async def open_pipeline(settings: Settings, *, engine_name: str | None = None) -> AsyncIterator[Pipeline]:
    """Open the database, blob store, render pool and engine; close them all on exit."""
    db = make_engine(settings)
    try:
        # Its workers start below, once the engine is open; they make the model's image of
        # each image page too when that engine sends images.
        sends_images = await resolve_engine_name(settings, engine_name) == "llama"
        preparer = PagePreparer(settings, model_images=sends_images)
        # The local engine's OCR takes its memory from the render workers' budget.
        engine = await open_engine(settings, engine_name, memory=preparer.memory)
        try:
            async with preparer:
                pipeline = Pipeline(
                    settings=settings,
                    sessions=make_session_factory(db),
                    blobs=BlobStore(settings.storage.blob_dir),
                    preparer=preparer,
                    engine=engine,
                    cost_rules=load_cost_rules(settings),
                )
                try:
                    yield pipeline
                finally:
                    for fallback in pipeline.fallback_engines.values():
                        await fallback.aclose()
        finally:
            await engine.aclose()
    finally:
        db.dispose()


@dataclass(frozen=True)
class DocumentRun:
    """How one run of one document ended."""

    document_id: str
    status: DocumentStatus
    reason: str | None
    processed: bool  # False: nothing was done (final already, or another worker holds it)


def _prompt_template(engine_name: str) -> str | None:
    """The llama prompt's version; imported only for that engine (see ``flows.engines``)."""
    if engine_name != "llama":
        return None
    from extractors.llama.requests import PROMPT_TEMPLATE_VERSION

    return PROMPT_TEMPLATE_VERSION


def _fingerprint(pipeline: Pipeline, schema: ExtractionSchema) -> dict[str, object]:
    s = pipeline.settings
    return {
        "engine": pipeline.engine.name,
        "model": pipeline.engine.model,
        "pipeline_version": PIPELINE_VERSION,
        "prompt_template": _prompt_template(pipeline.engine.name),
        "schema": schema.name,
        "schema_version": schema.version,
        "schema_hash": schema.schema_hash,
        # Confidence and the done rule come from the engine's calibration data.
        "calibration": load_calibration(pipeline.engine.name).version,
        # The day/month order of dates no page proves (FOLIO_DATE_ORDER): it changes values.
        "date_order": s.extraction.date_order if pipeline.engine.name == "local" else None,
        "render": {
            "dpi": s.pages.render_dpi,
            "tile_size": s.pages.tile_size,
            "max_tiles": s.pages.max_tiles,
            "jpeg_quality": s.pages.jpeg_quality,
            # The cut and grid an image page is sent on (llama only: the local engine reads the
            # prepared image): "tile-budget-v2 floor=10px crop", or "... off".
            "tile_budget": tile_budget_rule(s.pages.tile_text_floor_px)
            if pipeline.engine.name == "llama"
            else None,
        },
    }


def _render_mode(settings: Settings) -> str:
    # Both engines read a good text layer as text, so by default only pages routed as images
    # (scans, photos, poor or mixed text layers) are rendered.
    return settings.pages.render_images


def _without_payload(page: PreparedPage) -> PreparedPage:
    """Page metadata kept for the pages table; image bytes and text dropped (flat memory)."""
    image = page.image.model_copy(update={"jpeg": b""}) if page.image is not None else None
    return page.model_copy(
        update={"image": image, "ocr_image": None, "model_image": None, "lines": [], "text": ""}
    )


async def _extract_pages(
    pipeline: Pipeline,
    pages: AsyncIterator[PreparedPage],
    schema: ExtractionSchema,
) -> tuple[list[PreparedPage], list[PageExtraction], list[PageFailure]]:
    """Feed prepared pages to the engine as they arrive, a bounded number in flight."""
    engine = pipeline.engine
    slots = asyncio.Semaphore(pipeline.settings.extraction.page_concurrency)
    metas: list[PreparedPage] = []
    failures: list[PageFailure] = []
    running: set[asyncio.Task[PageExtraction]] = set()
    results: list[PageExtraction] = []
    group: list[PreparedPage] = []

    async def call(batch: Sequence[PreparedPage]) -> PageExtraction:
        try:
            return await engine.extract(batch, schema)
        except Exception as exc:  # an engine bug fails its pages, not the document
            log.exception("engine %s raised on pages %s", engine.name, [p.page_number for p in batch])
            return PageExtraction(
                page_numbers=[p.page_number for p in batch],
                failure=PageFailure(
                    page_number=batch[0].page_number,
                    code="engine_error",
                    message=f"{type(exc).__name__}: {exc}",
                ),
            )
        finally:
            slots.release()

    async def launch(batch: list[PreparedPage]) -> None:
        await slots.acquire()  # back-pressure: stop pulling pages while the engine is full
        running.add(asyncio.create_task(call(batch)))

    async for page in pages:
        metas.append(_without_payload(page))
        if page.failed:
            failures.append(
                PageFailure(
                    page_number=page.page_number,
                    code=page.error_code or "page_failed",
                    message=page.error or "the page could not be prepared",
                )
            )
            continue
        group.append(page)
        if len(group) >= engine.max_pages_per_call or page.route is PageRoute.TEXT:
            await launch(group)
            group = []
        done = {t for t in running if t.done()}
        results.extend(t.result() for t in done)
        running -= done
    if group:
        await launch(group)
    if running:
        results.extend(await asyncio.gather(*running))
    return metas, results, failures


def _final_status(extraction: DocumentExtraction, page_count: int) -> tuple[DocumentStatus, str | None]:
    failed = sorted({f.page_number for f in extraction.page_failures})
    if failed and len(failed) >= page_count:
        first = extraction.page_failures[0]
        return (
            DocumentStatus.FAILED,
            f"all {page_count} page(s) failed; page {first.page_number}: {first.message}",
        )
    if failed:
        first = extraction.page_failures[0]
        listed = ", ".join(str(n) for n in failed[:10])
        return (
            DocumentStatus.PARTIAL,
            f"page(s) {listed} of {page_count} failed (page {first.page_number}: {first.message}); "
            "the other pages were extracted",
        )
    # ``done`` is earned (extractors.checks): any blocking flag means a person looks; notes
    # (a weak optional field) stay visible on the result without blocking.
    blocking = blocking_flags(extraction.review_flags)
    if blocking:
        return DocumentStatus.NEEDS_REVIEW, "; ".join(blocking[:5])
    return DocumentStatus.DONE, None


async def _keep_lease(pipeline: Pipeline, document_id: str) -> None:
    """Renew this worker's lease every third of ``lease_seconds`` while it works, so only a
    dead or hung worker's document lapses to the sweeper; stops when the lease is lost."""
    every = pipeline.settings.queue.lease_seconds / 3
    while True:
        await asyncio.sleep(every)
        try:
            with pipeline.sessions.begin() as session:
                repo.renew_lease(
                    session,
                    document_id=document_id,
                    owner=pipeline.owner,
                    lease_seconds=pipeline.settings.queue.lease_seconds,
                )
        except repo.LeaseLostError:
            log.warning("document %s: lease lost to another worker", document_id)
            return
        except Exception:  # a database hiccup: try again at the next beat
            log.exception("document %s: lease renewal failed", document_id)


async def run_document(pipeline: Pipeline, document_id: str, *, password: str | None = None) -> DocumentRun:
    """Process one document to a final status. Never raises for the document's own faults.

    The lease is renewed while the document is worked on; if it is lost anyway (this worker
    stalled past it and another took the document over), nothing of this run is stored and
    the run says ``processed=False``: the other worker's run is the one that counts.
    """
    with pipeline.sessions.begin() as session:
        claimed = repo.claim_document(
            session, document_id, owner=pipeline.owner, lease_seconds=pipeline.settings.queue.lease_seconds
        )
        if claimed is None:
            current = repo.get_document(session, document_id)
            if current is None:
                return DocumentRun(document_id, DocumentStatus.FAILED, "no such document", False)
            return DocumentRun(document_id, DocumentStatus(current.status), current.reason, False)
        kind, sha256, schema_name = claimed.kind, claimed.sha256, claimed.schema_name
        # Fairness: model calls for this document are queued by its tenant and by
        # whether someone waits for it (uploads) or not (batch, CLI).
        context = CallContext.for_document(tenant=str(claimed.tenant_id), source=claimed.source)
        if kind is None:  # only rejected files lack a kind, and those are never queued
            raise InternalError(f"document {document_id} was queued without a file kind")

    heartbeat = asyncio.create_task(_keep_lease(pipeline, document_id))
    try:
        with call_context(context):
            status, reason = await _run_claimed(pipeline, document_id, kind, sha256, schema_name, password)
    except repo.LeaseLostError as exc:
        log.warning("document %s: %s; its new owner finishes it", document_id, exc)
        return DocumentRun(document_id, DocumentStatus.PROCESSING, str(exc), False)
    except BaseException as exc:
        # A graceful stop (cancellation on Ctrl-C, SIGTERM or shutdown, or a termination
        # signal raised as an exception): give the document back now, queued with its lease
        # cleared, so the next worker takes it at once rather than after the lease. A
        # crashed worker never gets here, and the lease still covers that case.
        if not isinstance(exc, Exception):  # errors are recorded by _run_claimed itself
            release_document(pipeline, document_id)
        raise
    finally:
        heartbeat.cancel()
        # gather, not ``suppress(CancelledError)``: a cancellation of this run itself must
        # still reach the caller (a suppressed one left cancelled batch workers running).
        await asyncio.gather(heartbeat, return_exceptions=True)
    log.info("document %s: %s%s", document_id, status.value, f" ({reason})" if reason else "")
    return DocumentRun(document_id, status, reason, True)


def release_document(pipeline: Pipeline, document_id: str) -> bool:
    """Put ``document_id`` back in the queue if this worker still holds it; True if it did.

    Never raises: when the database cannot be reached, the lease lapses and the sweeper
    takes the document, as after a crash.
    """
    try:
        with pipeline.sessions.begin() as session:
            released = repo.release_documents(
                session, owner=pipeline.owner, document_ids=[document_id], reason=RELEASED_REASON
            )
    except Exception:
        log.exception("document %s: could not be released; its lease will lapse", document_id)
        return False
    if released:
        log.info("document %s: released (queued again)", document_id)
    return bool(released)


async def _run_claimed(
    pipeline: Pipeline,
    document_id: str,
    kind: FileKind,
    sha256: str,
    schema_name: str,
    password: str | None,
) -> tuple[DocumentStatus, str | None]:
    """``_process_claimed``, with any unexpected error recorded as ``failed``."""
    try:
        with pipeline.sessions() as session:
            schema = resolve_schema(session, schema_name)  # built-in, or the latest custom version
        item = WorkItem(document_id, pipeline.blobs.path(sha256), kind, schema, password)
        ending = await _process_claimed(pipeline, item)
    except repo.LeaseLostError:
        raise
    except Exception as exc:  # a worker never dies of a file: record it and go on
        log.exception("document %s failed unexpectedly", document_id)
        internal = exc if isinstance(exc, FolioError) else None
        # The tenant reads the reason: what went wrong inside Folio is in the log above.
        ending = end_document(
            pipeline,
            document_id,
            Ending(
                DocumentStatus.FAILED,
                f"internal error ({type(exc).__name__}); the details are in the server's log "
                "under this document's id, and the document can be retried",
                internal.code if internal else "internal",
            ),
        )
    return ending.status, ending.reason


def _vendor_memory(pipeline: Pipeline, item: WorkItem) -> VendorMemory:
    """The document's tenant's vendor profiles for its schema."""
    with pipeline.sessions() as session:
        _tenant, document = repo.document_tenant(session, document_id=item.document_id)
        return load_vendor_memory(session, tenant_id=document.tenant_id, schema_name=item.schema.name)


async def _process_claimed(pipeline: Pipeline, item: WorkItem) -> Ending:
    """Steps 1 to 7 for a claimed document; the ending it was given."""
    # 1 policy: licence and tier decide allowed / routed / blocked, recorded on the document;
    # a blocked document ends here, before anything is spent.
    rules = pipeline.cost_rules or load_cost_rules(pipeline.settings)
    decision = policy_step(pipeline, item.document_id, rules)
    if decision.blocked:
        refused = blocked(decision.reason or "refused by policy", decision.code, page_count=None)
        return end_document(pipeline, item.document_id, refused)
    # 1b model server: not ready yet (loading) -> the tier's fallback, or back to the queue.
    ready = await model_server_step(
        pipeline, item.document_id, rules, decision, pipeline.engine_for(decision)
    )
    if ready.stopped is not None:
        return ready.stopped
    engine, decision = ready.engine, ready.decision
    pipeline = replace(pipeline, engine=engine)  # routed documents use the fallback engine

    # 2 prepare (inspect first: encrypted, corrupt, empty and oversized files end here).
    page_count = await inspect_step(pipeline, item)
    if isinstance(page_count, Ending):
        return page_count

    # 3 quote: estimated tokens and dollars, tier limits and monthly budget; over a limit ->
    # blocked, not billed.
    quoted = await quote_step(pipeline, item, rules, decision=decision, engine=engine, page_count=page_count)
    if quoted.blocked is not None:
        return quoted.blocked

    # 4 extract, page by page as they are prepared, within the document's spending ceiling.
    pages = pipeline.preparer.prepare(
        item.path,
        item.kind,
        password=item.password,
        render=_render_mode(pipeline.settings),  # type: ignore[arg-type]
    )
    # The tenant's vendor memory (profiles taught by approved documents) as a prior.
    memory = _vendor_memory(pipeline, item)
    with spend_ceiling(spend_ceiling_for(quoted.quote, rules, pipeline.settings)), vendor_memory(memory):
        metas, results, failures = await _extract_pages(pipeline, pages, item.schema)

    # 5 merge, calibrate (raw scores -> measured probabilities) and 6 check.
    merged = merge_pages(
        results, schema=item.schema, engine=engine.name, model=engine.model, prepare_failures=failures
    )
    calibration = load_calibration(engine.name)
    text_layer_pages = {m.page_number for m in metas if m.route is PageRoute.TEXT}
    calibrated = calibrate_extraction(merged, item.schema, calibration, text_layer_pages=text_layer_pages)
    checked = with_review_flags(calibrated, item.schema, calibration.rule_for(item.schema.name))
    # Every call priced from the price list before it becomes a ledger row.
    checked = checked.model_copy(update={"calls": priced_calls(checked.calls, rules)})
    status, reason = _final_status(checked, page_count)
    overrun = cost_overrun_reason(checked)
    if overrun is not None:  # spending ceiling reached: a person looks, nothing is retried
        status, reason = DocumentStatus.NEEDS_REVIEW, overrun
    ending = Ending(
        status,
        reason,
        None if status is DocumentStatus.DONE else status.value,
        page_count=page_count,
        engine=engine.name,
        model=engine.model,
    )

    # 7 persist: pages, the new extraction version, one ledger row per call, the status.
    with pipeline.sessions.begin() as session:
        repo.save_pages(session, document_id=item.document_id, pages=metas)
        extraction = repo.add_extraction(
            session,
            document_id=item.document_id,
            extraction=checked,
            fingerprint=_fingerprint(pipeline, item.schema),
        )
        repo.add_usage(
            session, document_id=item.document_id, extraction_id=extraction.id, calls=checked.calls
        )
        return record_ending(session, pipeline, item.document_id, ending)
