"""Who gets the next model-server request slot when more requests wait than slots exist.

One ``SlotScheduler`` per client (per process) holds ``capacity`` slots (replicas x
``llm_max_concurrency_per_replica``, shrunk while replicas are down). A request holds a
slot for one HTTP attempt. When a slot frees up, the waiter that gets it is chosen so:

1. **Class**: interactive work (uploads someone waits for) before batch work. An upload
   that arrives while batch requests fill every slot gets the next slot that frees up,
   so it waits for at most one model call of the batch, not for the batch's backlog.
2. **Starvation guard**: after ``interactive_burst`` interactive grants in a row while
   batch work waits, one batch request is granted. Batch keeps at least
   ``1 / (interactive_burst + 1)`` of the grants however many uploads arrive.
3. **Tenants**: within a class, start-time fair queuing over the tenants that wait. Each
   tenant has a virtual start time, the prompt tokens granted to it so far in this busy
   period; the tenant with the lowest goes next (ties: the one that started waiting
   first) and its time grows by the request's estimated cost. Tenants so get equal shares
   of prompt tokens, not of requests (a tenant sending five-image requests cannot crowd
   out one sending text pages), and no tenant runs ahead of another by more than one
   request. A tenant that starts waiting joins at the current virtual time: time spent
   idle is not credit to spend later. Within one tenant, first come first served.

Pure asyncio, no I/O: the order is decided in ``release`` and ``acquire`` under the event
loop's single thread. Across processes (an API worker and batch workers share a server)
the same classes travel as vLLM's per-request ``priority`` (see ``client``).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from extractors.engines.call_context import WorkClass


@dataclass
class _Waiter:
    tenant: str
    cost: int
    future: asyncio.Future[None]


@dataclass
class _ClassQueue:
    """The waiters of one class: one FIFO per tenant (in the order tenants started waiting),
    each tenant with its virtual start time."""

    by_tenant: dict[str, deque[_Waiter]] = field(default_factory=dict)
    start: dict[str, int] = field(default_factory=dict)
    clock: int = 0  # the virtual start time of the latest grant
    size: int = 0

    def push(self, waiter: _Waiter) -> None:
        queue = self.by_tenant.get(waiter.tenant)
        if queue is None:
            queue = self.by_tenant[waiter.tenant] = deque()
            self.start[waiter.tenant] = self.clock
        queue.append(waiter)
        self.size += 1

    def pop(self) -> _Waiter:
        """The next waiter: the head of the tenant with the lowest virtual start time."""
        tenant = min(self.by_tenant, key=self.start.__getitem__)  # ties: dict order, first waiting
        queue = self.by_tenant[tenant]
        head = queue.popleft()
        self.size -= 1
        self.clock = self.start[tenant]
        self.start[tenant] += head.cost
        if queue:
            # Behind every tenant of the same virtual time: equal tenants take turns.
            self.by_tenant[tenant] = self.by_tenant.pop(tenant)
        else:
            self._drop(tenant)
        return head

    def remove(self, waiter: _Waiter) -> None:
        """Take out a waiter that gave up (cancelled) before it was granted."""
        queue = self.by_tenant.get(waiter.tenant)
        if queue is None or waiter not in queue:
            return
        queue.remove(waiter)
        self.size -= 1
        if not queue:
            self._drop(waiter.tenant)

    def _drop(self, tenant: str) -> None:
        del self.by_tenant[tenant]
        del self.start[tenant]


class SlotScheduler:
    """Request slots granted by class, then fairly across tenants (see the module doc)."""

    def __init__(self, capacity: int, *, interactive_burst: int = 8) -> None:
        if capacity < 1 or interactive_burst < 1:
            raise ValueError("capacity and interactive_burst must be at least 1")
        self._capacity = capacity
        self._burst = interactive_burst
        self._in_flight = 0
        self._interactive_run = 0  # interactive grants in a row while batch work waited
        self._queues = {work: _ClassQueue() for work in WorkClass}

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def waiting(self, work: WorkClass | None = None) -> int:
        """How many requests wait for a slot (of one class, or all)."""
        if work is not None:
            return self._queues[work].size
        return sum(q.size for q in self._queues.values())

    def set_capacity(self, capacity: int) -> None:
        """Change the number of slots (replicas went down or came back); requests in
        flight keep theirs, new grants wait until fewer than ``capacity`` are in flight."""
        self._capacity = max(1, capacity)
        self._dispatch()

    async def acquire(self, work: WorkClass, tenant: str, cost: int = 1) -> None:
        """Wait for a slot; ``cost`` is the request's estimated prompt tokens."""
        if self._in_flight < self._capacity and self.waiting() == 0:
            self._in_flight += 1
            return
        waiter = _Waiter(tenant, max(1, cost), asyncio.get_running_loop().create_future())
        self._queues[work].push(waiter)
        self._dispatch()  # a slot may be free already (capacity grew, or nobody else waits)
        try:
            await waiter.future
        except asyncio.CancelledError:
            if waiter.future.done() and not waiter.future.cancelled():
                self.release()  # granted just as we were cancelled: hand the slot on
            else:
                self._queues[work].remove(waiter)
            raise

    def release(self) -> None:
        """Give a slot back; the next waiter in order gets it."""
        self._in_flight -= 1
        self._dispatch()

    @asynccontextmanager
    async def slot(self, work: WorkClass, tenant: str, cost: int = 1) -> AsyncIterator[None]:
        """``async with scheduler.slot(...)``: hold one slot for the block."""
        await self.acquire(work, tenant, cost)
        try:
            yield
        finally:
            self.release()

    def _dispatch(self) -> None:
        while self._in_flight < self._capacity and self.waiting():
            waiter = self._next()
            if waiter.future.done():  # cancelled while waiting; its task removes nothing more
                continue
            self._in_flight += 1
            waiter.future.set_result(None)

    def _next(self) -> _Waiter:
        interactive = self._queues[WorkClass.INTERACTIVE]
        batch = self._queues[WorkClass.BATCH]
        if interactive.size and not (batch.size and self._interactive_run >= self._burst):
            self._interactive_run = self._interactive_run + 1 if batch.size else 0
            return interactive.pop()
        self._interactive_run = 0
        return batch.pop()
