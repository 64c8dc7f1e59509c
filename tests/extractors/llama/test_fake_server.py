"""The fake vLLM server behaves as a real one does where it costs money or trust: the
whitespace loop (and ``disable_any_whitespace`` curing it), usage on a cut answer, the
completion budget fields, a server still loading its weights, and ``/server_info``."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx

from extractors.llama.client import VllmClient
from tests.extractors.llama.conftest import llm_settings
from tests.extractors.llama.test_client import simple_body
from tests.fakes.vllm_server import FakeVllmServer


def test_the_whitespace_loop_writes_valid_json_then_whitespace_to_the_budget() -> None:
    with FakeVllmServer() as fake, httpx.Client(base_url=fake.base_url, timeout=10) as http:
        clean = http.post("/chat/completions", json=simple_body()).json()
        fake.faults.whitespace_loop = True
        looped = http.post("/chat/completions", json={**simple_body(), "max_completion_tokens": 300}).json()
    (choice,) = looped["choices"]
    content = choice["message"]["content"]
    answer = clean["choices"][0]["message"]["content"]
    assert content.startswith(answer) and content[len(answer) :].isspace()
    assert json.loads(content) == json.loads(answer)  # valid JSON, padded
    assert choice["finish_reason"] == "length"
    # vLLM counts every generated token of a cut answer, and each has its log-probability.
    assert looped["usage"]["completion_tokens"] == 300
    assert looped["usage"]["total_tokens"] == looped["usage"]["prompt_tokens"] + 300
    assert len(choice["logprobs"]["content"]) == 300


def test_a_server_started_with_disable_any_whitespace_does_not_loop() -> None:
    with (
        FakeVllmServer(disable_any_whitespace=True) as fake,
        httpx.Client(base_url=fake.base_url, timeout=10) as http,
    ):
        fake.faults.whitespace_loop = True
        answer = http.post("/chat/completions", json={**simple_body(), "max_completion_tokens": 300}).json()
    assert answer["choices"][0]["finish_reason"] == "stop"
    assert answer["usage"]["completion_tokens"] < 300


def test_max_completion_tokens_wins_over_the_deprecated_max_tokens() -> None:
    with (
        FakeVllmServer(max_model_len=2048) as fake,
        httpx.Client(base_url=fake.base_url, timeout=10) as http,
    ):
        both = http.post(
            "/chat/completions", json={**simple_body(), "max_completion_tokens": 5, "max_tokens": 500}
        ).json()
        plain = {k: v for k, v in simple_body().items() if k != "max_completion_tokens"}
        old = http.post("/chat/completions", json={**plain, "max_tokens": 7}).json()
        fake.faults.whitespace_loop = True
        unbounded = http.post("/chat/completions", json=plain).json()
        bad = http.post("/chat/completions", json={**simple_body(), "max_completion_tokens": 0})
    assert both["usage"]["completion_tokens"] == 5 and both["choices"][0]["finish_reason"] == "length"
    assert old["usage"]["completion_tokens"] == 7
    # No budget at all: the loop runs until the context is full, as vLLM's default allows.
    assert unbounded["usage"]["total_tokens"] == fake.max_model_len
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "max_completion_tokens"


def test_a_loading_server_answers_nothing_until_its_weights_are_in(tmp_path: Path) -> None:
    with FakeVllmServer() as fake:
        fake.loading = True
        settings = llm_settings(
            tmp_path,
            fake.base_url,
            llm={"connect_timeout_s": 0.2, "health_backoff_s": 0.01},
        )

        async def go() -> tuple[bool, bool]:
            client = VllmClient(settings)
            try:
                while_loading = await client.any_healthy()
                fake.loading = False
                await asyncio.sleep(0.02)  # past the probe backoff
                return while_loading, await client.any_healthy()
            finally:
                await client.aclose()

        assert asyncio.run(go()) == (False, True)


def test_server_info_only_in_dev_mode_with_the_scheduling_policy() -> None:
    with (
        FakeVllmServer() as plain,
        FakeVllmServer(dev_mode=True, priority_scheduling=True, disable_any_whitespace=True) as dev,
    ):
        root = plain.base_url.removesuffix("/v1")
        assert httpx.get(f"{root}/server_info", timeout=10).status_code == 404
        info = httpx.get(
            f"{dev.base_url.removesuffix('/v1')}/server_info", params={"config_format": "json"}, timeout=10
        ).json()
    config = info["vllm_config"]
    assert config["scheduler_config"]["policy"] == "priority"
    assert config["structured_outputs_config"] == {"backend": "xgrammar", "disable_any_whitespace": True}
