"""Async HTTP client for vLLM's OpenAI-compatible server: one connection pool, explicit
timeouts, the least-busy healthy replica, bounded concurrency, bounded retries, streamed
answers.

- Balancing: each request goes to the healthy replica with the fewest outstanding requests
  (ties: the one sent fewest so far, then the first configured). A replica is probed with
  ``GET <server root>/health`` before its first use and again, after a backoff, once it
  failed (health check or connection refused); until it passes it is skipped. A vLLM
  server loading its weights has bound its port but answers nothing, so it fails the probe
  (time limit) like one that is down.
- Concurrency: at most ``llm_max_concurrency_per_replica`` requests in flight per replica
  (a semaphore); the pool holds replicas x that many connections. Which waiting request
  gets a free slot is the ``SlotScheduler``'s choice (interactive before batch, tenants in
  turn; see ``scheduler``), from the ``CallContext`` the pipeline set around the call.
- Priority across processes: with ``llm_scheduling_policy = "priority"`` each request
  carries vLLM's ``priority`` (interactive 0, batch 1; lower is served first), so an API
  process's uploads also go ahead of another process's batch requests in the server's own
  queue. vLLM's current engine accepts the field silently on the fcfs policy, so at first
  contact the client reads the replica's own configuration where it exposes it
  (``server_config``): a replica that reports fcfs gets no priority (logged as an error,
  the setting is wrong), one that does not report is trusted to match the setting (logged).
- Streaming (``llm_stream``): the answer comes as server-sent events (``stream``), so the
  read time limit applies between chunks and a long, healthy answer finishes; each attempt
  records its time to first token and decode rate.
- Retries: only connect errors, time-outs, dropped connections, 429 and 5xx, at most
  ``llm_max_attempts`` attempts and ``llm_retry_budget_s`` seconds in all. The wait is the
  server's ``Retry-After`` (seconds) when given, else exponential backoff with jitter.
  Other 4xx are final (a 400 "context too long" will not get shorter by itself).
Every attempt is reported back (``ChatOutcome.attempts``) so each becomes a ledger row.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

import extractors.llama.errors as codes
from core.errors import ConfigurationError
from core.logging import get_logger
from core.settings import Settings
from extractors.engines.call_context import CallContext, WorkClass, current_call_context
from extractors.llama.errors import ModelHTTPError, ModelTransportError
from extractors.llama.scheduler import SlotScheduler
from extractors.llama.server_config import ServerConfig, read_server_config
from extractors.llama.stream import StreamedServerError, StreamError, StreamReader, StreamTiming

Sleep = Callable[[float], Awaitable[None]]
_HEALTH_BACKOFF_GROWTH = 8  # a failing replica is re-probed at most this many backoffs apart
# vLLM's per-request priority: lower values are scheduled first (ties: arrival order).
VLLM_PRIORITY = {WorkClass.INTERACTIVE: 0, WorkClass.BATCH: 1}


@dataclass
class Replica:
    """One vLLM server: its API base URL and what the client knows about it."""

    base_url: str
    health_url: str
    slots: asyncio.Semaphore
    healthy: bool = False
    next_probe: float = 0.0  # monotonic time of the next health check (0: before first use)
    failures: int = 0
    outstanding: int = 0
    sent: int = 0
    probe_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # What the replica said about itself at first contact (None: not asked yet), and
    # whether its requests carry vLLM's ``priority``.
    config: ServerConfig | None = None
    sends_priority: bool = False


@dataclass(frozen=True)
class Attempt:
    """One HTTP attempt: where it went, how long it took and how it ended."""

    replica: str
    latency_ms: float
    http_status: int | None
    error: codes.ModelServerError | None = None
    response: dict[str, Any] | None = None
    first_token_ms: float | None = None  # streamed answers only
    tokens_per_s: float | None = None  # decode rate after the first token (streamed only)


@dataclass
class ChatOutcome:
    """All attempts of one request; ``response`` is the JSON of the one that succeeded."""

    attempts: list[Attempt]
    response: dict[str, Any] | None = None
    error: codes.ModelServerError | None = None


def health_url(base_url: str) -> str:
    """vLLM serves ``/health`` at the server root, next to the ``/v1`` API root."""
    return str(httpx.URL(base_url.rstrip("/") + "/").join("../health"))


class VllmClient:
    """Talks to one or more vLLM replicas; create once per engine, close with ``aclose``."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if not settings.llm.base_urls:
            raise ConfigurationError("no model server configured: set FOLIO_LLM_BASE_URLS")
        self._settings = settings
        per_replica = settings.llm.max_concurrency_per_replica
        self.replicas = [
            Replica(
                base_url=url.rstrip("/"), health_url=health_url(url), slots=asyncio.Semaphore(per_replica)
            )
            for url in settings.llm.base_urls
        ]
        pool = len(self.replicas) * per_replica
        self.scheduler = SlotScheduler(pool, interactive_burst=settings.llm.interactive_burst)
        headers = {"Content-Type": "application/json"}
        if settings.llm.api_key is not None:
            headers["Authorization"] = f"Bearer {settings.llm.api_key.get_secret_value()}"
        self._http = httpx.AsyncClient(
            transport=transport,
            headers=headers,
            timeout=httpx.Timeout(
                connect=settings.llm.connect_timeout_s,
                read=settings.llm.read_timeout_s,
                write=settings.llm.write_timeout_s,
                pool=settings.llm.pool_timeout_s,
            ),
            limits=httpx.Limits(max_connections=pool, max_keepalive_connections=pool),
        )
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._log = get_logger(__name__)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def any_healthy(self) -> bool:
        """Probe every replica not probed within its backoff; True when at least one
        answers ``/health`` with 200. Cheap to ask per document: a replica that is loading
        (or down) is asked again only after its backoff, a healthy one not before."""
        results = await asyncio.gather(*(self._probe(r) for r in self.replicas))
        return any(results)

    async def chat(self, body: dict[str, Any], *, cost: int = 1) -> ChatOutcome:
        """POST ``body`` to ``/chat/completions`` with balancing and bounded retries.

        ``cost`` (the request's estimated prompt tokens) is what the request spends of its
        tenant's fair share while it waits for a slot. A streamed body (``stream: true``)
        comes back joined, in the shape of a whole answer.
        """
        context = current_call_context()
        s = self._settings
        payload = _Payload(body, VLLM_PRIORITY[context.work_class])
        deadline = time.monotonic() + s.llm.retry_budget_s
        outcome = ChatOutcome(attempts=[])
        avoid: Replica | None = None
        for number in range(1, s.llm.max_attempts + 1):
            replica, attempt = await self._attempt_in_turn(context, cost, avoid, payload)
            outcome.attempts.append(attempt)
            if attempt.error is None:
                outcome.response = attempt.response
                return outcome
            outcome.error = attempt.error
            if not attempt.error.retryable:
                return outcome
            avoid = replica
            wait = self._wait_before(number, attempt.error)
            if number == s.llm.max_attempts or time.monotonic() + wait > deadline:
                break
            await self._sleep(wait)
        return outcome

    async def _attempt_in_turn(
        self, context: CallContext, cost: int, avoid: Replica | None, payload: _Payload
    ) -> tuple[Replica | None, Attempt]:
        """One attempt once the scheduler grants this request a slot (held for the attempt
        only, never during a retry's wait)."""
        async with self.scheduler.slot(context.work_class, context.tenant, cost):
            replica = await self._pick(avoid)
            if replica is None:
                return None, Attempt(
                    replica="",
                    latency_ms=0.0,
                    http_status=None,
                    error=ModelTransportError(
                        "no model-server replica passes its health check "
                        f"({', '.join(r.health_url for r in self.replicas)})",
                        code=codes.NO_REPLICA,
                    ),
                )
            return replica, await self._attempt(replica, payload)

    def _wait_before(self, number: int, error: codes.ModelServerError) -> float:
        retry_after = getattr(error, "retry_after_s", None)
        if retry_after is not None:
            return max(0.0, retry_after)
        s = self._settings
        base = min(s.llm.backoff_max_s, s.llm.backoff_base_s * 2 ** (number - 1))
        return base * self._rng.uniform(0.5, 1.5)  # jitter keeps retrying clients apart

    async def _pick(self, avoid: Replica | None) -> Replica | None:
        now = time.monotonic()
        due = [r for r in self.replicas if not r.healthy and r.next_probe <= now]
        if due:
            await asyncio.gather(*(self._probe(r) for r in due))
        healthy = [r for r in self.replicas if r.healthy]
        # Grant no more slots than the healthy replicas hold, so that requests queue in the
        # scheduler (in order) rather than FIFO on a replica's semaphore.
        self.scheduler.set_capacity(max(1, len(healthy)) * self._settings.llm.max_concurrency_per_replica)
        if avoid is not None and len(healthy) > 1:
            healthy = [r for r in healthy if r is not avoid]
        if not healthy:
            return None
        index = {id(r): i for i, r in enumerate(self.replicas)}
        return min(healthy, key=lambda r: (r.outstanding, r.sent, index[id(r)]))

    async def _probe(self, replica: Replica) -> bool:
        async with replica.probe_lock:
            if replica.next_probe > time.monotonic():
                return replica.healthy  # probed within its backoff (by this or another task)
            timeout = httpx.Timeout(self._settings.llm.connect_timeout_s)
            try:
                response = await self._http.get(replica.health_url, timeout=timeout)
                ok = response.status_code == 200
            except httpx.HTTPError:
                ok = False
            if ok:
                replica.healthy, replica.failures = True, 0
                replica.next_probe = time.monotonic() + self._settings.llm.health_backoff_s
                if replica.config is None:
                    await self._check_configuration(replica)
            else:
                self._mark_down(replica)
            return ok

    async def _check_configuration(self, replica: Replica) -> None:
        """At first contact: what the replica reports of its scheduling policy and its
        structured-output whitespace, against what Folio was told (see ``server_config``)."""
        config = await read_server_config(
            self._http, replica.base_url, timeout_s=self._settings.llm.connect_timeout_s
        )
        replica.config = config
        wanted = self._settings.llm.scheduling_policy
        if not config.reachable or config.scheduling_policy is None:
            replica.sends_priority = wanted == "priority"
            self._log.info(
                "%s does not report its scheduling policy (vLLM shows it at /server_info only "
                "with VLLM_SERVER_DEV_MODE=1); trusting FOLIO_LLM_SCHEDULING_POLICY=%s",
                replica.base_url,
                wanted,
            )
        else:
            replica.sends_priority = config.scheduling_policy == "priority"
            if config.scheduling_policy != wanted:
                self._log.error(
                    "%s runs --scheduling-policy %s but FOLIO_LLM_SCHEDULING_POLICY is %s; "
                    "%s (fix one of the two)",
                    replica.base_url,
                    config.scheduling_policy,
                    wanted,
                    "requests to it carry vLLM's priority"
                    if replica.sends_priority
                    else "its queue ignores priorities, so none are sent: uploads do not go "
                    "ahead of batch work there",
                )
        if config.disable_any_whitespace is False:
            self._log.warning(
                "%s allows free whitespace in JSON answers: at temperature 0 xgrammar may loop "
                "on whitespace up to the token budget; start vLLM with --structured-outputs-config "
                '\'{"backend":"xgrammar","disable_any_whitespace":true}\'',
                replica.base_url,
            )

    def _mark_down(self, replica: Replica) -> None:
        replica.healthy = False
        replica.failures += 1
        growth = min(_HEALTH_BACKOFF_GROWTH, 2 ** (replica.failures - 1))
        replica.next_probe = time.monotonic() + self._settings.llm.health_backoff_s * growth
        self._log.warning(
            "model server %s is down; next health check in %.1f s",
            replica.base_url,
            replica.next_probe - time.monotonic(),
        )

    async def _attempt(self, replica: Replica, payload: _Payload) -> Attempt:
        replica.outstanding += 1
        replica.sent += 1
        url = f"{replica.base_url}/chat/completions"
        content = payload.encoded(with_priority=replica.sends_priority)
        try:
            async with replica.slots:
                started = time.perf_counter()
                try:
                    if payload.streamed:
                        return await self._streamed(replica, url, content, started)
                    response = await self._http.post(url, content=content)
                except httpx.HTTPError as exc:
                    return self._transport_failure(replica, url, started, exc)
                latency = _elapsed(started)
        finally:
            replica.outstanding -= 1
        if response.status_code != 200:
            error = ModelHTTPError(
                response.status_code, response.text, url=url, retry_after_s=_retry_after(response)
            )
            return Attempt(replica.base_url, latency, response.status_code, error=error)
        try:
            parsed = response.json()
            if not isinstance(parsed, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            error = ModelHTTPError(502, f"unreadable 200 answer ({exc}): {response.text[:300]}", url=url)
            return Attempt(replica.base_url, latency, 200, error=error)
        return Attempt(replica.base_url, latency, 200, response=parsed)

    async def _streamed(self, replica: Replica, url: str, content: bytes, started: float) -> Attempt:
        """One streamed request: the events joined into one answer, with the timing. The read
        time limit is per chunk, so only a stalled stream times out."""
        reader = StreamReader(StreamTiming(sent=started))
        async with self._http.stream("POST", url, content=content) as response:
            if response.status_code != 200:
                text = (await response.aread()).decode("utf-8", "replace")
                error = ModelHTTPError(
                    response.status_code, text, url=url, retry_after_s=_retry_after(response)
                )
                return Attempt(replica.base_url, _elapsed(started), response.status_code, error=error)
            try:
                async for line in response.aiter_lines():
                    reader.feed(line)
                    if reader.done:
                        break
            except StreamedServerError as exc:
                error = ModelHTTPError(exc.status, exc.body, url=url)
                return Attempt(replica.base_url, _elapsed(started), 200, error=error)
            except StreamError as exc:
                error = ModelHTTPError(502, f"unreadable stream ({exc})", url=url)
                return Attempt(replica.base_url, _elapsed(started), 200, error=error)
        latency = _elapsed(started)
        if not reader.finished:
            cut = ModelTransportError(
                f"{url} ended the stream before the answer was complete", code=codes.DISCONNECTED
            )
            return Attempt(replica.base_url, latency, 200, error=cut)
        answer = reader.response()
        usage = answer.get("usage") or {}
        completion = usage.get("completion_tokens") if isinstance(usage, dict) else None
        return Attempt(
            replica.base_url,
            latency,
            200,
            response=answer,
            first_token_ms=reader.timing.first_token_ms,
            tokens_per_s=reader.timing.tokens_per_s(completion if isinstance(completion, int) else None),
        )

    def _transport_failure(self, replica: Replica, url: str, started: float, exc: httpx.HTTPError) -> Attempt:
        """An attempt that got no (whole) answer: refused, timed out or dropped."""
        if isinstance(exc, httpx.ConnectError):
            self._mark_down(replica)
            return self._failed(
                replica,
                started,
                ModelTransportError(f"cannot connect to {url}: {exc}", code=codes.CONNECT_ERROR),
            )
        if isinstance(exc, httpx.TimeoutException):
            return self._failed(
                replica,
                started,
                ModelTransportError(
                    f"{type(exc).__name__} after {_elapsed(started):.0f} ms from {url}", code=codes.TIMEOUT
                ),
            )
        return self._failed(  # dropped connection, protocol error
            replica,
            started,
            ModelTransportError(
                f"{url} closed the connection without an answer: {type(exc).__name__}: {exc}",
                code=codes.DISCONNECTED,
            ),
        )

    @staticmethod
    def _failed(replica: Replica, started: float, error: ModelTransportError) -> Attempt:
        return Attempt(replica.base_url, _elapsed(started), None, error=error)


class _Payload:
    """A request body encoded once per form: with vLLM's ``priority`` and without (replicas
    differ in whether they schedule by it)."""

    def __init__(self, body: dict[str, Any], priority: int) -> None:
        self._body = {k: v for k, v in body.items() if k != "priority"}
        self._priority = priority
        self._encoded: dict[bool, bytes] = {}
        self.streamed = body.get("stream") is True

    def encoded(self, *, with_priority: bool) -> bytes:
        if with_priority not in self._encoded:
            body = {**self._body, "priority": self._priority} if with_priority else self._body
            self._encoded[with_priority] = json.dumps(body).encode()
        return self._encoded[with_priority]


def _elapsed(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds (the HTTP-date form is not used by model servers)."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
