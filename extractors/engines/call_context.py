"""Who a model call is for: the tenant and the class of work (interactive or batch).

The pipeline sets it once per document (``with call_context(...)``) and every engine call
made inside, in any task started there, sees it through a context variable. Engines that
share a model server (the ``llama`` client) use it to order their requests; the engine
interface (pages + schema in) stays unchanged and extractors never import storage.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum


class WorkClass(StrEnum):
    """Interactive work (an upload someone waits for) is served before batch work."""

    INTERACTIVE = "interactive"
    BATCH = "batch"


# Document sources whose uploader waits for the answer; every other source ("batch",
# "cli") is background work.
INTERACTIVE_SOURCES = frozenset({"api", "webhook"})


@dataclass(frozen=True)
class CallContext:
    """The tenant a call is made for and its class of work."""

    tenant: str = ""
    work_class: WorkClass = WorkClass.BATCH

    @classmethod
    def for_document(cls, *, tenant: str, source: str) -> CallContext:
        """The context of a document from ``source`` ("api", "webhook", "batch", "cli")."""
        work = WorkClass.INTERACTIVE if source in INTERACTIVE_SOURCES else WorkClass.BATCH
        return cls(tenant=tenant, work_class=work)


# Calls made outside any document (tests, tools) count as batch work of no tenant, so
# untagged work can never jump ahead of an upload.
DEFAULT_CONTEXT = CallContext()
_current: ContextVar[CallContext | None] = ContextVar("folio_call_context", default=None)


def current_call_context() -> CallContext:
    """The context set by the innermost ``call_context`` around this code, or the default."""
    return _current.get() or DEFAULT_CONTEXT


@contextmanager
def call_context(context: CallContext) -> Iterator[CallContext]:
    """Make ``context`` current for the code inside (and the tasks it starts)."""
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)
