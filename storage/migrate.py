"""Run Alembic from code: the configuration is built here, the URL comes from ``Settings``.

``folio db upgrade`` calls :func:`upgrade`. The migration scripts ship inside the package
(``storage/migrations``), so an installed Folio can migrate its database without a checkout.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from core.settings import Settings
from storage.database import make_engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


# Alembic (with Mako and Pygments) takes a fifth of a second to import: a database already at
# the head revision is told apart without it, from the revision lines of the scripts.
_REVISION = re.compile(r'^(down_revision|revision)\b[^=]*=\s*"([^"]+)"', re.MULTILINE)


def alembic_config(settings: Settings) -> Config:
    """An Alembic ``Config`` for Folio's migrations; ``settings`` travel in its attributes."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["settings"] = settings
    return config


def head_revision() -> str | None:
    """The newest revision the installed code knows."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def upgrade(settings: Settings, revision: str = "head") -> None:
    """Bring the database of ``settings`` up to ``revision`` (default: the newest)."""
    if revision == "head" and _at_head(settings):
        return
    _run(settings, "upgrade", revision)


def _script_head() -> str | None:
    """The one head of the migration scripts read from their ``revision`` lines (None when
    they do not read as one straight line: Alembic decides then)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (MIGRATIONS_DIR / "versions").glob("*.py"):
        for kind, value in _REVISION.findall(script.read_text(encoding="utf-8")):
            (revisions if kind == "revision" else parents).add(value)
    heads = revisions - parents
    return next(iter(heads)) if len(heads) == 1 else None


def _at_head(settings: Settings) -> bool:
    """Whether the database already is at the scripts' head revision (quick, no Alembic)."""
    head = _script_head()
    if head is None:
        return False
    engine = make_engine(settings)
    try:
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table("alembic_version"):
                return False
            current = connection.scalars(sa.text("SELECT version_num FROM alembic_version")).all()
    finally:
        engine.dispose()
    return current == [head]


def downgrade(settings: Settings, revision: str) -> None:
    """Take the database of ``settings`` back to ``revision`` (``"base"``: drop everything)."""
    _run(settings, "downgrade", revision)


def current_revision(settings: Settings) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(settings)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def _run(settings: Settings, direction: str, revision: str) -> None:
    from alembic import command

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
