"""The review queue over HTTP: ``GET /v1/review`` (documents waiting for a person, with why),
``GET /v1/review/{id}`` (one of them as a reviewer sees it), and the reviewer's decisions on
``/v1/documents/{id}``: ``PATCH .../fields`` (corrections: a new extraction version),
``POST .../approve`` and ``POST .../reject``.

Each tenant sees and decides only its own documents (another tenant's is 404); admins all.
The author of a change is the caller's API key, by name. The domain work (versions, the
audit trail, statuses, callbacks) is ``flows.review``'s; this module maps HTTP to it:
a stale ``extraction_version`` is a 409 naming the current one, a value the schema's type
refuses a 422 naming the field, a decision on a document not in review a 409.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from api.deps import KeyOrBrowserCallerDep, StateDep
from api.inputs import DOCUMENT_ID_MAX
from api.problems import TYPE_BASE, ApiProblem
from api.review_schemas import (
    Approval,
    FieldCorrections,
    Rejection,
    ReviewDecision,
    ReviewDocument,
    ReviewOrder,
    ReviewQueueItem,
    ReviewQueuePublic,
)
from api.review_view import review_view
from api.schemas import Problem
from api.state import ApiState
from flows import review as review_flow
from models.corrections import FieldValueError
from storage import repository as repo

router = APIRouter(tags=["review"])

PROBLEMS: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "No such document (or another tenant's)"},
}
DECISION_PROBLEMS: dict[int | str, dict[str, Any]] = {
    **PROBLEMS,
    409: {"model": Problem, "description": "A stale extraction_version, or the document is not in review"},
    422: {"model": Problem, "description": "A field the schema does not have, or a value its type refuses"},
}
QUEUE_PROBLEMS: dict[int | str, dict[str, Any]] = {
    422: {"model": Problem, "description": "A cursor this queue did not give out (or of another order)"},
}
CURSOR_MAX = 200


def _problem(exc: Exception) -> ApiProblem:
    """The review core's errors as HTTP problems."""
    if isinstance(exc, repo.StaleVersionError):
        return ApiProblem(
            409,
            exc.message,
            type_=TYPE_BASE + "stale-version",
            extra={"current_version": exc.current_version},
        )
    if isinstance(exc, repo.NotInReviewError):
        return ApiProblem(
            409, exc.message, type_=TYPE_BASE + "not-in-review", extra={"document_status": exc.status}
        )
    if isinstance(exc, FieldValueError):
        return ApiProblem(
            422,
            exc.message,
            type_=TYPE_BASE + "invalid-field",
            extra={
                "field": exc.field,
                "errors": [{"loc": ["body", "fields", exc.field], "msg": exc.problem}],
            },
        )
    if isinstance(exc, repo.DocumentNotFoundError):
        return ApiProblem(404, exc.message)
    if isinstance(exc, repo.QueryError):
        return ApiProblem(422, exc.message, type_=TYPE_BASE + exc.code)
    raise exc


REVIEW_ERRORS = (
    repo.ReviewConflictError,
    repo.DocumentNotFoundError,
    repo.QueryError,
    FieldValueError,
)


def _document_id(document_id: str) -> str:
    if len(document_id) > DOCUMENT_ID_MAX:  # cannot name a row: answer without the database
        raise ApiProblem(404, f"no document {document_id}")
    return document_id


@router.get("/v1/review", response_model=ReviewQueuePublic, responses=QUEUE_PROBLEMS)
def review_queue(
    state: StateDep,
    caller: KeyOrBrowserCallerDep,
    order: ReviewOrder = "oldest",
    cursor: Annotated[str | None, Query(max_length=CURSOR_MAX)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ReviewQueuePublic:
    """The caller's documents in ``needs_review`` (admins: everyone's), ``oldest`` first or
    by licence ``tier`` priority, each with the reasons and flagged fields; pass
    ``next_cursor`` back as ``cursor`` for the next page."""
    try:
        page = review_flow.review_queue(
            state.sessions, tenant_id=caller.tenant_scope, order=order, limit=limit, cursor=cursor
        )
    except REVIEW_ERRORS as exc:
        raise _problem(exc) from None
    return ReviewQueuePublic(
        data=[
            ReviewQueueItem(
                id=item.document_id,
                file_name=item.file_name,
                schema_name=item.schema_name,
                licence_tier=item.licence_tier,
                created_at=item.created_at,
                waiting_since=item.waiting_since,
                reason=item.reason,
                review_flags=item.review_flags,
                extraction_version=item.version,
                flagged_fields=item.flagged_fields,
            )
            for item in page.items
        ],
        order=order,
        limit=limit,
        next_cursor=page.next_cursor,
    )


def _view(state: ApiState, document_id: str, tenant_id: int | None) -> ReviewDocument:
    with state.sessions() as session:
        try:
            detail = repo.review_document(session, document_id=document_id, tenant_id=tenant_id)
        except REVIEW_ERRORS as exc:
            raise _problem(exc) from None
        view = review_view(session, detail)
    if view is None:
        status = detail.document.status.value
        raise ApiProblem(404, f"document {document_id} has no extraction to review ({status})")
    return view


@router.get("/v1/review/{document_id}", response_model=ReviewDocument, responses=PROBLEMS)
def review_one(document_id: str, state: StateDep, caller: KeyOrBrowserCallerDep) -> ReviewDocument:
    """One document as a reviewer sees it (any status): reasons, current version, every field
    of its schema with value, confidence, flags, type and box, the table cells, and the
    corrections made so far."""
    return _view(state, _document_id(document_id), caller.tenant_scope)


def _decision(state: ApiState, document_id: str, tenant_id: int | None, changed: list[str]) -> ReviewDecision:
    view = _view(state, document_id, tenant_id)
    return ReviewDecision(
        id=view.id,
        status=view.status,
        extraction_version=view.extraction_version,
        reviewed_by=view.reviewed_by,
        reviewed_at=view.reviewed_at,
        changed=changed,
    )


def _version_now(state: ApiState, document_id: str, tenant_id: int | None, seen: int | None) -> int:
    """The version a decision applies to: the one the reviewer saw, else the current one."""
    if seen is not None:
        return seen
    return _view(state, document_id, tenant_id).extraction_version


@router.patch(
    "/v1/documents/{document_id}/fields", response_model=ReviewDecision, responses=DECISION_PROBLEMS
)
def correct_fields(
    document_id: str, body: FieldCorrections, state: StateDep, caller: KeyOrBrowserCallerDep
) -> ReviewDecision:
    """Correct values of the current version: a new version made by a person (the caller's
    key is its author) and one audit row per changed field. ``extraction_version`` must be
    the current version (409 otherwise); each value must pass its schema type (422 naming
    the field). Values already so change nothing (no new version)."""
    document_id = _document_id(document_id)
    try:
        before = body.extraction_version
        row = review_flow.correct_document(
            state.sessions,
            document_id=document_id,
            tenant_id=caller.tenant_scope,
            expected_version=before,
            fields=body.fields,
            author=caller.author,
        )
    except REVIEW_ERRORS as exc:
        raise _problem(exc) from None
    changed = sorted(body.fields) if row.version != before else []
    return _decision(state, document_id, caller.tenant_scope, changed)


@router.post(
    "/v1/documents/{document_id}/approve", response_model=ReviewDecision, responses=DECISION_PROBLEMS
)
async def approve(
    document_id: str,
    state: StateDep,
    caller: KeyOrBrowserCallerDep,
    request: Request,
    body: Approval | None = None,
) -> ReviewDecision:
    """Approve a ``needs_review`` document as its version stands: it ends ``done``, reviewed
    by the caller's key (409 when it is not in review, or the version is stale)."""
    document_id, scope = _document_id(document_id), caller.tenant_scope
    try:
        version = await asyncio.to_thread(
            _version_now, state, document_id, scope, body.extraction_version if body else None
        )
        await review_flow.approve_document(
            state.sessions,
            document_id=document_id,
            tenant_id=scope,
            expected_version=version,
            author=caller.author,
            on_finished=_on_finished(request),
            learn_with=state.settings,
        )
    except REVIEW_ERRORS as exc:
        raise _problem(exc) from None
    return await asyncio.to_thread(_decision, state, document_id, scope, [])


@router.post("/v1/documents/{document_id}/reject", response_model=ReviewDecision, responses=DECISION_PROBLEMS)
async def reject(
    document_id: str, body: Rejection, state: StateDep, caller: KeyOrBrowserCallerDep, request: Request
) -> ReviewDecision:
    """Reject a ``needs_review`` document with a ``reason`` (shown to the tenant): it ends
    ``rejected`` with error code ``review_rejected``."""
    document_id, scope = _document_id(document_id), caller.tenant_scope
    try:
        version = await asyncio.to_thread(_version_now, state, document_id, scope, body.extraction_version)
        await review_flow.reject_document(
            state.sessions,
            document_id=document_id,
            tenant_id=scope,
            expected_version=version,
            author=caller.author,
            reason=body.reason,
            on_finished=_on_finished(request),
        )
    except REVIEW_ERRORS as exc:
        raise _problem(exc) from None
    return await asyncio.to_thread(_decision, state, document_id, scope, [])


def _on_finished(request: Request) -> Any:
    """The app's callback sender's hook (set while the app runs), or None."""
    sender = getattr(request.app.state, "folio_callbacks", None)
    return None if sender is None else sender.on_finished
