"""The contract every engine keeps: prepared pages + schema in, PageExtraction out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from models.extraction import PageExtraction
from models.page import PreparedPage
from models.schemas import ExtractionSchema


@runtime_checkable
class Engine(Protocol):
    """An extraction engine.

    ``extract`` never raises for a page's own trouble: a page that cannot be read comes back
    as ``PageExtraction.failure`` and every call made is in ``PageExtraction.calls`` (a row
    of the usage ledger each, failed attempts included).
    """

    name: str
    model: str | None
    max_pages_per_call: int

    async def extract(self, pages: Sequence[PreparedPage], schema: ExtractionSchema) -> PageExtraction: ...

    async def aclose(self) -> None: ...
