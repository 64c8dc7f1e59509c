"""An in-process engine for tests whose subject is the pipeline, not reading: it answers each
page from a given truth, without OCR, a model server or the network.

It keeps the engine contract (``extractors.engines.base.Engine``): pages and a schema in, a
``PageExtraction`` out, a page's own trouble returned as a failure with its ledger row, never
raised. It is named ``local`` so that the local engine's calibration, prices and licence
policy apply to it, as they would to the engine it stands in for; its model is ``fake``.

    engine = FakeEngine(truth.schema_values())                 # every document says this
    engine = FakeEngine.by_text({"INV-7": values, "INV-8": other})  # chosen by the page text
    engine = FakeEngine(values, fail={2}, crash={3})            # page 2 fails, page 3 raises

Build a pipeline around it with ``tests.support.pipeline.fake_pipeline``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from models.extraction import ExtractedField, ExtractedRow, PageExtraction, PageFailure
from models.page import PreparedPage
from models.schemas import ExtractionSchema, FieldKind
from models.usage import EngineCall

Values = Mapping[str, Any]
Answer = Callable[[PreparedPage], Values | None]

FAKE_MODEL = "fake"


class FakeEngine:
    """An engine that reads nothing: each page's values come from ``answer(page)``.

    A page answered ``None`` (or any page after the first, for a fixed set of values) comes
    back without fields. ``fail`` pages come back as a ``model_server`` failure with a failed
    ledger row (a busy server); ``crash`` pages raise, as an engine bug would. ``calls``
    counts the pages extracted.
    """

    name = "local"
    model: str | None = FAKE_MODEL
    max_pages_per_call = 1

    def __init__(
        self,
        values: Values | Answer,
        *,
        confidence: float = 0.99,
        fail: Collection[int] = (),
        crash: Collection[int] = (),
    ) -> None:
        self._answer: Answer = values if callable(values) else _first_page(values)
        self.confidence = confidence
        self.fail, self.crash = frozenset(fail), frozenset(crash)
        self.calls = 0
        self.closed = False

    @classmethod
    def by_text(cls, answers: Mapping[str, Values], **options: Any) -> FakeEngine:
        """An engine answering a page with the values of the first key found in its text."""

        def answer(page: PreparedPage) -> Values | None:
            return next((values for key, values in answers.items() if key in page.text), None)

        return cls(answer, **options)

    async def extract(self, pages: Sequence[PreparedPage], schema: ExtractionSchema) -> PageExtraction:
        """The page's values as fields and table rows, with one ledger row for the call."""
        numbers = [page.page_number for page in pages]
        self.calls += 1
        if self.crash.intersection(numbers):
            raise RuntimeError(f"engine bug on page {numbers[0]}")
        if self.fail.intersection(numbers):
            return PageExtraction(
                page_numbers=numbers,
                failure=PageFailure(page_number=numbers[0], code="model_server", message="503 busy"),
                calls=[
                    EngineCall(
                        engine=self.name,
                        model=self.model,
                        page_numbers=numbers,
                        error_code="model_server",
                        http_status=503,
                        error="busy",
                    )
                ],
            )
        extraction = PageExtraction(
            page_numbers=numbers,
            calls=[EngineCall(engine=self.name, model=self.model, page_numbers=numbers)],
        )
        for page in pages:
            values = self._answer(page)
            if values:
                self._fill(extraction, page, values, schema)
        return extraction

    async def aclose(self) -> None:
        self.closed = True

    def _fill(
        self, extraction: PageExtraction, page: PreparedPage, values: Values, schema: ExtractionSchema
    ) -> None:
        for spec in schema.fields:
            value = values.get(spec.name)
            if value is None:
                continue
            if spec.kind is FieldKind.TABLE:
                rows: list[ExtractedRow] = [
                    {name: self._field(page, cell) for name, cell in row.items() if cell is not None}
                    for row in value
                ]
                extraction.tables.setdefault(spec.name, []).extend(rows)
            else:
                extraction.fields[spec.name] = self._field(page, value)

    def _field(self, page: PreparedPage, value: Any) -> ExtractedField:
        return ExtractedField(
            value=value,
            confidence=self.confidence,
            page=page.page_number,
            source_text=str(value),
        )


def _first_page(values: Values) -> Answer:
    """Every document's first page says ``values``; the other pages say nothing."""

    def answer(page: PreparedPage) -> Values | None:
        return values if page.page_number == 1 else None

    return answer
