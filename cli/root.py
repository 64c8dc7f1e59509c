"""The root of ``folio``: its global options (``--version``, ``--debug``, ``-h``), its exit
codes, and how errors reach the person at the terminal.

A user or configuration error (a bad option, a database that does not answer, a model
server that is not there) is one or two lines saying what is wrong and what to do, exit
status 2; never a traceback. ``folio --debug COMMAND`` lets the traceback through.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
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
    exit_status: int | None = None  # set by run() once the command has ended (_leave_now)


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
        _run_command()
    except SystemExit as exc:
        code = exc.code
        OPTIONS.exit_status = code if isinstance(code, int) else (0 if code is None else 1)
        raise


def _leave_now() -> None:
    """Exit as soon as the exit handlers have run, skipping the interpreter's teardown.

    Tearing down the few hundred modules a run imports (SQLAlchemy, pydantic, rich...) took
    0.5 s of a 3 s cold `folio process` on a loaded 2-core machine, after the work was done
    and every file and database connection closed. Registered when this module is imported,
    so the handlers of what a command imports later (multiprocessing's, which stops the render
    pool's processes; Prefect's) have run by then; logging's, registered before, is run
    here. Only for a command that ended with an exit status (run()): an uncaught exception
    (--debug, Ctrl-C) leaves the usual way.
    """
    if OPTIONS.exit_status is None:
        return
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        # A closed pipe (folio ... | head): nothing is left to flush to.
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(OPTIONS.exit_status)


atexit.register(_leave_now)


def _run_command() -> None:
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
