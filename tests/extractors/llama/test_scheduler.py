"""The slot scheduler's order: interactive before batch, tenants in turn by prompt tokens,
batch never starved, cancelled waiters leave no hole. Pure asyncio, no server."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from extractors.engines.call_context import (
    CallContext,
    WorkClass,
    call_context,
    current_call_context,
)
from extractors.llama.scheduler import SlotScheduler

INTERACTIVE, BATCH = WorkClass.INTERACTIVE, WorkClass.BATCH


async def _grant_order(scheduler: SlotScheduler, waiters: list[tuple[WorkClass, str, int]]) -> list[str]:
    """Queue ``waiters`` (class, label, cost) behind full slots, then free one slot at a
    time; the labels in the order the slots were granted. The tenant is the label's
    first character."""
    order: list[str] = []

    async def wait(work: WorkClass, label: str, cost: int) -> None:
        await scheduler.acquire(work, label[0], cost)
        order.append(label)

    tasks = [asyncio.create_task(wait(*w)) for w in waiters]
    await asyncio.sleep(0)  # every waiter is queued now
    assert scheduler.waiting() == len(waiters)
    for _ in waiters:
        scheduler.release()
        await asyncio.sleep(0)
    await asyncio.gather(*tasks)
    return order


async def _full(capacity: int = 1, **options: int) -> SlotScheduler:
    """A scheduler whose slots are all taken by earlier work."""
    scheduler = SlotScheduler(capacity, **options)
    for _ in range(capacity):
        await scheduler.acquire(BATCH, "earlier")
    return scheduler


def test_a_free_slot_is_granted_at_once() -> None:
    async def go() -> tuple[int, int]:
        scheduler = SlotScheduler(2)
        await scheduler.acquire(BATCH, "a")
        await scheduler.acquire(INTERACTIVE, "b")
        return scheduler.in_flight, scheduler.waiting()

    assert asyncio.run(go()) == (2, 0)


def test_interactive_requests_go_before_the_batch_backlog() -> None:
    async def go() -> list[str]:
        backlog = [(BATCH, f"a{i}", 100) for i in range(6)]
        uploads = [(INTERACTIVE, "u1", 100), (INTERACTIVE, "v1", 100)]
        return await _grant_order(await _full(), backlog + uploads)

    order = asyncio.run(go())
    assert order[:2] == ["u1", "v1"]
    assert order[2:] == [f"a{i}" for i in range(6)]  # one tenant: first come, first served


def test_tenants_of_one_class_take_turns() -> None:
    async def go() -> list[str]:
        a = [(BATCH, f"a{i}", 500) for i in range(6)]
        b = [(BATCH, f"b{i}", 500) for i in range(3)]
        return await _grant_order(await _full(), a + b)

    order = asyncio.run(go())
    assert order == ["a0", "b0", "a1", "b1", "a2", "b2", "a3", "a4", "a5"]


def test_tenants_share_prompt_tokens_not_requests() -> None:
    # Tenant "i" sends image requests four times the size of tenant "t"'s text requests:
    # over any stretch where both wait, "t" gets about four requests per one of "i".
    async def go() -> list[str]:
        images = [(BATCH, f"i{n}", 2000) for n in range(10)]
        texts = [(BATCH, f"t{n}", 500) for n in range(40)]
        return await _grant_order(await _full(), images + texts)

    order = asyncio.run(go())
    cost = {"i": 2000, "t": 500}
    for stretch in (10, 20, 25):  # while both wait, neither is ahead by more than one request
        tokens: Counter[str] = Counter()
        for label in order[:stretch]:
            tokens[label[0]] += cost[label[0]]
        assert abs(tokens["i"] - tokens["t"]) <= 2000, (stretch, tokens)
    assert sum(label[0] == "t" for label in order[:25]) == 20  # 5 x 2000 = 20 x 500 tokens


def test_batch_still_progresses_under_a_stream_of_uploads() -> None:
    async def go() -> list[str]:
        uploads = [(INTERACTIVE, f"u{i}", 100) for i in range(9)]
        backlog = [(BATCH, f"a{i}", 100) for i in range(3)]
        return await _grant_order(await _full(interactive_burst=3), uploads + backlog)

    order = asyncio.run(go())
    assert [label[0] for label in order] == list("uuuauuuauuua")


def test_a_cancelled_waiter_gives_its_turn_away() -> None:
    async def go() -> tuple[list[str], int]:
        scheduler = await _full()
        order: list[str] = []

        async def wait(work: WorkClass, label: str) -> None:
            await scheduler.acquire(work, label[0])
            order.append(label)

        upload = asyncio.create_task(wait(INTERACTIVE, "u"))
        batch = asyncio.create_task(wait(BATCH, "a"))
        await asyncio.sleep(0)
        upload.cancel()
        with pytest.raises(asyncio.CancelledError):
            await upload
        scheduler.release()
        await batch
        return order, scheduler.waiting()

    assert asyncio.run(go()) == (["a"], 0)


def test_more_capacity_grants_waiters_and_less_holds_them() -> None:
    async def go() -> tuple[int, int, int]:
        scheduler = await _full(2)
        tasks = [asyncio.create_task(scheduler.acquire(BATCH, "a")) for _ in range(3)]
        await asyncio.sleep(0)
        scheduler.set_capacity(4)
        await asyncio.sleep(0)
        granted = sum(t.done() for t in tasks)
        scheduler.set_capacity(1)
        scheduler.release()  # 3 in flight of 1: nothing more is granted
        await asyncio.sleep(0)
        still = scheduler.waiting()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return granted, still, scheduler.in_flight

    assert asyncio.run(go()) == (2, 1, 3)


def test_the_call_context_reaches_tasks_started_inside_it() -> None:
    async def go() -> tuple[CallContext, CallContext]:
        context = CallContext.for_document(tenant="7", source="webhook")

        async def seen() -> CallContext:
            await asyncio.sleep(0)
            return current_call_context()

        with call_context(context):
            task = asyncio.create_task(seen())
        inside = await task  # started inside, finished outside: it keeps its copy
        return inside, current_call_context()

    inside, after = asyncio.run(go())
    assert inside == CallContext(tenant="7", work_class=INTERACTIVE)
    assert after.work_class is BATCH and after.tenant == ""
    assert CallContext.for_document(tenant="7", source="cli").work_class is BATCH
