"""``folio``: process documents, run migrations, look at results.

Prefect is imported only by the commands that run flows, after its environment is set from
Folio's settings (see ``flows.runtime``). Each module registers its commands on the app, and
the order of the imports below is the order of ``folio --help``.
"""

# ruff: noqa: I001, F401
from __future__ import annotations

from cli.common import app
from cli import root
from cli import documents
from cli import server
from cli import database
from cli import batch
from cli import tenants
from cli import schemas
from cli import reports
from cli import analytics
from cli import exports
from cli import evaluate
from cli import review
from cli import vendors


def main() -> None:
    """Entry point of the ``folio`` command (errors: see ``cli.root``)."""
    root.run()


__all__ = ["app", "main"]
