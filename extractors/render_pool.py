"""A small pool of worker processes that run one job each at a time, under a time limit.

Why processes: PyMuPDF is not thread-safe, and a native crash (a segfault on a hostile
page) must take down one worker, not the service. Why "forkserver": the parent runs
threads (Prefect, the event loop's executors), and forking a threaded process can deadlock
the child; the fork server is a clean, single-threaded process that has already imported
the heavy modules (``preload``), so a new worker costs a fork, not an interpreter start.

The parent enforces the time limit: a job past it has its worker killed with SIGKILL and
replaced, and the caller gets ``PageTimeoutError``. Before a large allocation (decoding an
image) a job may ask the parent for memory (the ``reserve`` function its runner is made
with); it waits while the pool's :class:`~extractors.memory_budget.MemoryBudget` is spent,
and that wait does not count against its time limit. A worker that dies mid-job (segfault,
out of memory) gives ``InternalError`` with code ``render_crash`` and is replaced. Other
jobs are unaffected. Results come back over a pipe, pickled.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from typing import Any

from core.errors import FolioError, InternalError, PageTimeoutError
from core.logging import get_logger
from extractors.memory_budget import MemoryBudget

Reserve = Callable[[int], None]
RunnerFactory = Callable[[Reserve], Callable[[Any], Any]]

_log = get_logger("render_pool")
_START_TIMEOUT_S = 60.0  # a cold fork server imports PyMuPDF, Pillow and numpy first
_STOP_GRACE_S = 2.0
_RESERVE = "reserve"  # worker -> parent: (_RESERVE, bytes), answered with _GRANTED
_GRANTED = "granted"


def _worker_main(conn: multiprocessing.connection.Connection, factory: RunnerFactory) -> None:
    """Worker process: answer each job with ("ok", result) or ("error", FolioError)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle

    def reserve(nbytes: int) -> None:
        conn.send((_RESERVE, nbytes))
        if conn.recv() != _GRANTED:
            raise InternalError("the render pool answered a memory request with something else")

    runner = factory(reserve)
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return  # the parent closed the pipe or died: nothing more to do
        if job is None:
            reply: tuple[str, Any] = ("ok", None)  # a ping
        else:
            try:
                reply = ("ok", runner(job))
            except FolioError as exc:
                reply = ("error", exc)
            except Exception as exc:  # noqa: BLE001 - a job's bug reaches the parent as data; the worker lives on
                reply = ("error", InternalError(f"{type(exc).__name__}: {exc}"))
        try:
            conn.send(reply)
        except (BrokenPipeError, ConnectionResetError, EOFError):
            return
        except (pickle.PicklingError, TypeError, AttributeError) as exc:  # an unpicklable result
            conn.send(("error", InternalError(f"result could not be sent back: {exc}")))


class _WorkerDiedError(Exception):
    """Internal: the worker's pipe closed or its process ended during a job."""


_DIED = object()  # what the reader queues when the worker's pipe or process ends


@dataclass(eq=False)
class _Worker:
    process: BaseProcess
    conn: multiprocessing.connection.Connection
    jobs_done: int = field(default=0)


def _describe_exit(exitcode: int | None) -> str:
    if exitcode is None:
        return "an unknown status"
    if exitcode < 0:
        try:
            return f"signal {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"signal {-exitcode}"
    return f"exit code {exitcode}"


class RenderPool:
    """``workers`` processes, each running ``runner_factory()`` on the jobs sent to it.

    Use ``await start()`` / ``await close()`` (or ``async with``); ``await run(job)`` sends a
    job to the next idle worker and returns its result or raises its ``FolioError``.
    """

    def __init__(
        self,
        *,
        workers: int,
        timeout_s: float,
        runner_factory: RunnerFactory,
        preload: Sequence[str] = (),
        memory_budget: int | None = None,
    ) -> None:
        """``memory_budget``: bytes the jobs' ``reserve`` calls may hold at once (None: any)."""
        if workers < 1:
            raise ValueError("a render pool needs at least one worker")
        self._size = workers
        self._timeout_s = timeout_s
        self._factory = runner_factory
        self._context = multiprocessing.get_context("forkserver")
        # The fork server is per parent process; the preload list only matters for the
        # first pool that starts it, which is why it names modules, not objects.
        self._context.set_forkserver_preload([*preload, runner_factory.__module__])
        self._workers: list[_Worker] = []
        self._idle: asyncio.Queue[_Worker | None] | None = None  # None: pool broken
        self._broken: str | None = None
        self._replacing: set[asyncio.Task[None]] = set()
        self._busy: set[_Worker] = set()
        self._closed = False
        self._memory = MemoryBudget(memory_budget)
        self.replaced = 0
        """How many workers were killed or died and were replaced (for tests and logs)."""

    @property
    def memory(self) -> MemoryBudget:
        """The budget the jobs' ``reserve`` calls draw on; others in this process (OCR) may
        take from it too, so their memory and the workers' decodes add up within it."""
        return self._memory

    @property
    def size(self) -> int:
        """Number of worker processes."""
        return self._size

    def worker_pids(self) -> list[int]:
        """Process ids of the current workers."""
        return [w.process.pid for w in self._workers if w.process.pid is not None]

    async def __aenter__(self) -> RenderPool:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _spawn(self) -> _Worker:
        parent_end, child_end = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=_worker_main,
            args=(child_end, self._factory),
            name="folio-render",
            daemon=True,  # never outlive the parent
        )
        process.start()
        child_end.close()  # only the worker holds it now, so its death reads as EOF here
        return _Worker(process=process, conn=parent_end)

    async def start(self) -> None:
        """Start the workers and wait until each has answered a ping."""
        if self._idle is not None:
            return
        self._idle = asyncio.Queue()
        spawned = await asyncio.gather(*(asyncio.to_thread(self._spawn) for _ in range(self._size)))
        self._workers.extend(spawned)
        pings = await asyncio.gather(
            *(self._call(w, None, _START_TIMEOUT_S) for w in spawned), return_exceptions=True
        )
        failures = [p for p in pings if isinstance(p, BaseException)]
        if failures:
            await self.close()
            exitcodes = ", ".join(_describe_exit(w.process.exitcode) for w in spawned)
            raise InternalError(
                f"render workers failed to start ({type(failures[0]).__name__}; "
                f"workers ended with {exitcodes}); see the log for the worker's traceback"
            )
        for worker in spawned:
            self._idle.put_nowait(worker)

    async def run(self, job: Any, *, timeout_s: float | None = None) -> Any:
        """Run ``job`` on an idle worker within ``timeout_s`` (default: the pool's limit).

        Raises the job's own ``FolioError``; ``PageTimeoutError`` past the limit;
        ``InternalError`` (code ``render_crash``) when the worker dies.
        """
        if self._idle is None or self._closed:
            raise InternalError("the render pool is not running")
        limit = self._timeout_s if timeout_s is None else timeout_s
        worker = await self._next_idle()
        while not worker.process.is_alive():  # died while idle (e.g. the OOM killer)
            self._retire(worker)
            worker = await self._next_idle()
        healthy = False
        self._busy.add(worker)
        try:
            result = await self._call(worker, job, limit)
            healthy = True
        except PageTimeoutError:
            raise PageTimeoutError(
                f"preparing the page took longer than {limit:g} s; it was stopped"
            ) from None
        except _WorkerDiedError:
            await asyncio.to_thread(worker.process.join, _STOP_GRACE_S)
            raise InternalError(
                "the page crashed the renderer (worker ended with "
                f"{_describe_exit(worker.process.exitcode)}); the worker was replaced",
                code="render_crash",
            ) from None
        finally:
            # A worker that timed out, died or was abandoned mid-job (cancellation) holds a
            # stale answer or none at all: it is killed and replaced, never reused.
            self._busy.discard(worker)
            self._memory.release(worker)
            if healthy:
                worker.jobs_done += 1
                self._idle.put_nowait(worker)
            else:
                self._retire(worker)
        status, payload = result
        if status == "error":
            raise payload
        return payload

    async def _next_idle(self) -> _Worker:
        assert self._idle is not None
        worker = await self._idle.get()
        if worker is None:  # a replacement failed: the pool cannot keep its promise
            self._idle.put_nowait(None)  # wake the next waiter too
            raise InternalError(f"render workers cannot be restarted ({self._broken})")
        return worker

    async def _call(self, worker: _Worker, job: Any, timeout_s: float) -> tuple[str, Any]:
        loop = asyncio.get_running_loop()
        inbox: asyncio.Queue[Any] = asyncio.Queue()  # the worker's messages; _DIED at its end
        conn, sentinel = worker.conn, worker.process.sentinel
        conn_fd = conn.fileno()
        ended = False

        def on_readable() -> None:
            nonlocal ended
            if ended:
                return
            try:
                if conn.poll():
                    inbox.put_nowait(conn.recv())
                    return
                if worker.process.is_alive():
                    return
            except (EOFError, OSError):
                pass
            ended = True
            inbox.put_nowait(_DIED)

        # Both the pipe and the process sentinel: the pipe reads EOF when the worker dies,
        # and the sentinel catches a death even if something else still held the pipe.
        for fd in (conn_fd, sentinel):
            loop.add_reader(fd, on_readable)
            # uvloop (libuv's uv_poll_init) makes a watched descriptor non-blocking and leaves
            # it so. Connection.recv needs blocking reads: a reply longer than what had arrived
            # (a page image is sent as a header, then the pickle) failed with BlockingIOError
            # and was taken for the worker's death. asyncio's own loops leave the mode alone.
            os.set_blocking(fd, True)
        try:
            self._send(conn, job)
            deadline = loop.time() + timeout_s
            while True:
                try:
                    message = await asyncio.wait_for(inbox.get(), max(0.0, deadline - loop.time()))
                except TimeoutError:
                    raise PageTimeoutError(f"no answer within {timeout_s:g} s") from None
                if message is _DIED:
                    raise _WorkerDiedError()
                if not (isinstance(message, tuple) and message[:1] == (_RESERVE,)):
                    return message
                # Waiting for memory is not the page's slowness: the clock stops meanwhile.
                waited = loop.time()
                await self._memory.take(worker, int(message[1]))
                deadline += loop.time() - waited
                self._send(conn, _GRANTED)
        finally:
            loop.remove_reader(conn_fd)
            loop.remove_reader(sentinel)

    @staticmethod
    def _send(conn: multiprocessing.connection.Connection, message: Any) -> None:
        try:
            conn.send(message)
        except (BrokenPipeError, ConnectionResetError, OSError):
            raise _WorkerDiedError() from None

    def _retire(self, worker: _Worker) -> None:
        """Kill ``worker`` now and start a replacement in the background."""
        if worker.process.is_alive():
            worker.process.kill()
        worker.conn.close()
        self.replaced += 1
        if self._closed:
            return
        task = asyncio.get_running_loop().create_task(self._replace(worker))
        self._replacing.add(task)
        task.add_done_callback(self._replacing.discard)

    async def _replace(self, old: _Worker) -> None:
        await asyncio.to_thread(old.process.join, _STOP_GRACE_S)
        if self._closed or self._idle is None:
            return
        try:
            new = await asyncio.to_thread(self._spawn)
        except Exception as exc:  # noqa: BLE001 - whatever stops a fork, waiting jobs must fail, not hang
            _log.error("could not replace a render worker: %s", exc)
            self._broken = f"{type(exc).__name__}: {exc}"
            self._idle.put_nowait(None)
            return
        if self._closed:
            await asyncio.to_thread(self._stop, [new])
            return
        self._workers[self._workers.index(old)] = new
        self._idle.put_nowait(new)

    @staticmethod
    def _stop(workers: list[_Worker]) -> None:
        for worker in workers:
            worker.conn.close()  # an idle worker reads EOF and exits by itself
        for worker in workers:
            worker.process.join(_STOP_GRACE_S)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(_STOP_GRACE_S)

    async def close(self) -> None:
        """Stop every worker (busy ones are killed) and wait for them to exit."""
        if self._closed:
            return
        self._closed = True
        for worker in self._busy:  # its job's caller gets render_crash, not a long wait
            worker.process.kill()
        if self._replacing:
            await asyncio.gather(*self._replacing, return_exceptions=True)
        workers, self._workers = self._workers, []
        await asyncio.to_thread(self._stop, workers)
