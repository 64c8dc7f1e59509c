"""The policy: may this tenant's document be processed with this model, within budget?

Pure decisions over data (tier, catalog entry, licence terms, licensee facts, usage); the
flows gather the inputs and record the outcome on the document. Three outcomes:

- ``allowed``: processed with the model asked for; notes (attribution, undeclared facts,
  a separate Meta licence) are recorded.
- ``routed``: the licence or the tier refused the model, and the tier names a fallback
  engine whose model is allowed; processed there, with the refusal recorded as the reason.
- ``blocked``: refused, with the reason; nothing is spent and nothing is billed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from models.catalog import ModelEntry
from models.licences import LicenceTerms, LicenseeFacts, check_licence
from models.tiers import LicenceTier


class PolicyOutcome(StrEnum):
    """What the policy decided for a document."""

    ALLOWED = "allowed"
    ROUTED = "routed"
    BLOCKED = "blocked"


class PolicyDecision(BaseModel):
    """The decision for one document, with everything an auditor needs to see why."""

    model_config = ConfigDict(frozen=True)

    outcome: PolicyOutcome
    tier: str
    engine: str = Field(description="Engine that will process it (after routing).")
    model: str = Field(description="Model that will process it (after routing).")
    licence_id: str = Field(description="Licence of that model.")
    requested_model: str = Field(description="Model the run was configured with.")
    code: str | None = Field(None, description="Why refused or routed, as a stable code.")
    reason: str | None = Field(None, description="Why refused or routed, in words.")
    notes: tuple[str, ...] = ()
    attribution: str | None = Field(None, description="Attribution the licence requires.")
    licence_reference: str | None = Field(None, description="Separate licence relied upon.")

    @property
    def blocked(self) -> bool:
        return self.outcome is PolicyOutcome.BLOCKED

    @property
    def explanation(self) -> str | None:
        """The reason and the notes as one line (what is stored on the document)."""
        parts = ([self.reason] if self.reason else []) + list(self.notes)
        return "; ".join(parts) or None


@dataclass(frozen=True)
class _Served:
    """A model as one engine serves it, under its licence terms."""

    engine: str
    model: ModelEntry
    terms: LicenceTerms


def _refusal(tier: LicenceTier, served: _Served, facts: LicenseeFacts) -> tuple[str | None, str | None]:
    model = served.model
    check = check_licence(served.terms, model=model.name, multimodal=model.multimodal, facts=facts)
    if not check.allowed:
        return check.code, check.reason
    if not tier.allows_model(model.name):
        return "tier_model", (
            f"tier {tier.name} does not include model {model.name} "
            f"(allowed: {', '.join(tier.allowed_models)})"
        )
    return None, None


def _allowed(
    outcome: PolicyOutcome,
    *,
    tier: LicenceTier,
    served: _Served,
    facts: LicenseeFacts,
    requested: str,
    code: str | None = None,
    reason: str | None = None,
) -> PolicyDecision:
    model, terms = served.model, served.terms
    check = check_licence(terms, model=model.name, multimodal=model.multimodal, facts=facts)
    notes = list(check.notes)
    if check.attribution:
        shown_by = (
            "Folio shows it on results"
            if tier.attribution_required
            else ("the tenant displays it in its own product")
        )
        notes.append(f"tier {tier.name}: {shown_by}")
    return PolicyDecision(
        outcome=outcome,
        tier=tier.name,
        engine=served.engine,
        model=model.name,
        licence_id=terms.id,
        requested_model=requested,
        code=code,
        reason=reason,
        notes=tuple(notes),
        attribution=check.attribution,
        licence_reference=check.licence_reference,
    )


def decide_model(
    *,
    tier: LicenceTier,
    engine: str,
    model: ModelEntry,
    terms: LicenceTerms,
    facts: LicenseeFacts,
    fallback: tuple[str, ModelEntry, LicenceTerms] | None = None,
) -> PolicyDecision:
    """Decide whether ``model`` (served by ``engine``) may process a document of ``tier``.

    ``fallback``: (engine, model, terms) of the tier's fallback engine, when it has one.
    The model must pass its licence check and be in the tier; otherwise the document is
    routed to the fallback (if that passes both) or blocked.
    """
    asked = _Served(engine, model, terms)
    code, reason = _refusal(tier, asked, facts)
    if code is None:
        return _allowed(PolicyOutcome.ALLOWED, tier=tier, served=asked, facts=facts, requested=model.name)
    if fallback is not None and fallback[1].name != model.name:
        backup = _Served(*fallback)
        fb_code, fb_reason = _refusal(tier, backup, facts)
        if fb_code is None:
            return _allowed(
                PolicyOutcome.ROUTED,
                tier=tier,
                served=backup,
                facts=facts,
                requested=model.name,
                code=code,
                reason=f"{reason}; routed to the {backup.engine} engine ({backup.model.name}), "
                f"the fallback of tier {tier.name}",
            )
        reason = f"{reason}; the fallback {backup.engine} engine is refused too: {fb_reason}"
    return PolicyDecision(
        outcome=PolicyOutcome.BLOCKED,
        tier=tier.name,
        engine=engine,
        model=model.name,
        licence_id=terms.id,
        requested_model=model.name,
        code=code,
        reason=reason,
    )


def calendar_month(instant: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of the calendar month (UTC) that ``instant`` falls in."""
    if instant.tzinfo is None:
        raise ValueError("calendar_month needs an aware datetime")
    utc = instant.astimezone(dt.UTC)
    start = dt.datetime(utc.year, utc.month, 1, tzinfo=dt.UTC)
    end = dt.datetime(utc.year + utc.month // 12, utc.month % 12 + 1, 1, tzinfo=dt.UTC)
    return start, end


def format_usd(amount: Decimal) -> str:
    """Dollars for people: ``$1,234.50``; sub-cent amounts keep their digits (``$0.00012``)."""
    normal = amount.normalize()
    exponent = normal.as_tuple().exponent
    places = max(2, -exponent if isinstance(exponent, int) else 2)
    return f"${amount:,.{places}f}"


class MonthlyUsage(BaseModel):
    """What a tenant has used in one calendar month (UTC)."""

    model_config = ConfigDict(frozen=True)

    month: str = Field(description="YYYY-MM")
    pages: int = Field(0, ge=0)
    usd: Decimal = Field(Decimal(0), ge=0)


class BudgetCheck(BaseModel):
    """Whether one more document fits the tier's limits."""

    model_config = ConfigDict(frozen=True)

    allowed: bool
    code: str | None = None
    reason: str | None = None


def check_budget(
    tier: LicenceTier, *, usage: MonthlyUsage, document_pages: int, quote_usd: Decimal
) -> BudgetCheck:
    """Check a document of ``document_pages`` quoted at ``quote_usd`` against ``tier``.

    Pages per document, then monthly pages, then monthly dollars; the first limit that
    would be passed refuses it, and the reason says which and by how much. Reaching a
    limit exactly is allowed.
    """
    limit = tier.max_pages_per_document
    if limit is not None and document_pages > limit:
        return BudgetCheck(
            allowed=False,
            code="tier_document_pages",
            reason=f"tier {tier.name} allows at most {limit:,} pages per document; "
            f"this document has {document_pages:,}",
        )
    pages_limit = tier.pages_per_month
    if pages_limit is not None and usage.pages + document_pages > pages_limit:
        over = usage.pages + document_pages - pages_limit
        return BudgetCheck(
            allowed=False,
            code="budget_pages",
            reason=f"monthly pages {pages_limit:,} would be exceeded by {over:,}: "
            f"{usage.pages:,} used + {document_pages:,} this document "
            f"(tier {tier.name}, {usage.month} UTC)",
        )
    usd_limit = tier.usd_per_month
    if usd_limit is not None and usage.usd + quote_usd > usd_limit:
        over_usd = usage.usd + quote_usd - usd_limit
        return BudgetCheck(
            allowed=False,
            code="budget_usd",
            reason=f"monthly dollars {format_usd(usd_limit)} would be exceeded by "
            f"{format_usd(over_usd)}: {format_usd(usage.usd)} used + "
            f"{format_usd(quote_usd)} this document (tier {tier.name}, {usage.month} UTC)",
        )
    return BudgetCheck(allowed=True)
