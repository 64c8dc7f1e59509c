"""Fairness through the fake vLLM server: uploads overtake a batch backlog in the client,
tenants' backlogs advance together, and vLLM's ``priority`` field carries the class to the
server: honoured on the priority policy, accepted and ignored on fcfs as vLLM's current
engine does, so the client sends it only where the server's own configuration (or, where
the server does not say, the operator's setting) has the priority policy."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import httpx

from extractors.engines.call_context import CallContext, WorkClass, call_context
from extractors.llama.client import VllmClient
from tests.extractors.llama.conftest import llm_settings
from tests.extractors.llama.test_client import simple_body
from tests.fakes.vllm_server import Capacity, FakeVllmServer

LABEL = re.compile(r"Invoice Number: ([A-Z])-(\d+)")
BATCH_A = CallContext(tenant="A", work_class=WorkClass.BATCH)
BATCH_B = CallContext(tenant="B", work_class=WorkClass.BATCH)
UPLOAD = CallContext(tenant="U", work_class=WorkClass.INTERACTIVE)


def label(body: dict[str, Any]) -> str:
    """Which tenant's request a logged body is (the text each test put in it)."""
    found = LABEL.search(str(body["messages"]))
    assert found is not None
    return found.group(1)


async def send(client: VllmClient, context: CallContext, number: int) -> str | None:
    """One request of ``context``'s tenant; its error code, None when answered."""
    with call_context(context):
        outcome = await client.chat(simple_body(f"Invoice Number: {context.tenant}-{number}"), cost=300)
    return outcome.error.code if outcome.error else None


async def until(condition: Any) -> None:
    while not condition():
        await asyncio.sleep(0.005)


def test_an_upload_waits_for_at_most_the_calls_in_flight(tmp_path: Path) -> None:
    slots = 2
    with FakeVllmServer() as fake:
        fake.faults.latency_s = 0.05
        settings = llm_settings(tmp_path, fake.base_url, llm={"max_concurrency_per_replica": slots})

        async def go() -> tuple[int, list[str | None]]:
            client = VllmClient(settings)
            try:
                backlog = [asyncio.create_task(send(client, BATCH_A, i)) for i in range(12)]
                await until(lambda: fake.chat_count >= slots)
                submitted_at = fake.chat_count  # batch requests that reached the server so far
                upload = asyncio.create_task(send(client, UPLOAD, 0))
                errors = await asyncio.gather(upload, *backlog)
                return submitted_at, errors
            finally:
                await client.aclose()

        submitted_at, errors = asyncio.run(go())
        arrivals = [label(body) for body in fake.requests]
    assert errors == [None] * 13
    # No batch request was sent between the upload's arrival in the client and its own
    # request: it took the first slot that freed up, behind only the calls in flight.
    assert arrivals.index("U") == submitted_at
    assert submitted_at <= slots


def test_two_tenants_backlogs_advance_at_the_same_rate(tmp_path: Path) -> None:
    with FakeVllmServer() as fake:
        fake.faults.latency_s = 0.02
        settings = llm_settings(tmp_path, fake.base_url, llm={"max_concurrency_per_replica": 2})

        async def go() -> int:
            client = VllmClient(settings)
            try:
                first = [asyncio.create_task(send(client, BATCH_A, i)) for i in range(20)]
                await until(lambda: fake.chat_count >= 2)
                started = fake.chat_count
                second = [asyncio.create_task(send(client, BATCH_B, i)) for i in range(20)]
                assert await asyncio.gather(*first, *second) == [None] * 40
                return started
            finally:
                await client.aclose()

        started = asyncio.run(go())
        arrivals = [label(body) for body in fake.requests]
    later = arrivals[started:]
    for stretch in (10, 20, 30):  # while both wait, each gets half the slots
        a, b = later[:stretch].count("A"), later[:stretch].count("B")
        assert abs(a - b) <= 2, (stretch, later)


def test_the_work_class_travels_as_vllm_priority(tmp_path: Path) -> None:
    with FakeVllmServer(priority_scheduling=True) as fake:
        settings = llm_settings(tmp_path, fake.base_url, llm={"scheduling_policy": "priority"})

        async def go() -> list[str | None]:
            client = VllmClient(settings)
            try:
                return [await send(client, BATCH_A, 0), await send(client, UPLOAD, 0)]
            finally:
                await client.aclose()

        assert asyncio.run(go()) == [None, None]
        assert [(label(b), b["priority"]) for b in fake.requests] == [("A", 1), ("U", 0)]


def test_a_fcfs_server_accepts_priority_and_ignores_it_as_vllm_does(tmp_path: Path) -> None:
    with FakeVllmServer() as fake, httpx.Client(base_url=fake.base_url, timeout=10) as http:
        batch = http.post("/chat/completions", json={**simple_body(), "priority": 1})
        upload = http.post("/chat/completions", json={**simple_body(), "priority": 0})
        not_a_number = http.post("/chat/completions", json={**simple_body(), "priority": "high"})
    assert (batch.status_code, upload.status_code) == (200, 200)  # no 400 on fcfs any more
    assert not_a_number.status_code == 400 and not_a_number.json()["error"]["param"] == "priority"

    # ... and its queue is first come, first served whatever the priority says.
    capacity = Capacity(slots=1, prefill_tps=4_000.0, decode_tps=2_000.0)
    with FakeVllmServer(capacity=capacity) as fake:
        settings = llm_settings(tmp_path, fake.base_url, llm={"scheduling_policy": "priority"})

        async def go() -> None:
            worker, api = VllmClient(settings), VllmClient(settings)
            try:
                backlog = [asyncio.create_task(send(worker, BATCH_A, i)) for i in range(4)]
                await until(lambda: fake.chat_count >= 4 and len(fake.started) >= 1)
                assert await asyncio.gather(send(api, UPLOAD, 0), *backlog) == [None] * 5
            finally:
                await worker.aclose()
                await api.aclose()

        asyncio.run(go())
        started = [label(body) for body in fake.started]
    assert started.index("U") == 4, started  # behind every batch request that came first


def test_priority_goes_only_where_the_server_schedules_by_it(tmp_path: Path) -> None:
    with (
        FakeVllmServer(dev_mode=True) as fcfs,
        FakeVllmServer(dev_mode=True, priority_scheduling=True) as priority,
        FakeVllmServer(priority_scheduling=True) as silent,  # no /server_info (not dev mode)
    ):

        async def one(fake: FakeVllmServer, policy: str) -> tuple[str | None, bool]:
            settings = llm_settings(tmp_path, fake.base_url, llm={"scheduling_policy": policy})
            client = VllmClient(settings)
            try:
                assert await send(client, BATCH_A, 1) is None
                (replica,) = client.replicas
                assert replica.config is not None
                return replica.config.scheduling_policy, replica.sends_priority
            finally:
                await client.aclose()

        reported = {
            "fcfs server, priority set": asyncio.run(one(fcfs, "priority")),
            "priority server, priority set": asyncio.run(one(priority, "priority")),
            "silent server, priority set": asyncio.run(one(silent, "priority")),
            "silent server, fcfs set": asyncio.run(one(silent, "fcfs")),
        }
        sent = {
            "fcfs": [b.get("priority") for b in fcfs.requests],
            "priority": [b.get("priority") for b in priority.requests],
            "silent": [b.get("priority") for b in silent.requests],
        }
    assert reported == {
        "fcfs server, priority set": ("fcfs", False),  # the server's word wins (logged as an error)
        "priority server, priority set": ("priority", True),
        "silent server, priority set": (None, True),  # trusted: compose sets both from one variable
        "silent server, fcfs set": (None, False),
    }
    assert sent == {"fcfs": [None], "priority": [1], "silent": [1, None]}


def test_a_priority_server_starts_an_upload_from_another_process_first(tmp_path: Path) -> None:
    # Two clients stand for two processes (a batch worker and the API): the batch client
    # fills the server's queue, the upload still starts as soon as a server slot frees up.
    capacity = Capacity(slots=1, prefill_tps=4_000.0, decode_tps=2_000.0)
    with FakeVllmServer(capacity=capacity, priority_scheduling=True) as fake:
        settings = llm_settings(tmp_path, fake.base_url, llm={"scheduling_policy": "priority"})

        async def go() -> None:
            worker, api = VllmClient(settings), VllmClient(settings)
            try:
                backlog = [asyncio.create_task(send(worker, BATCH_A, i)) for i in range(6)]
                await until(lambda: fake.chat_count >= 6 and len(fake.started) >= 1)
                assert await asyncio.gather(send(api, UPLOAD, 0), *backlog) == [None] * 7
            finally:
                await worker.aclose()
                await api.aclose()

        asyncio.run(go())
        started = [label(body) for body in fake.started]
    assert started.index("U") == 1, started  # right after the one request already running
