"""Reading a chat completion: usage, finish reason, the JSON answer checked against the
schema, and per-value confidence from the token log-probabilities.

Confidence mapping: the tokens that spell a value in the answer (found by byte offsets in
``logprobs.content``) give ``exp(mean logprob)``, the geometric mean of their probabilities,
in 0..1. A value spelled by tokens the model was sure of scores near 1.0; one uncertain
digit in ten pulls it down in proportion. Without log-probabilities (the server did not
return them, or their bytes do not spell the answer) every value gets the configured
prior (``llm_confidence_prior``, 0.7 by default).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from models.schemas import ExtractionSchema

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Completion:
    """What one 200 answer says."""

    content: str | None
    finish_reason: str | None
    token_bytes: list[bytes]
    token_logprobs: list[float]
    prompt_tokens: int | None
    completion_tokens: int | None
    image_tokens: int | None


class UnreadableResponseError(ValueError):
    """A 200 answer without the chat-completion shape."""


class InvalidOutputError(ValueError):
    """The answer is not JSON or does not match the schema; ``str()`` is shown to the model."""


def read_completion(body: dict[str, Any]) -> Completion:
    """The first choice and the usage of a ``chat.completion`` body."""
    try:
        choice = body["choices"][0]
        message = choice.get("message") or {}
        content = message.get("content")
        finish = choice.get("finish_reason")
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        raise UnreadableResponseError(f"no choices[0] in the answer: {exc!r}") from None
    token_bytes: list[bytes] = []
    logprobs: list[float] = []
    for entry in (choice.get("logprobs") or {}).get("content") or []:
        raw = entry.get("bytes")
        token_bytes.append(bytes(raw) if isinstance(raw, list) else str(entry.get("token", "")).encode())
        logprobs.append(float(entry.get("logprob", -9999.0)))
    usage = body.get("usage") or {}
    details = usage.get("prompt_tokens_details") or {}
    # vLLM >= 0.1x with --enable-prompt-tokens-details: {"multimodal_tokens": {"image": N}}
    multimodal = details.get("multimodal_tokens") or {}
    image = multimodal.get("image") if isinstance(multimodal, dict) else None
    return Completion(
        content=content if isinstance(content, str) else None,
        finish_reason=finish if isinstance(finish, str) else None,
        token_bytes=token_bytes,
        token_logprobs=logprobs,
        prompt_tokens=_count(usage.get("prompt_tokens")),
        completion_tokens=_count(usage.get("completion_tokens")),
        image_tokens=_count(image),
    )


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and value >= 0 else None


class _GenericPair(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str
    value: str | float | None


class _GenericCell(BaseModel):
    model_config = ConfigDict(extra="forbid")
    column: str
    value: str | float | None


class _GenericRow(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cells: list[_GenericCell]


class _GenericTable(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    rows: list[_GenericRow]


class GenericAnswer(BaseModel):
    """The model's answer for the free-form ``generic`` schema (see GENERIC_MODEL_SCHEMA)."""

    model_config = ConfigDict(extra="forbid")
    fields: list[_GenericPair]
    tables: list[_GenericTable]


def parse_answer(
    content: str | None, schema: ExtractionSchema, page_numbers: tuple[int, ...]
) -> dict[int, dict[str, Any]]:
    """Each page's values as the model wrote them, checked with pydantic.

    Raises InvalidOutputError with a message meant for the model (the repair turn).
    """
    if not content or not content.strip():
        raise InvalidOutputError("the answer was empty")
    try:
        parsed = json.loads(content)
    except json.JSONDecodeError as exc:
        raise InvalidOutputError(f"the answer is not valid JSON: {exc}") from None
    if not isinstance(parsed, dict):
        raise InvalidOutputError("the answer must be a JSON object")
    if len(page_numbers) == 1:
        per_page = {page_numbers[0]: parsed}
    else:
        expected = {f"page_{n}" for n in page_numbers}
        if set(parsed) != expected:
            raise InvalidOutputError(
                f"the answer must have exactly the keys {sorted(expected)}, got {sorted(parsed)}"
            )
        per_page = {n: parsed[f"page_{n}"] for n in page_numbers}
    for number, values in per_page.items():
        if not isinstance(values, dict):
            raise InvalidOutputError(f"page_{number} must be a JSON object")
        try:
            if schema.free_form:
                GenericAnswer.model_validate(values)
            else:
                schema.validate_values(values)
        except ValidationError as exc:
            where = f"page_{number}: " if len(page_numbers) > 1 else ""
            raise InvalidOutputError(f"{where}{_short(exc)}") from None
    return per_page


def _short(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:8]:
        loc = ".".join(str(p) for p in err["loc"]) or "(root)"
        parts.append(f"{loc}: {err['msg']} (got {err.get('input')!r})"[:200])
    return f"{exc.error_count()} schema violation(s): " + "; ".join(parts)


def leaf_spans(text: str) -> dict[Path, tuple[int, int]]:
    """Character span of every scalar in a valid JSON text, by path (strings without quotes)."""
    decoder = json.JSONDecoder()
    spans: dict[Path, tuple[int, int]] = {}
    n = len(text)

    def ws(i: int) -> int:
        while i < n and text[i] in " \t\n\r":
            i += 1
        return i

    def value(i: int, path: Path) -> int:
        i = ws(i)
        if text[i] == "{":
            i = ws(i + 1)
            if text[i] == "}":
                return i + 1
            while True:
                key, i = decoder.raw_decode(text, ws(i))
                i = value(ws(i) + 1, (*path, str(key)))  # +1 skips the colon
                i = ws(i)
                if text[i] == "}":
                    return i + 1
                i += 1  # the comma
        if text[i] == "[":
            i = ws(i + 1)
            if text[i] == "]":
                return i + 1
            index = 0
            while True:
                i = ws(value(i, (*path, index)))
                index += 1
                if text[i] == "]":
                    return i + 1
                i += 1
        _, end = decoder.raw_decode(text, i)
        spans[path] = (i + 1, end - 1) if text[i] == '"' else (i, end)
        return end

    value(0, ())
    return spans


class TokenConfidence:
    """Maps a character span of the answer to the confidence of the tokens spelling it."""

    def __init__(self, content: str, completion: Completion, prior: float) -> None:
        self._prior = prior
        self._content = content
        self._ok = bool(completion.token_bytes) and b"".join(completion.token_bytes) == content.encode()
        self._starts: list[int] = []
        self._ends: list[int] = []
        offset = 0
        for raw in completion.token_bytes:
            self._starts.append(offset)
            offset += len(raw)
            self._ends.append(offset)
        self._logprobs = completion.token_logprobs

    @property
    def available(self) -> bool:
        """Whether log-probabilities line up with the answer."""
        return self._ok

    def of(self, span: tuple[int, int] | None) -> float:
        """Confidence of the tokens covering ``span`` (the prior when unknown)."""
        if not self._ok or span is None:
            return self._prior
        start = len(self._content[: span[0]].encode())
        end = len(self._content[: span[1]].encode())
        if end <= start:  # an empty string: the closing quote's token carries the decision
            end = start + 1
        picked = [
            lp
            for s, e, lp in zip(self._starts, self._ends, self._logprobs, strict=True)
            if s < end and e > start
        ]
        if not picked:
            return self._prior
        return round(min(1.0, max(0.0, math.exp(sum(picked) / len(picked)))), 4)
