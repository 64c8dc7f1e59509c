"""Run Alembic from code: the configuration is built here, the URL comes from ``Settings``.

``folio db upgrade`` calls :func:`upgrade`. The migration scripts ship inside the package
(``storage/migrations``), so an installed Folio can migrate its database without a checkout.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from core.settings import Settings
from storage.database import make_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(settings: Settings) -> Config:
    """An Alembic ``Config`` for Folio's migrations; ``settings`` travel in its attributes."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["settings"] = settings
    return config


def head_revision() -> str | None:
    """The newest revision the installed code knows."""
    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def upgrade(settings: Settings, revision: str = "head") -> None:
    """Bring the database of ``settings`` up to ``revision`` (default: the newest)."""
    _run(settings, "upgrade", revision)


def downgrade(settings: Settings, revision: str) -> None:
    """Take the database of ``settings`` back to ``revision`` (``"base"``: drop everything)."""
    _run(settings, "downgrade", revision)


def current_revision(settings: Settings) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    engine = make_engine(settings)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def _run(settings: Settings, direction: str, revision: str) -> None:
    config = alembic_config(settings)
    engine = make_engine(settings)
    try:
        # One connection and one transaction for the whole run: on PostgreSQL a failed
        # revision leaves the schema as it was (DDL is transactional there).
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            if direction == "upgrade":
                command.upgrade(config, revision)
            else:
                command.downgrade(config, revision)
    finally:
        engine.dispose()
