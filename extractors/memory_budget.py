"""A budget of bytes that render jobs draw on before a large decode, first come, first served.

Each render worker checks what a page will cost to decode before decoding it
(:func:`extractors.image_pages.decode_cost`), and the per-page limit keeps one page within
``FOLIO_MAX_PAGE_DECODE_BYTES``. Two workers decoding two such pages at once would still
hold twice that: a folder of decompression bombs or a three-frame GIF decoded frame by frame
on both workers at once. So a worker asks the pool for the bytes first
(:class:`extractors.render_pool.RenderPool`), and a page waits while what the others hold
and its own cost would exceed the budget. Small pages never wait in practice: a scanned A4
page costs a few MiB.
"""

from __future__ import annotations

import asyncio
from collections import deque


class MemoryBudget:
    """``total`` bytes shared by holders (None: unlimited). ``await take(holder, n)`` returns
    once ``n`` more bytes fit (a request larger than ``total`` waits until it runs alone);
    ``release(holder)`` gives back all a holder took."""

    def __init__(self, total: int | None) -> None:
        self._total = total
        self._held: dict[object, int] = {}
        self._waiting: deque[tuple[object, int, asyncio.Future[None]]] = deque()

    @property
    def held(self) -> int:
        """Bytes taken and not yet released."""
        return sum(self._held.values())

    def _fits(self, nbytes: int) -> bool:
        used = self.held
        return self._total is None or used == 0 or used + nbytes <= self._total

    async def take(self, holder: object, nbytes: int) -> None:
        """Take ``nbytes`` more for ``holder``, waiting behind earlier requests until they fit.

        A holder that already holds bytes gets more at once (never waits): two holders each
        waiting for the other to release would never wake.
        """
        if nbytes <= 0:
            return
        if self._total is not None:
            nbytes = min(nbytes, self._total)
        if holder in self._held or (not self._waiting and self._fits(nbytes)):
            self._held[holder] = self._held.get(holder, 0) + nbytes
            return
        ticket: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (holder, nbytes, ticket)
        self._waiting.append(entry)
        try:
            await ticket
        except asyncio.CancelledError:
            if ticket.done() and not ticket.cancelled():  # granted just before the cancel
                self.release(holder)
            else:
                self._waiting.remove(entry)
                self._wake()
            raise

    def release(self, holder: object) -> None:
        """Give back everything ``holder`` took (nothing if it took nothing)."""
        if self._held.pop(holder, None) is not None:
            self._wake()

    def _wake(self) -> None:
        while self._waiting and self._fits(self._waiting[0][1]):
            holder, nbytes, ticket = self._waiting.popleft()
            self._held[holder] = self._held.get(holder, 0) + nbytes
            ticket.set_result(None)
