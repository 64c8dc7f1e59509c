"""Async HTTP client for vLLM's OpenAI-compatible server: one connection pool, explicit
timeouts, the least-busy healthy replica, bounded concurrency, bounded retries.

- Balancing: each request goes to the healthy replica with the fewest outstanding requests
  (ties: the one sent fewest so far, then the first configured). A replica is probed with
  ``GET <server root>/health`` before its first use and again, after a backoff, once it
  failed (health check or connection refused); until it passes it is skipped.
- Concurrency: at most ``llm_max_concurrency_per_replica`` requests in flight per replica
  (a semaphore); the pool holds replicas x that many connections. Which waiting request
  gets a free slot is the ``SlotScheduler``'s choice (interactive before batch, tenants in
  turn; see ``scheduler``), from the ``CallContext`` the pipeline set around the call.
- Priority across processes: with ``llm_send_priority`` each request carries vLLM's
  ``priority`` (interactive 0, batch 1; lower is served first by a server started with
  ``--scheduling-policy priority``), so an API process's uploads also go ahead of another
  process's batch requests in the server's own queue. A server on the default fcfs policy
  refuses such a request with a 400; the client then logs it once and sends no priority.
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

from core.errors import ConfigurationError
from core.logging import get_logger
from core.settings import Settings
from extractors.engines.call_context import CallContext, WorkClass, current_call_context
from extractors.llama import errors as codes
from extractors.llama.errors import ModelHTTPError, ModelTransportError
from extractors.llama.scheduler import SlotScheduler

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


@dataclass(frozen=True)
class Attempt:
    """One HTTP attempt: where it went, how long it took and how it ended."""

    replica: str
    latency_ms: float
    http_status: int | None
    error: codes.ModelServerError | None = None
    response: dict[str, Any] | None = None


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
        if not settings.llm_base_urls:
            raise ConfigurationError("no model server configured: set FOLIO_LLM_BASE_URLS")
        self._settings = settings
        per_replica = settings.llm_max_concurrency_per_replica
        self.replicas = [
            Replica(
                base_url=url.rstrip("/"), health_url=health_url(url), slots=asyncio.Semaphore(per_replica)
            )
            for url in settings.llm_base_urls
        ]
        pool = len(self.replicas) * per_replica
        self.scheduler = SlotScheduler(pool, interactive_burst=settings.llm_interactive_burst)
        headers = {"Content-Type": "application/json"}
        if settings.llm_api_key is not None:
            headers["Authorization"] = f"Bearer {settings.llm_api_key.get_secret_value()}"
        self._http = httpx.AsyncClient(
            transport=transport,
            headers=headers,
            timeout=httpx.Timeout(
                connect=settings.llm_connect_timeout_s,
                read=settings.llm_read_timeout_s,
                write=settings.llm_write_timeout_s,
                pool=settings.llm_pool_timeout_s,
            ),
            limits=httpx.Limits(max_connections=pool, max_keepalive_connections=pool),
        )
        self._sleep = sleep
        self._priority_refused = False  # a server said it does not schedule by priority
        self._rng = rng or random.Random()
        self._log = get_logger(__name__)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def any_healthy(self) -> bool:
        """Probe every replica now; True when at least one answers ``/health`` with 200."""
        results = await asyncio.gather(*(self._probe(r) for r in self.replicas))
        return any(results)

    async def chat(self, body: dict[str, Any], *, cost: int = 1) -> ChatOutcome:
        """POST ``body`` to ``/chat/completions`` with balancing and bounded retries.

        ``cost`` (the request's estimated prompt tokens) is what the request spends of its
        tenant's fair share while it waits for a slot.
        """
        context = current_call_context()
        s = self._settings
        with_priority = s.llm_send_priority and not self._priority_refused
        if with_priority:
            body = {**body, "priority": VLLM_PRIORITY[context.work_class]}
        payload = json.dumps(body).encode()
        deadline = time.monotonic() + s.llm_retry_budget_s
        outcome = ChatOutcome(attempts=[])
        avoid: Replica | None = None
        for number in range(1, s.llm_max_attempts + 1):
            replica, attempt = await self._attempt_in_turn(context, cost, avoid, payload)
            outcome.attempts.append(attempt)
            if attempt.error is None:
                outcome.response = attempt.response
                return outcome
            outcome.error = attempt.error
            if with_priority and _refuses_priority(attempt.error):
                # A server on the fcfs policy: say so once, and go on without the field.
                self._priority_refused, with_priority = True, False
                self._log.error(
                    "%s refuses request priorities (start vLLM with --scheduling-policy priority, "
                    "or unset FOLIO_LLM_SEND_PRIORITY); sending none from now on",
                    attempt.replica,
                )
                body = {k: v for k, v in body.items() if k != "priority"}
                payload = json.dumps(body).encode()
                continue
            if not attempt.error.retryable:
                return outcome
            avoid = replica
            wait = self._wait_before(number, attempt.error)
            if number == s.llm_max_attempts or time.monotonic() + wait > deadline:
                break
            await self._sleep(wait)
        return outcome

    async def _attempt_in_turn(
        self, context: CallContext, cost: int, avoid: Replica | None, payload: bytes
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
        base = min(s.llm_backoff_max_s, s.llm_backoff_base_s * 2 ** (number - 1))
        return base * self._rng.uniform(0.5, 1.5)  # jitter keeps retrying clients apart

    async def _pick(self, avoid: Replica | None) -> Replica | None:
        now = time.monotonic()
        due = [r for r in self.replicas if not r.healthy and r.next_probe <= now]
        if due:
            await asyncio.gather(*(self._probe(r) for r in due))
        healthy = [r for r in self.replicas if r.healthy]
        # Grant no more slots than the healthy replicas hold, so that requests queue in the
        # scheduler (in order) rather than FIFO on a replica's semaphore.
        self.scheduler.set_capacity(max(1, len(healthy)) * self._settings.llm_max_concurrency_per_replica)
        if avoid is not None and len(healthy) > 1:
            healthy = [r for r in healthy if r is not avoid]
        if not healthy:
            return None
        index = {id(r): i for i, r in enumerate(self.replicas)}
        return min(healthy, key=lambda r: (r.outstanding, r.sent, index[id(r)]))

    async def _probe(self, replica: Replica) -> bool:
        async with replica.probe_lock:
            if replica.healthy and replica.next_probe > time.monotonic():
                return True  # another task just probed it
            timeout = httpx.Timeout(self._settings.llm_connect_timeout_s)
            try:
                response = await self._http.get(replica.health_url, timeout=timeout)
                ok = response.status_code == 200
            except httpx.HTTPError:
                ok = False
            if ok:
                replica.healthy, replica.failures = True, 0
                replica.next_probe = time.monotonic() + self._settings.llm_health_backoff_s
            else:
                self._mark_down(replica)
            return ok

    def _mark_down(self, replica: Replica) -> None:
        replica.healthy = False
        replica.failures += 1
        growth = min(_HEALTH_BACKOFF_GROWTH, 2 ** (replica.failures - 1))
        replica.next_probe = time.monotonic() + self._settings.llm_health_backoff_s * growth
        self._log.warning(
            "model server %s is down; next health check in %.1f s",
            replica.base_url,
            replica.next_probe - time.monotonic(),
        )

    async def _attempt(self, replica: Replica, payload: bytes) -> Attempt:
        replica.outstanding += 1
        replica.sent += 1
        url = f"{replica.base_url}/chat/completions"
        try:
            async with replica.slots:
                started = time.perf_counter()
                try:
                    response = await self._http.post(url, content=payload)
                except httpx.ConnectError as exc:
                    self._mark_down(replica)
                    return self._failed(
                        replica,
                        started,
                        ModelTransportError(f"cannot connect to {url}: {exc}", code=codes.CONNECT_ERROR),
                    )
                except httpx.TimeoutException as exc:
                    return self._failed(
                        replica,
                        started,
                        ModelTransportError(
                            f"{type(exc).__name__} after {_elapsed(started):.0f} ms from {url}",
                            code=codes.TIMEOUT,
                        ),
                    )
                except httpx.HTTPError as exc:  # dropped connection, protocol error
                    return self._failed(
                        replica,
                        started,
                        ModelTransportError(
                            f"{url} closed the connection without an answer: {type(exc).__name__}: {exc}",
                            code=codes.DISCONNECTED,
                        ),
                    )
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

    @staticmethod
    def _failed(replica: Replica, started: float, error: ModelTransportError) -> Attempt:
        return Attempt(replica.base_url, _elapsed(started), None, error=error)


def _refuses_priority(error: codes.ModelServerError) -> bool:
    """vLLM's 400 for a ``priority`` sent to a server on the default fcfs policy."""
    return (
        isinstance(error, ModelHTTPError)
        and error.status_code == 400
        and "Priority scheduling is not enabled" in (error.body or "")
    )


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
