"""Start processing a registered document: a Prefect deployment run when a Prefect API is
configured, else the in-process worker of the API process.

The documents row is the queue of record: a trigger is a hint to start now. A lost trigger
(a full queue, a crash between commit and trigger) costs only latency, because the sweeper
(``flows.sweeper``) finds every document left ``queued`` or stuck past its lease; a
duplicate trigger costs nothing, because ``run_document`` claims atomically.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

from core.logging import get_logger
from core.settings import Settings
from flows.pipeline import DocumentRun, Pipeline, open_pipeline, run_document

log = get_logger("trigger")

OnFinished = Callable[[DocumentRun], Coroutine[Any, Any, None]]


class ProcessingTrigger(Protocol):
    """Something that starts processing a document soon; never blocks on the processing."""

    async def trigger(self, document_id: str) -> bool:
        """Ask for ``document_id`` to be processed; False if the hint was dropped."""
        ...


class InProcessWorker:
    """A pipeline on a thread of its own, with its own event loop, fed document ids.

    The pipeline talks to the database with blocking calls between its awaits; on the API's
    event loop those calls would hold up every upload in flight, so the worker gets its own
    thread and loop and the API's loop only hands it ids (``trigger``, thread-safe).
    ``document_concurrency`` documents run at a time; ``on_finished`` is awaited on the
    loop that started the worker (the API's) after each document this worker brought to a
    final status (the API sends callbacks from it). At most ``worker_queue_size`` ids wait;
    past that a trigger is dropped and the sweeper finds the document later.
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
        self._pending: set[str] = set()  # queued or running here: the sweeper's hints dedupe
        self._lock = threading.Lock()  # _pending is shared by the two loops' threads
        self._ready = threading.Event()
        self._pipeline: Pipeline | None = None
        self._failed: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None  # the worker's own loop
        self._queue: asyncio.Queue[str] | None = None  # lives on the worker's loop

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
        # A worker that failed to start is ready too: /readyz reports it, the sweeper waits.
        if not await asyncio.to_thread(self._ready.wait, timeout):
            raise TimeoutError(f"the in-process worker was not ready after {timeout:g} s")

    async def trigger(self, document_id: str) -> bool:
        """Queue a document id; False (dropped, the sweeper will find it) when full or stopped."""
        with self._lock:
            if document_id in self._pending:
                return True
            loop, queue = self._loop, self._queue
            if loop is None or queue is None or len(self._pending) >= self.settings.queue.worker_queue_size:
                log.warning("worker queue full or stopped; document %s left for the sweeper", document_id)
                return False
            self._pending.add(document_id)
        try:
            loop.call_soon_threadsafe(queue.put_nowait, document_id)
        except RuntimeError:  # the worker's loop just closed
            with self._lock:
                self._pending.discard(document_id)
            return False
        return True

    @property
    def backlog(self) -> int:
        """Documents queued here or running."""
        return len(self._pending)

    async def run(self) -> None:
        """Run the worker thread until cancelled; running documents are cancelled at their
        current step and given back to the queue (``flows.pipeline.run_document``), so the
        next worker takes them at once; a killed process leaves them to the sweeper."""
        home = asyncio.get_running_loop()
        stopped = home.create_future()
        thread = threading.Thread(target=self._thread_main, args=(home, stopped), name="folio-worker")
        thread.start()
        try:
            await asyncio.shield(stopped)
        finally:
            loop = self._loop
            if loop is not None:
                with contextlib.suppress(RuntimeError):  # already closed
                    loop.call_soon_threadsafe(_cancel_all, loop)
            await asyncio.to_thread(thread.join, 60.0)

    def _thread_main(self, home: asyncio.AbstractEventLoop, stopped: asyncio.Future[None]) -> None:
        def report(exc: BaseException | None) -> None:
            if stopped.done():
                return
            if exc is None:
                stopped.set_result(None)
            else:
                stopped.set_exception(exc)

        error: BaseException | None = None
        try:
            asyncio.run(self._serve(home))
        except asyncio.CancelledError:
            pass
        except BaseException as exc:  # recorded for /readyz; the sweeper covers the documents
            self._failed = error = exc
            log.exception("in-process worker stopped")
        finally:
            self._ready.set()
            with self._lock:
                self._loop = self._queue = None
            with contextlib.suppress(RuntimeError):  # the API's loop is gone already
                home.call_soon_threadsafe(report, error)

    async def _serve(self, home: asyncio.AbstractEventLoop) -> None:
        slots = asyncio.Semaphore(self.settings.extraction.document_concurrency)
        running: set[asyncio.Task[None]] = set()
        queue: asyncio.Queue[str] = asyncio.Queue()
        async with open_pipeline(self.settings, engine_name=self.engine_name) as pipeline:
            self._pipeline = pipeline
            with self._lock:
                self._loop, self._queue = asyncio.get_running_loop(), queue
            self._ready.set()
            try:
                while True:
                    document_id = await queue.get()
                    await slots.acquire()
                    task = asyncio.create_task(self._one(pipeline, document_id, slots, home))
                    running.add(task)
                    task.add_done_callback(running.discard)
            finally:
                for task in list(running):
                    task.cancel()
                if running:
                    await asyncio.gather(*running, return_exceptions=True)
                self._pipeline = None

    async def _one(
        self, pipeline: Pipeline, document_id: str, slots: asyncio.Semaphore, home: asyncio.AbstractEventLoop
    ) -> None:
        try:
            run = await run_document(pipeline, document_id)
            if run.processed and run.status.is_final and self.on_finished is not None:
                try:
                    # The hook belongs to the API's loop (its HTTP client lives there).
                    hook = asyncio.run_coroutine_threadsafe(self.on_finished(run), home)
                    await asyncio.wrap_future(hook)
                except Exception:  # a callback problem never stops the worker
                    log.exception("after-processing hook failed for %s", document_id)
        except Exception:  # run_document records document faults; this is a bug or a DB outage
            log.exception("worker could not process %s; the sweeper will retry it", document_id)
        finally:
            with self._lock:
                self._pending.discard(document_id)
            slots.release()


def _cancel_all(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel every task of ``loop`` (called on that loop): ``asyncio.run`` then returns."""
    for task in asyncio.all_tasks(loop):
        task.cancel()


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
                name=self.settings.queue.prefect_deployment,
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
