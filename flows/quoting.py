"""A document's quote before any model call: a pass over its pages without rendering them,
priced by the cost rules. Used by the pipeline's quote step and by the dry run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.settings import Settings
from extractors.prepare import PagePreparer
from flows.cost_rules import CostRules, page_estimate, prompt_overhead_tokens
from models.document import FileKind
from models.quote import DocumentQuote, free_quote, quote_document
from models.schemas import ExtractionSchema


@dataclass(frozen=True)
class QuoteTarget:
    """The file to quote and how it would be processed."""

    path: Path
    kind: FileKind
    page_count: int
    schema: ExtractionSchema
    password: str | None
    engine: str
    model: str | None


async def make_quote(
    preparer: PagePreparer, settings: Settings, rules: CostRules, target: QuoteTarget
) -> DocumentQuote:
    """The quote of one document: 0 for the local engine, else from a no-render page pass."""
    if target.engine == "local":
        return free_quote(
            engine=target.engine, model=target.model, pages=target.page_count, prices=rules.prices
        )
    estimates = [
        page_estimate(page, kind=target.kind, settings=settings)
        async for page in preparer.prepare(target.path, target.kind, password=target.password, render="never")
    ]
    return quote_document(
        estimates,
        engine=target.engine,
        model=target.model,
        prices=rules.prices,
        prompt_overhead_tokens=prompt_overhead_tokens(settings, target.schema),
        completion_tokens_per_page=settings.pricing.quote_completion_tokens_per_page,
    )
