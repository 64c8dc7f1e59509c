"""Start processing a registered document: a Prefect deployment run when a Prefect API is
configured, else the in-process worker of the API process.

The documents row is the queue of record: a trigger is a hint to start now. A lost trigger
(a full queue, a crash between commit and trigger) costs only latency, because the sweeper
(``flows.sweeper``) finds every document left ``queued`` or stuck past its lease; a
duplicate trigger costs nothing, because ``run_document`` claims atomically.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from typing import Protocol

from core.logging import get_logger
from core.settings import Settings
from flows.pipeline import DocumentRun, Pipeline, open_pipeline, run_document

log = get_logger("trigger")

OnFinished = Callable[[DocumentRun], Awaitable[None]]


class ProcessingTrigger(Protocol):
    """Something that starts processing a document soon; never blocks on the processing."""

    async def trigger(self, document_id: str) -> bool:
        """Ask for ``document_id`` to be processed; False if the hint was dropped."""
        ...


class InProcessWorker:
    """An asyncio task owning one pipeline and a bounded queue of document ids.

    ``document_concurrency`` documents run at a time; ``on_finished`` is awaited after each
    document this worker brought to a final status (the API sends callbacks from it).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        on_finished: OnFinished | None = None,
        engine_name: str | None = None,
    ) -> None:
        self.settings = settings
        self.on_finished = on_finished
        self.engine_name = engine_name
        self._queue: asyncio.Queue[str] = asyncio.Queue(maxsize=settings.worker_queue_size)
        self._pending: set[str] = set()  # queued or running here: the sweeper's hints dedupe
        self._running: set[asyncio.Task[None]] = set()
        self._ready = asyncio.Event()
        self._pipeline: Pipeline | None = None
        self._failed: BaseException | None = None

    @property
    def pipeline(self) -> Pipeline | None:
        """The open pipeline while the worker runs."""
        return self._pipeline

    @property
    def alive(self) -> bool:
        """Whether the worker is up and taking documents."""
        return self._ready.is_set() and self._failed is None and self._pipeline is not None

    async def wait_ready(self, timeout: float = 120.0) -> None:
        """Wait until the pipeline is open (render pool and engine started)."""
        await asyncio.wait_for(self._ready.wait(), timeout)

    async def trigger(self, document_id: str) -> bool:
        """Queue a document id; False (dropped, the sweeper will find it) when full."""
        if document_id in self._pending:
            return True
        try:
            self._queue.put_nowait(document_id)
        except asyncio.QueueFull:
            log.warning("worker queue full; document %s left for the sweeper", document_id)
            return False
        self._pending.add(document_id)
        return True

    @property
    def backlog(self) -> int:
        """Documents queued here or running."""
        return len(self._pending)

    async def run(self) -> None:
        """Serve the queue until cancelled; running documents finish their current step."""
        slots = asyncio.Semaphore(self.settings.document_concurrency)
        try:
            async with open_pipeline(self.settings, engine_name=self.engine_name) as pipeline:
                self._pipeline = pipeline
                self._ready.set()
                try:
                    while True:
                        document_id = await self._queue.get()
                        await slots.acquire()
                        task = asyncio.create_task(self._one(pipeline, document_id, slots))
                        self._running.add(task)
                        task.add_done_callback(self._running.discard)
                finally:
                    for task in list(self._running):
                        task.cancel()
                    if self._running:
                        await asyncio.gather(*self._running, return_exceptions=True)
                    self._pipeline = None
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # recorded for /readyz; the sweeper covers the documents
            self._failed = exc
            self._ready.set()
            log.exception("in-process worker stopped")
            raise

    async def _one(self, pipeline: Pipeline, document_id: str, slots: asyncio.Semaphore) -> None:
        try:
            run = await run_document(pipeline, document_id)
            if run.processed and run.status.is_final and self.on_finished is not None:
                try:
                    await self.on_finished(run)
                except Exception:  # a callback problem never stops the worker
                    log.exception("after-processing hook failed for %s", document_id)
        except Exception:  # run_document records document faults; this is a bug or a DB outage
            log.exception("worker could not process %s; the sweeper will retry it", document_id)
        finally:
            self._pending.discard(document_id)
            slots.release()


class PrefectTrigger:
    """One Prefect deployment run per document, not awaited (``timeout=0``)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def trigger(self, document_id: str) -> bool:
        """Create the deployment run; the document id is the idempotency key (one run each)."""
        # Imported here: Prefect reads its settings at import, and the API only needs it in
        # this mode.
        from prefect.deployments import run_deployment

        try:
            await run_deployment(  # type: ignore[misc]  # sync/async dual API
                name=self.settings.prefect_deployment,
                parameters={"document_id": document_id},
                timeout=0,
                idempotency_key=f"folio-document-{document_id}",
            )
        except Exception:  # the sweeper finds it; an upload never fails for a lost trigger
            log.exception("could not start a deployment run for %s", document_id)
            return False
        return True


def prefect_configured() -> bool:
    """Whether a Prefect API is configured (``PREFECT_API_URL``)."""
    return bool(os.environ.get("PREFECT_API_URL"))
