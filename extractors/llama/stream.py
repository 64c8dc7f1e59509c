"""Reading a streamed chat completion (server-sent events) into one answer, with its timing.

vLLM streams ``data: <chat.completion.chunk JSON>`` events and ends with ``data: [DONE]``.
The first chunk carries ``delta.role``; each next one the new text (``delta.content``) and,
when asked, that text's tokens in ``logprobs.content`` (the same entries as a whole answer
has, only cut into pieces); the last content chunk has ``finish_reason``. With
``stream_options.include_usage`` a final chunk with ``choices: []`` carries ``usage`` (with
``prompt_tokens_details`` when the server has them on). An error after the stream began
comes as a chunk ``{"error": {...}}``.

``StreamReader`` joins the pieces back into the ``chat.completion`` shape that
``responses.read_completion`` reads, so a streamed and a whole answer are read by the same
code, log-probabilities included. It also keeps the time of the first and the last chunk
that carried generated tokens: the call's time to first token and its decode rate.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

DONE = "[DONE]"


class StreamError(ValueError):
    """The stream is not a chat-completion stream (a line that is not JSON, a chunk with no
    ``choices``); ``str()`` says what was seen."""


class StreamedServerError(Exception):
    """The server reported an error inside the stream; ``status`` is its ``code``."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(body)
        self.status = status
        self.body = body


@dataclass
class StreamTiming:
    """When the request was sent and when generated tokens arrived (``time.perf_counter``)."""

    sent: float
    first_token: float | None = None
    last_token: float | None = None

    @property
    def first_token_ms(self) -> float | None:
        """Milliseconds from sending the request to the first chunk with generated text."""
        return None if self.first_token is None else (self.first_token - self.sent) * 1000

    def tokens_per_s(self, completion_tokens: int | None) -> float | None:
        """Decode rate after the first token: (tokens - 1) over the time from the first to
        the last chunk that carried tokens; None when that cannot be measured."""
        if completion_tokens is None or completion_tokens < 2:
            return None
        if self.first_token is None or self.last_token is None or self.last_token <= self.first_token:
            return None
        return (completion_tokens - 1) / (self.last_token - self.first_token)


@dataclass
class StreamReader:
    """Feed it the stream's lines (``feed``); ``response()`` is the joined answer."""

    timing: StreamTiming
    clock: Callable[[], float] = time.perf_counter
    done: bool = False
    _content: list[str] = field(default_factory=list)
    _logprobs: list[Any] = field(default_factory=list)
    _has_logprobs: bool = False
    _finish_reason: str | None = None
    _stop_reason: Any = None
    _usage: dict[str, Any] | None = None
    _head: dict[str, Any] = field(default_factory=dict)

    def feed(self, line: str) -> None:
        """One line of the event stream. Raises ``StreamedServerError`` for an error event
        and ``StreamError`` for what no chat-completion stream holds."""
        line = line.strip()
        if not line.startswith("data:"):
            return  # blank separators, comments (": ping"), "event:" or "id:" fields
        data = line[len("data:") :].strip()
        if data == DONE:
            self.done = True
            return
        try:
            chunk = json.loads(data)
        except ValueError:
            raise StreamError(f"a stream event that is not JSON: {data[:200]!r}") from None
        if not isinstance(chunk, dict):
            raise StreamError(f"a stream event that is not an object: {data[:200]!r}")
        if "error" in chunk:
            error = chunk["error"]
            code = error.get("code") if isinstance(error, dict) else None
            raise StreamedServerError(code if isinstance(code, int) and code >= 400 else 500, data)
        self._take(chunk)

    def _take(self, chunk: dict[str, Any]) -> None:
        for key in ("id", "created", "model"):
            if key in chunk and key not in self._head:
                self._head[key] = chunk[key]
        if isinstance(chunk.get("usage"), dict):
            self._usage = chunk["usage"]  # the final usage chunk (or running totals)
        choices = chunk.get("choices")
        if not isinstance(choices, list):
            raise StreamError(f"a stream chunk without choices: {json.dumps(chunk)[:200]}")
        for choice in choices:
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or {}
            text = delta.get("content") if isinstance(delta, dict) else None
            entries = (choice.get("logprobs") or {}).get("content")
            carried = bool(text) or bool(entries)
            if isinstance(text, str):
                self._content.append(text)
            if isinstance(entries, list):
                self._has_logprobs = True
                self._logprobs.extend(entries)
            if choice.get("finish_reason") is not None:
                self._finish_reason = choice["finish_reason"]
                self._stop_reason = choice.get("stop_reason")
            if carried:
                now = self.clock()
                if self.timing.first_token is None:
                    self.timing.first_token = now
                self.timing.last_token = now

    @property
    def finished(self) -> bool:
        """Whether the answer ended (a finish reason came); usage may still follow."""
        return self._finish_reason is not None

    def response(self) -> dict[str, Any]:
        """The stream as one ``chat.completion`` body."""
        choice: dict[str, Any] = {
            "index": 0,
            "message": {"role": "assistant", "content": "".join(self._content)},
            "logprobs": {"content": self._logprobs} if self._has_logprobs else None,
            "finish_reason": self._finish_reason,
            "stop_reason": self._stop_reason,
        }
        return {**self._head, "object": "chat.completion", "choices": [choice], "usage": self._usage}
