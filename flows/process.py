"""Prefect flows: one document, many documents in one flow run, batch ingest, the sweep.

Import only after ``flows.runtime.configure_prefect(settings)``.

Measured on a 2-core machine with Prefect's ephemeral server: ten concurrent flow runs took
7.3 s (SQLite lock contention in the server), a task run about 1-6 ms. So a batch is one flow
run with one task run per document, and a single trigger (upload, sweeper) is one flow run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import replace
from typing import TYPE_CHECKING

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from pydantic import SecretStr

from core.settings import Settings
from flows.pipeline import DocumentRun, Pipeline, open_pipeline, run_document
from models.document import DocumentStatus
from models.outcome import BatchReport

if TYPE_CHECKING:
    from flows.batch import BatchFileOutcome, BatchProgress
    from flows.stopping import StopRequest

    OnDocument = Callable[[BatchFileOutcome], None]
    OnProgress = Callable[[BatchProgress], None]

# The open pipeline of the current flow run; tasks take ids, never clients, and find the
# resources of their flow run here.
_PIPELINE: ContextVar[Pipeline] = ContextVar("folio_pipeline")


def _secret(password: SecretStr | None) -> str | None:
    return password.get_secret_value() if password is not None else None


@task(name="process-one", cache_policy=NO_CACHE, persist_result=False, log_prints=False)
async def process_one(document_id: str, password: SecretStr | None = None) -> DocumentRun:
    """Run the pipeline for one document inside a batch flow run."""
    return await run_document(_PIPELINE.get(), document_id, password=_secret(password))


@flow(name="process-document", persist_result=False, log_prints=False)
async def process_document(
    document_id: str,
    password: SecretStr | None = None,
    engine: str | None = None,
    settings: Settings | None = None,
) -> DocumentRun:
    """Process one registered document to a final status (settings: from the environment)."""
    settings = settings or Settings()
    async with open_pipeline(settings, engine_name=engine) as pipeline:
        return await run_document(pipeline, document_id, password=_secret(password))


@flow(name="process-documents", persist_result=False, log_prints=False)
async def process_documents(
    document_ids: list[str],
    password: SecretStr | None = None,
    engine: str | None = None,
    settings: Settings | None = None,
    owner: str | None = None,
) -> list[DocumentRun]:
    """Process registered documents concurrently (``document_concurrency`` at a time).

    ``owner``: the lease owner the documents are claimed for (default: the pipeline's own),
    so the caller can give back whatever the run still holds after a stop.
    """
    settings = settings or Settings()
    async with open_pipeline(settings, engine_name=engine) as opened:
        pipeline = replace(opened, owner=owner) if owner else opened
        token = _PIPELINE.set(pipeline)
        try:
            slots = asyncio.Semaphore(settings.extraction.document_concurrency)

            async def one(document_id: str) -> DocumentRun:
                async with slots:
                    return await process_one(document_id, password)

            return list(await asyncio.gather(*(one(d) for d in document_ids)))
        finally:
            _PIPELINE.reset(token)


# Batch ingest and the sweep as deployable flows. Module-level flows: a deployment's
# entrypoint (``flows.process.batch_ingest``) must be importable by the process that runs it.

# Observers of a batch run started in this process (``folio batch``: its progress bar and
# JSON Lines): (on_document, on_progress). Callables are not flow parameters, so they travel
# in the context of the call.
BATCH_OBSERVERS: ContextVar[tuple[OnDocument | None, OnProgress | None] | None] = ContextVar(
    "folio_batch_observers", default=None
)
# The stop request of a batch run started in this process (``folio batch`` on SIGINT or
# SIGTERM: flows.stopping); a deployment's run has none.
BATCH_STOP: ContextVar[StopRequest | None] = ContextVar("folio_batch_stop", default=None)
# After a stop, how long the documents table may take to reach Prefect's API (gone after a
# Ctrl-C in a terminal) before the run returns without it.
_STOPPED_TABLE_S = 3.0


async def _one_as_task(pipeline: Pipeline, document_id: str) -> DocumentRun:
    """``run_document`` as a ``process-one`` task run (what the batch flow shows per file)."""
    token = _PIPELINE.set(pipeline)
    try:
        return await process_one(document_id)
    finally:
        _PIPELINE.reset(token)


@flow(name="batch-ingest", persist_result=False, log_prints=False)
async def batch_ingest(
    inbox: str | None = None,
    schema_name: str | None = None,
    tenant: str | None = None,
    engine: str | None = None,
    settings: Settings | None = None,
    reprocess: bool = False,
) -> BatchReport:
    """Ingest the new files of an inbox folder (default FOLIO_BATCH_INBOX), process them, and
    move or mark each one; a table and a progress artifact show the run. ``reprocess``: the
    files still in the inbox that earlier runs ended are processed again too."""
    from prefect.runtime import flow_run

    from flows.batch import BatchHooks, run_batch_ingest
    from flows.batch_artifacts import BatchArtifacts
    from flows.batch_reprocess import open_inbox

    settings = settings or Settings()
    source, reopened = open_inbox(settings, inbox, reprocess=reprocess)
    if reprocess:
        get_run_logger().info("reprocess: %d file(s) of %s reopened", reopened, source.name)
    run_id = str(flow_run.get_id() or "local")
    artifacts = BatchArtifacts(f"batch-ingest-{run_id[:8]}")
    logger = get_run_logger()
    observe_document, observe_progress = BATCH_OBSERVERS.get() or (None, None)

    async def on_progress(progress: BatchProgress) -> None:
        await artifacts.progress(progress)
        if observe_progress is not None:
            observe_progress(progress)

    def on_document(outcome: BatchFileOutcome) -> None:
        if observe_document is not None:
            observe_document(outcome)
        pages = outcome.pages if outcome.pages is not None else "-"
        because = f": {outcome.reason}" if outcome.reason and outcome.status != DocumentStatus.DONE else ""
        logger.info(
            "%s -> %s (%s page(s), $%s)%s", outcome.key, outcome.status, pages, outcome.cost_usd, because
        )

    summary = await run_batch_ingest(
        settings,
        source,
        schema_name=schema_name,
        tenant=tenant,
        engine=engine,
        hooks=BatchHooks(
            on_document=on_document, on_progress=on_progress, run_one=_one_as_task, stop=BATCH_STOP.get()
        ),
    )
    if summary.stopped is None:
        await artifacts.table(summary)
    else:
        try:
            await asyncio.wait_for(artifacts.table(summary), _STOPPED_TABLE_S)
        except Exception:  # the API is gone (or slow): the log below keeps the summary
            logger.warning("the documents table of the stopped run was not recorded", exc_info=True)
    report = summary.report(flow_run_id=run_id)
    logger.info("batch %s: %s", source.name, report.model_dump(mode="json", exclude={"flow_run_id"}))
    return report


@flow(name="sweep-documents", persist_result=False, log_prints=False)
async def sweep_documents(queued_after_s: float | None = None, limit: int = 100) -> list[DocumentRun]:
    """Process documents lost by their trigger or stuck past their lease (the scheduled sweep)."""
    from flows.sweeper import sweep_once

    settings = Settings()
    after = settings.queue.sweep_queued_after_s if queued_after_s is None else queued_after_s
    async with open_pipeline(settings) as pipeline:
        return await sweep_once(pipeline, queued_after_s=after, limit=limit)
