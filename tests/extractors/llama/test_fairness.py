"""Fairness through the fake vLLM server: uploads overtake a batch backlog in the client,
tenants' backlogs advance together, and vLLM's ``priority`` field carries the class to the
server (accepted, refused and honoured as vLLM does)."""

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
        settings = llm_settings(tmp_path, fake.base_url, llm_max_concurrency_per_replica=slots)

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
        settings = llm_settings(tmp_path, fake.base_url, llm_max_concurrency_per_replica=2)

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
        settings = llm_settings(tmp_path, fake.base_url, llm_send_priority=True)

        async def go() -> list[str | None]:
            client = VllmClient(settings)
            try:
                return [await send(client, BATCH_A, 0), await send(client, UPLOAD, 0)]
            finally:
                await client.aclose()

        assert asyncio.run(go()) == [None, None]
        assert [(label(b), b["priority"]) for b in fake.requests] == [("A", 1), ("U", 0)]


def test_a_fcfs_server_refuses_priority_as_vllm_does(tmp_path: Path) -> None:
    with FakeVllmServer() as fake, httpx.Client(base_url=fake.base_url, timeout=10) as http:
        refused = http.post("/chat/completions", json={**simple_body(), "priority": 1})
        accepted = http.post("/chat/completions", json={**simple_body(), "priority": 0})
        not_a_number = http.post("/chat/completions", json={**simple_body(), "priority": "high"})
    assert refused.status_code == 400
    assert refused.json()["error"] == {
        "message": "Got priority 1 but Priority scheduling is not enabled.",
        "type": "BadRequestError",
        "param": None,
        "code": 400,
    }
    assert accepted.status_code == 200
    assert not_a_number.status_code == 400 and not_a_number.json()["error"]["param"] == "priority"


def test_a_priority_server_starts_an_upload_from_another_process_first(tmp_path: Path) -> None:
    # Two clients stand for two processes (a batch worker and the API): the batch client
    # fills the server's queue, the upload still starts as soon as a server slot frees up.
    capacity = Capacity(slots=1, prefill_tps=4_000.0, decode_tps=2_000.0)
    with FakeVllmServer(capacity=capacity, priority_scheduling=True) as fake:
        settings = llm_settings(tmp_path, fake.base_url, llm_send_priority=True)

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


def test_a_server_that_refuses_priority_is_sent_none_after_its_first_refusal(tmp_path: Path) -> None:
    with FakeVllmServer() as fake:  # the fcfs policy, as a misconfigured deployment would run
        settings = llm_settings(tmp_path, fake.base_url, llm_send_priority=True)

        async def go() -> list[list[int | None]]:
            client = VllmClient(settings)
            try:
                statuses = []
                for context in (BATCH_A, BATCH_A, UPLOAD):
                    with call_context(context):
                        outcome = await client.chat(simple_body(f"Invoice Number: {context.tenant}-1"))
                    statuses.append([a.http_status for a in outcome.attempts])
                return statuses
            finally:
                await client.aclose()

        statuses = asyncio.run(go())
        sent = [body.get("priority") for body in fake.requests]
    # The refusal is one visible attempt (a ledger row); the page itself is not lost.
    assert statuses == [[400, 200], [200], [200]]
    assert sent == [None, None, None]  # the refused request never reached `requests`
