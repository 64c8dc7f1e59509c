"""folio db upgrade: apply the database migrations."""

from __future__ import annotations

import typer

from cli.common import _settings, db_app, err


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply the database migrations (creates the SQLite file on first use)."""
    from storage.migrate import upgrade

    settings = _settings()
    upgrade(settings, revision)
    err.print(f"database at revision {revision}: {settings.storage.sqlalchemy_url.split('@')[-1]}")
