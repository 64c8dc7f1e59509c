"""The ``llama`` engine: Llama 4 behind vLLM's OpenAI-compatible API, as a Folio ``Engine``.

One request per group of pages the pipeline hands over (a text page alone, or up to
``llm_max_images_per_request`` image pages; see ``requests`` for the prompt and the
per-page answer shape). For each request:

- transport faults are retried inside the client (bounded); a page whose request still
  fails comes back as ``PageExtraction.failure`` with the last error's code;
- the completion budget (``max_completion_tokens``) is sized from the schema filled for the
  group's pages (``requests.size_completion_budget``), never doubled blindly;
- ``finish_reason == "length"`` is never a result. A group of several pages is split in
  halves, each sized anew. A single page whose answer ended in a run of whitespace (the
  xgrammar whitespace loop: at temperature 0 the same request loops again) fails at once
  with ``runaway_output``; any other cut single page is sent once more with the per-request
  ceiling ``llm_max_tokens_ceiling``, then fails with ``truncated``;
- an answer that is not JSON or breaks the schema gets one repair turn that shows the model
  its answer and the pydantic error; a second bad answer fails with ``invalid_output``;
- every request after a group's first (bigger budget, split, repair) goes only if the
  document's spending ceiling still holds it (``extractors.engines.spend``); otherwise the
  pages fail with ``cost_overrun`` and the pipeline sends the document to review.

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
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

import extractors.llama.errors as codes
from core.logging import get_logger
from core.settings import Settings
from extractors.engines.spend import COST_OVERRUN, current_spend_ceiling
from extractors.engines.vendor_context import current_vendor_memory
from extractors.llama.client import Attempt, ChatOutcome, VllmClient
from extractors.llama.fields import PageFields
from extractors.llama.logprobs import TokenConfidence
from extractors.llama.requests import ModelRequest, NoContentError, build_request, vendor_example
from extractors.llama.responses import (
    Completion,
    InvalidOutputError,
    UnreadableResponseError,
    leaf_spans,
    parse_answer,
    read_completion,
)
from extractors.tile_budget import budget_image
from extractors.witness import WitnessReader, witness_fields
from models.extraction import ExtractedField, ExtractedRow, PageExtraction, PageFailure
from models.page import PageImage, PreparedPage
from models.schemas import ExtractionSchema
from models.usage import EngineCall

CONFLICT = "conflict"
# An answer cut at its budget whose last this-many characters are all whitespace ran into
# the structured-output whitespace loop; no JSON answer pads itself like that.
RUNAWAY_WHITESPACE_CHARS = 32


class LlamaEngine:
    """Drop-in ``Engine`` for a vLLM server (or several replicas) serving Llama 4."""

    name = "llama"

    def __init__(self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        """``transport`` replaces the HTTP transport (tests may pass an ASGI transport)."""
        self._settings = settings
        self.model: str | None = settings.llm.model
        self.max_pages_per_call = settings.llm.max_images_per_request
        self.client = VllmClient(settings, transport=transport)
        self.witness = WitnessReader(settings)
        self._log = get_logger(__name__)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self.client.aclose()

    async def ready(self) -> bool:
        """Whether a model server answers its health check now (a vLLM server still loading
        its weights does not); probes are spaced by ``llm_health_backoff_s``."""
        return await self.client.any_healthy()

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
        images = await self._budgeted_images(pages)
        return await self._extract(list(pages), schema, calls, follow_up=False, images=images)

    async def _budgeted_images(self, pages: Sequence[PreparedPage]) -> dict[int, PageImage]:
        """The image each image page is sent with: on the smallest tile grid that keeps its
        text legible (``extractors.tile_budget``). The render worker made it with the page
        (``model_image``); a page that came without one (prepared for no image-sending engine)
        is budgeted here, off the event loop. The pages keep their prepared images for the
        witness."""
        if self._settings.pages.tile_text_floor_px <= 0:
            return {}
        images: dict[int, PageImage] = {}
        missing: list[tuple[int, PageImage]] = []
        for page in pages:
            if page.image is None or not page.sends_image:
                continue
            if page.model_image is not None:
                images[page.page_number] = page.model_image
            else:
                missing.append((page.page_number, page.image))
        budgeted = await asyncio.gather(
            *(asyncio.to_thread(budget_image, image, self._settings) for _, image in missing)
        )
        images.update((number, image) for (number, _), image in zip(missing, budgeted, strict=True))
        return images

    async def _extract(
        self,
        pages: list[PreparedPage],
        schema: ExtractionSchema,
        calls: list[EngineCall],
        *,
        follow_up: bool,
        images: Mapping[int, PageImage],
    ) -> PageExtraction:
        numbers = [p.page_number for p in pages]
        try:
            request = build_request(
                pages, schema, settings=self._settings, sent_images=images, example=_example(pages, schema)
            )
        except NoContentError as exc:
            return _failure(numbers, "no_content", str(exc), calls)
        repaired = grown = False
        while True:
            outcome, refused = await self._send(request, follow_up=follow_up)
            if outcome is None:
                return _failure(numbers, COST_OVERRUN, refused or "spending ceiling reached", calls)
            follow_up = True  # any further request for these pages is a follow-up
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
                budget = request.max_completion_tokens
                runaway = _ends_in_whitespace_run(completion.content)
                code = codes.RUNAWAY_OUTPUT if runaway else codes.TRUNCATED
                how = " after a run of whitespace" if runaway else ""
                calls[-1] = _mark(calls[-1], code, f"answer cut at max_completion_tokens={budget}{how}")
                if len(pages) > 1:
                    return await self._split(pages, schema, calls, images)
                if runaway:
                    return _failure(
                        numbers,
                        code,
                        f"the model wrote whitespace until its budget of {budget} tokens ran out "
                        "(the structured-output whitespace loop; a repeat at temperature 0 loops "
                        "again): start vLLM with --structured-outputs-config "
                        '\'{"backend":"xgrammar","disable_any_whitespace":true}\'',
                        calls,
                    )
                ceiling = self._settings.llm.max_tokens_ceiling
                if not grown and budget < ceiling:
                    grown = True
                    request = request.with_budget(ceiling)
                    continue
                return _failure(
                    numbers,
                    code,
                    f"the answer did not fit in {budget} tokens (FOLIO_LLM_MAX_TOKENS_CEILING {ceiling})",
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
        self,
        pages: list[PreparedPage],
        schema: ExtractionSchema,
        calls: list[EngineCall],
        images: Mapping[int, PageImage],
    ) -> PageExtraction:
        """A group whose answer was cut: halves, one after the other, each sized anew."""
        middle = len(pages) // 2
        parts = [
            await self._extract(half, schema, calls, follow_up=True, images=images)
            for half in (pages[:middle], pages[middle:])
        ]
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

    async def _send(self, request: ModelRequest, *, follow_up: bool) -> tuple[ChatOutcome | None, str | None]:
        """Send ``request`` (through the client's retries); ``(None, why)`` when it is a
        follow-up the document's spending ceiling no longer holds. What the call spent is
        counted against the ceiling (a 200 without usage counts its whole budget)."""
        spend = current_spend_ceiling()
        reservation = None
        if spend is not None and follow_up:
            reservation = spend.reserve(request.estimated_prompt_tokens, request.max_completion_tokens)
            if reservation is None:
                return None, (
                    f"another request of up to {request.max_completion_tokens:,} completion tokens "
                    f"would pass the document's spending ceiling ({spend.describe()})"
                )
        body = request.body(self._settings.llm.model or "", stream=self._settings.llm.stream)
        prompt = completion = 0
        try:
            outcome = await self.client.chat(body, cost=request.estimated_prompt_tokens)
            for attempt in outcome.attempts:
                if attempt.response is not None:
                    usage = attempt.response.get("usage") or {}
                    reported = usage.get("completion_tokens") if isinstance(usage, dict) else None
                    completion += reported if isinstance(reported, int) else request.max_completion_tokens
                    used = usage.get("prompt_tokens") if isinstance(usage, dict) else None
                    prompt += used if isinstance(used, int) else request.estimated_prompt_tokens
        finally:
            if spend is not None:
                spend.settle(reservation, prompt_tokens=prompt, completion_tokens=completion)
        return outcome, None

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
            first_token_ms=attempt.first_token_ms,
            tokens_per_s=attempt.tokens_per_s,
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


def _ends_in_whitespace_run(content: str | None) -> bool:
    """Whether an answer ends in a run of whitespace no JSON answer pads itself with."""
    tail = (content or "")[-RUNAWAY_WHITESPACE_CHARS:]
    return len(tail) == RUNAWAY_WHITESPACE_CHARS and tail.isspace()


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
    if not settings.llm.base_urls:
        return False
    client = VllmClient(settings)
    try:
        return await client.any_healthy()
    finally:
        await client.aclose()


def _example(pages: Sequence[PreparedPage], schema: ExtractionSchema) -> str | None:
    """The matched vendor's last approved values as a prompt part (vendor memory), or None."""
    match = current_vendor_memory().match_pages(pages, schema.name)
    if match is None or not match.profile.example:
        return None
    return vendor_example(match.profile.display_name, match.profile.example)
