"""Whether a stored ``blocked`` or ``rejected`` ending is worth another run now.

A command-line run answers a file it has seen before from the database. That is right for
results, wrong for endings whose cause the operator has since changed, as Folio's own
reasons advise: a password given after ``encrypted``, a licensee fact or tier set after a
licence block, a budget with room again (a new month, a raised limit). So the cause of each
such ending is checked again here, cheaply and before anything starts:

- ``rejected`` for its password (``encrypted``, ``wrong_password``): a password is given now;
- ``rejected`` by a page limit found when inspecting (``too_many_pages``,
  ``decompression_bomb``): the limits are settings, so the file is inspected again;
- ``blocked``: the policy decided again for the tenant's current tier, the engine asked for
  now and the current licensee facts; a budget block also needs the budget to have room for
  the document's stored quote this month.

Other rejections (corrupt, empty, not a supported type) depend on the bytes alone and stay.
``--reprocess`` runs every document again whatever this says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from core.settings import Settings
from models.document import DocumentStatus
from storage import repository as repo

if TYPE_CHECKING:
    from flows.cost_rules import CostRules
    from storage.tables import Document, Tenant

PASSWORD_CODES = frozenset({"encrypted", "wrong_password"})
LIMIT_CODES = frozenset({"too_many_pages", "decompression_bomb"})
BUDGET_CODES = frozenset({"tier_document_pages", "budget_pages", "budget_usd"})


@dataclass
class RerunCheck:
    """What this run brings that an earlier ending may have lacked; the cost rules are read
    once, on the first blocked document."""

    settings: Settings
    password_given: bool
    engine: str | None  # the engine asked for (None: the configured default)
    _rules: CostRules | None = field(default=None, repr=False)

    def rules(self) -> CostRules:
        """The catalog, prices, tiers and licensee facts of the current settings."""
        if self._rules is None:
            from flows.cost_rules import load_cost_rules  # only when a blocked document needs it

            self._rules = load_cost_rules(self.settings)
        return self._rules


def rerun_reason(session: Session, check: RerunCheck, document_id: str) -> str | None:
    """Why the stored ending of ``document_id`` is worth another run, or None."""
    tenant, document = repo.document_tenant(session, document_id=document_id)
    if document.status is DocumentStatus.REJECTED:
        return _rejected_reason(check, document)
    if document.status is DocumentStatus.BLOCKED:
        return _blocked_reason(session, check, tenant, document)
    return None


def _rejected_reason(check: RerunCheck, document: Document) -> str | None:
    if document.kind is None:  # refused at intake by its bytes: nothing here changes that
        return None
    if document.error_code in PASSWORD_CODES and check.password_given:
        return "run again: a password was given"
    if document.error_code in LIMIT_CODES:
        return "run again: the page limits are settings and are checked again"
    return None


def _blocked_reason(session: Session, check: RerunCheck, tenant: Tenant, document: Document) -> str | None:
    from flows.cost_rules import decide, planned_engine
    from models.policy import MonthlyUsage, calendar_month, check_budget
    from storage.tables import utcnow

    rules = check.rules()
    engine, model = planned_engine(check.settings, check.engine)
    decision = decide(rules, tier_name=tenant.tier, engine=engine, model=model)
    if decision.blocked:
        return None
    if document.error_code not in BUDGET_CODES:
        return f"run again: the policy now allows it (tier {tenant.tier}, {engine})"
    if document.page_count is None or document.quoted_cost_usd is None:
        return f"run again: tier {tenant.tier} is checked again"
    start, end = calendar_month(utcnow())
    pages, usd = repo.monthly_usage(
        session, tenant_id=tenant.id, start=start, end=end, exclude_document_id=document.id
    )
    budget = check_budget(
        rules.tiers.get(decision.tier),
        usage=MonthlyUsage(month=f"{start:%Y-%m}", pages=pages, usd=usd),
        document_pages=document.page_count,
        quote_usd=document.quoted_cost_usd,
    )
    return "run again: the budget has room for it now" if budget.allowed else None
