"""The sweeper: finds documents left ``queued`` too long or ``processing`` past their lease
(a lost trigger, a killed worker) and gets them processed, each exactly once.

Exactly once rests on the claim, not on the sweeper: ``run_document`` claims with
``claim_document`` (an atomic conditional UPDATE, ``FOR UPDATE SKIP LOCKED`` on PostgreSQL),
so two sweepers, or a sweeper and a worker, can never both process one document; the
loser's run returns ``processed=False``.
"""

from __future__ import annotations

import asyncio
import datetime as dt

from core.logging import get_logger
from core.settings import Settings
from flows.pipeline import DocumentRun, Pipeline, run_document
from flows.trigger import ProcessingTrigger
from storage import repository as repo
from storage.tables import utcnow

log = get_logger("sweeper")


def find_stale(pipeline: Pipeline, *, queued_after_s: float, limit: int = 100) -> list[str]:
    """Ids of documents queued longer than ``queued_after_s`` or processing past their lease."""
    now = utcnow()
    with pipeline.sessions() as session:
        return repo.stale_document_ids(
            session, queued_before=now - dt.timedelta(seconds=queued_after_s), now=now, limit=limit
        )


async def sweep_once(pipeline: Pipeline, *, queued_after_s: float, limit: int = 100) -> list[DocumentRun]:
    """Process every stale document found now (``document_concurrency`` at a time); returns
    the runs, ``processed`` False for any another worker claimed first."""
    ids = find_stale(pipeline, queued_after_s=queued_after_s, limit=limit)
    slots = asyncio.Semaphore(pipeline.settings.extraction.document_concurrency)

    async def one(document_id: str) -> DocumentRun:
        async with slots:
            return await run_document(pipeline, document_id)

    runs = list(await asyncio.gather(*(one(i) for i in ids)))
    if runs:
        log.info("swept %d document(s), processed %d", len(runs), sum(r.processed for r in runs))
    return runs


async def sweep_into(
    pipeline: Pipeline, trigger: ProcessingTrigger, *, queued_after_s: float, limit: int = 100
) -> int:
    """Hand every stale document to ``trigger`` (the in-process worker); returns how many."""
    ids = await asyncio.to_thread(find_stale, pipeline, queued_after_s=queued_after_s, limit=limit)
    for document_id in ids:
        await trigger.trigger(document_id)
    return len(ids)


async def sweep_loop(pipeline: Pipeline, trigger: ProcessingTrigger, *, settings: Settings) -> None:
    """Sweep every ``sweep_interval_s`` until cancelled; a failed round is logged and retried."""
    while True:
        try:
            await sweep_into(pipeline, trigger, queued_after_s=settings.queue.sweep_queued_after_s)
        except Exception:  # a database outage must not end the loop
            log.exception("sweep failed; retrying in %.0f s", settings.queue.sweep_interval_s)
        await asyncio.sleep(settings.queue.sweep_interval_s)
