"""``/v1/documents``: upload, status, result, listing; each tenant sees only its own."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from api.deps import CallerDep, SessionDep, StateDep, TenantCallerDep
from api.ingest import ingest
from api.inputs import CURSOR_MAX, DOCUMENT_ID_MAX, SCHEMA_NAME_MAX, TENANT_NAME_MAX, aware_utc
from api.problems import ApiProblem
from api.schemas import (
    DocumentPublic,
    DocumentsPublic,
    ExtractionPublic,
    FieldPublic,
    Problem,
    UploadAccepted,
)
from api.uploads import parse_upload
from flows.results import outcome_of
from models.document import DocumentStatus
from models.extraction import DocumentExtraction, ExtractedField
from storage import repository as repo
from storage.tables import Document

router = APIRouter(prefix="/v1/documents", tags=["documents"])
_SORT = "-created_at"  # the listing's order, newest first; its cursors are the query API's

PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "content": {"application/problem+json": {}}} for code in (401, 404, 422, 429)
}

UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "schema": {"type": "string", "description": "Extraction schema name."},
                        "idempotency_key": {"type": "string", "maxLength": 200},
                        "callback_url": {"type": "string", "format": "uri"},
                    },
                }
            }
        },
    }
}


def upload_response(document_id: str, status: DocumentStatus, created: bool) -> JSONResponse:
    """202 with the new document, or 200 with the one these bytes already are."""
    location = f"/v1/documents/{document_id}"
    body = UploadAccepted(id=document_id, status=status, created=created, location=location)
    return JSONResponse(
        body.model_dump(mode="json"),
        status_code=202 if created else 200,
        headers={"Location": location},
    )


@router.post(
    "",
    status_code=202,
    response_model=UploadAccepted,
    openapi_extra=UPLOAD_BODY,
    responses={
        200: {"model": UploadAccepted, "description": "Already a document"},
        **PROBLEMS,
        400: {"model": Problem, "description": "A malformed multipart body"},
        409: {"model": Problem, "description": "The idempotency key was used for other bytes or schema"},
        413: {"model": Problem, "description": "The body is over FOLIO_MAX_UPLOAD_BYTES"},
        415: {"model": Problem, "description": "Not multipart, or not a PDF or an image"},
    },
)
async def upload_document(request: Request, caller: TenantCallerDep, state: StateDep) -> Any:
    """Upload a file (multipart: ``file``, ``schema``, optional ``idempotency_key`` and
    ``callback_url``). 202 for a new document, 200 when the same bytes, tenant and schema
    already are one; processing starts right after the commit."""
    form = await parse_upload(request, state.settings.api.max_upload_bytes)
    try:
        done = await ingest(state, caller, form, source="api")
    finally:
        form.close()
    return upload_response(done.document_id, done.status, done.created)


def _owned(session: SessionDep, caller: CallerDep, document_id: str) -> Document:
    # An id longer than the column cannot name a row (control characters were refused
    # app-wide): answer without asking the database.
    document = (
        repo.get_document(session, document_id, tenant_id=caller.tenant_scope)
        if len(document_id) <= DOCUMENT_ID_MAX
        else None
    )
    if document is None:
        # Same answer for "missing" and "another tenant's": nothing can be inferred.
        raise ApiProblem(404, f"no document {document_id}")
    return document


@router.get("/{document_id}", response_model=DocumentPublic, responses=PROBLEMS)
def get_document(document_id: str, session: SessionDep, caller: CallerDep) -> DocumentPublic:
    """A document's status, reason, cost, licence tier and timings."""
    return DocumentPublic.of(outcome_of(_owned(session, caller, document_id)))


def _field(field: ExtractedField) -> FieldPublic:
    return FieldPublic(
        value=field.value,
        confidence=field.confidence,
        page=field.page,
        source_text=field.source_text,
        flags=list(field.flags),
    )


@router.get("/{document_id}/result", response_model=ExtractionPublic, responses=PROBLEMS)
def get_result(document_id: str, session: SessionDep, caller: CallerDep) -> ExtractionPublic:
    """The current extraction: per field its value, confidence, page and source text."""
    document = _owned(session, caller, document_id)
    current = repo.current_extraction(session, document.id)
    if current is None:
        raise ApiProblem(
            404, f"document {document.id} has no extraction yet (status {document.status.value})"
        )
    extraction = DocumentExtraction.model_validate(current.result)
    return ExtractionPublic(
        document_id=document.id,
        status=document.status,
        version=current.version,
        schema_name=extraction.schema_name,
        engine=extraction.engine,
        model=extraction.model,
        fields={name: _field(f) for name, f in extraction.fields.items()},
        tables={
            name: [{col: _field(cell) for col, cell in row.items()} for row in rows]
            for name, rows in extraction.tables.items()
        },
        review_flags=list(extraction.review_flags),
        page_failures=[f.model_dump(mode="json") for f in extraction.page_failures],
    )


@router.get("", response_model=DocumentsPublic, responses=PROBLEMS)
def list_documents(  # noqa: PLR0913 - one parameter per filter
    session: SessionDep,
    caller: CallerDep,
    status: DocumentStatus | None = None,
    schema: Annotated[str | None, Query(max_length=SCHEMA_NAME_MAX)] = None,
    tenant: Annotated[
        str | None, Query(max_length=TENANT_NAME_MAX, description="Tenant name; admin keys only.")
    ] = None,
    created_after: dt.datetime | None = None,
    created_before: dt.datetime | None = None,
    cursor: Annotated[
        str | None, Query(max_length=CURSOR_MAX, description="next_cursor of the previous page.")
    ] = None,
    offset: Annotated[
        int, Query(ge=0, le=1_000_000, description="Deprecated: use cursor (ignored when a cursor is given).")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> DocumentsPublic:
    """The caller's documents, newest first, filtered and paginated (admins: everyone's, or one
    tenant's with ``tenant``)."""
    if tenant is not None and not caller.is_admin:
        raise ApiProblem(403, "filtering by tenant needs an admin key")
    try:
        after = repo.decode_cursor(cursor, _SORT) if cursor else None
    except repo.QueryError as exc:
        raise ApiProblem(422, exc.message) from None
    page = repo.page_documents(
        session,
        tenant_id=caller.tenant_scope,
        tenant_name=tenant,
        status=status,
        schema_name=schema,
        created_after=aware_utc("created_after", created_after, assume_utc=False),
        created_before=aware_utc("created_before", created_before, assume_utc=False),
        after=after,
        offset=offset,
        limit=limit + 1,  # one more than the page: is there a next one?
    )
    documents = page.documents[:limit]
    last = documents[-1] if len(page.documents) > limit else None
    following = offset + len(documents)
    return DocumentsPublic(
        data=[DocumentPublic.of(outcome_of(d)) for d in documents],
        count=page.total,
        limit=limit,
        next_cursor=repo.encode_cursor(_SORT, last.created_at, last.id) if last is not None else None,
        offset=offset if after is None else 0,
        next_offset=following if after is None and following < page.total else None,
    )
