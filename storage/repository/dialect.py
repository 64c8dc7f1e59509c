"""The few statements that differ between SQLite and PostgreSQL, chosen per session."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


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
