"""The ``llama`` engine: Llama 4 behind vLLM's OpenAI-compatible API, as a Folio ``Engine``.

One request per group of pages the pipeline hands over (a text page alone, or up to
``llm_max_images_per_request`` image pages; see ``requests`` for the prompt and the
per-page answer shape). For each request:

- transport faults are retried inside the client (bounded); a page whose request still
  fails comes back as ``PageExtraction.failure`` with the last error's code;
- ``finish_reason == "length"`` is never a result: the request is sent again with twice the
  ``max_tokens`` (up to ``llm_max_tokens_ceiling``); at the ceiling a multi-page group is
  split in halves; a single page then fails with ``truncated``;
- an answer that is not JSON or breaks the schema gets one repair turn that shows the model
  its answer and the pydantic error; a second bad answer fails with ``invalid_output``.

Each value's confidence comes from its tokens' log-probabilities, None where they are absent
or cannot be aligned (``logprobs``). Each page that holds an essential value is then read by
a second witness, its text layer or OCR (``extractors.witness``, setting ``llm_witness``),
which may confirm a value, contradict it (``disagreement``) or not find it (``ungrounded``).

Every HTTP attempt becomes an ``EngineCall`` (numbered 1, 2, ... per group), failed ones
too. ``estimated_prompt_tokens`` includes the image tokens, like the server's
``prompt_tokens``; cost stays 0 here (pricing adds it from the token counts).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import httpx

from core.logging import get_logger
from core.settings import Settings
from extractors.llama import errors as codes
from extractors.llama.client import Attempt, VllmClient
from extractors.llama.fields import PageFields
from extractors.llama.logprobs import TokenConfidence
from extractors.llama.requests import ModelRequest, NoContentError, build_request
from extractors.llama.responses import (
    Completion,
    InvalidOutputError,
    UnreadableResponseError,
    leaf_spans,
    parse_answer,
    read_completion,
)
from extractors.witness import WitnessReader, witness_fields
from models.extraction import ExtractedField, ExtractedRow, PageExtraction, PageFailure
from models.page import PreparedPage
from models.schemas import ExtractionSchema
from models.usage import EngineCall

CONFLICT = "conflict"


class LlamaEngine:
    """Drop-in ``Engine`` for a vLLM server (or several replicas) serving Llama 4."""

    name = "llama"

    def __init__(self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        """``transport`` replaces the HTTP transport (tests may pass an ASGI transport)."""
        self._settings = settings
        self.model: str | None = settings.llm_model
        self.max_pages_per_call = settings.llm_max_images_per_request
        self.client = VllmClient(settings, transport=transport)
        self.witness = WitnessReader(settings)
        self._log = get_logger(__name__)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self.client.aclose()

    async def extract(self, pages: Sequence[PreparedPage], schema: ExtractionSchema) -> PageExtraction:
        """Fields of ``pages``; a group that cannot be read comes back as ``failure``."""
        numbers = [p.page_number for p in pages]
        broken = [p for p in pages if p.failed]
        if not pages or broken:
            first = broken[0] if broken else None
            return PageExtraction(
                page_numbers=numbers,
                failure=PageFailure(
                    page_number=first.page_number if first else 1,
                    code=(first.error_code if first else None) or "prepare_failed",
                    message=(first.error if first else None) or "no page to extract",
                ),
            )
        calls: list[EngineCall] = []
        return await self._extract(list(pages), schema, calls)

    async def _extract(
        self, pages: list[PreparedPage], schema: ExtractionSchema, calls: list[EngineCall]
    ) -> PageExtraction:
        numbers = [p.page_number for p in pages]
        try:
            request = build_request(pages, schema, settings=self._settings)
        except NoContentError as exc:
            return _failure(numbers, "no_content", str(exc), calls)
        ceiling = self._settings.llm_max_tokens_ceiling
        repaired = False
        while True:
            outcome = await self.client.chat(
                request.body(self._settings.llm_model or ""), cost=request.estimated_prompt_tokens
            )
            completion: Completion | None = None
            for attempt in outcome.attempts:
                call = self._call(request, attempt, len(calls) + 1)
                if attempt.response is not None:
                    try:
                        completion = read_completion(attempt.response)
                    except UnreadableResponseError as exc:
                        call = call.model_copy(update={"error_code": codes.SERVER_ERROR, "error": str(exc)})
                        calls.append(call)
                        return _failure(numbers, codes.SERVER_ERROR, str(exc), calls)
                    call = _with_usage(call, completion)
                calls.append(call)
            if completion is None:
                error = outcome.error
                assert error is not None
                message = error.message
                if len(outcome.attempts) > 1:
                    message += f" (gave up after {len(outcome.attempts)} attempts)"
                return _failure(numbers, error.code, message, calls)

            if completion.finish_reason == "length":
                calls[-1] = _mark(
                    calls[-1], codes.TRUNCATED, f"answer cut at max_tokens={request.max_tokens}"
                )
                if request.max_tokens < ceiling:
                    request = request.with_max_tokens(min(ceiling, 2 * request.max_tokens))
                    continue
                if len(pages) > 1:
                    return await self._split(pages, schema, calls)
                return _failure(
                    numbers,
                    codes.TRUNCATED,
                    f"the answer did not fit in {ceiling} tokens (FOLIO_LLM_MAX_TOKENS_CEILING)",
                    calls,
                )
            try:
                per_page = parse_answer(completion.content, schema, request.page_numbers)
            except InvalidOutputError as exc:
                calls[-1] = _mark(calls[-1], codes.INVALID_OUTPUT, str(exc))
                if not repaired:
                    repaired = True
                    request = request.repair(completion.content or "", str(exc))
                    continue
                return _failure(
                    numbers,
                    codes.INVALID_OUTPUT,
                    f"the answer broke the schema again after a repair: {exc}",
                    calls,
                )
            return await self._result(pages, schema, per_page, completion, calls)

    async def _split(
        self, pages: list[PreparedPage], schema: ExtractionSchema, calls: list[EngineCall]
    ) -> PageExtraction:
        """Truncated at the ceiling with several pages: halves, one after the other."""
        middle = len(pages) // 2
        parts = [await self._extract(half, schema, calls) for half in (pages[:middle], pages[middle:])]
        numbers = [p.page_number for p in pages]
        failed = [p for p in parts if p.failure is not None]
        if failed:
            first = failed[0].failure
            assert first is not None
            # PageExtraction holds one outcome: the whole group fails, naming what failed.
            return _failure(
                numbers, first.code, f"pages {numbers}: {first.message}", calls, at=first.page_number
            )
        return _combine(numbers, parts, calls)

    async def _result(
        self,
        pages: list[PreparedPage],
        schema: ExtractionSchema,
        per_page: dict[int, dict[str, Any]],
        completion: Completion,
        calls: list[EngineCall],
    ) -> PageExtraction:
        content = completion.content or ""
        spans = leaf_spans(content)
        confidence = TokenConfidence(content, completion.tokens)
        if not confidence.available:
            self._log.debug(
                "pages %s: no log-probabilities line up with the answer; confidence unknown",
                [p.page_number for p in pages],
            )
        grounding = self.witness.mode != "off"
        parts = []
        for page in pages:
            prefix = (f"page_{page.page_number}",) if len(pages) > 1 else ()
            fields, tables = PageFields(page, spans, prefix, confidence, grounding=grounding).build(
                schema, per_page[page.page_number]
            )
            parts.append(PageExtraction(page_numbers=[page.page_number], fields=fields, tables=tables))
        return _combine([p.page_number for p in pages], await self._witnessed(pages, schema, parts), calls)

    async def _witnessed(
        self, pages: list[PreparedPage], schema: ExtractionSchema, parts: list[PageExtraction]
    ) -> list[PageExtraction]:
        """Each part with its essential values checked by its page's witness; only pages
        holding an essential value are read (OCR costs about a second of CPU a page)."""
        wanted = [
            (index, page)
            for index, (page, part) in enumerate(zip(pages, parts, strict=True))
            if any(part.fields.get(name) is not None for name in schema.essential)
        ]
        if not wanted:
            return parts
        witnesses = await asyncio.gather(*(self.witness.read(page) for _, page in wanted))
        checked = list(parts)
        for (index, _), witness in zip(wanted, witnesses, strict=True):
            if witness is not None:
                fields = witness_fields(parts[index].fields, schema, witness)
                checked[index] = parts[index].model_copy(update={"fields": fields})
        return checked

    def _call(self, request: ModelRequest, attempt: Attempt, number: int) -> EngineCall:
        error = attempt.error
        return EngineCall(
            engine=self.name,
            model=self.model,
            page_numbers=list(request.page_numbers),
            attempt=number,
            estimated_prompt_tokens=request.estimated_prompt_tokens,
            estimated_image_tokens=request.estimated_image_tokens,
            latency_ms=attempt.latency_ms,
            http_status=attempt.http_status,
            error_code=error.code if error else None,
            error=error.message if error else None,
        )


def _with_usage(call: EngineCall, completion: Completion) -> EngineCall:
    return call.model_copy(
        update={
            "prompt_tokens": completion.prompt_tokens,
            "completion_tokens": completion.completion_tokens,
            "image_tokens": completion.image_tokens,
            "finish_reason": completion.finish_reason,
        }
    )


def _mark(call: EngineCall, code: str, message: str) -> EngineCall:
    return call.model_copy(update={"error_code": code, "error": message[:2000]})


def _failure(
    numbers: list[int], code: str, message: str, calls: list[EngineCall], *, at: int | None = None
) -> PageExtraction:
    return PageExtraction(
        page_numbers=numbers,
        calls=list(calls),
        failure=PageFailure(page_number=at or numbers[0], code=code, message=message),
    )


def _combine(numbers: list[int], parts: Sequence[PageExtraction], calls: list[EngineCall]) -> PageExtraction:
    """Pages of one group as one result: the earliest page's value of a field wins (a later
    different value flags it ``conflict``), table rows concatenated in page order."""
    fields: dict[str, ExtractedField] = {}
    tables: dict[str, list[ExtractedRow]] = {}
    for part in sorted(parts, key=lambda p: min(p.page_numbers)):
        for name, found in part.fields.items():
            kept = fields.get(name)
            if kept is None:
                fields[name] = found
            elif kept.value != found.value and CONFLICT not in kept.flags:
                fields[name] = kept.model_copy(update={"flags": [*kept.flags, CONFLICT]})
        for name, rows in part.tables.items():
            tables.setdefault(name, []).extend(rows)
    return PageExtraction(page_numbers=numbers, fields=fields, tables=tables, calls=list(calls))


async def llama_server_healthy(settings: Settings) -> bool:
    """Whether a configured model server answers its health check (for ``--engine auto``)."""
    if not settings.llm_base_urls:
        return False
    client = VllmClient(settings)
    try:
        return await client.any_healthy()
    finally:
        await client.aclose()
