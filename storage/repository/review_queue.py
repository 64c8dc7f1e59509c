"""The review queue: ``needs_review`` documents with their reasons and flags, in keyset
pages, oldest first or by the tenant tier's priority (see ``storage.repository.review``)."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.corrections import subject_root
from models.document import DocumentStatus
from storage.repository.queries import QueryError
from storage.tables import Document, Extraction

QueueOrder = Literal["oldest", "tier"]
QUEUE_ORDERS: tuple[str, ...] = ("oldest", "tier")
MAX_QUEUE_PAGE = 200


def tenant_scope(tenant_id: int | None) -> list[sa.ColumnElement[bool]]:
    """No condition for ``None`` (every tenant: admins), else the tenant's documents only."""
    return [] if tenant_id is None else [Document.tenant_id == tenant_id]


@dataclass(frozen=True)
class ReviewItem:
    """One document waiting for a person: why, and what its current extraction flags."""

    document_id: str
    tenant_id: int
    file_name: str
    schema_name: str
    licence_tier: str
    priority: int
    reason: str | None  # the document's stored reason (the first blocking flags)
    created_at: dt.datetime
    waiting_since: dt.datetime | None  # when it ended needs_review
    version: int | None  # the current extraction version (what a correction must name)
    review_flags: list[str] = field(default_factory=list)
    flagged_fields: list[str] = field(default_factory=list)  # fields the flags point at


@dataclass(frozen=True)
class ReviewPage:
    """One page of the review queue and the cursor of the next (None on the last page)."""

    items: list[ReviewItem]
    next_cursor: str | None


def _flagged_fields(review_flags: list[str], result: Mapping[str, Any] | None) -> list[str]:
    names = {root for root in (subject_root(f) for f in review_flags) if root}
    for name, found in ((result or {}).get("fields") or {}).items():
        if found.get("flags"):
            names.add(name)
    return sorted(names)


def _encode_cursor(order: str, item: ReviewItem) -> str:
    since = item.waiting_since.isoformat() if item.waiting_since else None
    raw = json.dumps([order, item.priority, since, item.document_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, order: str) -> tuple[int, dt.datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_order, priority, since, document_id = json.loads(raw)
        when = dt.datetime.fromisoformat(since)
        if when.tzinfo is None or not isinstance(priority, int) or isinstance(priority, bool):
            raise ValueError("cursor parts")
        if (
            not isinstance(document_id, str)
            or not 0 < len(document_id) <= 36
            or not document_id.isprintable()
        ):
            raise ValueError("cursor id")
    except Exception as exc:  # any malformed cursor is the caller's mistake
        raise QueryError("bad cursor: pass back next_cursor as it was given") from exc
    if cursor_order != order:
        raise QueryError("the cursor belongs to another queue order")
    return priority, when.astimezone(dt.UTC), document_id


def _after_cursor(order: str, cursor: str) -> sa.ColumnElement[bool]:
    priority, since, last_id = _decode_cursor(cursor, order)
    later = sa.or_(
        Document.finished_at > since, sa.and_(Document.finished_at == since, Document.id > last_id)
    )
    if order == "oldest":
        return later
    return sa.or_(Document.priority < priority, sa.and_(Document.priority == priority, later))


def review_queue(
    session: Session,
    *,
    tenant_id: int | None,
    order: QueueOrder = "oldest",
    limit: int = 50,
    cursor: str | None = None,
) -> ReviewPage:
    """Documents in ``needs_review``, with their reasons and flags; keyset pages.

    ``order``: ``oldest`` (longest waiting first) or ``tier`` (the tenant tier's priority
    first, then longest waiting). ``cursor``: the ``next_cursor`` of the previous page; a
    malformed one, or one of another order, raises ``QueryError``.
    """
    if order not in QUEUE_ORDERS:
        raise QueryError(f"unknown queue order {order!r}; use one of {', '.join(QUEUE_ORDERS)}")
    limit = max(1, min(limit, MAX_QUEUE_PAGE))
    conditions = [Document.status == DocumentStatus.NEEDS_REVIEW, *tenant_scope(tenant_id)]
    if cursor:
        conditions.append(_after_cursor(order, cursor))
    keys: list[Any] = [Document.finished_at, Document.id]
    if order == "tier":
        keys.insert(0, Document.priority.desc())
    statement = (
        sa.select(Document, Extraction.version, Extraction.review_flags, Extraction.result)
        .outerjoin(
            Extraction, sa.and_(Extraction.document_id == Document.id, Extraction.is_current.is_(True))
        )
        .where(*conditions)
        .order_by(*keys)
        .limit(limit + 1)
    )
    rows = session.execute(statement).all()
    items = [
        ReviewItem(
            document_id=d.id,
            tenant_id=d.tenant_id,
            file_name=d.file_name,
            schema_name=d.schema_name,
            licence_tier=d.licence_tier,
            priority=d.priority,
            reason=d.reason,
            created_at=d.created_at,
            waiting_since=d.finished_at,
            version=version,
            review_flags=list(flags or []),
            flagged_fields=_flagged_fields(list(flags or []), result),
        )
        for d, version, flags, result in rows[:limit]
    ]
    more = len(rows) > limit and items[-1].waiting_since is not None
    return ReviewPage(items, _encode_cursor(order, items[-1]) if more else None)
