"""The fake vLLM server's failure modes: ``FakeFaults``, the next-N counters it holds, vLLM's
error shape, and the low-level ways a request fails (a connection dropped, a client gone).

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
JSON escapes in the answer. ``loading`` (on the server, not here): the server has bound its
port but answers nothing (vLLM while it loads weights) until ``loading`` is set back to False.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field, replace

import uvicorn
from starlette.requests import Request
from starlette.responses import JSONResponse

from tests.fakes import vllm_model as fake_model

# The message text vLLM-based gateways return when the engine queue is full. vLLM itself
# answers 503 from /health when its engine is dead; the exact wording here is ours.
BUSY_MESSAGE = "The engine is currently busy: too many requests are waiting. Try again later."
# What the whitespace loop writes, token after token (seen as "  \n" in vllm-project/vllm#38696).
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


def faults_for(request: Request, default: FakeFaults) -> FakeFaults:
    """The faults for this request: its ``x-fake-faults`` header's, else the server's."""
    header = request.headers.get("x-fake-faults")
    if header:
        return replace(FakeFaults(), **json.loads(header))
    return default


def take(faults: FakeFaults, name: str, lock: threading.Lock) -> bool:
    """Consume one of the next-N counter ``name``; False when none is left."""
    with lock:
        left = getattr(faults, name)
        if left > 0:
            setattr(faults, name, left - 1)
            return True
        return False


async def wait_unless_gone(request: Request, seconds: float) -> bool:
    """Sleep ``seconds``; False as soon as the client has closed its connection."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        await asyncio.sleep(min(left, 0.05))
        if await request.is_disconnected():
            return False
    return True


def drop(server: uvicorn.Server, request: Request) -> None:
    """Close this request's TCP connection without an answer."""
    client = request.scope.get("client")
    for connection in list(server.server_state.connections):
        if getattr(connection, "client", None) == (tuple(client) if client else None):
            connection.transport.abort()  # type: ignore[union-attr]


def error(
    status: int,
    message: str,
    err_type: str,
    *,
    param: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """vLLM's error body: ``{"error": {"message", "type", "param", "code"}}``, code the status."""
    return JSONResponse(
        {"error": {"message": message, "type": err_type, "param": param, "code": status}},
        status_code=status,
        headers=headers,
    )
