"""What the HTTP edge accepts as text, times and ids, checked before anything reaches SQL.

PostgreSQL refuses a NUL byte in any text parameter and a string longer than its
``varchar(n)`` column; both used to surface as 500 answers (and, for an INSERT, as a stored
blob with no row). So every caller-supplied string is checked here first: no control
characters (Unicode category Cc: C0, DEL, C1) and no lone surrogates, and a stored string
no longer than the column that stores it (the lengths are read off ``storage.tables``, so the
two cannot drift apart). Failures are 422 problems naming the input.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

from fastapi import Request

from api.problems import ApiProblem
from storage.tables import Document, Tenant


def column_length(column: Any) -> int:
    """The declared length of a ``String(n)`` ORM column."""
    length = getattr(column.type, "length", None)
    if not isinstance(length, int):
        raise TypeError(f"{column} has no declared length")
    return length


FILE_NAME_MAX = column_length(Document.file_name)
SCHEMA_NAME_MAX = column_length(Document.schema_name)
IDEMPOTENCY_KEY_MAX = column_length(Document.idempotency_key)
CALLBACK_URL_MAX = column_length(Document.callback_url)
DOCUMENT_ID_MAX = column_length(Document.id)
TENANT_NAME_MAX = column_length(Tenant.name)
# Query strings that are compared, never stored, still get a bound: nothing longer can
# match a stored value, and a bound keeps the statement (and its log line) small.
QUERY_TEXT_MAX = 1000
CURSOR_MAX = 200  # an opaque next_cursor the API gave out: base64 of a short JSON list


def unprintable(value: str) -> str | None:
    """A description of the first character a stored text must not hold, or None."""
    for at, char in enumerate(value):
        category = unicodedata.category(char)
        if category in ("Cc", "Cs"):
            return f"U+{ord(char):04X} at position {at}"
    return None


def checked_text(name: str, value: str, *, max_length: int) -> str:
    """``value`` unchanged, or a 422 problem when it is too long or holds a control
    character (lengths count characters, as ``varchar(n)`` does)."""
    if len(value) > max_length:
        raise ApiProblem(422, f"{name} is longer than {max_length} characters ({len(value)})")
    bad = unprintable(value)
    if bad is not None:
        raise ApiProblem(422, f"{name} holds a control character ({bad}); send printable text")
    return value


async def refuse_control_characters(request: Request) -> None:
    """App-wide dependency: every query parameter and path parameter must be printable text
    of bounded length (422 problem otherwise), whatever the route does with it."""
    for name, value in request.query_params.multi_items():
        checked_text(f"query parameter {name!r}", value, max_length=QUERY_TEXT_MAX)
    for name, value in request.path_params.items():
        if isinstance(value, str):
            checked_text(f"path parameter {name!r}", value, max_length=QUERY_TEXT_MAX)


def aware_utc(name: str, value: dt.datetime | None, *, assume_utc: bool) -> dt.datetime | None:
    """``value`` in UTC. A naive value is read as UTC when ``assume_utc``, else refused; an
    instant outside what Python's datetime can hold in UTC (year 1 east of Greenwich, year
    9999 west of it) is refused instead of failing inside the database driver."""
    if value is None:
        return None
    if value.tzinfo is None:
        if not assume_utc:
            raise ApiProblem(422, f"{name} needs a time zone, e.g. 2026-01-31T00:00:00Z")
        return value.replace(tzinfo=dt.UTC)
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise ApiProblem(422, f"{name} is out of range once converted to UTC") from None
