"""A protocol-faithful fake of vLLM's OpenAI-compatible server, over real HTTP on 127.0.0.1.

Endpoints: ``GET /health`` (200, empty; 503 when told to be unhealthy), ``GET /v1/models``,
``POST /v1/chat/completions``, and ``GET /server_info`` only with ``dev_mode`` (vLLM serves
it only with ``VLLM_SERVER_DEV_MODE=1``; otherwise 404). Requests are checked the way vLLM
checks them (served model name -> 404 "The model `x` does not exist."; message roles and
content-part shapes; ``image_url`` data URLs must decode to images; at most ``max_images``
images -> 400 "At most N image(s) may be provided in one prompt."; ``response_format``
shape; ``stream_options`` only with ``stream``; prompt plus the completion budget within
``max_model_len``). The budget is ``max_completion_tokens``, else the deprecated
``max_tokens``, else what the context has left. Errors use vLLM's shape
``{"error": {"message", "type", "param", "code"}}`` with ``code`` the HTTP status.
``guided_json`` is accepted and ignored, as vLLM >= 0.12 does: such a request gets
unconstrained prose around the JSON. Answers use vLLM's ``chat.completion`` shape with
``logprobs.content`` when asked and ``usage.prompt_tokens_details`` (``cached_tokens``,
``multimodal_tokens.image``) when ``prompt_tokens_details`` is on. See ``vllm_model`` for
how answers are made.

Streaming (``stream: true``): server-sent events as vLLM writes them: a first chunk with
``delta.role`` and empty content, then the first token alone and chunks of
``stream_interval`` tokens after it (vLLM's ``--stream-interval``; ``delta.content`` and the
tokens' ``logprobs.content`` entries), the last with ``finish_reason``; with
``stream_options.include_usage`` a final chunk with ``choices: []`` and ``usage``; then
``data: [DONE]``.

Faults (``FakeFaults``, set on the server or per request with the test-only header
``x-fake-faults: <json>``): latency, 503 overload, every-Nth 500, 429 with Retry-After,
truncation, invalid JSON, schema violation, dropped connection, unhealthy, a slow but
healthy decode (``token_latency_s`` a token), and the structured-output whitespace loop
(``whitespace_loop``: the JSON answer, then whitespace tokens until the budget is spent,
``finish_reason: "length"``, usage counting every token, as vLLM reports a cut answer;
a server started with ``disable_any_whitespace`` never loops). Answers and their
log-probabilities on demand: wrong values for chosen documents (``wrong``), no
log-probabilities, chosen values uncertain, multi-byte characters split over byte tokens in
the ways servers write them (``multibyte``), ``token_id:N`` tokens, an end-of-sequence entry,
JSON escapes in the answer. ``loading``: the server has bound its port but answers nothing
(vLLM while it loads weights) until ``loading`` is set back to False.

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

import argparse
import asyncio
import heapq
import itertools
import json
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.fakes import vllm_model as fake_model
from tests.fakes.vllm_checks import RequestError, check_chat_request

DEFAULT_MODEL = "meta-llama/Llama-4-Scout-17B-16E-Instruct"
# The message text vLLM-based gateways return when the engine queue is full. vLLM itself
# answers 503 from /health when its engine is dead; the exact wording here is ours.
BUSY_MESSAGE = "The engine is currently busy: too many requests are waiting. Try again later."
# What the whitespace loop writes, token after token (seen as "  \n" in vLLM issue #38696).
WHITESPACE_TOKEN = "  \n"
WHITESPACE_LOGPROB = -0.02


@dataclass
class FakeFaults:
    """Misbehaviour on demand. Counters (``overloaded`` ...) apply to the next N requests."""

    latency_s: float = 0.0
    overloaded: int = 0
    flaky_every: int = 0
    rate_limited: int = 0
    retry_after_s: float = 1.0
    truncate: int = 0
    invalid_json: int = 0
    schema_violation: int = 0
    drop_connection: int = 0
    healthy: bool = True
    no_logprobs: bool = False
    value_logprobs: dict[str, float] = field(default_factory=dict)
    hallucinate: dict[str, str] = field(default_factory=dict)  # value read -> value answered
    # A text the fake read on the request's pages (e.g. an invoice number) -> the fields it
    # answers wrongly for them (see vllm_model.wrong_value).
    wrong: dict[str, list[str]] = field(default_factory=dict)
    multibyte: fake_model.MultibyteStyle = "whole"
    token_ids_for: list[str] = field(default_factory=list)  # values written as token_id:N
    eos_token: str | None = None  # "<|eot|>", or "" (decoded with special tokens skipped)
    escape_json: bool = False  # \u00e9 and \/ in the answer's strings
    whitespace_loop: bool = False  # after the JSON, whitespace until the budget is spent
    token_latency_s: float = 0.0  # decode time per generated token (a slow, healthy server)


@dataclass(frozen=True)
class Capacity:
    """Concurrent slots and aggregate prefill/decode rates (tokens per second)."""

    slots: int = 64
    prefill_tps: float = 40_000.0
    decode_tps: float = 6_000.0

    def service_s(self, prompt_tokens: int, completion_tokens: int) -> float:
        """Seconds one request holds its slot when every slot is busy."""
        return self.slots * (prompt_tokens / self.prefill_tps + completion_tokens / self.decode_tps)


@dataclass(frozen=True)
class _Answer:
    """One completion as the fake sends it: the response head, the tokens with their
    logprobs, the logprob entries (when asked for), why it ended, and the usage."""

    head: dict[str, Any]
    tokens: list[tuple[str, float]]
    entries: list[list[dict[str, Any]]] | None
    finish: str
    usage: dict[str, Any]


class FakeVllmServer:
    """``with FakeVllmServer() as fake: fake.base_url`` -> ``http://127.0.0.1:<port>/v1``."""

    def __init__(  # noqa: PLR0913 - one keyword per vLLM server flag a test may set
        self,
        *,
        model: str = DEFAULT_MODEL,
        max_images: int = 5,
        max_model_len: int = 131_072,
        prompt_tokens_details: bool = True,
        capacity: Capacity | None = None,
        faults: FakeFaults | None = None,
        priority_scheduling: bool = False,
        dev_mode: bool = False,
        disable_any_whitespace: bool = False,
        stream_interval: int = 1,
    ) -> None:
        self.model = model
        self.dev_mode = dev_mode  # VLLM_SERVER_DEV_MODE=1: /server_info answers
        self.disable_any_whitespace = disable_any_whitespace  # --structured-outputs-config
        self.stream_interval = stream_interval  # tokens per streamed chunk
        self.loading = False  # port bound, nothing answered (weights loading)
        self.max_images = max_images
        self.max_model_len = max_model_len
        self.prompt_tokens_details = prompt_tokens_details
        self.capacity = capacity
        self.priority_scheduling = priority_scheduling
        self.faults = faults or FakeFaults()
        self.image_texts: dict[str, str] = {}
        self.requests: list[dict[str, Any]] = []  # chat bodies received, image data cut
        self.chat_count = 0
        self.health_count = 0
        self._lock = threading.Lock()
        self._slots: _SlotQueue | None = None
        self.started: list[dict[str, Any]] = []  # with a capacity: bodies in the order they got a slot
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    # --- lifecycle ------------------------------------------------------------------
    def start(self, port: int = 0) -> FakeVllmServer:
        """Serve in a background thread on 127.0.0.1 (an ephemeral port by default)."""
        config = uvicorn.Config(
            self.app(),
            host="127.0.0.1",
            port=port,
            log_level="error",
            access_log=False,
            lifespan="off",
            ws="none",
            http="h11",
            loop="asyncio",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True, name="fake-vllm")
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the fake vLLM server did not start")
            time.sleep(0.01)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> FakeVllmServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def describe_image(self, jpeg: bytes, text: str) -> None:
        """Tell the fake what text an image shows (the test drew the image from it)."""
        import hashlib

        self.image_texts[hashlib.sha256(jpeg).hexdigest()] = text

    # --- the app --------------------------------------------------------------------
    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/health", self._health, methods=["GET"]),
                Route("/v1/models", self._models, methods=["GET"]),
                Route("/v1/chat/completions", self._chat, methods=["POST"]),
                Route("/server_info", self._server_info, methods=["GET"]),
            ]
        )

    async def _until_loaded(self, request: Request) -> bool:
        """While ``loading``, answer nothing (as vLLM before its engine is up); False when
        the client gave up first."""
        while self.loading:
            await asyncio.sleep(0.02)
            if await request.is_disconnected():
                return False
        return True

    async def _health(self, request: Request) -> Response:
        self.health_count += 1
        if not await self._until_loaded(request):
            return Response(status_code=499)
        return Response(status_code=200 if self.faults.healthy else 503)

    async def _server_info(self, request: Request) -> Response:
        """vLLM's development endpoint: the engine configuration (``config_format=json``)."""
        if not await self._until_loaded(request):
            return Response(status_code=499)
        if not self.dev_mode:
            return JSONResponse({"detail": "Not Found"}, status_code=404)
        config = {
            "model_config": {"model": self.model, "max_model_len": self.max_model_len},
            "scheduler_config": {"policy": "priority" if self.priority_scheduling else "fcfs"},
            "structured_outputs_config": {
                "backend": "xgrammar" if self.disable_any_whitespace else "auto",
                "disable_any_whitespace": self.disable_any_whitespace,
            },
        }
        if request.query_params.get("config_format") != "json":
            return JSONResponse({"vllm_config": repr(config)})
        return JSONResponse({"vllm_config": config})

    async def _models(self, request: Request) -> Response:
        card = {
            "id": self.model,
            "object": "model",
            "created": int(time.time()),
            "owned_by": "vllm",
            "root": self.model,
            "parent": None,
            "max_model_len": self.max_model_len,
            "permission": [],
        }
        return JSONResponse({"object": "list", "data": [card]})

    def _faults_for(self, request: Request) -> tuple[FakeFaults, bool]:
        """The faults for this request and whether they came from its header."""
        header = request.headers.get("x-fake-faults")
        if header:
            return replace(FakeFaults(), **json.loads(header)), True
        return self.faults, False

    @staticmethod
    async def _wait_unless_gone(request: Request, seconds: float) -> bool:
        """Sleep ``seconds``; False as soon as the client has closed its connection."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            await asyncio.sleep(min(left, 0.05))
            if await request.is_disconnected():
                return False
        return True

    def _take(self, faults: FakeFaults, name: str, own: bool) -> bool:
        """Consume one of the next-N counter ``name``."""
        with self._lock:
            left = getattr(faults, name)
            if left > 0:
                setattr(faults, name, left - 1)
                return True
            return False

    async def _chat(self, request: Request) -> Response:
        with self._lock:
            self.chat_count += 1
            number = self.chat_count
        faults, own = self._faults_for(request)
        await request.body()  # read (and cached) first: a disconnect check must not eat it
        if not await self._until_loaded(request):
            return Response(status_code=499)
        if faults.latency_s and not await self._wait_unless_gone(request, faults.latency_s):
            return Response(status_code=499)  # the client went away: vLLM aborts the request too
        if self._take(faults, "drop_connection", own):
            self._drop(request)
            return Response(status_code=500)
        if self._take(faults, "rate_limited", own):
            return _error(
                429,
                "Too many requests: rate limit exceeded.",
                "RateLimitError",
                headers={"Retry-After": f"{faults.retry_after_s:g}"},
            )
        if self._take(faults, "overloaded", own):
            return _error(503, BUSY_MESSAGE, "ServiceUnavailableError")
        if faults.flaky_every and number % faults.flaky_every == 0:
            return _error(500, "Internal server error (flaky fake).", "InternalServerError")
        try:
            body = json.loads(await request.body())
            checked = check_chat_request(body, model=self.model, max_images=self.max_images)
        except json.JSONDecodeError as exc:
            return _error(400, f"JSON decode error: {exc}", "BadRequestError")
        except RequestError as exc:
            return _error(exc.status, exc.message, exc.err_type, param=exc.param)
        self.requests.append(checked.logged)
        prompt_tokens = checked.text_tokens + checked.image_tokens
        if checked.max_tokens is None:  # vLLM: whatever the context has left
            checked.max_tokens = max(1, self.max_model_len - prompt_tokens)
        if prompt_tokens + checked.max_tokens > self.max_model_len:
            return _error(
                400,
                (
                    f"This model's maximum context length is {self.max_model_len} tokens. However, "
                    f"you requested {prompt_tokens + checked.max_tokens} tokens ({prompt_tokens} in "
                    f"the messages, {checked.max_tokens} in the completion). Please reduce the "
                    "length of the messages or completion."
                ),
                "BadRequestError",
            )
        return await self._complete(request, body, checked, faults, own, prompt_tokens)

    async def _complete(
        self,
        request: Request,
        body: dict[str, Any],
        checked: Any,
        faults: FakeFaults,
        own: bool,
        prompt_tokens: int,
    ) -> Response:
        pages = fake_model.pages_in(body["messages"])
        answer, confidences = fake_model.answer_for(
            checked.answer_schema or {}, checked.schema_name, pages, self.image_texts
        )
        if faults.hallucinate:
            answer = _replace_values(answer, faults.hallucinate)
        if faults.wrong:
            seen = fake_model.text_seen(pages, self.image_texts)
            names = [n for key, fields in faults.wrong.items() if key in seen for n in fields]
            answer = fake_model.corrupt(answer, names) if names else answer
        if self._take(faults, "schema_violation", own) and isinstance(answer, dict):
            answer = {**answer, "comment": "read from the page"}  # a key the schema forbids
        content, spans = fake_model.serialise(answer, escape=faults.escape_json)
        if checked.answer_schema is None:  # no response_format honoured: free prose
            content = "Here is the information I found in the document:\n" + content
            spans = {}
        if self._take(faults, "invalid_json", own):
            content = content[:-1]  # the closing brace is missing
        tokens = fake_model.tokens_with_logprobs(content, spans, confidences, faults.value_logprobs)
        constrained = checked.answer_schema is not None
        loops = faults.whitespace_loop and constrained and not self.disable_any_whitespace
        if loops:
            # xgrammar with free whitespace at temperature 0: once the model picks whitespace
            # after the object, nothing makes it stop before the budget (vLLM issue #38696).
            tokens += [(WHITESPACE_TOKEN, WHITESPACE_LOGPROB)] * max(0, checked.max_tokens - len(tokens))
        finish = "stop"
        if loops or len(tokens) > checked.max_tokens:
            tokens, finish = tokens[: checked.max_tokens], "length"
        elif self._take(faults, "truncate", own):
            tokens, finish = tokens[: max(1, len(tokens) // 2)], "length"
        if self.capacity is not None and not checked.stream:
            await self._run_slot(checked, prompt_tokens, len(tokens))
        entries = None
        if checked.logprobs and not faults.no_logprobs:
            entries = fake_model.logprob_entries_per_token(
                tokens,
                multibyte=faults.multibyte,
                token_ids_for=tuple(faults.token_ids_for),
                eos_token=faults.eos_token if finish == "stop" else None,
                top_logprobs=checked.top_logprobs,
            )
        usage = self._usage(checked, prompt_tokens, len(tokens))
        head = {"id": f"chatcmpl-{uuid.uuid4().hex}", "created": int(time.time()), "model": self.model}
        if checked.stream:
            events = self._events(request, _Answer(head, tokens, entries, finish, usage), checked, faults)
            return StreamingResponse(events, media_type="text/event-stream")
        if faults.token_latency_s and not await self._wait_unless_gone(
            request, faults.token_latency_s * len(tokens)
        ):
            return Response(status_code=499)
        choice: dict[str, Any] = {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "".join(t for t, _ in tokens),
                "tool_calls": [],
                "reasoning_content": None,
            },
            "logprobs": None,
            "finish_reason": finish,
            "stop_reason": None,
        }
        if entries is not None:
            choice["logprobs"] = {"content": [entry for group in entries for entry in group]}
        whole = {**head, "object": "chat.completion", "choices": [choice], "usage": usage}
        return JSONResponse({**whole, "prompt_logprobs": None})

    def _usage(self, checked: Any, prompt_tokens: int, completion_tokens: int) -> dict[str, Any]:
        """vLLM's usage: every generated token counts, a cut answer's included."""
        usage: dict[str, Any] = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": None,
        }
        if self.prompt_tokens_details:
            usage["prompt_tokens_details"] = {
                "cached_tokens": 0,
                "multimodal_tokens": {"image": checked.image_tokens} if checked.images else None,
            }
        return usage

    async def _events(
        self, request: Request, answer: _Answer, checked: Any, faults: FakeFaults
    ) -> AsyncIterator[str]:
        """The answer as vLLM streams it (see the module docstring). With a capacity model the
        request holds its slot while it streams: its prefill share before the first token,
        its decode share spread over the chunks."""
        per_token = 0.0
        if self.capacity is not None:
            await self._slot_queue().acquire(checked.priority if self.priority_scheduling else 0)
            self.started.append(checked.logged)
            per_token = self.capacity.slots / self.capacity.decode_tps
        try:
            if self.capacity is not None:
                await asyncio.sleep(self.capacity.service_s(answer.usage["prompt_tokens"], 0))
            async for event in self._chunks(answer, checked, faults, per_token):
                yield event
        finally:
            if self.capacity is not None:
                self._slot_queue().release()

    async def _chunks(
        self, answer: _Answer, checked: Any, faults: FakeFaults, per_token_s: float
    ) -> AsyncIterator[str]:
        tokens, entries, finish, usage = answer.tokens, answer.entries, answer.finish, answer.usage
        chunk = {**answer.head, "object": "chat.completion.chunk"}

        def event(choices: list[dict[str, Any]], **extra: Any) -> str:
            return f"data: {json.dumps({**chunk, 'choices': choices, **extra})}\n\n"

        role = {"index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": None}
        yield event([{**role, "finish_reason": None}])
        # vLLM's --stream-interval N: the first token at once, then every N tokens, and the end.
        step = max(1, self.stream_interval)
        bounds = [0, *range(1, len(tokens), step)] if step > 1 and tokens else list(range(len(tokens)))
        for start, end in zip(bounds, [*bounds[1:], len(tokens)], strict=True):
            group = tokens[start:end]
            if faults.token_latency_s or per_token_s:
                await asyncio.sleep((faults.token_latency_s + per_token_s) * len(group))
            last = end >= len(tokens)
            choice: dict[str, Any] = {
                "index": 0,
                "delta": {"content": "".join(t for t, _ in group)},
                "logprobs": None,
                "finish_reason": finish if last else None,
            }
            if entries is not None:
                choice["logprobs"] = {"content": [e for g in entries[start:end] for e in g]}
            if last:
                choice["stop_reason"] = None
            yield event([choice])
        if not tokens:
            yield event([{"index": 0, "delta": {"content": ""}, "logprobs": None, "finish_reason": finish}])
        if checked.include_usage:
            yield event([], usage={k: v for k, v in usage.items() if v is not None})
        yield "data: [DONE]\n\n"

    def _slot_queue(self) -> _SlotQueue:
        assert self.capacity is not None
        if self._slots is None:
            self._slots = _SlotQueue(self.capacity.slots)
        return self._slots

    async def _run_slot(self, checked: Any, prompt_tokens: int, completion_tokens: int) -> None:
        """A whole answer holds its slot for its whole service time, then is sent."""
        assert self.capacity is not None
        slots = self._slot_queue()
        await slots.acquire(checked.priority if self.priority_scheduling else 0)
        try:
            self.started.append(checked.logged)
            await asyncio.sleep(self.capacity.service_s(prompt_tokens, completion_tokens))
        finally:
            slots.release()

    def _drop(self, request: Request) -> None:
        """Close this request's TCP connection without an answer."""
        assert self._server is not None
        client = request.scope.get("client")
        for connection in list(self._server.server_state.connections):
            if getattr(connection, "client", None) == (tuple(client) if client else None):
                connection.transport.abort()  # type: ignore[union-attr]


class _SlotQueue:
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


def _replace_values(node: Any, table: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {k: _replace_values(v, table) for k, v in node.items()}
    if isinstance(node, list):
        return [_replace_values(v, table) for v in node]
    return table.get(node, node) if isinstance(node, str) else node


def _error(
    status: int,
    message: str,
    err_type: str,
    *,
    param: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        {"error": {"message": message, "type": err_type, "param": param, "code": status}},
        status_code=status,
        headers=headers,
    )


def spawn(
    capacity: Capacity, *, scheduling_policy: str = "fcfs", extra: Sequence[str] = ()
) -> tuple[subprocess.Popen[str], str]:
    """This fake in a process of its own (as the benchmarks run it); returns the process and
    its base URL once it listens. ``extra``: more command-line options (see ``main``). The
    caller kills the process."""
    command = [sys.executable, "-m", "tests.fakes.vllm_server", "--slots", str(capacity.slots)]
    command += ["--prefill-tps", str(capacity.prefill_tps), "--decode-tps", str(capacity.decode_tps)]
    command += ["--scheduling-policy", scheduling_policy, *extra]
    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.startswith("LISTENING "):
        process.kill()
        raise RuntimeError(f"the fake vLLM server did not start: {line!r}")
    return process, line.split()[1]


def main() -> None:
    """``python -m tests.fakes.vllm_server --slots 64 ...``: serve until killed; prints
    ``LISTENING <base_url>`` once ready (benchmarks run it as a separate process)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slots", type=int, default=64)
    parser.add_argument("--prefill-tps", type=float, default=40_000.0)
    parser.add_argument("--decode-tps", type=float, default=6_000.0)
    parser.add_argument("--scheduling-policy", choices=["fcfs", "priority"], default="fcfs")
    parser.add_argument("--faults", default="{}", help='FakeFaults as JSON: {"whitespace_loop": true}')
    parser.add_argument("--disable-any-whitespace", action="store_true", help="as vLLM's flag")
    parser.add_argument("--stream-interval", type=int, default=1, help="tokens per streamed chunk")
    args = parser.parse_args()
    fake = FakeVllmServer(
        capacity=Capacity(args.slots, args.prefill_tps, args.decode_tps),
        faults=FakeFaults(**json.loads(args.faults)),
        priority_scheduling=args.scheduling_policy == "priority",
        disable_any_whitespace=args.disable_any_whitespace,
        stream_interval=args.stream_interval,
    )
    fake.start()
    print(f"LISTENING {fake.base_url}", flush=True)  # noqa: T201
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
