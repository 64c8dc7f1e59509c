"""Tenants: created deliberately or on first use (race-safe), listed, moved between licence
tiers, their default callback URL, and the lock that serialises their budget checks."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.repository.dialect import insert_for
from storage.repository.errors import TenantExistsError, TenantNotFoundError
from storage.tables import Tenant, utcnow


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


def get_or_create_tenant(session: Session, *, name: str, tier: str) -> Tenant:
    """The tenant called ``name``, created with ``tier`` if it does not exist yet.

    An existing tenant keeps its tier (changing a tier is a deliberate act, not a side
    effect of a request). Two concurrent callers get the same row: the INSERT yields to
    the other's on conflict.
    """
    statement = (
        insert_for(session, Tenant.__table__)
        .values(name=name, tier=tier, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["name"])
    )
    session.execute(statement)
    return session.scalars(sa.select(Tenant).where(Tenant.name == name)).one()


def get_tenant(session: Session, *, name: str) -> Tenant | None:
    """The tenant called ``name``, or None."""
    return session.scalars(sa.select(Tenant).where(Tenant.name == name)).one_or_none()


def list_tenants(session: Session) -> list[Tenant]:
    """Every tenant, by name."""
    return list(session.scalars(sa.select(Tenant).order_by(Tenant.name)))


def set_tenant_tier(session: Session, *, name: str, tier: str) -> Tenant:
    """Move tenant ``name`` to ``tier`` (documents already received keep theirs)."""
    tenant = _existing(session, name)
    tenant.tier = tier
    session.flush()
    return tenant


def set_tenant_callback(session: Session, *, name: str, url: str | None) -> Tenant:
    """Set (or with None clear) tenant ``name``'s default callback URL; uploads that name
    their own URL keep it. Raises ``TenantNotFoundError`` for an unknown name."""
    tenant = _existing(session, name)
    tenant.callback_url = url
    session.flush()
    return tenant


def lock_tenant_budget(session: Session, *, tenant_id: int) -> None:
    """Serialise budget checks of one tenant until the transaction ends.

    A no-op UPDATE of the tenant row: a row lock on PostgreSQL, the database write lock on
    SQLite. Two workers quoting documents of the same tenant then see each other's quotes,
    so together they cannot pass a limit that each alone would respect.
    """
    session.execute(sa.update(Tenant).where(Tenant.id == tenant_id).values(tier=Tenant.tier))


def _existing(session: Session, name: str) -> Tenant:
    tenant = get_tenant(session, name=name)
    if tenant is None:
        raise TenantNotFoundError(f"no tenant called {name!r} (folio tenant create)")
    return tenant
