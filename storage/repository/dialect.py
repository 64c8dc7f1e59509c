"""The few statements that differ between SQLite and PostgreSQL, chosen per session.

Money sums are exact on both databases: PostgreSQL sums ``numeric`` exactly; SQLite keeps
``Numeric`` as a double, so there the sum is taken over whole units of 1e-8 dollars
(integers, exact) and scaled back.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

_USD_UNITS = 100_000_000  # 1e-8 dollars: the precision of every stored cost


def dialect_name(session: Session) -> str:
    """``"postgresql"`` or ``"sqlite"``: the database this session talks to."""
    return session.get_bind().dialect.name


def insert_for(session: Session, table: Any) -> Any:
    """An INSERT that supports ``on_conflict_do_nothing`` / ``on_conflict_do_update``.

    Both dialects spell ``INSERT ... ON CONFLICT`` the same way, which is what makes
    registration and page upserts race-safe on either database.
    """
    if dialect_name(session) == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


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
