"""Prefect flows: one document, or many documents in one flow run.

Import only after ``flows.runtime.configure_prefect(settings)``.

Measured on a 2-core machine with Prefect's ephemeral server: ten concurrent flow runs took
7.3 s (SQLite lock contention in the server), a task run about 1-6 ms. So a batch is one flow
run with one task run per document, and a single trigger (upload, sweeper) is one flow run.
"""

from __future__ import annotations

import asyncio
from contextvars import ContextVar
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from pydantic import SecretStr

from core.settings import Settings
from flows.pipeline import Pipeline, open_pipeline, run_document

# The open pipeline of the current flow run; tasks take ids, never clients, and find the
# resources of their flow run here.
_PIPELINE: ContextVar[Pipeline] = ContextVar("folio_pipeline")


def _secret(password: SecretStr | None) -> str | None:
    return password.get_secret_value() if password is not None else None


@task(name="process-one", cache_policy=NO_CACHE, persist_result=False, log_prints=False)
async def process_one(document_id: str, password: SecretStr | None = None) -> dict[str, Any]:
    """Run the pipeline for one document inside a batch flow run."""
    run = await run_document(_PIPELINE.get(), document_id, password=_secret(password))
    return {"document_id": run.document_id, "status": run.status.value, "reason": run.reason}


@flow(name="process-document", persist_result=False, log_prints=False)
async def process_document(
    document_id: str,
    password: SecretStr | None = None,
    engine: str | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Process one registered document to a final status (settings: from the environment)."""
    settings = settings or Settings()
    async with open_pipeline(settings, engine_name=engine) as pipeline:
        run = await run_document(pipeline, document_id, password=_secret(password))
    return {"document_id": run.document_id, "status": run.status.value, "reason": run.reason}


@flow(name="process-documents", persist_result=False, log_prints=False)
async def process_documents(
    document_ids: list[str],
    password: SecretStr | None = None,
    engine: str | None = None,
    settings: Settings | None = None,
) -> list[dict[str, Any]]:
    """Process registered documents concurrently (``document_concurrency`` at a time)."""
    settings = settings or Settings()
    async with open_pipeline(settings, engine_name=engine) as pipeline:
        token = _PIPELINE.set(pipeline)
        try:
            slots = asyncio.Semaphore(settings.document_concurrency)

            async def one(document_id: str) -> dict[str, Any]:
                async with slots:
                    return await process_one(document_id, password)

            return list(await asyncio.gather(*(one(d) for d in document_ids)))
        finally:
            _PIPELINE.reset(token)
