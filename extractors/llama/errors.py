"""Typed model-server errors: what went wrong on the wire, with status code and body."""

from __future__ import annotations

import json

from core.errors import ModelServerError

# Error codes, stable: they end up in the usage ledger and in page failures.
CONNECT_ERROR = "connect_error"  # refused, DNS, TLS: the replica is marked down
TIMEOUT = "timeout"  # connect, read, write or pool time limit
DISCONNECTED = "disconnected"  # the server closed the connection without an answer
NO_REPLICA = "no_replica"  # every replica failed its health check
RATE_LIMITED = "rate_limited"  # 429
OVERLOADED = "overloaded"  # 503
SERVER_ERROR = "server_error"  # other 5xx, or an unreadable 200
BAD_REQUEST = "bad_request"  # 400: e.g. context too long, too many images
NOT_FOUND = "not_found"  # 404: e.g. the model name is not served
CLIENT_ERROR = "client_error"  # any other 4xx (401, 403, 413, 422, ...)
TRUNCATED = "truncated"  # finish_reason == "length"
RUNAWAY_OUTPUT = "runaway_output"  # cut at the budget after a run of whitespace (a loop)
INVALID_OUTPUT = "invalid_output"  # not JSON, or JSON that breaks the schema


class ModelHTTPError(ModelServerError):
    """The server answered with an error status; ``body`` is what it said."""

    def __init__(self, status_code: int, body: str, *, url: str, retry_after_s: float | None = None) -> None:
        code = _code_for(status_code)
        retryable = status_code == 429 or status_code >= 500
        super().__init__(
            f"HTTP {status_code} from {url}: {server_message(body)}",
            status_code=status_code,
            body=body,
            retryable=retryable,
            code=code,
        )
        self.retry_after_s = retry_after_s


class ModelTransportError(ModelServerError):
    """No answer at all: connection refused or dropped, or a time limit passed."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message, retryable=True, code=code)
        self.retry_after_s: float | None = None


def _code_for(status: int) -> str:
    if status == 429:
        return RATE_LIMITED
    if status == 503:
        return OVERLOADED
    if status >= 500:
        return SERVER_ERROR
    if status == 400:
        return BAD_REQUEST
    if status == 404:
        return NOT_FOUND
    return CLIENT_ERROR


def server_message(body: str) -> str:
    """The message inside vLLM's error body (``{"error": {"message": ...}}``; older
    versions put ``message`` at the top level), else the body's first 500 characters."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return body.strip()[:500] or "(empty body)"
    if isinstance(parsed, dict):
        inner = parsed.get("error")
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return inner["message"]
        if isinstance(parsed.get("message"), str):
            return parsed["message"]
    return body.strip()[:500]
