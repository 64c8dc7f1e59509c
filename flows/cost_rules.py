"""Cost and licence rules as functions over values: which engine and model a tier may use,
what a page costs in prompt tokens, a document's spending ceiling, priced engine calls.

Nothing here opens a session, a file or an engine; the pipeline steps (``flows.steps``) and
the dry run (``flows.quotes``) read the database and call these.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from core.errors import ConfigurationError
from core.settings import Settings
from extractors.engines.local import LocalEngine
from extractors.engines.spend import COST_OVERRUN, SpendCeiling
from extractors.tokens import estimate_text_tokens, fit_tile_grid, image_tokens
from models.catalog import ModelCatalog, load_catalog
from models.document import FileKind
from models.extraction import DocumentExtraction
from models.licences import LicenseeFacts
from models.page import PageRoute, PreparedPage
from models.policy import PolicyDecision, PolicyOutcome, decide_model
from models.pricing import PriceList, load_price_list, price_calls
from models.quote import DocumentQuote, PageEstimate
from models.schemas import ExtractionSchema
from models.tiers import TierTable, UnknownTierError, load_tiers
from models.usage import EngineCall

# The code a decision carries when no model server was ready and the tier chose its fallback.
MODEL_UNAVAILABLE = "model_unavailable"


@dataclass(frozen=True)
class CostRules:
    """The data the policy needs, read from the catalog, price and tier files."""

    catalog: ModelCatalog
    prices: PriceList
    tiers: TierTable
    facts: LicenseeFacts


def load_cost_rules(settings: Settings) -> CostRules:
    """Read the catalog, the price list (with overrides) and the tiers named by ``settings``."""
    return CostRules(
        catalog=load_catalog(settings.licence.catalog_file),
        prices=load_price_list(settings.pricing.prices_file, settings.pricing.price_overrides),
        tiers=load_tiers(settings.licence.tiers_file),
        facts=LicenseeFacts(
            country=settings.licence.licensee_country,
            monthly_active_users=settings.licence.licensee_monthly_active_users,
            meta_licence_reference=settings.licence.meta_licence_reference,
            unknown_model_licence=settings.licence.unknown_model_licence,
        ),
    )


def planned_engine(settings: Settings, engine_name: str | None) -> tuple[str, str | None]:
    """(engine, model) a run would use, decided without opening or calling any engine."""
    chosen = engine_name or settings.extraction.engine
    if chosen == "auto":
        chosen = "llama" if settings.llm.base_urls else "local"
    if chosen == "local":
        return "local", LocalEngine.model
    return chosen, settings.llm.model


def decide(rules: CostRules, *, tier_name: str, engine: str, model: str | None) -> PolicyDecision:
    """The policy decision for a document of ``tier_name`` processed by ``engine``/``model``."""
    entry = rules.catalog.lookup(model)
    terms = rules.catalog.licence_of(entry)
    try:
        tier = rules.tiers.get(tier_name)
    except UnknownTierError as exc:
        return PolicyDecision(
            outcome=PolicyOutcome.BLOCKED,
            tier=tier_name,
            engine=engine,
            model=entry.name,
            licence_id=terms.id,
            requested_model=entry.name,
            code=exc.code,
            reason=exc.message,
        )
    fallback = None
    if tier.fallback_engine == "local":
        local = rules.catalog.lookup(LocalEngine.model)
        fallback = ("local", local, rules.catalog.licence_of(local))
    elif tier.fallback_engine is not None:
        raise ConfigurationError(
            f"tier {tier.name}: fallback_engine {tier.fallback_engine!r} is not supported "
            '(use "local" or leave it empty)'
        )
    return decide_model(
        tier=tier, engine=engine, model=entry, terms=terms, facts=rules.facts, fallback=fallback
    )


def routed_to_local(rules: CostRules, decision: PolicyDecision, servers: str) -> PolicyDecision | None:
    """The decision to route to the local engine because no model server is ready; None when
    the tier or the licence refuses the local engine's model too."""
    local = decide(rules, tier_name=decision.tier, engine="local", model=LocalEngine.model)
    if local.outcome is not PolicyOutcome.ALLOWED:
        return None
    return local.model_copy(
        update={
            "outcome": PolicyOutcome.ROUTED,
            "requested_model": decision.model,
            "code": MODEL_UNAVAILABLE,
            "reason": f"no model server ({servers}) is ready; routed to the local engine "
            f"({local.model}), tier {decision.tier}'s choice when the model is unavailable",
        }
    )


def page_estimate(page: PreparedPage, *, kind: FileKind, settings: Settings) -> PageEstimate:
    """Prompt tokens of one page as the route will send it, without rendering it.

    Image tokens come from the page size at ``render_dpi`` (PDF) or the pixel size (image)
    fitted into the Llama 4 tile grid, as rendering will do it; failed pages cost nothing.
    The llama engine's tile budget (``extractors.tile_budget``) may send a page on a
    smaller grid, chosen from its text height, which is only known once it is rendered: the
    estimate stays the largest grid's, an upper bound that a page never exceeds.
    """
    if page.failed:
        return PageEstimate(page_number=page.page_number)
    text = page.estimated_text_tokens if page.route in (PageRoute.TEXT, PageRoute.BOTH) else 0
    image = 0
    if page.route in (PageRoute.IMAGE, PageRoute.BOTH) and page.width_pt and page.height_pt:
        zoom = 1.0 if kind.is_image else settings.pages.render_dpi / 72.0
        grid, _w, _h = fit_tile_grid(
            page.width_pt * zoom,
            page.height_pt * zoom,
            tile_size=settings.pages.tile_size,
            max_tiles=settings.pages.max_tiles,
        )
        image = image_tokens(grid)
    return PageEstimate(page_number=page.page_number, text_tokens=text, image_tokens=image)


def prompt_overhead_tokens(settings: Settings, schema: ExtractionSchema) -> int:
    """Per-page prompt overhead of a quote: the instructions plus the schema's JSON Schema."""
    schema_json = json.dumps(schema.json_schema(), separators=(",", ":"))
    return settings.pricing.quote_prompt_overhead_tokens + estimate_text_tokens(schema_json)


def spend_ceiling_for(quote: DocumentQuote, rules: CostRules, settings: Settings) -> SpendCeiling | None:
    """The document's spending ceiling: ``llm_spend_ceiling_factor`` x its quote, in
    completion tokens and (for a priced model) dollars; None for an engine that spends no
    tokens (a free quote)."""
    if quote.completion_tokens == 0:
        return None
    factor = Decimal(str(settings.llm.spend_ceiling_factor))
    price = rules.prices.price_for(quote.model)
    return SpendCeiling(
        completion_tokens=int(quote.completion_tokens * factor),
        usd=quote.cost_usd * factor if price is not None else None,
        price=price.cost if price is not None else None,
    )


def cost_overrun_reason(extraction: DocumentExtraction) -> str | None:
    """The review reason of a document whose pages stopped at its spending ceiling (page
    failures ``cost_overrun``), else None."""
    stopped = [f for f in extraction.page_failures if f.code == COST_OVERRUN]
    if not stopped:
        return None
    pages = ", ".join(str(f.page_number) for f in stopped[:10])
    return f"cost_overrun: page(s) {pages}: {stopped[0].message}"


def priced_calls(calls: Sequence[EngineCall], rules: CostRules) -> list[EngineCall]:
    """Each call with its cost and the price list's version (before it becomes a ledger row)."""
    return price_calls(calls, rules.prices)
