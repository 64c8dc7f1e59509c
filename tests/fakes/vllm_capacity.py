"""The fake vLLM server's capacity model and scheduling queue (``Capacity``, ``SlotQueue``).

Scheduling policy: ``priority_scheduling=False`` is vLLM's default ``fcfs``: a request's
``priority`` is accepted and ignored, as vLLM's current engine does; ``True`` is
``--scheduling-policy priority``: queued requests start lowest ``priority`` first, then in
arrival order (the fake never preempts a running request, which vLLM may do).

Capacity model (``Capacity``, for benchmarks): ``slots`` requests run at once, the rest
queue (in order of arrival, or of priority per the policy). Each running request holds its slot for
``slots x (prompt_tokens / prefill_tps + completion_tokens / decode_tps)`` seconds: every
slot gets an equal share of the stated aggregate prefill and decode rates, so the server
completes at most ``1 / mean(p / prefill_tps + c / decode_tps)`` requests per second,
however many clients push.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from dataclasses import dataclass


@dataclass(frozen=True)
class Capacity:
    """Concurrent slots and aggregate prefill/decode rates (tokens per second)."""

    slots: int = 64
    prefill_tps: float = 40_000.0
    decode_tps: float = 6_000.0

    def service_s(self, prompt_tokens: int, completion_tokens: int) -> float:
        """Seconds one request holds its slot when every slot is busy."""
        return self.slots * (prompt_tokens / self.prefill_tps + completion_tokens / self.decode_tps)


class SlotQueue:
    """``slots`` requests at once; waiters start lowest priority first, then by arrival."""

    def __init__(self, slots: int) -> None:
        self._free = slots
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    async def acquire(self, priority: int) -> None:
        if self._free > 0 and not self._waiting:
            self._free -= 1
            return
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (priority, next(self._order), future))
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release()
            raise

    def release(self) -> None:
        self._free += 1
        while self._free > 0 and self._waiting:
            _, _, future = heapq.heappop(self._waiting)
            if not future.done():
                self._free -= 1
                future.set_result(None)
