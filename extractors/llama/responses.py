"""Reading a chat completion: usage, finish reason, the JSON answer checked against the
schema, and the token log-probabilities (``logprobs.content``) that ``logprobs`` turns into
each value's confidence. Without log-probabilities a value's confidence is unknown (None),
never a default.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from extractors.llama.logprobs import TokenEntry, read_logprob
from models.schemas import ExtractionSchema

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Completion:
    """What one 200 answer says."""

    content: str | None
    finish_reason: str | None
    prompt_tokens: int | None
    completion_tokens: int | None
    image_tokens: int | None
    tokens: list[TokenEntry] = field(default_factory=list)  # logprobs.content, as sent


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
    tokens = _token_entries(choice.get("logprobs"))
    usage = body.get("usage") or {}
    details = usage.get("prompt_tokens_details") or {}
    # vLLM >= 0.1x with --enable-prompt-tokens-details: {"multimodal_tokens": {"image": N}}
    multimodal = details.get("multimodal_tokens") or {}
    image = multimodal.get("image") if isinstance(multimodal, dict) else None
    return Completion(
        content=content if isinstance(content, str) else None,
        finish_reason=finish if isinstance(finish, str) else None,
        tokens=tokens,
        prompt_tokens=_count(usage.get("prompt_tokens")),
        completion_tokens=_count(usage.get("completion_tokens")),
        image_tokens=_count(image),
    )


def _token_entries(logprobs: Any) -> list[TokenEntry]:
    """``logprobs.content`` as token entries; malformed entries keep their place (so the
    tokens after them still line up) but spell nothing and carry no log-probability."""
    content = logprobs.get("content") if isinstance(logprobs, dict) else None
    if not isinstance(content, list):
        return []
    entries = []
    for item in content:
        if not isinstance(item, dict):
            entries.append(TokenEntry(token="", raw=None, logprob=None))
            continue
        raw = item.get("bytes")
        if not (isinstance(raw, list) and all(isinstance(b, int) and 0 <= b < 256 for b in raw)):
            raw = None  # absent, null or malformed: the token string is read instead
        token = item.get("token")
        entries.append(
            TokenEntry(
                token=token if isinstance(token, str) else "",
                raw=None if raw is None else bytes(raw),
                logprob=read_logprob(item.get("logprob")),
            )
        )
    return entries


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
