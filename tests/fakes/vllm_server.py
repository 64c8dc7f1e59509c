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

This module holds the server: its lifecycle, routes, the request checks' order and the
scheduling of requests into slots; ``spawn`` and ``main`` run it as a process of its own.
The rest lives beside it (and ``FakeFaults``, ``Capacity`` and ``DEFAULT_MODEL`` are
importable from here as before):

- ``vllm_checks``: the request checks; ``vllm_model``: the answers and their logprobs;
- ``vllm_writer``: the completion body, usage and the streamed events (``stream: true``,
  ``stream_interval`` tokens a chunk);
- ``vllm_faults``: ``FakeFaults`` (set on the server or per request with the test-only header
  ``x-fake-faults: <json>``) and vLLM's error shape;
- ``vllm_capacity``: the capacity model (``Capacity``, for benchmarks) and the scheduling
  policy (``priority_scheduling``: vLLM's ``fcfs`` or ``--scheduling-policy priority``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.fakes import vllm_model as fake_model
from tests.fakes import vllm_writer as writer
from tests.fakes.vllm_capacity import Capacity, SlotQueue
from tests.fakes.vllm_checks import RequestError, check_chat_request
from tests.fakes.vllm_faults import BUSY_MESSAGE, FakeFaults, drop, error, faults_for, take, wait_unless_gone

__all__ = ["BUSY_MESSAGE", "DEFAULT_MODEL", "Capacity", "FakeFaults", "FakeVllmServer", "main", "spawn"]

DEFAULT_MODEL = "meta-llama/Llama-4-Scout-17B-16E-Instruct"


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
        self._slots: SlotQueue | None = None
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

    def _take(self, faults: FakeFaults, name: str) -> bool:
        """Consume one of the next-N counter ``name``."""
        return take(faults, name, self._lock)

    async def _chat(self, request: Request) -> Response:
        with self._lock:
            self.chat_count += 1
            number = self.chat_count
        faults = faults_for(request, self.faults)
        await request.body()  # read (and cached) first: a disconnect check must not eat it
        if not await self._until_loaded(request):
            return Response(status_code=499)
        if faults.latency_s and not await wait_unless_gone(request, faults.latency_s):
            return Response(status_code=499)  # the client went away: vLLM aborts the request too
        if self._take(faults, "drop_connection"):
            assert self._server is not None
            drop(self._server, request)
            return Response(status_code=500)
        if self._take(faults, "rate_limited"):
            return error(
                429,
                "Too many requests: rate limit exceeded.",
                "RateLimitError",
                headers={"Retry-After": f"{faults.retry_after_s:g}"},
            )
        if self._take(faults, "overloaded"):
            return error(503, BUSY_MESSAGE, "ServiceUnavailableError")
        if faults.flaky_every and number % faults.flaky_every == 0:
            return error(500, "Internal server error (flaky fake).", "InternalServerError")
        try:
            body = json.loads(await request.body())
            checked = check_chat_request(body, model=self.model, max_images=self.max_images)
        except json.JSONDecodeError as exc:
            return error(400, f"JSON decode error: {exc}", "BadRequestError")
        except RequestError as exc:
            return error(exc.status, exc.message, exc.err_type, param=exc.param)
        self.requests.append(checked.logged)
        prompt_tokens = checked.text_tokens + checked.image_tokens
        if checked.max_tokens is None:  # vLLM: whatever the context has left
            checked.max_tokens = max(1, self.max_model_len - prompt_tokens)
        if prompt_tokens + checked.max_tokens > self.max_model_len:
            return error(
                400,
                (
                    f"This model's maximum context length is {self.max_model_len} tokens. However, "
                    f"you requested {prompt_tokens + checked.max_tokens} tokens ({prompt_tokens} in "
                    f"the messages, {checked.max_tokens} in the completion). Please reduce the "
                    "length of the messages or completion."
                ),
                "BadRequestError",
            )
        return await self._complete(request, body, checked, faults, prompt_tokens)

    async def _complete(
        self, request: Request, body: dict[str, Any], checked: Any, faults: FakeFaults, prompt_tokens: int
    ) -> Response:
        tokens, finish = writer.answer_tokens(
            checked,
            fake_model.pages_in(body["messages"]),
            faults,
            self.image_texts,
            disable_any_whitespace=self.disable_any_whitespace,
            take=lambda name: self._take(faults, name),
        )
        if self.capacity is not None and not checked.stream:
            await self._run_slot(checked, prompt_tokens, len(tokens))
        entries = writer.logprob_entries(checked, faults, tokens, finish)
        usage = writer.usage(checked, prompt_tokens, len(tokens), details=self.prompt_tokens_details)
        head = {"id": f"chatcmpl-{uuid.uuid4().hex}", "created": int(time.time()), "model": self.model}
        answer = writer.Answer(head, tokens, entries, finish, usage)
        if checked.stream:
            return StreamingResponse(self._events(answer, checked, faults), media_type="text/event-stream")
        if faults.token_latency_s and not await wait_unless_gone(
            request, faults.token_latency_s * len(tokens)
        ):
            return Response(status_code=499)
        return writer.completion(answer)

    # --- scheduling (see vllm_capacity) ----------------------------------------------
    async def _events(self, answer: writer.Answer, checked: Any, faults: FakeFaults) -> AsyncIterator[str]:
        """The answer as vLLM streams it (see ``vllm_writer``). With a capacity model the
        request holds its slot while it is generated: its prefill share before the first
        token, its decode share spread over the chunks, paced by the clock; the slot is freed
        when the last token is due, as a server frees a finished sequence whether or not the
        client has read it yet (or when the client goes away)."""
        per_token = 0.0
        held = False

        def free() -> None:  # the last token is decoded: the slot goes to the next request
            nonlocal held
            if held:
                held = False
                self._slot_queue().release()

        if self.capacity is not None:
            await self._slot_queue().acquire(checked.priority if self.priority_scheduling else 0)
            held = True
            self.started.append(checked.logged)
            per_token = self.capacity.slots / self.capacity.decode_tps
        try:
            if self.capacity is not None:
                await asyncio.sleep(self.capacity.service_s(answer.usage["prompt_tokens"], 0))
            async for event in writer.chunks(
                answer, checked, faults, per_token, self.stream_interval, decoded=free
            ):
                yield event
        finally:
            free()

    def _slot_queue(self) -> SlotQueue:
        assert self.capacity is not None
        if self._slots is None:
            self._slots = SlotQueue(self.capacity.slots)
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
