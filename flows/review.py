"""The review queue's actions as the API and the CLI call them: each opens its own
transaction, and approval or rejection, once committed, notifies the way every final status
does (the ``on_finished`` hook the in-process worker calls: the API's callback sender).

    page = review_queue(sessions, tenant_id=None, order="oldest", limit=50)
    row = correct_document(sessions, document_id=d, tenant_id=t, expected_version=2,
                           fields={"total_amount": "12.50"}, author="alice")
    run = await approve_document(sessions, document_id=d, tenant_id=t,
                                 expected_version=row.version, author="alice",
                                 on_finished=callbacks.on_finished)

Errors (nothing is written when one is raised): ``repo.DocumentNotFoundError`` (missing, or
another tenant's: 404), ``repo.StaleVersionError`` and ``repo.NotInReviewError`` (both
``repo.ReviewConflictError``: 409), ``models.corrections.FieldValueError`` (a bad path or
value, naming the field: 422), ``repo.QueryError`` (a bad queue cursor or order: 422).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from core.logging import get_logger
from core.settings import Settings
from flows.pipeline import DocumentRun
from flows.trigger import OnFinished
from flows.vendor_memory import learn_from_approval
from storage import repository as repo
from storage.tables import Extraction

log = get_logger("review")


def review_queue(
    sessions: sessionmaker[Session],
    *,
    tenant_id: int | None,
    order: repo.QueueOrder = "oldest",
    limit: int = 50,
    cursor: str | None = None,
) -> repo.ReviewPage:
    """One page of ``needs_review`` documents (see ``repo.review_queue``)."""
    with sessions() as session:
        return repo.review_queue(session, tenant_id=tenant_id, order=order, limit=limit, cursor=cursor)


def review_detail(
    sessions: sessionmaker[Session], *, document_id: str, tenant_id: int | None
) -> repo.ReviewDetail:
    """A document with its current extraction and its corrections so far."""
    with sessions() as session:
        return repo.review_document(session, document_id=document_id, tenant_id=tenant_id)


def correct_document(  # noqa: PLR0913 - keyword-only, one per part of the request
    sessions: sessionmaker[Session],
    *,
    document_id: str,
    tenant_id: int | None,
    expected_version: int,
    fields: Mapping[str, Any],
    author: str,
) -> Extraction:
    """Apply a person's corrections in one transaction; the current extraction afterwards
    (a new version, or the same one when nothing changed). The status does not change, so
    nothing is notified."""
    with sessions.begin() as session:
        return repo.correct_fields(
            session,
            document_id=document_id,
            tenant_id=tenant_id,
            expected_version=expected_version,
            fields=fields,
            author=author,
        )


async def _notify(run: DocumentRun, on_finished: OnFinished | None) -> None:
    if on_finished is None:
        return
    try:
        await on_finished(run)
    except Exception:  # the review is committed; a callback problem must not undo its answer
        log.exception("notifying the end of review of %s failed", run.document_id)


def _run_of(document: Any) -> DocumentRun:
    return DocumentRun(
        document_id=document.id, status=document.status, reason=document.reason, processed=True
    )


async def _end_in_thread(
    sessions: sessionmaker[Session], end: Callable[..., Any], **request: Any
) -> DocumentRun:
    """Run a review ending (``repo.approve`` / ``repo.reject``) in its own transaction, off the
    event loop; the document's run as it now stands."""

    def write() -> DocumentRun:
        with sessions.begin() as session:
            return _run_of(end(session, **request))

    return await asyncio.to_thread(write)


async def approve_document(  # noqa: PLR0913 - keyword-only, one per part of the request
    sessions: sessionmaker[Session],
    *,
    document_id: str,
    tenant_id: int | None,
    expected_version: int,
    author: str,
    on_finished: OnFinished | None = None,
    learn_with: Settings | None = None,
) -> DocumentRun:
    """End a ``needs_review`` document ``done`` (reviewed by ``author``), then notify.

    ``learn_with``: the settings to teach the tenant's vendor memory with (the approved
    values and where they sit on the pages, ``flows.vendor_memory``), after the approval is
    committed and before notifying; None learns nothing. Learning never undoes an approval.
    """

    run = await _end_in_thread(
        sessions,
        repo.approve,
        document_id=document_id,
        tenant_id=tenant_id,
        expected_version=expected_version,
        author=author,
    )
    if learn_with is not None:  # teach the tenant's vendor memory
        await learn_from_approval(learn_with, sessions, document_id=document_id)
    await _notify(run, on_finished)
    return run


async def reject_document(  # noqa: PLR0913 - keyword-only, one per part of the request
    sessions: sessionmaker[Session],
    *,
    document_id: str,
    tenant_id: int | None,
    expected_version: int,
    author: str,
    reason: str,
    on_finished: OnFinished | None = None,
) -> DocumentRun:
    """End a ``needs_review`` document ``rejected`` with the reviewer's ``reason``, then notify."""

    run = await _end_in_thread(
        sessions,
        repo.reject,
        document_id=document_id,
        tenant_id=tenant_id,
        expected_version=expected_version,
        author=author,
        reason=reason,
    )
    await _notify(run, on_finished)
    return run
