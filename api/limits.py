"""Limits on request bodies, per API process: how many are read at once, and how slowly one
may arrive.

``BodyGuard`` is plain ASGI middleware around the whole app, so it acts before routing,
authentication or any byte of a body is read:

- **Concurrency.** Requests that carry a body (POST, PUT, PATCH: uploads and signed
  webhooks) take one of ``FOLIO_UPLOAD_CONCURRENCY`` slots for their whole life. With none
  free the answer is at once 503 problem+json with ``Retry-After``: excess load is refused
  cheaply instead of queueing bodies in memory or on disk.
- **Read timeout (slowloris).** The body must keep arriving: no pause longer than
  ``FOLIO_UPLOAD_READ_TIMEOUT_S``, and on the whole no slower than
  ``FOLIO_UPLOAD_MIN_BYTES_PER_S`` after that first allowance (the deadline starts at the
  timeout and moves one second later per ``min_bytes_per_s`` bytes received, as Apache's
  mod_reqtimeout does). Past it the route's read raises a 408 problem.
- **Size.** Every body but an upload's is at most ``FOLIO_MAX_JSON_BODY_BYTES`` (JSON
  corrections and decisions, forms): a ``Content-Length`` over it is answered 413 before
  anything else, even the API key, is looked at; a body without one (chunked) is cut off with
  413 as soon as it passes the cap. FastAPI reads a JSON body whole, whatever its
  Content-Type, so the cap goes by route, not by Content-Type. The upload routes
  (``STREAMED_UPLOADS``) stream their bodies and count them against
  ``FOLIO_MAX_UPLOAD_BYTES`` themselves (``api.uploads``).
- **Closing.** An answer sent before its request body was read to the end (401 before a
  webhook's body, 408, 413, 503) carries ``Connection: close``, so the server drops the
  connection instead of reading and discarding the rest of a hostile body.

Slow request *headers* never reach the app; bounding them is the job of the server or proxy
in front (uvicorn has no header timeout).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import BODY_METHODS, ApiProblem, problem_response

RETRY_AFTER_S = 1
# The routes that stream their bodies under their own, larger cap (FOLIO_MAX_UPLOAD_BYTES).
STREAMED_UPLOADS = frozenset({("POST", "/v1/documents"), ("POST", "/v1/webhooks/documents")})


def body_too_large(limit: int) -> ApiProblem:
    """The 413 problem for a (non-upload) body over ``limit`` bytes."""
    return ApiProblem(
        413, f"the request body is larger than the limit of {limit:,} bytes (FOLIO_MAX_JSON_BODY_BYTES)"
    )


def _declared_length(scope: Scope) -> int | None:
    """The request's Content-Length, where it has a valid one."""
    for name, value in scope["headers"]:
        if name.lower() == b"content-length" and value.isdigit():
            return int(value)
    return None


@dataclass
class UploadSlots:
    """Counts the requests with a body in progress in this process (one event loop, so a
    plain counter is race-free)."""

    limit: int
    active: int = 0
    refused: int = 0

    def try_take(self) -> bool:
        """Take a slot if one is free."""
        if self.active >= self.limit:
            self.refused += 1
            return False
        self.active += 1
        return True

    def give_back(self) -> None:
        """Return a slot taken with ``try_take``."""
        self.active -= 1


class _TimedBody:
    """The request's ``receive``, with the body's read deadline and size cap applied."""

    def __init__(
        self, receive: Receive, *, timeout_s: float, min_bytes_per_s: int, max_bytes: int | None
    ) -> None:
        self._receive = receive
        self._max_bytes = max_bytes
        self._timeout_s = timeout_s
        self._min_rate = float(min_bytes_per_s)
        self._deadline = asyncio.get_running_loop().time() + timeout_s
        self.received = 0
        self.complete = False

    async def receive(self) -> Message:
        if self.complete:
            # After the body only a disconnect can come; waiting for it has no deadline.
            return await self._receive()
        loop = asyncio.get_running_loop()
        wait = min(self._timeout_s, self._deadline - loop.time())
        try:
            if wait <= 0:
                raise TimeoutError
            message = await asyncio.wait_for(self._receive(), wait)
        except TimeoutError:
            raise ApiProblem(
                408,
                f"the request body arrived too slowly ({self.received:,} bytes so far): send it "
                f"without pauses over {self._timeout_s:g} s, at {self._min_rate:,.0f} bytes/s or faster",
            ) from None
        if message["type"] == "http.request":
            size = len(message.get("body", b""))
            self.received += size
            self._deadline += size / self._min_rate
            self.complete = not message.get("more_body", False)
            if self._max_bytes is not None and self.received > self._max_bytes:
                self.complete = False  # the rest is never read: the answer closes the connection
                raise body_too_large(self._max_bytes)
        else:  # http.disconnect
            self.complete = True
        return message


class BodyGuard:
    """ASGI middleware: the concurrency slots, read deadline and size cap of request bodies
    (see the module docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        slots: UploadSlots,
        read_timeout_s: float,
        min_bytes_per_s: int,
        max_body_bytes: int,
    ) -> None:
        self.app = app
        self.slots = slots
        self.read_timeout_s = read_timeout_s
        self.min_bytes_per_s = min_bytes_per_s
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        limit = None if (scope["method"], scope["path"]) in STREAMED_UPLOADS else self.max_body_bytes
        declared = _declared_length(scope)
        if limit is not None and declared is not None and declared > limit:
            problem = body_too_large(limit)
            refused = problem_response(413, problem.detail, headers={"Connection": "close"})
            await refused(scope, receive, send)
            return
        if not self.slots.try_take():
            busy = problem_response(
                503,
                f"this server is reading {self.slots.limit} uploads already "
                "(FOLIO_UPLOAD_CONCURRENCY); retry after the time in Retry-After",
                headers={"Retry-After": str(RETRY_AFTER_S), "Connection": "close"},
            )
            await busy(scope, receive, send)
            return
        body = _TimedBody(
            receive, timeout_s=self.read_timeout_s, min_bytes_per_s=self.min_bytes_per_s, max_bytes=limit
        )

        async def send_closing(message: Message) -> None:
            if message["type"] == "http.response.start" and not body.complete:
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"connection"]
                message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        try:
            await self.app(scope, body.receive, send_closing)
        finally:
            self.slots.give_back()
