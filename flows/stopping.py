"""Stopping a command-line run cleanly on SIGINT (Ctrl-C) or SIGTERM.

The run's event loop lives on a thread of its own and the main thread only waits for it
and takes the signals. So neither Prefect (whose flow engine swaps in its own SIGTERM
handler on the main thread) nor a blocking call can swallow a stop, and a run whose
orchestration hangs after the stop (a Ctrl-C in a terminal also stops Prefect's ephemeral
API server, which the Prefect client then retries for minutes) is abandoned after a grace
period instead of holding the terminal.

The run itself is handed a :class:`StopRequest` and decides what stopping means (the batch
runs cancel their documents, which gives each document back to the queue at once: see
``flows.pipeline.release_document``). A second signal stops waiting at once.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Generic, NoReturn, TypeVar

from core.logging import get_logger

log = get_logger("stopping")

T = TypeVar("T")

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
# The exit status of a run stopped by a signal (128 + SIGINT, as shells report Ctrl-C).
EXIT_STOPPED = 130
# How long a stopped run may take to give its documents back and report before the
# command stops waiting for it (the documents are released either way: see the runs).
STOP_GRACE_S = 10.0
# The reason of a document given back to the queue by a graceful stop while it waits again.
RELEASED_REASON = "processing was stopped before it finished; the document is queued again"
# How long the exit handlers of a stopped command may take (Prefect stops its server there).
_EXIT_HANDLERS_S = 3.0
# How often the waiting main thread wakes (signals are handled between waits).
_POLL_S = 0.2


class StopRequest:
    """A stop asked for by a signal, as the run's event loop sees it (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None
        self.signal_name: str | None = None
        self.requested_at: float | None = None  # time.monotonic() of the first signal
        self.count = 0  # signals received

    def is_set(self) -> bool:
        """Whether a stop was asked for."""
        return self.signal_name is not None

    async def wait(self) -> None:
        """Return once a stop is asked for (call from the run's event loop)."""
        with self._lock:
            if self._event is None:
                self._loop = asyncio.get_running_loop()
                self._event = asyncio.Event()
                if self.signal_name is not None:
                    self._event.set()
            event = self._event
        await event.wait()

    def request(self, signal_name: str) -> None:
        """Ask the run to stop (from any thread; a signal handler calls it)."""
        with self._lock:
            self.count += 1
            if self.signal_name is None:
                self.signal_name = signal_name
                self.requested_at = time.monotonic()
            loop, event = self._loop, self._event
        if loop is not None and event is not None:
            with contextlib.suppress(RuntimeError):  # the run's loop is closed: it ended
                loop.call_soon_threadsafe(event.set)


def exit_stopped() -> NoReturn:
    """End the process with :data:`EXIT_STOPPED` once a stopped run has reported.

    Exit handlers still run (Prefect stops its ephemeral API server there), but threads
    are not waited for: a page being read by OCR on a worker thread cannot be interrupted,
    its result is no longer wanted, and the interpreter's normal exit would wait for it.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    # Bounded: after a Ctrl-C in a terminal Prefect's API server is gone, and Prefect's log
    # and event handlers would retry it while flushing.
    handlers = threading.Thread(target=atexit._run_exitfuncs, name="folio-exit", daemon=True)
    handlers.start()
    handlers.join(_EXIT_HANDLERS_S)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(EXIT_STOPPED)


@dataclass(frozen=True)
class StoppableRun(Generic[T]):
    """How a run under :func:`run_stoppable` ended."""

    result: T | None  # None only when the run was abandoned before it reported
    signal_name: str | None  # the signal that stopped it, None when it ran to its end
    abandoned: bool  # True: the run did not end within the grace period (or a 2nd signal)

    @property
    def stopped(self) -> bool:
        """Whether a signal stopped the run."""
        return self.signal_name is not None


def run_stoppable(
    make: Callable[[StopRequest], Coroutine[Any, Any, T]], *, grace_s: float = STOP_GRACE_S
) -> StoppableRun[T]:
    """Run ``make(stop)`` on its own event loop and thread until it returns; SIGINT and
    SIGTERM set ``stop`` instead of raising in the middle of it.

    The coroutine is expected to wind down soon after ``stop`` is set and return what it
    finished. Once its result is ready the command goes on even if the loop's teardown
    hangs (the thread is a daemon); after ``grace_s`` seconds, or a second signal, it goes
    on without a result. Errors of the run are raised here. Call from the main thread.
    """
    stop = StopRequest()
    ready = threading.Event()
    box: dict[str, Any] = {}

    async def main() -> None:
        result = await make(stop)
        box["result"] = result
        ready.set()  # before the loop's teardown, which may wait on Prefect

    def target() -> None:
        try:
            asyncio.run(main())
        # A deliberate boundary: whatever ends the run's thread (a bug, a cancellation) is
        # kept and raised again on the main thread, below.
        except BaseException as exc:  # noqa: BLE001
            box.setdefault("error", exc)
        finally:
            ready.set()

    def on_signal(signum: int, _frame: object) -> None:
        name = signal.Signals(signum).name
        if stop.count == 0:
            log.warning("%s received: stopping; documents in progress are given back", name)
        stop.request(name)

    previous = {sig: signal.signal(sig, on_signal) for sig in STOP_SIGNALS}
    thread = threading.Thread(target=target, name="folio-run", daemon=True)
    try:
        thread.start()
        while not ready.wait(_POLL_S):
            if stop.requested_at is not None and (
                stop.count > 1 or time.monotonic() - stop.requested_at > grace_s
            ):
                log.warning("the stopped run did not end in %.0f s; not waiting for it", grace_s)
                break
        if ready.is_set():
            thread.join(1.0)  # a clean teardown is quick; a hanging one is left behind
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if "error" in box and "result" not in box:
        error: BaseException = box["error"]
        if not (stop.is_set() and isinstance(error, asyncio.CancelledError | KeyboardInterrupt)):
            raise error
    done = "result" in box
    return StoppableRun(result=box.get("result"), signal_name=stop.signal_name, abandoned=not done)
