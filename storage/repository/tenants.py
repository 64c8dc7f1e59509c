"""Tenants: created on first use, race-safe."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.repository.dialect import insert_for
from storage.tables import Tenant, utcnow


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
