"""folio db upgrade and folio db info: the database's migrations and where Folio keeps its data."""

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


@db_app.command("info")
def db_info() -> None:
    """Where Folio keeps its data: the data directory, the database, the blobs, Prefect's home."""
    from sqlalchemy.engine import make_url

    from core.settings.sections import default_data_dir

    settings = _settings()
    storage = settings.storage
    default = storage.data_dir == default_data_dir()
    origin = "the default, whatever the folder" if default else "FOLIO_DATA_DIR"
    database = make_url(storage.sqlalchemy_url).render_as_string(hide_password=True)
    for label, value in (
        ("data dir", f"{storage.data_dir.absolute()}  ({origin})"),
        ("database", database + ("" if storage.database_url else "  (SQLite in the data dir)")),
        ("blobs", str(storage.blob_dir.absolute())),
        ("prefect home", str((storage.data_dir / "prefect").absolute())),
    ):
        typer.echo(f"{label:<13} {value}")
