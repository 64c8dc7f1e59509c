"""The pipeline's steps that read and write the database around the cost rules: the policy
decision (step 1), inspecting the file (step 2), the quote and budget check (step 3), and
the one way any step ends a document (:func:`record_ending`).

- :func:`policy_step`: the tenant's tier, the model's catalog entry and licence, and the
  deployment's licensee facts decide ``allowed``, ``routed`` (to the tier's fallback engine)
  or ``blocked``; the decision is recorded on the document.
- :func:`inspect_step`: encrypted, corrupt, empty and oversized files end ``rejected``;
  the others move to ``processing`` with their page count.
- :func:`quote_step`: before any model call, estimate tokens and dollars, check the tenant's
  tier limits and monthly budget (under a per-tenant lock), record the quote; over a limit
  -> ``blocked``. The quote also sets the document's spending ceiling.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from core.errors import BadInputError
from extractors.engines.base import Engine
from flows.cost_rules import CostRules, decide
from flows.quoting import QuoteTarget, make_quote
from flows.worker import Pipeline, WorkItem
from models.document import DocumentStatus
from models.policy import MonthlyUsage, PolicyDecision, calendar_month, check_budget
from models.quote import DocumentQuote
from storage import repository as repo
from storage.tables import utcnow


@dataclass(frozen=True)
class Ending:
    """How a step ends a document's run: its status (final, or ``queued`` to wait in the
    queue again), the reason and code shown, and what is known of the run."""

    status: DocumentStatus
    reason: str | None
    code: str | None = None
    page_count: int | None = None
    engine: str | None = None
    model: str | None = None


def blocked(reason: str, code: str | None, *, page_count: int | None) -> Ending:
    """``blocked`` by policy or budget: no engine was called, so its cost is the empty sum, 0."""
    return Ending(DocumentStatus.BLOCKED, reason, code or "policy", page_count=page_count)


def record_ending(session: Session, pipeline: Pipeline, document_id: str, ending: Ending) -> Ending:
    """Write ``ending`` in the caller's transaction: a final status settles the cost and
    releases the lease (only while this worker holds it, else ``LeaseLostError``); ``queued``
    puts the document back in the queue with the reason shown."""
    if not ending.status.is_final:
        repo.set_document_status(
            session,
            document_id=document_id,
            status=ending.status,
            reason=ending.reason,
            error_code=ending.code,
            page_count=ending.page_count,
        )
        return ending
    repo.finish_document(
        session,
        document_id=document_id,
        status=ending.status,
        reason=ending.reason,
        error_code=ending.code,
        engine=ending.engine,
        model=ending.model,
        page_count=ending.page_count,
        owner=pipeline.owner,
    )
    return ending


def end_document(pipeline: Pipeline, document_id: str, ending: Ending) -> Ending:
    """:func:`record_ending` in a transaction of its own (a step that stores nothing else)."""
    with pipeline.sessions.begin() as session:
        return record_ending(session, pipeline, document_id, ending)


def record_decision(session: Session, document_id: str, decision: PolicyDecision) -> None:
    """Store the policy decision on the document, in the caller's transaction."""
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


def policy_step(pipeline: Pipeline, document_id: str, rules: CostRules) -> PolicyDecision:
    """Step 1: decide for the document's tier and the pipeline's model; record the decision."""
    engine = pipeline.engine
    with pipeline.sessions.begin() as session:
        _tenant, document = repo.document_tenant(session, document_id=document_id)
        decision = decide(rules, tier_name=document.licence_tier, engine=engine.name, model=engine.model)
        record_decision(session, document_id, decision)
    return decision


async def inspect_step(pipeline: Pipeline, item: WorkItem) -> int | Ending:
    """Step 2 begins: the file's page count (the document moves to ``processing``), or the
    ``rejected`` ending of a file that cannot be read."""
    try:
        info = await pipeline.preparer.inspect(item.path, item.kind, password=item.password)
    except BadInputError as exc:
        return end_document(
            pipeline, item.document_id, Ending(DocumentStatus.REJECTED, exc.message, exc.code)
        )
    with pipeline.sessions.begin() as session:
        repo.set_document_status(
            session,
            document_id=item.document_id,
            status=DocumentStatus.PROCESSING,
            page_count=info.page_count,
        )
    return info.page_count


@dataclass(frozen=True)
class QuoteStep:
    """The quote step's result: the quote, and the ``blocked`` ending when a limit refused it."""

    quote: DocumentQuote
    blocked: Ending | None = None


async def quote_step(
    pipeline: Pipeline,
    item: WorkItem,
    rules: CostRules,
    *,
    decision: PolicyDecision,
    engine: Engine,
    page_count: int,
) -> QuoteStep:
    """Step 3: quote, check limits and budget, record the quote; ``blocked`` set when refused."""
    target = QuoteTarget(
        path=item.path,
        kind=item.kind,
        page_count=page_count,
        schema=item.schema,
        password=item.password,
        engine=engine.name,
        model=engine.model,
    )
    quote = await make_quote(pipeline.preparer, pipeline.settings, rules, target)
    now = utcnow()
    start, end = calendar_month(now)
    tier = rules.tiers.get(decision.tier)  # the policy step blocked unknown tiers already
    with pipeline.sessions.begin() as session:
        _tenant, document = repo.document_tenant(session, document_id=item.document_id)
        repo.lock_tenant_budget(session, tenant_id=document.tenant_id)
        pages, usd = repo.monthly_usage(
            session,
            tenant_id=document.tenant_id,
            start=start,
            end=end,
            exclude_document_id=item.document_id,
        )
        check = check_budget(
            tier,
            usage=MonthlyUsage(month=f"{start:%Y-%m}", pages=pages, usd=usd),
            document_pages=page_count,
            quote_usd=quote.cost_usd,
        )
        repo.record_quote(
            session,
            document_id=item.document_id,
            quoted_tokens=quote.total_tokens,
            quoted_cost_usd=quote.cost_usd,
            price_version=quote.price_version,
            quoted_at=now,
            blocked_reason=None if check.allowed else check.reason,
        )
    if check.allowed:
        return QuoteStep(quote)
    ending = blocked(check.reason or "budget", check.code, page_count=page_count)
    return QuoteStep(quote, end_document(pipeline, item.document_id, ending))
