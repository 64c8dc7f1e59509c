"""The tenant's vendor memory, as the engines see it while they extract one document.

The pipeline loads the tenant's vendor profiles (``storage``) and sets them around the
document's extraction (``with vendor_memory(...)``), as it sets the call context; engines
read them with :func:`current_vendor_memory`. So the engine interface (pages + schema in)
stays unchanged and extractors never import storage. Outside any document the memory is
empty and engines behave exactly as without it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from extractors.fieldmap.vendor_keys import match_vendor
from extractors.fieldmap.vendor_prior import rows_of
from models.page import PreparedPage, TextLine
from models.vendor import VendorMatch, VendorProfile


@dataclass(frozen=True)
class VendorMemory:
    """The profiles one tenant's documents are matched against."""

    profiles: tuple[VendorProfile, ...] = ()

    def match(self, lines: Sequence[TextLine], schema_name: str) -> VendorMatch | None:
        """The profile (of this schema) the page's lines come from, or None."""
        own = [p for p in self.profiles if p.schema_name == schema_name]
        if not own or not lines:
            return None
        return match_vendor(rows_of(lines), own)

    def match_pages(self, pages: Sequence[PreparedPage], schema_name: str) -> VendorMatch | None:
        """The profile the first page with a text layer matches (image pages carry no text
        before they are read, so a group of scans is not matched)."""
        for page in pages:
            if page.lines:
                return self.match(page.lines, schema_name)
        return None


EMPTY_MEMORY = VendorMemory()
_current: ContextVar[VendorMemory | None] = ContextVar("folio_vendor_memory", default=None)


def current_vendor_memory() -> VendorMemory:
    """The memory set by the innermost ``vendor_memory`` around this code, or the empty one."""
    return _current.get() or EMPTY_MEMORY


@contextmanager
def vendor_memory(memory: VendorMemory) -> Iterator[VendorMemory]:
    """Make ``memory`` current for the code inside (and the tasks it starts)."""
    token = _current.set(memory)
    try:
        yield memory
    finally:
        _current.reset(token)
