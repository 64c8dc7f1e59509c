"""Cost figures for people: what processing files would decide and cost, without doing it
(``folio process --dry-run``). The decision and quote recorded on a document are part of its
outcome (``models.outcome.PolicyRecord``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from core.errors import BadInputError
from core.settings import Settings
from extractors.prepare import PagePreparer
from flows.cost_rules import CostRules, decide, load_cost_rules, planned_engine
from flows.intake import check_file, sha256_of
from flows.quoting import QuoteTarget, make_quote
from flows.schemas import resolve_schema
from models.policy import MonthlyUsage, calendar_month, check_budget
from models.quote import DocumentQuote
from storage import repository as repo
from storage.tables import utcnow


@dataclass(frozen=True)
class _DryRun:
    """What every file of one dry run shares: the rules, the tenant and the planned engine."""

    settings: Settings
    rules: CostRules
    sessions: sessionmaker[Session]
    tenant_id: int | None  # None: the tenant does not exist yet
    tier_name: str
    engine: str
    model: str | None
    schema_name: str
    password: str | None


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
        tier_name = tenant_row.tier if tenant_row else settings.tenancy.default_tier
        pages, usd = (
            repo.monthly_usage(session, tenant_id=tenant_row.id, start=start, end=end)
            if tenant_row
            else (0, Decimal(0))
        )
    plan = _DryRun(
        settings=settings,
        rules=rules,
        sessions=sessions,
        tenant_id=tenant_row.id if tenant_row else None,
        tier_name=tier_name,
        engine=engine,
        model=model,
        schema_name=schema_name,
        password=password,
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
            outcome = await _quote_one(plan, preparer, path, row)
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


def _registered_already(plan: _DryRun, sha256: str, row: dict[str, Any]) -> bool:
    """Fill ``row`` and say True when the tenant already has this file as a document."""
    if plan.tenant_id is None:
        return False
    with plan.sessions() as session:
        existing = repo.find_document(
            session, tenant_id=plan.tenant_id, sha256=sha256, schema_name=plan.schema_name
        )
    if existing is None:
        return False
    row.update(
        document_id=existing.id,
        duplicate=True,
        status=str(existing.status),
        reason="already registered: answered from the database, not processed or billed again",
        pages=existing.page_count,
        quoted_cost_usd=Decimal(0),
    )
    return True


async def _quote_one(
    plan: _DryRun, preparer: PagePreparer, path: Path, row: dict[str, Any]
) -> DocumentQuote | None:
    """Fill ``row`` for one file; the quote when the file would be processed, else None."""
    if not path.is_file():
        row.update(status="rejected", reason="no such file")
        return None
    row["sha256"] = sha256 = sha256_of(path)
    if _registered_already(plan, sha256, row):
        return None
    try:
        kind = check_file(path, plan.settings)  # the same checks intake makes
        decision = decide(plan.rules, tier_name=plan.tier_name, engine=plan.engine, model=plan.model)
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
        info = await preparer.inspect(path, kind, password=plan.password)
        with plan.sessions() as session:
            schema = resolve_schema(session, plan.schema_name)
        target = QuoteTarget(
            path=path,
            kind=kind,
            page_count=info.page_count,
            schema=schema,
            password=plan.password,
            engine=decision.engine,
            model=decision.model,
        )
        quote = await make_quote(preparer, plan.settings, plan.rules, target)
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
