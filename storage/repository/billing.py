"""Cost and licence records: tenants' tiers, the policy decision and quote on each document,
and what a tenant has used in a calendar month (for budgets).

Money sums are exact on both databases: PostgreSQL sums ``numeric`` exactly; SQLite keeps
``Numeric`` as a double, so there the sum is taken over whole units of 1e-8 dollars
(integers, exact) and scaled back.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from core.errors import ConfigurationError
from models.document import DocumentStatus
from storage.repository.dialect import dialect_name, insert_for
from storage.repository.documents import reload_document
from storage.repository.errors import DocumentNotFoundError
from storage.tables import Document, Tenant, UsageLedgerEntry, utcnow

# Policy outcomes as stored in documents.policy_decision (models.policy.PolicyOutcome values).
ALLOWED, ROUTED, BLOCKED = "allowed", "routed", "blocked"
_USD_UNITS = 100_000_000  # 1e-8 dollars: the precision of every stored cost


class TenantExistsError(ConfigurationError):
    """``create_tenant`` with a name already taken."""

    code = "tenant_exists"


class TenantNotFoundError(ConfigurationError):
    """A tenant name that does not exist."""

    code = "tenant_not_found"


def usd_sum(session: Session, column: Any) -> Any:
    """A SQL expression summing a money ``column`` exactly; read it with :func:`usd_value`."""
    if dialect_name(session) == "sqlite":
        return sa.func.coalesce(sa.func.sum(sa.cast(sa.func.round(column * _USD_UNITS), sa.BigInteger)), 0)
    return sa.func.coalesce(sa.func.sum(column), 0)


def usd_value(session: Session, value: Any) -> Decimal:
    """The Decimal dollars of a value :func:`usd_sum` produced."""
    if value is None:
        return Decimal(0)
    if dialect_name(session) == "sqlite":
        return Decimal(int(value)).scaleb(-8)
    return Decimal(value)


def create_tenant(session: Session, *, name: str, tier: str) -> Tenant:
    """A new tenant on ``tier``; ``TenantExistsError`` if the name is taken (race-safe)."""
    statement = (
        insert_for(session, Tenant.__table__)
        .values(name=name, tier=tier, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["name"])
        .returning(Tenant.__table__.c.id)
    )
    if session.execute(statement).first() is None:
        raise TenantExistsError(f"tenant {name!r} exists already (folio tenant set-tier)")
    return session.scalars(sa.select(Tenant).where(Tenant.name == name)).one()


def get_tenant(session: Session, *, name: str) -> Tenant | None:
    """The tenant called ``name``, or None."""
    return session.scalars(sa.select(Tenant).where(Tenant.name == name)).one_or_none()


def list_tenants(session: Session) -> list[Tenant]:
    """Every tenant, by name."""
    return list(session.scalars(sa.select(Tenant).order_by(Tenant.name)))


def set_tenant_tier(session: Session, *, name: str, tier: str) -> Tenant:
    """Move tenant ``name`` to ``tier`` (documents already received keep theirs)."""
    tenant = get_tenant(session, name=name)
    if tenant is None:
        raise TenantNotFoundError(f"no tenant called {name!r} (folio tenant create)")
    tenant.tier = tier
    session.flush()
    return tenant


def record_policy(
    session: Session,
    *,
    document_id: str,
    decision: str,
    reason: str | None,
    engine: str,
    model: str,
    model_licence: str,
    attribution: str | None,
    licence_reference: str | None,
) -> None:
    """Store the policy decision on the document: outcome, reason, model and its licence."""
    _update_document(
        session,
        document_id,
        {
            "policy_decision": decision,
            "policy_reason": reason,
            "engine": engine,
            "model": model,
            "model_licence": model_licence,
            "attribution": attribution,
            "licence_reference": licence_reference,
            "updated_at": utcnow(),
        },
    )


def record_quote(
    session: Session,
    *,
    document_id: str,
    quoted_tokens: int,
    quoted_cost_usd: Decimal,
    price_version: str,
    quoted_at: dt.datetime,
    blocked_reason: str | None = None,
) -> None:
    """Store the quote on the document; with ``blocked_reason`` the decision becomes blocked."""
    values: dict[str, Any] = {
        "quoted_tokens": quoted_tokens,
        "quoted_cost_usd": quoted_cost_usd,
        "price_version": price_version,
        "quoted_at": quoted_at,
        "updated_at": utcnow(),
    }
    if blocked_reason is not None:
        values.update(policy_decision=BLOCKED, policy_reason=blocked_reason)
    _update_document(session, document_id, values)


def _update_document(session: Session, document_id: str, values: dict[str, Any]) -> None:
    statement = (
        sa.update(Document)
        .where(Document.id == document_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if cast(sa.CursorResult[Any], session.execute(statement)).rowcount != 1:
        raise DocumentNotFoundError(f"document {document_id} does not exist")


def lock_tenant_budget(session: Session, *, tenant_id: int) -> None:
    """Serialise budget checks of one tenant until the transaction ends.

    A no-op UPDATE of the tenant row: a row lock on PostgreSQL, the database write lock on
    SQLite. Two workers quoting documents of the same tenant then see each other's quotes,
    so together they cannot pass a limit that each alone would respect.
    """
    session.execute(sa.update(Tenant).where(Tenant.id == tenant_id).values(tier=Tenant.tier))


def monthly_usage(
    session: Session,
    *,
    tenant_id: int,
    start: dt.datetime,
    end: dt.datetime,
    exclude_document_id: str | None = None,
) -> tuple[int, Decimal]:
    """(pages, dollars) the tenant has used in [start, end).

    Pages: the pages of its documents quoted in the window and not refused (blocked or
    rejected documents use nothing). Dollars: its ledger rows recorded in the window, plus
    the quotes of its documents still being processed (their rows are not written yet).
    ``exclude_document_id``: the document being checked, which is not "used" yet.
    """
    counted = [
        Document.tenant_id == tenant_id,
        Document.quoted_at >= start,
        Document.quoted_at < end,
        Document.policy_decision.in_([ALLOWED, ROUTED]),
        Document.status.notin_([DocumentStatus.BLOCKED, DocumentStatus.REJECTED]),
    ]
    if exclude_document_id is not None:
        counted.append(Document.id != exclude_document_id)
    pages = session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Document.page_count), 0)).where(*counted))
    ledger = session.scalar(
        sa.select(usd_sum(session, UsageLedgerEntry.cost_usd))
        .join(Document, Document.id == UsageLedgerEntry.document_id)
        .where(
            Document.tenant_id == tenant_id,
            UsageLedgerEntry.created_at >= start,
            UsageLedgerEntry.created_at < end,
        )
    )
    in_flight = session.scalar(
        sa.select(usd_sum(session, Document.quoted_cost_usd)).where(
            *counted, Document.status == DocumentStatus.PROCESSING
        )
    )
    return int(pages or 0), usd_value(session, ledger) + usd_value(session, in_flight)


def find_document(session: Session, *, tenant_id: int, sha256: str, schema_name: str) -> Document | None:
    """The document registered for (tenant, sha256, schema), or None (for dry runs)."""
    return session.scalars(
        sa.select(Document).where(
            Document.tenant_id == tenant_id,
            Document.sha256 == sha256,
            Document.schema_name == schema_name,
        )
    ).one_or_none()


def document_tenant(session: Session, *, document_id: str) -> tuple[Tenant, Document]:
    """The document and its tenant, as the database has them now."""
    document = reload_document(session, document_id)
    tenant = session.get(Tenant, document.tenant_id)
    if tenant is None:  # the foreign key makes this impossible
        raise ConfigurationError(f"document {document_id} has no tenant")
    return tenant, document
