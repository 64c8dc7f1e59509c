"""Engines and sessions, built from ``Settings`` and passed around; nothing global.

SQLite (embedded mode) gets WAL, foreign keys and a generous busy timeout on every
connection, so a CLI run, a worker and the API can share one file. PostgreSQL goes through
psycopg 3 with a checked pool. A URL may carry ``?options=-csearch_path=<schema>``: every
statement here is unqualified, so tables land in (and are read from) that schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from core.errors import ConfigurationError
from core.settings import Settings

# Pragmas every SQLite connection needs; journal_mode=WAL persists in the file, the rest
# are per connection.
_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=30000",
    "PRAGMA synchronous=NORMAL",
)


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in _SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def make_engine(settings: Settings) -> sa.Engine:
    """A new engine for ``settings.storage.sqlalchemy_url``; the caller owns it and disposes of it."""
    url = sa.make_url(settings.storage.sqlalchemy_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        database = url.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        # timeout: the driver's own wait for a lock, in step with busy_timeout.
        engine = sa.create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _set_sqlite_pragmas)
        return engine
    if backend == "postgresql":
        if url.drivername == "postgresql":
            # A bare postgresql:// would mean psycopg2, which Folio does not ship.
            url = url.set(drivername="postgresql+psycopg")
        if url.get_driver_name() not in ("psycopg", "psycopg_async"):
            raise ConfigurationError(
                f"database URL uses driver {url.get_driver_name()!r}; "
                "use postgresql+psycopg://... (psycopg 3)",
                code="database_driver",
            )
        return sa.create_engine(
            url,
            pool_pre_ping=True,  # a restarted server leaves dead pooled connections behind
            # Sized for the API's thread pool: connections beyond the pool are opened and closed
            # per use, and a PostgreSQL backend start costs more than the query it serves.
            pool_size=settings.storage.database_pool_size,
            max_overflow=10,
            pool_recycle=1800,
            connect_args={"connect_timeout": 10},
        )
    raise ConfigurationError(
        f"unsupported database {backend!r}: use SQLite or PostgreSQL", code="database_backend"
    )


def make_session_factory(engine: sa.Engine) -> sessionmaker[Session]:
    """A session factory bound to ``engine``; loaded rows stay readable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any exception."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
