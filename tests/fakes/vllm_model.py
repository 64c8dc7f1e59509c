"""The fake vLLM server's "model": reads the pages it was sent and answers per the schema.

It is not a language model and makes no claim to accuracy. Text pages are read by Folio's
own schema-guided mapper (``extractors.fieldmap``) over the text it received, so a test
through the fake checks the llama engine's logic (requests, retries, parsing, confidence,
grounding), not extraction quality. Images are decoded (a broken image is a 400, as in
vLLM) but not read: the fake knows an image's text only when a test told it (``image_texts``,
keyed by the sha256 of the JPEG bytes the test itself drew from that text); otherwise every
value on an image page is null. It never sees a fixture's expected answer.

Tokens: the answer is cut into pseudo-tokens (runs of whitespace, 1-4 word characters, one
punctuation mark); each token of a value gets log(p) with p the mapper's confidence for
that value, structural tokens log(0.9995). ``logprob_entries`` writes them as
``logprobs.content`` the ways servers do (see ``MULTIBYTE_STYLES``), with an optional
end-of-sequence entry after the answer.

Wrong answers on demand (``corrupt``): a total off by one digit, an identifier with one
digit changed (a number the page does not print), a date shifted by a day, another name.

Prompt tokens: the same cut over every text part, 5 per message, 3 per request, plus
Llama 4's image tokens (147 for a one-tile image; 145 per 336-px tile plus 147 for the
global thumbnail when the image is split, at most 16 tiles).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from extractors.fieldmap.mapper import map_page
from models.extraction import ExtractedField, PageExtraction
from models.page import TextLine
from models.schemas import BUILTIN_SCHEMAS, FieldKind

TOKEN = re.compile(r"\s+|\w{1,4}|[^\w\s]")
_PAGE_TEXT = re.compile(r"^Page (\d+) text:\n", re.S)
_PAGE_IMAGE = re.compile(r"^Page (\d+) image:\s*$")
_PAGE_KEY = re.compile(r"^page_(\d+)$")
STRUCTURE_LOGPROB = math.log(0.9995)
# How a character of several UTF-8 bytes, spelled by one token per byte, comes back:
# "whole": one token holds the whole character (no split);
# "raw_bytes": OpenAI's API: ``bytes`` holds the token's own byte ("bytes:\\xc3" as token);
# "replacement": vLLM decoding each token on its own: token U+FFFD, bytes = its UTF-8;
# "context": newer vLLM, which decodes with the tokens before: "" for the leading bytes,
#     the whole character on the token that completes it;
# "byte_fallback": raw SentencePiece pieces "<0xC3>" (bytes = that text's UTF-8).
MultibyteStyle = Literal["whole", "raw_bytes", "replacement", "context", "byte_fallback"]
MULTIBYTE_STYLES: tuple[str, ...] = ("whole", "raw_bytes", "replacement", "context", "byte_fallback")


@dataclass
class PageSeen:
    """What the fake received for one page."""

    text: str = ""
    images: list[bytes] = field(default_factory=list)


def count_tokens(text: str) -> int:
    """The fake's tokenizer: pseudo-tokens of ``text``."""
    return len(TOKEN.findall(text))


def image_tokens(width: int, height: int, tile: int = 336, max_tiles: int = 16) -> int:
    """Llama 4 prompt tokens for an image already sized to its tile grid, as vLLM counts the
    processor's placeholder: one tile is ``<|image_start|><|image|>`` 144 patches
    ``<|image_end|>`` (147); several tiles add 144 patches and one separator a tile."""
    tiles = min(max_tiles, max(1, math.ceil(width / tile)) * max(1, math.ceil(height / tile)))
    return 147 if tiles == 1 else tiles * 145 + 147


def pages_in(messages: list[dict[str, Any]]) -> dict[int, PageSeen]:
    """Pages by number, from the first user message's parts (the prompt's convention)."""
    pages: dict[int, PageSeen] = {}
    for message in messages:
        if message.get("role") != "user" or not isinstance(message.get("content"), list):
            continue
        pending: int | None = None
        for part in message["content"]:
            if part.get("type") == "text":
                text = part.get("text", "")
                if m := _PAGE_TEXT.match(text):
                    pages.setdefault(int(m.group(1)), PageSeen()).text = text[m.end() :]
                pending = int(m.group(1)) if (m := _PAGE_IMAGE.match(text)) else None
            elif part.get("type") == "image_url" and pending is not None:
                pages.setdefault(pending, PageSeen()).images.append(part["_decoded"])
                pending = None
        break
    return pages


def _lines(text: str) -> list[TextLine]:
    rows = [row for row in text.splitlines() if row.strip()]
    step = 1.0 / max(len(rows), 1)
    return [TextLine(text=row, bbox=(0.0, i * step, 1.0, (i + 0.8) * step)) for i, row in enumerate(rows)]


def text_seen(pages: dict[int, PageSeen], image_texts: dict[str, str]) -> str:
    """Everything the fake can read on ``pages``: their text and the texts of known images."""
    texts = [seen.text for seen in pages.values()]
    for seen in pages.values():
        texts += [image_texts.get(hashlib.sha256(img).hexdigest(), "") for img in seen.images]
    return "\n".join(texts)


def read_page(seen: PageSeen, schema_name: str, image_texts: dict[str, str], number: int) -> PageExtraction:
    """The mapper's reading of everything the fake can read on one page."""
    texts = [seen.text] + [image_texts.get(hashlib.sha256(img).hexdigest(), "") for img in seen.images]
    schema = BUILTIN_SCHEMAS.get(schema_name)
    joined = "\n".join(t for t in texts if t.strip())
    if schema is None or not joined:
        return PageExtraction(page_numbers=[number])
    return map_page(_lines(joined), schema, page_number=number)


def answer_for(
    answer_schema: dict[str, Any], schema_name: str, pages: dict[int, PageSeen], image_texts: dict[str, str]
) -> tuple[Any, dict[tuple, float]]:
    """An instance of ``answer_schema`` filled from the pages, with each value's confidence."""
    confidences: dict[tuple, float] = {}
    props = answer_schema.get("properties") or {}
    keys = [_PAGE_KEY.match(k) for k in props]
    if props and all(keys):
        out = {}
        for m in keys:
            assert m is not None
            number = int(m.group(1))
            reading = read_page(pages.get(number, PageSeen()), schema_name, image_texts, number)
            out[m.group(0)] = _fill(props[m.group(0)], schema_name, reading, confidences, (m.group(0),))
        return out, confidences
    readings = [read_page(seen, schema_name, image_texts, n) for n, seen in sorted(pages.items())]
    merged = PageExtraction(page_numbers=sorted(pages))
    for reading in readings:
        for name, found in reading.fields.items():
            merged.fields.setdefault(name, found)
        for name, rows in reading.tables.items():
            merged.tables.setdefault(name, []).extend(rows)
    return _fill(answer_schema, schema_name, merged, confidences, ()), confidences


def _fill(
    schema: dict[str, Any],
    schema_name: str,
    reading: PageExtraction,
    confidences: dict[tuple, float],
    path: tuple,
) -> dict[str, Any]:
    if schema_name == "generic" or BUILTIN_SCHEMAS.get(schema_name) is None:
        return _fill_generic(reading, confidences, path)
    spec = BUILTIN_SCHEMAS[schema_name]
    out: dict[str, Any] = {}
    for field_spec in spec.fields:
        if field_spec.kind is FieldKind.TABLE:
            rows = []
            for r, row in enumerate(reading.tables.get(field_spec.name, [])):
                rows.append(
                    {
                        c.name: _value(row.get(c.name), confidences, (*path, field_spec.name, r, c.name))
                        for c in field_spec.columns
                    }
                )
            out[field_spec.name] = rows
        else:
            out[field_spec.name] = _value(
                reading.fields.get(field_spec.name), confidences, (*path, field_spec.name)
            )
    return {k: out[k] for k in schema.get("properties", out)}


def _fill_generic(reading: PageExtraction, confidences: dict[tuple, float], path: tuple) -> dict[str, Any]:
    fields = [
        {"key": k, "value": _value(f, confidences, (*path, "fields", i, "value"))}
        for i, (k, f) in enumerate(reading.fields.items())
    ]
    tables = []
    for t, (name, rows) in enumerate(reading.tables.items()):
        out_rows = []
        for r, row in enumerate(rows):
            cells = [
                {
                    "column": c,
                    "value": _value(f, confidences, (*path, "tables", t, "rows", r, "cells", i, "value")),
                }
                for i, (c, f) in enumerate(row.items())
            ]
            out_rows.append({"cells": cells})
        tables.append({"name": name, "rows": out_rows})
    return {"fields": fields, "tables": tables}


def _value(found: ExtractedField | None, confidences: dict[tuple, float], path: tuple) -> Any:
    if found is None or found.value is None:
        return None
    if found.confidence is not None:
        confidences[path] = found.confidence
    return found.value


def serialise(answer: Any, *, escape: bool = False) -> tuple[str, dict[tuple, tuple[int, int]]]:
    """``answer`` as JSON (a model's spacing) with the character span of every value;
    ``escape`` writes non-ASCII as ``\\u00e9`` and ``/`` as ``\\/``, as some models do."""

    def dumps(node: Any) -> str:
        text = json.dumps(node, ensure_ascii=escape)
        return text.replace("/", "\\/") if escape and isinstance(node, str) else text

    chunks: list[str] = []
    spans: dict[tuple, tuple[int, int]] = {}
    length = 0

    def emit(text: str) -> None:
        nonlocal length
        chunks.append(text)
        length += len(text)

    def walk(node: Any, path: tuple) -> None:
        if isinstance(node, dict):
            emit("{")
            for i, (key, value) in enumerate(node.items()):
                emit((", " if i else "") + dumps(key) + ": ")
                walk(value, (*path, key))
            emit("}")
        elif isinstance(node, list):
            emit("[")
            for i, value in enumerate(node):
                emit(", " if i else "")
                walk(value, (*path, i))
            emit("]")
        else:
            start = length
            emit(dumps(node))
            spans[path] = (start, length)

    walk(answer, ())
    return "".join(chunks), spans


def tokens_with_logprobs(
    content: str,
    spans: dict[tuple, tuple[int, int]],
    confidences: dict[tuple, float],
    overrides: dict[str, float],
) -> list[tuple[str, float]]:
    """Pseudo-tokens of ``content``, each with the log-probability the fake gives it.

    ``overrides`` maps a substring to a log-probability for every token of a value that
    contains it (tests use it to make one value uncertain).
    """
    per_char: list[float | None] = [None] * len(content)
    for path, (start, end) in spans.items():
        value_text = str(json.loads(content[start:end]))  # as decoded: escapes written out
        logprob = next((lp for key, lp in overrides.items() if key in value_text), None)
        if logprob is None and path in confidences:
            logprob = math.log(max(confidences[path], 1e-6))
        if logprob is not None:
            for i in range(start, end):
                per_char[i] = logprob
    tokens = []
    for m in TOKEN.finditer(content):
        marks = [lp for lp in per_char[m.start() : m.end()] if lp is not None]
        tokens.append((m.group(0), marks[0] if marks else STRUCTURE_LOGPROB))
    return tokens


def logprob_entries(
    tokens: list[tuple[str, float]],
    *,
    multibyte: MultibyteStyle = "whole",
    token_ids_for: tuple[str, ...] = (),
    eos_token: str | None = None,
    top_logprobs: int = 0,
) -> list[dict[str, Any]]:
    """``logprobs.content`` for ``tokens``: each non-ASCII character split into one token per
    UTF-8 byte written per ``multibyte``; tokens of a value containing one of
    ``token_ids_for`` written as ``token_id:N`` (vLLM's ``--return-tokens-as-token-ids``);
    ``eos_token`` ("<|eot|>", or "" as vLLM decodes it with special tokens skipped) appended
    as the last entry, as vLLM returns the end-of-sequence token's log-probability."""
    per_token = logprob_entries_per_token(
        tokens,
        multibyte=multibyte,
        token_ids_for=token_ids_for,
        eos_token=eos_token,
        top_logprobs=top_logprobs,
    )
    return [entry for entries in per_token for entry in entries]


def logprob_entries_per_token(
    tokens: list[tuple[str, float]],
    *,
    multibyte: MultibyteStyle = "whole",
    token_ids_for: tuple[str, ...] = (),
    eos_token: str | None = None,
    top_logprobs: int = 0,
) -> list[list[dict[str, Any]]]:
    """``logprob_entries`` grouped by the answer token they belong to (a streamed chunk
    carries the entries of its own tokens); the end-of-sequence entry goes with the last."""
    joined = "".join(t for t, _ in tokens)
    hidden = [m.span() for key in token_ids_for for m in re.finditer(re.escape(key), joined)]
    groups: list[list[dict[str, Any]]] = []
    at = 0
    for text, logprob in tokens:
        start, at = at, at + len(text)
        pieces: list[tuple[str, bytes, float]] = []
        if any(s < at and e > start for s, e in hidden):
            pieces.append((f"token_id:{sum(map(ord, text)) % 200_000}", b"", logprob))
        else:
            for part in _split_multibyte(text):
                pieces.extend(_written(part, multibyte, logprob))
        groups.append([_entry(token, raw, logprob, top_logprobs) for token, raw, logprob in pieces])
    if eos_token is not None:
        data = list(eos_token.encode())
        eos = {"token": eos_token, "logprob": -0.0001, "bytes": data, "top_logprobs": []}
        if groups:
            groups[-1].append(eos)
        else:
            groups.append([eos])
    return groups


def _entry(token: str, raw: bytes, logprob: float, top_logprobs: int) -> dict[str, Any]:
    data = list(raw or token.encode())
    entry: dict[str, Any] = {"token": token, "logprob": logprob, "bytes": data}
    entry["top_logprobs"] = [{"token": token, "logprob": logprob, "bytes": data}][:top_logprobs]
    return entry


def _split_multibyte(text: str) -> list[str]:
    """ASCII runs and single non-ASCII characters of ``text``, in order."""
    return re.findall(r"[\x00-\x7f]+|[^\x00-\x7f]", text)


def _written(part: str, style: MultibyteStyle, logprob: float) -> list[tuple[str, bytes, float]]:
    """One token per byte of a non-ASCII character, as ``style`` writes them; ASCII as is."""
    if style == "whole" or part.isascii():
        return [(part, b"", logprob)]
    data = part.encode()
    if style == "raw_bytes":
        return [(f"bytes:\\x{b:02x}", bytes([b]), logprob) for b in data]
    if style == "replacement":
        return [("\ufffd", b"", logprob) for _ in data]
    if style == "context":
        return [("", b"", logprob) for _ in data[:-1]] + [(part, b"", logprob)]
    return [(f"<0x{b:02X}>", b"", logprob) for b in data]  # byte_fallback


def corrupt(answer: Any, names: list[str]) -> Any:
    """``answer`` with the fields ``names`` answered wrongly, wherever they have a value (the
    top level, or each ``page_N`` object)."""
    if not isinstance(answer, dict):
        return answer
    if answer and all(_PAGE_KEY.match(k) for k in answer):
        return {k: corrupt(v, names) for k, v in answer.items()}
    return {k: wrong_value(v) if k in names and v is not None else v for k, v in answer.items()}


def wrong_value(value: Any) -> Any:
    """A plausible wrong reading of ``value``: an amount with its tens digit (units for
    amounts under 10) one higher, an ISO date a day later, an identifier with its last digit
    one higher, a name replaced."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        step = Decimal(10) if abs(value) >= 10 else Decimal(1)
        digit = int(abs(Decimal(str(value))) // step) % 10
        delta = step * (-9 if digit == 9 else 1)
        changed = Decimal(str(value)) + (delta if value >= 0 else -delta)
        return int(changed) if isinstance(value, int) else float(changed)
    text = str(value)
    try:
        return (dt.date.fromisoformat(text) + dt.timedelta(days=1)).isoformat()
    except ValueError:
        pass
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    if digits:
        i = digits[-1]
        return text[:i] + str((int(text[i]) + 1) % 10) + text[i + 1 :]
    return "Globex Trading Company"
