"""The pipeline's policy and quote steps, pricing before persist, and dry-run quotes.

- Step 1, :func:`policy_step`: the tenant's tier, the model's catalog entry and licence,
  and the deployment's licensee facts decide ``allowed``, ``routed`` (to the tier's
  fallback engine) or ``blocked``; the decision is recorded on the document.
- Step 3, :func:`quote_step`: after page preparation has counted the pages and before any
  model call, estimate tokens and dollars, check the tenant's tier limits and monthly
  budget (under a per-tenant lock), record the quote; over a limit -> ``blocked``. The
  quote also sets the document's spending ceiling (:func:`spend_ceiling_for`).
- Step 7, :func:`priced_calls`: every engine call gets its cost and price version from the
  price list before it becomes a ledger row.
- :func:`quote_files` (``folio process --dry-run``): the same decisions and quotes for files
  on disk, without registering them, claiming anything or calling any engine.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, sessionmaker

from core.errors import BadInputError, ConfigurationError
from core.settings import Settings
from extractors.engines.base import Engine
from extractors.engines.local import LocalEngine
from extractors.engines.spend import COST_OVERRUN, SpendCeiling
from extractors.prepare import PagePreparer
from extractors.tokens import estimate_text_tokens, fit_tile_grid, image_tokens
from flows.intake import check_file, sha256_of
from flows.schemas import resolve_schema
from models.catalog import ModelCatalog, load_catalog
from models.document import DocumentStatus, FileKind
from models.extraction import DocumentExtraction
from models.licences import LicenseeFacts
from models.page import PageRoute, PreparedPage
from models.policy import (
    MonthlyUsage,
    PolicyDecision,
    PolicyOutcome,
    calendar_month,
    check_budget,
    decide_model,
)
from models.pricing import PriceList, load_price_list, price_calls
from models.quote import DocumentQuote, PageEstimate, free_quote, quote_document
from models.schemas import ExtractionSchema
from models.tiers import TierTable, UnknownTierError, load_tiers
from models.usage import EngineCall
from storage import repository as repo
from storage.tables import utcnow

if TYPE_CHECKING:
    from flows.pipeline import Pipeline

StepOutcome = tuple[DocumentStatus, str | None, str | None]


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
        catalog=load_catalog(settings.catalog_file),
        prices=load_price_list(settings.prices_file, settings.price_overrides),
        tiers=load_tiers(settings.tiers_file),
        facts=LicenseeFacts(
            country=settings.licensee_country,
            monthly_active_users=settings.licensee_monthly_active_users,
            meta_licence_reference=settings.meta_licence_reference,
            unknown_model_licence=settings.unknown_model_licence,
        ),
    )


def planned_engine(settings: Settings, engine_name: str | None) -> tuple[str, str | None]:
    """(engine, model) a run would use, decided without opening or calling any engine."""
    chosen = engine_name or settings.engine
    if chosen == "auto":
        chosen = "llama" if settings.llm_base_urls else "local"
    if chosen == "local":
        return "local", LocalEngine.model
    return chosen, settings.llm_model


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


def policy_step(pipeline: Pipeline, document_id: str, rules: CostRules) -> PolicyDecision:
    """Step 1: decide for the document's tier and the pipeline's model; record the decision."""
    engine = pipeline.engine
    with pipeline.sessions.begin() as session:
        _tenant, document = repo.document_tenant(session, document_id=document_id)
        decision = decide(rules, tier_name=document.licence_tier, engine=engine.name, model=engine.model)
        repo.record_policy(
            session,
            document_id=document_id,
            decision=decision.outcome.value,
            reason=decision.explanation,
            engine=decision.engine,
            model=decision.model,
            model_licence=decision.licence_id,
            attribution=decision.attribution,
            licence_reference=decision.licence_reference,
        )
    return decision


def engine_for(pipeline: Pipeline, decision: PolicyDecision) -> Engine:
    """The engine the decision names: the pipeline's own, or its (shared) fallback engine."""
    if decision.outcome is not PolicyOutcome.ROUTED or decision.engine == pipeline.engine.name:
        return pipeline.engine
    engine = pipeline.fallback_engines.get(decision.engine)
    if engine is None:
        engine = LocalEngine(pipeline.settings)  # the only fallback engine tiers may name
        pipeline.fallback_engines[decision.engine] = engine
    return engine


def finish_blocked(
    pipeline: Pipeline, document_id: str, *, reason: str, code: str | None, page_count: int | None
) -> StepOutcome:
    """End the document ``blocked``: no engine was called, so its cost is the empty sum, 0."""
    with pipeline.sessions.begin() as session:
        repo.finish_document(
            session,
            document_id=document_id,
            status=DocumentStatus.BLOCKED,
            reason=reason,
            error_code=code or "policy",
            page_count=page_count,
            owner=pipeline.owner,
        )
    return DocumentStatus.BLOCKED, reason, code or "policy"


def page_estimate(page: PreparedPage, *, kind: FileKind, settings: Settings) -> PageEstimate:
    """Prompt tokens of one page as the route will send it, without rendering it.

    Image tokens come from the page size at ``render_dpi`` (PDF) or the pixel size (image)
    fitted into the Llama 4 tile grid, as rendering will do it; failed pages cost nothing.
    """
    if page.failed:
        return PageEstimate(page_number=page.page_number)
    text = page.estimated_text_tokens if page.route in (PageRoute.TEXT, PageRoute.BOTH) else 0
    image = 0
    if page.route in (PageRoute.IMAGE, PageRoute.BOTH) and page.width_pt and page.height_pt:
        zoom = 1.0 if kind.is_image else settings.render_dpi / 72.0
        grid, _w, _h = fit_tile_grid(
            page.width_pt * zoom,
            page.height_pt * zoom,
            tile_size=settings.tile_size,
            max_tiles=settings.max_tiles,
        )
        image = image_tokens(grid)
    return PageEstimate(page_number=page.page_number, text_tokens=text, image_tokens=image)


def prompt_overhead_tokens(settings: Settings, schema: ExtractionSchema) -> int:
    """Per-page prompt overhead of a quote: the instructions plus the schema's JSON Schema."""
    schema_json = json.dumps(schema.json_schema(), separators=(",", ":"))
    return settings.quote_prompt_overhead_tokens + estimate_text_tokens(schema_json)


async def make_quote(
    preparer: PagePreparer,
    settings: Settings,
    rules: CostRules,
    *,
    engine: str,
    model: str | None,
    path: Path,
    kind: FileKind,
    page_count: int,
    schema: ExtractionSchema,
    password: str | None,
) -> DocumentQuote:
    """The quote of one document: 0 for the local engine, else from a no-render page pass."""
    if engine == "local":
        return free_quote(engine=engine, model=model, pages=page_count, prices=rules.prices)
    estimates = [
        page_estimate(page, kind=kind, settings=settings)
        async for page in preparer.prepare(path, kind, password=password, render="never")
    ]
    return quote_document(
        estimates,
        engine=engine,
        model=model,
        prices=rules.prices,
        prompt_overhead_tokens=prompt_overhead_tokens(settings, schema),
        completion_tokens_per_page=settings.quote_completion_tokens_per_page,
    )


@dataclass(frozen=True)
class QuoteStep:
    """The quote step's result: the quote, and ``blocked`` when a limit refused it."""

    quote: DocumentQuote
    blocked: StepOutcome | None = None


def spend_ceiling_for(quote: DocumentQuote, rules: CostRules, settings: Settings) -> SpendCeiling | None:
    """The document's spending ceiling: ``llm_spend_ceiling_factor`` x its quote, in
    completion tokens and (for a priced model) dollars; None for an engine that spends no
    tokens (a free quote)."""
    if quote.completion_tokens == 0:
        return None
    factor = Decimal(str(settings.llm_spend_ceiling_factor))
    price = rules.prices.price_for(quote.model)
    return SpendCeiling(
        completion_tokens=int(quote.completion_tokens * factor),
        usd=quote.cost_usd * factor if price is not None else None,
        price=price.cost if price is not None else None,
    )


async def quote_step(
    pipeline: Pipeline,
    document_id: str,
    rules: CostRules,
    *,
    decision: PolicyDecision,
    engine: Engine,
    path: Path,
    kind: FileKind,
    page_count: int,
    schema_name: str,
    password: str | None,
) -> QuoteStep:
    """Step 3: quote, check limits and budget, record the quote; ``blocked`` set when refused."""
    with pipeline.sessions() as session:
        schema = resolve_schema(session, schema_name)
    quote = await make_quote(
        pipeline.preparer,
        pipeline.settings,
        rules,
        engine=engine.name,
        model=engine.model,
        path=path,
        kind=kind,
        page_count=page_count,
        schema=schema,
        password=password,
    )
    now = utcnow()
    start, end = calendar_month(now)
    tier = rules.tiers.get(decision.tier)  # the policy step blocked unknown tiers already
    with pipeline.sessions.begin() as session:
        _tenant, document = repo.document_tenant(session, document_id=document_id)
        repo.lock_tenant_budget(session, tenant_id=document.tenant_id)
        pages, usd = repo.monthly_usage(
            session,
            tenant_id=document.tenant_id,
            start=start,
            end=end,
            exclude_document_id=document_id,
        )
        check = check_budget(
            tier,
            usage=MonthlyUsage(month=f"{start:%Y-%m}", pages=pages, usd=usd),
            document_pages=page_count,
            quote_usd=quote.cost_usd,
        )
        repo.record_quote(
            session,
            document_id=document_id,
            quoted_tokens=quote.total_tokens,
            quoted_cost_usd=quote.cost_usd,
            price_version=quote.price_version,
            quoted_at=now,
            blocked_reason=None if check.allowed else check.reason,
        )
    if check.allowed:
        return QuoteStep(quote)
    blocked = finish_blocked(
        pipeline,
        document_id,
        reason=check.reason or "budget",
        code=check.code,
        page_count=page_count,
    )
    return QuoteStep(quote, blocked)


def cost_overrun_reason(extraction: DocumentExtraction) -> str | None:
    """The review reason of a document whose pages stopped at its spending ceiling (page
    failures ``cost_overrun``), else None."""
    stopped = [f for f in extraction.page_failures if f.code == COST_OVERRUN]
    if not stopped:
        return None
    pages = ", ".join(str(f.page_number) for f in stopped[:10])
    return f"cost_overrun: page(s) {pages}: {stopped[0].message}"


def priced_calls(calls: Sequence[EngineCall], rules: CostRules) -> list[EngineCall]:
    """Step 7: each call with its cost and the price list's version (before the ledger)."""
    return price_calls(calls, rules.prices)


def cost_summary(session: Session, document_id: str) -> dict[str, Any]:
    """The policy decision and quote of a document, JSON-ready (for ``folio process``)."""
    tenant, document = repo.document_tenant(session, document_id=document_id)
    return {
        "tenant": tenant.name,
        "policy_decision": document.policy_decision,
        "policy_reason": document.policy_reason,
        "model_licence": document.model_licence,
        "attribution": document.attribution,
        "licence_reference": document.licence_reference,
        "quoted_tokens": document.quoted_tokens,
        "quoted_cost_usd": document.quoted_cost_usd,
        "price_version": document.price_version,
    }


@dataclass
class _DryRunBudget:
    """The tenant's month so far, plus what earlier files of the same dry run would add."""

    usage: MonthlyUsage

    def add(self, pages: int, usd: Decimal) -> None:
        self.usage = self.usage.model_copy(
            update={"pages": self.usage.pages + pages, "usd": self.usage.usd + usd}
        )


async def quote_files(
    settings: Settings,
    sessions: sessionmaker[Session],
    files: Sequence[Path],
    *,
    tenant: str,
    schema_name: str,
    engine_name: str | None,
    password: str | None = None,
) -> list[dict[str, Any]]:
    """What processing ``files`` would decide and cost, without doing any of it.

    Nothing is registered, stored, claimed or sent to an engine: each file is sniffed,
    opened to count its pages and (for a priced engine) passed over without rendering to
    estimate its tokens. A tenant that does not exist yet is quoted on the default tier.
    Files already registered are reported as duplicates that would cost nothing more.
    Later files see the pages and dollars of earlier ones, as a real run would.
    """
    rules = load_cost_rules(settings)
    with sessions() as session:
        resolve_schema(session, schema_name)  # unknown schema: an error before any work
    engine, model = planned_engine(settings, engine_name)
    start, end = calendar_month(utcnow())
    with sessions() as session:
        tenant_row = repo.get_tenant(session, name=tenant)
        tier_name = tenant_row.tier if tenant_row else settings.default_tier
        pages, usd = (
            repo.monthly_usage(session, tenant_id=tenant_row.id, start=start, end=end)
            if tenant_row
            else (0, Decimal(0))
        )
    budget = _DryRunBudget(MonthlyUsage(month=f"{start:%Y-%m}", pages=pages, usd=usd))
    rows = []
    async with PagePreparer(settings) as preparer:
        for path in files:
            row: dict[str, Any] = {
                "file": str(path),
                "tenant": tenant,
                "licence_tier": tier_name,
                "schema": schema_name,
                "dry_run": True,
            }
            rows.append(row)
            outcome = await _quote_one(
                preparer,
                settings,
                rules,
                sessions,
                path,
                row,
                tenant_row_id=(tenant_row.id if tenant_row else None),
                tier_name=tier_name,
                engine=engine,
                model=model,
                schema_name=schema_name,
                password=password,
            )
            if outcome is not None:
                check = check_budget(
                    rules.tiers.get(tier_name),
                    usage=budget.usage,
                    document_pages=outcome.pages,
                    quote_usd=outcome.cost_usd,
                )
                if check.allowed:
                    budget.add(outcome.pages, outcome.cost_usd)
                else:
                    row.update(status="blocked", policy_decision="blocked", reason=check.reason)
    return rows


async def _quote_one(
    preparer: PagePreparer,
    settings: Settings,
    rules: CostRules,
    sessions: sessionmaker[Session],
    path: Path,
    row: dict[str, Any],
    *,
    tenant_row_id: int | None,
    tier_name: str,
    engine: str,
    model: str | None,
    schema_name: str,
    password: str | None,
) -> DocumentQuote | None:
    """Fill ``row`` for one file; the quote when the file would be processed, else None."""
    if not path.is_file():
        row.update(status="rejected", reason="no such file")
        return None
    row["sha256"] = sha256 = sha256_of(path)
    if tenant_row_id is not None:
        with sessions() as session:
            existing = repo.find_document(
                session, tenant_id=tenant_row_id, sha256=sha256, schema_name=schema_name
            )
        if existing is not None:
            row.update(
                document_id=existing.id,
                duplicate=True,
                status=str(existing.status),
                reason="already registered: answered from the database, not processed or billed again",
                pages=existing.page_count,
                quoted_cost_usd=Decimal(0),
            )
            return None
    try:
        kind = check_file(path, settings)  # the same checks intake makes
        decision = decide(rules, tier_name=tier_name, engine=engine, model=model)
        row.update(
            engine=decision.engine,
            model=decision.model,
            model_licence=decision.licence_id,
            policy_decision=decision.outcome.value,
            reason=decision.explanation,
            attribution=decision.attribution,
            duplicate=False,
        )
        if decision.blocked:
            row["status"] = "blocked"
            return None
        info = await preparer.inspect(path, kind, password=password)
        with sessions() as session:
            schema = resolve_schema(session, schema_name)
        quote = await make_quote(
            preparer,
            settings,
            rules,
            engine=decision.engine,
            model=decision.model,
            path=path,
            kind=kind,
            page_count=info.page_count,
            schema=schema,
            password=password,
        )
    except BadInputError as exc:
        row.update(status="rejected", reason=exc.message, error_code=exc.code)
        return None
    row.update(
        status="quoted",
        pages=quote.pages,
        quoted_tokens=quote.total_tokens,
        quoted_input_tokens=quote.input_tokens,
        quoted_image_tokens=quote.image_tokens,
        quoted_completion_tokens=quote.completion_tokens,
        quoted_cost_usd=quote.cost_usd,
        price_version=quote.price_version,
        hosted_low_usd=quote.hosted_low_usd,
        hosted_high_usd=quote.hosted_high_usd,
    )
    return quote
