"""MemoryBudget: requests wait, first come first served, until their bytes fit."""

from __future__ import annotations

import asyncio

import pytest

from extractors.memory_budget import MemoryBudget


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def test_a_request_that_does_not_fit_waits_until_bytes_are_released() -> None:
    async def run() -> None:
        budget = MemoryBudget(100)
        await budget.take("a", 70)
        second = asyncio.ensure_future(budget.take("b", 40))
        await _settle()
        assert not second.done()
        budget.release("a")
        await asyncio.wait_for(second, 1)
        assert budget.held == 40

    asyncio.run(run())


def test_requests_that_fit_together_do_not_wait() -> None:
    async def run() -> None:
        budget = MemoryBudget(100)
        await asyncio.wait_for(budget.take("a", 60), 1)
        await asyncio.wait_for(budget.take("b", 40), 1)
        assert budget.held == 100

    asyncio.run(run())


def test_waiting_is_first_come_first_served() -> None:
    async def run() -> None:
        budget = MemoryBudget(100)
        await budget.take("a", 90)
        big = asyncio.ensure_future(budget.take("big", 80))
        await _settle()
        small = asyncio.ensure_future(budget.take("small", 5))  # would fit, but queues behind
        await _settle()
        assert not big.done() and not small.done()
        budget.release("a")
        await asyncio.wait_for(asyncio.gather(big, small), 1)
        assert budget.held == 85

    asyncio.run(run())


def test_a_request_over_the_whole_budget_runs_alone() -> None:
    async def run() -> None:
        budget = MemoryBudget(100)
        await budget.take("a", 10)
        huge = asyncio.ensure_future(budget.take("huge", 10_000))
        await _settle()
        assert not huge.done()
        budget.release("a")
        await asyncio.wait_for(huge, 1)
        assert budget.held == 100
        after = asyncio.ensure_future(budget.take("after", 1))
        await _settle()
        assert not after.done()
        budget.release("huge")
        await asyncio.wait_for(after, 1)

    asyncio.run(run())


def test_a_holder_asking_for_more_never_waits() -> None:
    async def run() -> None:
        budget = MemoryBudget(100)
        await budget.take("a", 60)
        await budget.take("b", 40)
        await asyncio.wait_for(budget.take("a", 50), 1)  # would deadlock if a waited for b
        assert budget.held == 150
        budget.release("a")
        assert budget.held == 40

    asyncio.run(run())


def test_a_cancelled_waiter_leaves_the_queue_and_lets_the_next_one_in() -> None:
    async def run() -> None:
        budget = MemoryBudget(100)
        await budget.take("a", 50)
        blocked = asyncio.ensure_future(budget.take("b", 80))
        await _settle()
        behind = asyncio.ensure_future(budget.take("c", 40))
        await _settle()
        assert not behind.done()
        blocked.cancel()
        with pytest.raises(asyncio.CancelledError):
            await blocked
        await asyncio.wait_for(behind, 1)
        assert budget.held == 90

    asyncio.run(run())


def test_no_total_means_no_waiting() -> None:
    async def run() -> None:
        budget = MemoryBudget(None)
        await asyncio.wait_for(budget.take("a", 10**12), 1)
        await asyncio.wait_for(budget.take("b", 10**12), 1)

    asyncio.run(run())
