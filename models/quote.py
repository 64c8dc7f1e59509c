"""Quotes: the tokens and dollars a document is expected to cost, before any model call.

Pure arithmetic over page estimates made by page preparation (text tokens from the text
layer, image tokens from the page size and the Llama 4 tile grid). A quote errs on the high
side: every page is counted as its own call (prompt overhead and completion per page), since
a budget check that under-quotes lets a tenant overspend.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from models.pricing import MONEY_QUANTUM, ModelPrice, PriceList


class PageEstimate(BaseModel):
    """Estimated prompt tokens of one page as it will be sent."""

    model_config = ConfigDict(frozen=True)

    page_number: int = Field(ge=1)
    text_tokens: int = Field(0, ge=0)
    image_tokens: int = Field(0, ge=0)


class DocumentQuote(BaseModel):
    """Estimated tokens and cost of processing one document with one model."""

    model_config = ConfigDict(frozen=True)

    engine: str
    model: str | None
    pages: int = Field(ge=0)
    text_tokens: int = Field(0, ge=0)
    image_tokens: int = Field(0, ge=0)
    overhead_tokens: int = Field(0, ge=0, description="Instructions and schema, every page.")
    completion_tokens: int = Field(0, ge=0)
    cost_usd: Decimal = Field(Decimal(0), ge=0)
    price_version: str
    hosted_low_usd: Decimal | None = Field(None, description="Indicative hosted-API cost, low.")
    hosted_high_usd: Decimal | None = Field(None, description="Indicative hosted-API cost, high.")

    @property
    def input_tokens(self) -> int:
        """Prompt tokens: text, image and overhead."""
        return self.text_tokens + self.image_tokens + self.overhead_tokens

    @property
    def total_tokens(self) -> int:
        """Input plus completion tokens."""
        return self.input_tokens + self.completion_tokens


def quote_document(
    pages: Sequence[PageEstimate],
    *,
    engine: str,
    model: str | None,
    prices: PriceList,
    prompt_overhead_tokens: int,
    completion_tokens_per_page: int,
) -> DocumentQuote:
    """Quote ``pages`` for ``model`` under ``prices`` (unpriced model: cost 0, ``+unpriced``)."""
    text = sum(p.text_tokens for p in pages)
    image = sum(p.image_tokens for p in pages)
    overhead = prompt_overhead_tokens * len(pages)
    completion = completion_tokens_per_page * len(pages)
    price: ModelPrice | None = prices.price_for(model)
    if price is None:
        cost, version, hosted = Decimal(0).quantize(MONEY_QUANTUM), prices.unpriced_version, None
    else:
        cost = price.cost(text + image + overhead, completion)
        version = prices.version
        hosted = price.hosted_cost(text + image + overhead, completion)
    return DocumentQuote(
        engine=engine,
        model=model,
        pages=len(pages),
        text_tokens=text,
        image_tokens=image,
        overhead_tokens=overhead,
        completion_tokens=completion,
        cost_usd=cost,
        price_version=version,
        hosted_low_usd=hosted.low if hosted else None,
        hosted_high_usd=hosted.high if hosted else None,
    )


def free_quote(*, engine: str, model: str | None, pages: int, prices: PriceList) -> DocumentQuote:
    """The quote of an engine that spends no tokens (the local engine): 0 tokens, $0."""
    return DocumentQuote(
        engine=engine,
        model=model,
        pages=pages,
        cost_usd=Decimal(0).quantize(MONEY_QUANTUM),
        price_version=prices.version,
    )
