"""The root of ``folio``: its global options (``--version``, ``--debug``, ``-h``), its exit
codes, and how errors reach the person at the terminal.

A user or configuration error (a bad option, a database that does not answer, a model
server that is not there) is one or two lines saying what is wrong and what to do, exit
status 2; never a traceback. ``folio --debug COMMAND`` lets the traceback through.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from importlib import metadata
from typing import Any, NoReturn

import typer

from cli.common import app, err

EXIT_DONE = 0  # every file ended done (or the command did what it was asked)
EXIT_NOT_DONE = 1  # some file did not end done, or Folio failed
EXIT_USAGE = 2  # usage or configuration error: nothing was started

EXIT_CODES_HELP = (
    "Exit status: 0 every file ended done (or the command did what it was asked); "
    "1 some file did not end done (needs_review, partial, failed, blocked, rejected, "
    "missing), or Folio failed; 2 usage or configuration error (nothing was started); "
    "130 stopped by Ctrl-C or SIGTERM."
)


@dataclass
class _GlobalOptions:
    debug: bool = False


OPTIONS = _GlobalOptions()


def _version(value: bool) -> None:
    if value:
        try:
            version = metadata.version("folio")
        except metadata.PackageNotFoundError:  # run from a checkout that was never installed
            version = "unknown"
        sys.stdout.write(f"folio {version}\n")
        raise typer.Exit()


@app.callback(context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXIT_CODES_HELP)
def root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print Folio's version and exit."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show the full traceback of an error (reports, bugs)."),
) -> None:
    """Folio: documents in, schema-validated JSON out, every cost on record."""
    OPTIONS.debug = debug


def run() -> None:
    """Run ``folio``; errors that escape a command become a short message and an exit status."""
    try:
        app()
    except (SystemExit, KeyboardInterrupt):
        raise
    except Exception as exc:
        if OPTIONS.debug:
            raise
        _fail(exc)


def _fail(exc: Exception) -> NoReturn:
    status, lines = explain(exc)
    for number, line in enumerate(lines):
        err.print(("[red]error:[/red] " if number == 0 else "  ") + line, soft_wrap=True, highlight=False)
    raise SystemExit(status)


def explain(exc: Exception) -> tuple[int, list[str]]:
    """The exit status and the lines that tell a person what went wrong and what to do."""
    from core.errors import ConfigurationError, FolioError

    if isinstance(exc, ConfigurationError):
        return EXIT_USAGE, [exc.message, "fix the option or setting named above and run again"]
    database = _database_error(exc)
    if database is not None:
        return EXIT_USAGE, database
    if isinstance(exc, FolioError):
        return EXIT_NOT_DONE, [exc.message]
    return EXIT_NOT_DONE, [
        f"internal error ({type(exc).__name__}: {_first_line(exc)})",
        "run again with `folio --debug ...` to see the traceback, and report it",
    ]


def _database_error(exc: Exception) -> list[str] | None:
    sqlalchemy_exc: Any = sys.modules.get("sqlalchemy.exc")
    if sqlalchemy_exc is None or not isinstance(
        exc, sqlalchemy_exc.OperationalError | sqlalchemy_exc.InterfaceError
    ):
        return None
    cause = _first_line(getattr(exc, "orig", None) or exc)
    return [
        f"the database did not answer: {cause}",
        "start it, or point FOLIO_DATABASE_URL at one that runs (default: SQLite in FOLIO_DATA_DIR)",
    ]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__
