"""Balancing, health checks and retry waits of the vLLM client; the fake's protocol."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import httpx
import pytest

from extractors.llama import llama_server_healthy
from extractors.llama.client import VllmClient, health_url
from models.page import PreparedPage
from models.schemas import get_schema
from tests.extractors.llama.conftest import extract, llm_settings
from tests.fakes.vllm_server import DEFAULT_MODEL, FakeVllmServer


def closed_port_url() -> str:
    """A base URL on 127.0.0.1 where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def simple_body(text: str = "Invoice Number: A-1") -> dict:
    from extractors.llama.requests import build_request
    from tests.extractors.llama.conftest import llm_settings as _settings

    page = PreparedPage(page_number=1, text=text, route="text", text_quality="good")
    request = build_request([page], get_schema("invoice"), settings=_settings(Path("/tmp"), "http://x/v1"))
    return request.body(DEFAULT_MODEL)


def test_health_url_is_at_the_server_root() -> None:
    assert health_url("http://gpu1:8000/v1") == "http://gpu1:8000/health"
    assert health_url("http://gpu1:8000/v1/") == "http://gpu1:8000/health"


@pytest.mark.slow  # waits out real timeouts and latencies
def test_requests_go_to_the_replica_with_fewest_outstanding(tmp_path: Path) -> None:
    with FakeVllmServer() as slow, FakeVllmServer() as fast:
        slow.faults.latency_s = 1.5
        settings = llm_settings(tmp_path, slow.base_url, fast.base_url)

        async def go() -> None:
            client = VllmClient(settings)
            try:
                first = asyncio.create_task(client.chat(simple_body()))
                while slow.chat_count == 0:  # the first request is in flight on `slow`
                    await asyncio.sleep(0.01)
                for _ in range(4):  # round-robin would send two of these to `slow`
                    outcome = await client.chat(simple_body())
                    assert outcome.error is None
                assert (await first).error is None
            finally:
                await client.aclose()

        asyncio.run(go())
    assert (slow.chat_count, fast.chat_count) == (1, 4)


def test_a_replica_that_is_down_or_unhealthy_is_skipped(invoice: tuple, tmp_path: Path) -> None:
    with FakeVllmServer() as sick, FakeVllmServer() as well:
        sick.faults.healthy = False
        settings = llm_settings(tmp_path, closed_port_url(), sick.base_url, well.base_url)
        results = [extract(settings, [invoice[1][0]]) for _ in range(3)]
    assert all(r.failure is None and len(r.calls) == 1 for r in results)
    assert sick.chat_count == 0 and sick.health_count >= 1 and well.chat_count == 3


def test_no_healthy_replica_fails_the_page_after_the_attempts(invoice: tuple, tmp_path: Path) -> None:
    settings = llm_settings(tmp_path, closed_port_url(), llm={"max_attempts": 2})
    result = extract(settings, [invoice[1][0]])
    assert result.failure is not None and result.failure.code == "no_replica"
    assert [c.error_code for c in result.calls] == ["no_replica", "no_replica"]


def test_retry_after_is_honoured(tmp_path: Path) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    with FakeVllmServer() as fake:
        fake.faults.rate_limited, fake.faults.retry_after_s = 2, 0.75
        settings = llm_settings(tmp_path, fake.base_url)

        async def go() -> list[int | None]:
            client = VllmClient(settings, sleep=sleep)
            try:
                outcome = await client.chat(simple_body())
                return [a.http_status for a in outcome.attempts]
            finally:
                await client.aclose()

        statuses = asyncio.run(go())
    assert statuses == [429, 429, 200]
    assert waits == [0.75, 0.75]


def test_a_retry_after_beyond_the_budget_stops_retrying(tmp_path: Path) -> None:
    with FakeVllmServer() as fake:
        fake.faults.rate_limited, fake.faults.retry_after_s = 5, 30.0
        settings = llm_settings(tmp_path, fake.base_url, llm={"retry_budget_s": 2.0})

        async def go() -> tuple[int, str | None]:
            client = VllmClient(settings)
            try:
                outcome = await client.chat(simple_body())
                return len(outcome.attempts), outcome.error.code if outcome.error else None
            finally:
                await client.aclose()

        assert asyncio.run(go()) == (1, "rate_limited")


def test_server_health_for_auto(tmp_path: Path) -> None:
    with FakeVllmServer() as fake:
        assert asyncio.run(llama_server_healthy(llm_settings(tmp_path, fake.base_url)))
    assert not asyncio.run(llama_server_healthy(llm_settings(tmp_path, closed_port_url())))
    assert not asyncio.run(llama_server_healthy(llm_settings(tmp_path)))


def test_fake_speaks_vllm_errors_and_ignores_guided_json() -> None:
    with FakeVllmServer() as fake, httpx.Client(base_url=fake.base_url, timeout=10) as http:
        body = simple_body()
        wrong = http.post("/chat/completions", json={**body, "model": "nope"})
        assert wrong.status_code == 404
        assert wrong.json() == {
            "error": {
                "message": "The model `nope` does not exist.",
                "type": "NotFoundError",
                "param": "model",
                "code": 404,
            }
        }
        schema = body.pop("response_format")["json_schema"]["schema"]
        guided = http.post("/chat/completions", json={**body, "guided_json": schema})
        assert guided.status_code == 200
        content = guided.json()["choices"][0]["message"]["content"]
        assert not content.lstrip().startswith("{")  # unconstrained text, not the JSON
        bad_image = {
            "role": "user",
            "content": [
                {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,bm90IGFuIGltYWdl"}}
            ],
        }
        broken = http.post("/chat/completions", json={**body, "messages": [bad_image]})
        assert broken.status_code == 400 and broken.json()["error"]["type"] == "BadRequestError"
        models = http.get("/models").json()
        assert [m["id"] for m in models["data"]] == [DEFAULT_MODEL]
