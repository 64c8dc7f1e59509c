"""Analyst queries: documents filtered by metadata and typed field predicates, paged or streamed.

Every value reaches the database as a bound parameter; only column names chosen from fixed
tables here become SQL. ``tenant_scope`` limits every query to one tenant (None: all, for
admins). Pages come with an opaque keyset cursor, so page N costs what page 1 costs.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from core.errors import BadInputError
from storage.repository.dialect import dialect_name
from storage.tables import Document, Extraction, ExtractionField, Tenant

OPS = ("eq", "ne", "gt", "ge", "lt", "le", "contains")
SORTS = ("created_at", "cost_usd", "id")
# CLI spelling of the operators, longest first so ">=" is not read as ">".
_WHERE_OPS = (
    ("!=", "ne"),
    (">=", "ge"),
    ("<=", "le"),
    ("~", "contains"),
    ("=", "eq"),
    (">", "gt"),
    ("<", "lt"),
)
_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")
MAX_LIMIT = 1000


class QueryError(BadInputError):
    """A query the caller wrote that Folio cannot run (unknown operator, bad cursor...)."""

    code = "bad_query"


@dataclass(frozen=True)
class FieldPredicate:
    """``field op value``; the value's form picks the comparison: number, date, else text."""

    field: str
    op: str
    value: str

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise QueryError(f"unknown operator {self.op!r}; use one of {', '.join(OPS)}")
        if not _FIELD_NAME.match(self.field):
            raise QueryError(f"bad field name {self.field!r}: use name or table.column")


def parse_where(expression: str) -> FieldPredicate:
    """``'total_amount>10000'`` -> ``FieldPredicate('total_amount', 'gt', '10000')``."""
    for symbol, op in _WHERE_OPS:
        name, found, value = expression.partition(symbol)
        if found and name.strip():
            return FieldPredicate(name.strip(), op, value.strip())
    raise QueryError(f"cannot read {expression!r}: write field>value (ops = != > >= < <= ~)")


@dataclass
class DocumentQuery:
    """Filters, sort and page of a documents query; every filter is optional."""

    schema: str | None = None
    status: str | None = None
    tenant: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    engine: str | None = None
    model: str | None = None
    licence_tier: str | None = None
    min_confidence: float | None = None
    has_review_flags: bool | None = None
    predicates: Sequence[FieldPredicate] = field(default_factory=tuple)
    sort: str = "-created_at"
    cursor: str | None = None
    limit: int = 100


@dataclass
class QueryPage:
    """One page of results and the cursor of the next (None on the last page)."""

    rows: list[dict[str, Any]]
    next_cursor: str | None


# Field values are stored as Numeric(24, 8): a number of 16 or more integer digits can match
# nothing, and PostgreSQL refuses to even compare one whose exponent is huge (1e999999).
_NUMBER_EXPONENTS = range(-1000, 16)


def _typed(value: str) -> tuple[str, Any]:
    text = value.strip()
    try:
        number = Decimal(text)
        if number.is_finite():
            if number and number.adjusted() not in _NUMBER_EXPONENTS:
                raise QueryError(f"number {text[:40]!r} is out of range: fields hold less than 10^16")
            return "number", number
    except InvalidOperation:
        pass
    try:
        return "date", dt.date.fromisoformat(text)
    except ValueError:
        return "text", value


def _compare(column: Any, op: str, value: Any) -> Any:
    return {
        "eq": column == value,
        "ne": column != value,
        "gt": column > value,
        "ge": column >= value,
        "lt": column < value,
        "le": column <= value,
    }[op]


def predicate_clause(predicate: FieldPredicate) -> Any:
    """EXISTS a field row of the document matching the predicate."""
    table, _, name = predicate.field.rpartition(".")
    f = ExtractionField
    conditions = [
        f.document_id == Document.id,
        f.name == name,
        f.table_name == table if table else f.table_name.is_(None),
    ]
    kind, value = _typed(predicate.value)
    if predicate.op == "contains":
        escaped = predicate.value.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(f.value_key.like(f"%{escaped}%", escape="\\"))
    elif kind == "number":
        conditions.append(_compare(f.value_number, predicate.op, value))
    elif kind == "date":
        conditions.append(_compare(f.value_date, predicate.op, value))
    else:
        conditions.append(_compare(f.value_key, predicate.op, value.lower()))
    return sa.exists().where(*conditions)


def _review_flag_count(session: Session) -> Any:
    length = "jsonb_array_length" if dialect_name(session) == "postgresql" else "json_array_length"
    return getattr(sa.func, length)(Extraction.review_flags)


def _filters(session: Session, query: DocumentQuery, tenant_scope: int | None) -> list[Any]:
    conditions: list[Any] = []
    if tenant_scope is not None:
        conditions.append(Document.tenant_id == tenant_scope)
    if query.tenant is not None:
        conditions.append(Tenant.name == query.tenant)
    for column, wanted in (
        (Document.schema_name, query.schema),
        (Document.status, query.status),
        (Document.engine, query.engine),
        (Document.model, query.model),
        (Document.licence_tier, query.licence_tier),
    ):
        if wanted is not None:
            conditions.append(column == wanted)
    if query.since is not None:
        conditions.append(Document.created_at >= query.since)
    if query.until is not None:
        conditions.append(Document.created_at < query.until)
    if query.min_confidence is not None:
        # Every single field at least this confident (and the document has fields); a value
        # of unknown confidence is not known to be confident, so it does not qualify.
        f = ExtractionField
        conditions.append(sa.exists().where(f.document_id == Document.id))
        conditions.append(
            ~sa.exists().where(
                f.document_id == Document.id,
                f.table_name.is_(None),
                sa.or_(
                    f.confidence < query.min_confidence,
                    sa.and_(f.confidence.is_(None), f.value_text.is_not(None)),
                ),
            )
        )
    if query.has_review_flags is not None:
        flagged = sa.exists().where(
            Extraction.document_id == Document.id,
            Extraction.is_current.is_(True),
            _review_flag_count(session) > 0,
        )
        conditions.append(flagged if query.has_review_flags else ~flagged)
    conditions.extend(predicate_clause(p) for p in query.predicates)
    return conditions


def _sort(query: DocumentQuery) -> tuple[str, bool]:
    name, descending = query.sort.removeprefix("-"), query.sort.startswith("-")
    if name not in SORTS:
        raise QueryError(f"cannot sort by {name!r}; use one of {', '.join(SORTS)} (- for descending)")
    return name, descending


def encode_cursor(sort: str, value: Any, document_id: str) -> str:
    """An opaque cursor: the sort and the last row's key, base64 JSON."""
    key = value.isoformat() if isinstance(value, dt.datetime) else str(value)
    raw = json.dumps([sort, key, document_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor_time(key: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(key)
    if value.tzinfo is None:  # encode_cursor writes aware times; a naive one was made up
        raise ValueError("naive cursor time")
    return value.astimezone(dt.UTC)


def _cursor_money(key: str) -> Decimal:
    value = Decimal(key)
    if not value.is_finite() or abs(value) >= 10**10:  # cost_usd is Numeric(18, 8)
        raise ValueError("cursor amount out of range")
    return value


def _cursor_id(key: str) -> str:
    if not isinstance(key, str) or not key.isprintable() or not 0 < len(key) <= 36:
        raise ValueError("not a document id")
    return key


def _decode_cursor(cursor: str, sort: str, column: str) -> tuple[Any, str]:
    # The cursor comes back from the caller: every part is checked as strictly as a
    # parameter, so a crafted one is a 422 and never reaches the database.
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_sort, key, document_id = json.loads(raw)
        parsers: dict[str, Any] = {"created_at": _cursor_time, "cost_usd": _cursor_money, "id": _cursor_id}
        value: Any = parsers[column](key)
        document_id = _cursor_id(document_id)
    except Exception as exc:  # any malformed cursor is the caller's mistake
        raise QueryError("bad cursor: pass back next_cursor as it was given") from exc
    if cursor_sort != sort:
        raise QueryError("the cursor belongs to another sort order")
    return value, str(document_id)


def decode_cursor(cursor: str, sort: str) -> tuple[Any, str]:
    """The ``(sort key, document id)`` an :func:`encode_cursor` cursor of ``sort`` holds
    (QueryError for anything else: a cursor comes back from a caller)."""
    return _decode_cursor(cursor, sort, sort.removeprefix("-"))


_SORT_COLUMNS: dict[str, Any] = {
    "created_at": Document.created_at,
    "cost_usd": Document.cost_usd,
    "id": Document.id,
}
_COLUMNS = (
    Document.id.label("document_id"),
    Tenant.name.label("tenant"),
    Document.schema_name,
    Document.status,
    Document.file_name,
    Document.page_count,
    Document.engine,
    Document.model,
    Document.licence_tier,
    Document.cost_usd,
    Document.created_at,
    Document.finished_at,
)


def _statement(session: Session, query: DocumentQuery, tenant_scope: int | None) -> Any:
    return (
        sa.select(*_COLUMNS)
        .select_from(Document)
        .join(Tenant, Tenant.id == Document.tenant_id)
        .where(*_filters(session, query, tenant_scope))
    )


def matching_documents(session: Session, *, query: DocumentQuery, tenant_scope: int | None) -> Any:
    """SELECT of the listing's columns (``document_id``, ``tenant``, ... ``finished_at``) for
    every document matching ``query``'s filters, neither sorted nor paged."""
    return _statement(session, query, tenant_scope)


def _public(row: Any) -> dict[str, Any]:
    item = dict(row)
    item["status"] = str(item["status"])
    return item


def fields_of(session: Session, document_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Single-field values (typed) of the current extraction of each document."""
    f = ExtractionField
    out: dict[str, dict[str, Any]] = {document_id: {} for document_id in document_ids}
    if not document_ids:
        return out
    rows = session.execute(
        sa.select(f.document_id, f.name, f.value_text, f.value_number, f.value_date).where(
            f.document_id.in_(list(document_ids)), f.table_name.is_(None)
        )
    )
    for document_id, name, text, number, date in rows:
        out[document_id][name] = number if number is not None else date if date else text
    return out


def document_query_statement(session: Session, *, query: DocumentQuery, tenant_scope: int | None) -> Any:
    """The SELECT that :func:`query_documents` runs for one page (limit + 1 rows)."""
    column_name, descending = _sort(query)
    limit = max(1, min(query.limit, MAX_LIMIT))
    column = _SORT_COLUMNS[column_name]
    statement = _statement(session, query, tenant_scope)
    if query.cursor:
        value, last_id = _decode_cursor(query.cursor, query.sort, column_name)
        after = (column < value) if descending else (column > value)
        same = sa.and_(column == value, Document.id < last_id if descending else Document.id > last_id)
        statement = statement.where(
            sa.or_(after, same)
            if column_name != "id"
            else (Document.id < last_id if descending else Document.id > last_id)
        )
    order = [column.desc(), Document.id.desc()] if descending else [column, Document.id]
    return statement.order_by(*order).limit(limit + 1)


def query_documents(session: Session, *, query: DocumentQuery, tenant_scope: int | None) -> QueryPage:
    """One page of documents matching ``query``, each with its single fields' values."""
    column_name, _ = _sort(query)
    limit = max(1, min(query.limit, MAX_LIMIT))
    statement = document_query_statement(session, query=query, tenant_scope=tenant_scope)
    rows = [_public(r) for r in session.execute(statement).mappings()]
    more = len(rows) > limit
    rows = rows[:limit]
    values = fields_of(session, [r["document_id"] for r in rows])
    for row in rows:
        row["fields"] = values[row["document_id"]]
    next_cursor = None
    if more:
        last = rows[-1]
        key = last["document_id"] if column_name == "id" else last[column_name]
        next_cursor = encode_cursor(query.sort, key, last["document_id"])
    return QueryPage(rows, next_cursor)


def iter_documents(
    session: Session, *, query: DocumentQuery, tenant_scope: int | None, batch: int = 2000
) -> Iterator[dict[str, Any]]:
    """Every matching document (no page limit) with its single fields, in one streamed query.

    Documents are joined to their single-field rows and read through a server-side cursor
    on PostgreSQL (``stream_results``; ``yield_per`` everywhere), so memory stays bounded
    whatever the count; a document is yielded as soon as its last field row has come.
    """
    column_name, descending = _sort(query)
    column = _SORT_COLUMNS[column_name]
    order = [column.desc(), Document.id.desc()] if descending else [column, Document.id]
    # An alias: the predicates' EXISTS subqueries must not correlate with the joined rows.
    f = aliased(ExtractionField)
    statement = (
        _statement(session, query, tenant_scope)
        .add_columns(
            f.name.label("_field"),
            f.value_text.label("_text"),
            f.value_number.label("_number"),
            f.value_date.label("_date"),
        )
        .outerjoin(f, sa.and_(f.document_id == Document.id, f.table_name.is_(None)))
        .order_by(*order)
    )
    names = [c.key for c in _COLUMNS]
    current: dict[str, Any] | None = None
    result = session.execute(statement.execution_options(stream_results=True, yield_per=batch)).mappings()
    for row in result:
        if current is None or row["document_id"] != current["document_id"]:
            if current is not None:
                yield current
            current = _public({name: row[name] for name in names})
            current["fields"] = {}
        if row["_field"] is not None:
            number, date = row["_number"], row["_date"]
            current["fields"][row["_field"]] = (
                number if number is not None else date if date else row["_text"]
            )
    if current is not None:
        yield current
