"""Documents processed in this process, without Prefect.

What ``folio process`` (and ``folio eval``) run when no Prefect API is configured: the same
pipeline the ``process-documents`` flow runs (``flows.pipeline.run_document``); and what
``folio batch`` runs: the ingest the ``batch-ingest`` flow wraps (``flows.batch``), without
starting Prefect's temporary server, which took 10-14 s of a 13-26 s single-file run on
2 cores while the work itself took milliseconds. With ``PREFECT_API_URL`` set, the flows of
``flows.process`` run instead and the server records them; deployments, work pools and
schedules do not come through here (nor the batch flow's table and progress artifacts,
which only a Prefect API shows).

A cancellation (a stop: ``flows.stopping``) reaches each ``run_document``, which gives its
document back to the queue, exactly as in the flow.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from core.logging import get_logger
from core.settings import Settings
from flows.pipeline import DocumentRun, open_pipeline, run_document

if TYPE_CHECKING:
    from flows.batch import BatchFileOutcome, BatchProgress
    from flows.stopping import StopRequest
    from models.outcome import BatchReport

OnStage = Callable[[str], None]

log = get_logger("local_run")


async def process_here(
    settings: Settings,
    document_ids: list[str],
    *,
    password: str | None = None,
    engine: str | None = None,
    owner: str | None = None,
    on_stage: OnStage | None = None,
) -> list[DocumentRun]:
    """Process registered documents concurrently (``document_concurrency`` at a time) in
    this process; ``owner`` as in ``flows.process.process_documents``."""
    if on_stage is not None:
        on_stage("opening the engine and the page renderer")
    async with open_pipeline(settings, engine_name=engine) as opened:
        pipeline = replace(opened, owner=owner) if owner else opened
        if on_stage is not None:
            on_stage(f"processing with the {pipeline.engine.name} engine")
        slots = asyncio.Semaphore(settings.extraction.document_concurrency)

        async def one(document_id: str) -> DocumentRun:
            async with slots:
                return await run_document(pipeline, document_id, password=password)

        return list(await asyncio.gather(*(one(d) for d in document_ids)))


async def ingest_here(  # noqa: PLR0913 - the batch-ingest flow's parameters, and its observers
    settings: Settings,
    inbox: str | None,
    *,
    schema_name: str | None = None,
    tenant: str | None = None,
    engine: str | None = None,
    reprocess: bool = False,
    on_document: Callable[[BatchFileOutcome], Any] | None = None,
    on_progress: Callable[[BatchProgress], Any] | None = None,
    stop: StopRequest | None = None,
) -> BatchReport:
    """The ``batch-ingest`` flow's work in this process: ingest the new files of ``inbox``
    (default FOLIO_BATCH_INBOX), process them, and move or mark each one."""
    from flows.batch import BatchHooks, run_batch_ingest
    from flows.batch_reprocess import open_inbox

    source, reopened = await asyncio.to_thread(open_inbox, settings, inbox, reprocess=reprocess)
    if reprocess:
        log.info("reprocess: %d file(s) of %s reopened", reopened, source.name)
    summary = await run_batch_ingest(
        settings,
        source,
        schema_name=schema_name,
        tenant=tenant,
        engine=engine,
        hooks=BatchHooks(on_document=on_document, on_progress=on_progress, stop=stop),
    )
    return summary.report()
