"""Streamed answers: the fake streams as vLLM does, the client joins the chunks into the same
answer a whole response gives (log-probabilities included), a long but healthy answer
finishes however long it takes, and each call records its time to first token and decode
rate."""

from __future__ import annotations

import asyncio
import json
import math
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from extractors.llama.stream import StreamReader, StreamTiming
from models.page import PreparedPage
from tests.extractors.llama.conftest import extract, llm_settings
from tests.extractors.llama.test_client import simple_body
from tests.fakes.vllm_faults import FakeFaults
from tests.fakes.vllm_server import FakeVllmServer
from tests.fakes.vllm_writer import Answer, chunks
from tests.support.truth import InvoiceTruth

Invoice = tuple[InvoiceTruth, list[PreparedPage]]


def events(response: httpx.Response) -> list[str]:
    """The ``data:`` payloads of an event stream, in order."""
    return [line[len("data: ") :] for line in response.text.splitlines() if line.startswith("data: ")]


def test_the_fake_streams_chunks_usage_and_done_as_vllm_does() -> None:
    with FakeVllmServer() as fake, httpx.Client(base_url=fake.base_url, timeout=10) as http:
        body = {**simple_body(), "stream": True, "stream_options": {"include_usage": True}}
        streamed = http.post("/chat/completions", json=body)
        whole = http.post("/chat/completions", json=simple_body()).json()
        without_usage = http.post("/chat/completions", json={**simple_body(), "stream": True})
        options_alone = http.post(
            "/chat/completions", json={**simple_body(), "stream_options": {"include_usage": True}}
        )
    assert streamed.headers["content-type"].startswith("text/event-stream")
    payloads = events(streamed)
    assert payloads[-1] == "[DONE]"
    chunks = [json.loads(p) for p in payloads[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    content = [c for c in chunks[1:] if c["choices"]]
    assert [c["choices"][0]["finish_reason"] for c in content][-1] == "stop"
    assert all(c["choices"][0]["finish_reason"] is None for c in content[:-1])
    text = "".join(c["choices"][0]["delta"]["content"] for c in content)
    assert text == whole["choices"][0]["message"]["content"]
    entries = [e for c in content for e in c["choices"][0]["logprobs"]["content"]]
    assert entries == whole["choices"][0]["logprobs"]["content"]
    usage = chunks[-1]
    assert usage["choices"] == []
    assert usage["usage"]["completion_tokens"] == whole["usage"]["completion_tokens"]
    assert all("usage" not in json.loads(p) for p in events(without_usage)[:-1])
    assert options_alone.status_code == 400
    message = options_alone.json()["error"]["message"]
    assert message == "Stream options can only be defined when `stream=True`."


def test_a_streamed_answer_reads_the_same_as_a_whole_one(
    fake: FakeVllmServer, invoice: Invoice, tmp_path: Path
) -> None:
    truth, pages = invoice
    fake.faults.value_logprobs = {truth.invoice_number: math.log(0.42)}
    fake.faults.multibyte = "replacement"
    streamed = extract(llm_settings(tmp_path, fake.base_url), [pages[0]])
    whole = extract(llm_settings(tmp_path, fake.base_url, llm={"stream": False}), [pages[0]])
    assert streamed.failure is None and whole.failure is None
    assert fake.requests[0]["stream"] is True
    assert fake.requests[0]["stream_options"] == {"include_usage": True}
    assert "stream" not in fake.requests[1]
    assert {k: (f.value, f.confidence) for k, f in streamed.fields.items()} == {
        k: (f.value, f.confidence) for k, f in whole.fields.items()
    }
    assert streamed.fields["invoice_number"].confidence == 0.42
    (s_call,), (w_call,) = streamed.calls, whole.calls
    assert s_call.prompt_tokens == w_call.prompt_tokens
    assert s_call.completion_tokens == w_call.completion_tokens
    assert s_call.first_token_ms is not None and s_call.tokens_per_s is not None
    assert w_call.first_token_ms is None and w_call.tokens_per_s is None


@pytest.mark.slow  # waits out real timeouts and latencies
def test_a_long_healthy_answer_finishes_streamed_where_a_whole_one_times_out(
    fake: FakeVllmServer, invoice: Invoice, tmp_path: Path
) -> None:
    page = invoice[1][0]
    fake.faults.token_latency_s = 0.004  # a few hundred tokens: well over the read limit in all
    quick = {"read_timeout_s": 0.4, "max_attempts": 1}
    streamed = extract(llm_settings(tmp_path, fake.base_url, llm=quick), [page])
    assert streamed.failure is None
    (call,) = streamed.calls
    # The decode alone took longer than the read limit, yet no chunk was that late.
    assert call.completion_tokens is not None and call.completion_tokens * 0.004 > 0.4
    assert call.tokens_per_s is not None and call.first_token_ms is not None

    whole = extract(llm_settings(tmp_path, fake.base_url, llm={"stream": False, **quick}), [page])
    assert whole.failure is not None and whole.failure.code == "timeout"


def test_the_stream_reader_joins_chunks_and_times_the_generated_ones() -> None:
    reader = StreamReader(StreamTiming(sent=0.0), clock=iter([1.0, 2.0, 3.0]).__next__)
    reader.feed('data: {"id": "x", "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}')
    reader.feed("")
    reader.feed(": keep-alive comment")
    reader.feed(
        'data: {"id": "x", "choices": [{"index": 0, "delta": {"content": "{\\"a\\""}, '
        '"logprobs": {"content": [{"token": "{\\"", "logprob": -0.1}, {"token": "a\\"", "logprob": -0.2}]}}]}'
    )
    assert not reader.finished  # the client reports this as ``disconnected`` and retries
    reader.feed(
        'data: {"id": "x", "choices": [{"index": 0, "delta": {"content": ": 1}"}, '
        '"logprobs": {"content": [{"token": ": 1}", "logprob": -0.3}]}, "finish_reason": "stop"}]}'
    )
    reader.feed('data: {"id": "x", "choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 3}}')
    reader.feed("data: [DONE]")
    assert reader.finished and reader.done
    answer = reader.response()
    assert answer["choices"][0]["message"]["content"] == '{"a": 1}'
    assert [e["logprob"] for e in answer["choices"][0]["logprobs"]["content"]] == [-0.1, -0.2, -0.3]
    assert answer["usage"]["completion_tokens"] == 3
    assert reader.timing.first_token_ms == 1000.0  # the first chunk with text, not the role chunk
    assert reader.timing.tokens_per_s(3) == 2.0  # 2 tokens after the first, in 1 s


def test_a_stream_interval_sends_the_first_token_alone_then_groups() -> None:
    with (
        FakeVllmServer(stream_interval=4) as fake,
        httpx.Client(base_url=fake.base_url, timeout=10) as http,
    ):
        body = {**simple_body(), "stream": True, "stream_options": {"include_usage": True}}
        chunks = [json.loads(p) for p in events(http.post("/chat/completions", json=body))[:-1]]
    sizes = [len(c["choices"][0]["logprobs"]["content"]) for c in chunks[1:] if c["choices"]]
    assert sizes[0] == 1 and all(size == 4 for size in sizes[1:-1]) and 1 <= sizes[-1] <= 4
    assert sum(sizes) == chunks[-1]["usage"]["completion_tokens"]


def test_a_streamed_answer_frees_its_slot_when_the_last_token_is_decoded_not_when_it_is_read() -> None:
    # vLLM frees a finished sequence's slot whatever its reader does; the fake's capacity
    # model holds a slot until ``decoded``, called once, before the last chunk is written
    tokens = [(f"t{i}", None) for i in range(40)]
    answer = Answer({"id": "x", "created": 0, "model": "m"}, tokens, None, "stop", {"prompt_tokens": 5})
    checked = SimpleNamespace(include_usage=True)
    seen: list[str] = []

    async def read() -> None:
        calls = 0

        def decoded() -> None:
            nonlocal calls
            calls += 1
            seen.append("decoded")

        async for event in chunks(answer, checked, FakeFaults(), 0.0001, 16, decoded=decoded):
            seen.append(event)
        assert calls == 1

    asyncio.run(read())
    at = seen.index("decoded")
    after = [json.loads(e[len("data: ") :]) for e in seen[at + 1 :] if e != "data: [DONE]\n\n"]
    assert after[0]["choices"][0]["finish_reason"] == "stop"  # the last content chunk comes after
    before = [json.loads(e[len("data: ") :])["choices"][0]["delta"]["content"] for e in seen[1:at]]
    assert "".join(before) == "".join(t for t, _ in tokens[:33])  # 1 + 16 + 16 tokens before it
