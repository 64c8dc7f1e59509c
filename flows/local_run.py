"""Documents processed in this process, without Prefect.

What ``folio process`` (and ``folio eval``) run when no Prefect API is configured: the same
pipeline the ``process-documents`` flow runs (``flows.pipeline.run_document``), without
starting Prefect's temporary server, which took 10-14 s of a 13-26 s single-file run on
2 cores while the work itself took milliseconds. With ``PREFECT_API_URL`` set, the flows of
``flows.process`` run instead and the server records them; deployments, work pools and
schedules do not come through here.

A cancellation (a stop: ``flows.stopping``) reaches each ``run_document``, which gives its
document back to the queue, exactly as in the flow.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace

from core.settings import Settings
from flows.pipeline import DocumentRun, open_pipeline, run_document

OnStage = Callable[[str], None]


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
