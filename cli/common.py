"""The `folio` command's root app, its groups, and helpers every command uses."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any

import typer
from rich.console import Console
from typer import _click as click  # the click typer vendors: its Context and Parameter types
from typer.core import TyperCommand, TyperGroup, TyperOption

from core.errors import ConfigurationError
from core.logging import configure_logging
from core.settings import Settings


def _flags_take_no_value(params: list[click.Parameter]) -> list[click.Parameter]:
    """Flags as they are typed: typer 0.29's rich help shows every option without a metavar
    with its type as one, so a flag (``--json``, even ``-h``) read ``--json <bool>`` as if it
    took a value. An empty metavar leaves the type column blank; nothing else reads it for a
    flag (a flag is never given a value)."""
    for param in params:
        if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = ""
    return params


class FolioCommand(TyperCommand):
    """A ``folio`` command: its flags shown without a value placeholder."""

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        return _flags_take_no_value(super().get_params(ctx))


class FolioGroup(TyperGroup):
    """A group of ``folio`` commands: its own flags shown without a value placeholder."""

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        return _flags_take_no_value(super().get_params(ctx))


class FolioTyper(typer.Typer):
    """``typer.Typer`` whose groups and commands are ``FolioGroup`` and ``FolioCommand``."""

    def __init__(self, **options: Any) -> None:
        options.setdefault("cls", FolioGroup)
        super().__init__(**options)

    def command(
        self, name: str | None = None, *, cls: type[TyperCommand] | None = None, **options: Any
    ) -> Any:
        return super().command(name, cls=cls or FolioCommand, **options)


app = FolioTyper(
    help="Folio: documents in, schema-validated JSON out, every cost on record.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = FolioTyper(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
tenant_app = FolioTyper(help="Tenants and their licence tiers.", no_args_is_help=True)
app.add_typer(tenant_app, name="tenant")
report_app = FolioTyper(help="Cost and licence reports (computed in SQL).", no_args_is_help=True)
app.add_typer(report_app, name="report")
schema_app = FolioTyper(help="Extraction schemas: built-in and custom.", no_args_is_help=True)
app.add_typer(schema_app, name="schema")

err = Console(stderr=True)


class EngineChoice(StrEnum):
    auto = "auto"
    local = "local"
    llama = "llama"


def _settings() -> Settings:
    try:
        settings = Settings()
    # A bad value (pydantic's ValidationError and SettingsError are ValueErrors; their message
    # names the FOLIO_ variable), or an .env file that cannot be read (OSError).
    except (ValueError, OSError) as exc:
        err.print(f"[red]invalid settings:[/red] {exc}")
        raise typer.Exit(2) from None
    configure_logging(settings.logging.level)
    return settings


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


def _first(rows: list[dict[str, Any]], key: str) -> str:
    return next((str(r[key]) for r in rows if r.get(key)), "-")


def _exact_json(value: Any) -> Any:
    # Reports keep money exact: Decimal as a fixed-point string ("0.01234567"), never a float.
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def _open_sessions(settings: Settings) -> Any:
    from storage.database import make_engine, make_session_factory
    from storage.migrate import upgrade

    upgrade(settings)
    engine = make_engine(settings)
    return engine, make_session_factory(engine)


def _tiers(settings: Settings) -> Any:
    from models.tiers import load_tiers

    try:
        return load_tiers(settings.licence.tiers_file)
    except ConfigurationError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None


def _instant(value: str | None, option: str) -> Any:
    import datetime as dt

    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        err.print(f"[red]error:[/red] {option} {value!r} is not an ISO 8601 date or time")
        raise typer.Exit(2) from None
    return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed
