"""Tenants: created on first use, race-safe; their default callback URL."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.repository.costs import TenantNotFoundError
from storage.repository.dialect import insert_for
from storage.tables import Document, Tenant, utcnow


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


def set_tenant_callback(session: Session, *, name: str, url: str | None) -> Tenant:
    """Set (or with None clear) tenant ``name``'s default callback URL; uploads that name
    their own URL keep it. Raises ``TenantNotFoundError`` for an unknown name."""
    tenant = session.scalars(sa.select(Tenant).where(Tenant.name == name)).one_or_none()
    if tenant is None:
        raise TenantNotFoundError(f"no tenant called {name!r} (folio tenant create)")
    tenant.callback_url = url
    session.flush()
    return tenant


def callback_url_for(session: Session, *, document_id: str) -> str | None:
    """Where a document's final status goes: its own callback URL, else its tenant's, else
    None."""
    row = session.execute(
        sa.select(Document.callback_url, Tenant.callback_url)
        .join(Tenant, Tenant.id == Document.tenant_id)
        .where(Document.id == document_id)
    ).one_or_none()
    if row is None:
        return None
    return row[0] or row[1] or None
