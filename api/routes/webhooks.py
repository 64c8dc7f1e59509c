"""``POST /v1/webhooks/documents``: files pushed by systems holding the shared secret.

The body is the same multipart form as ``POST /v1/documents`` plus a ``tenant`` field naming
the tenant. The whole body is signed (``X-Folio-Signature: sha256=<hex>`` of
HMAC-SHA256(FOLIO_WEBHOOK_SECRET, f"{X-Folio-Timestamp}." + body)), so the tenant name is
covered by the signature and cannot be changed in flight.

A stranger must cost next to nothing: missing, malformed or stale (outside the replay window)
signature headers answer 401 before a byte of the body is read (and the connection is
closed, see ``api.limits``); a body over the cap is refused on its ``Content-Length`` or as
soon as it passes the cap; otherwise the body streams to a temporary file on disk while its
HMAC is computed, and a wrong signature answers 401 before the body is parsed.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request

from api.deps import Caller, StateDep
from api.ingest import ingest
from api.inputs import TENANT_NAME_MAX, checked_text
from api.problems import ApiProblem
from api.ratelimit import retry_after_header
from api.routes.documents import PROBLEMS, UPLOAD_BODY, upload_response
from api.schemas import Problem, UploadAccepted
from api.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, BodyMac, SignatureError, check_headers
from api.state import ApiState
from api.uploads import parse_spooled, spool_body
from storage import repository as repo

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

_WEBHOOK_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    **UPLOAD_BODY["requestBody"]["content"]["multipart/form-data"]["schema"],
                    "required": ["file", "tenant"],
                }
            }
        },
    },
    "parameters": [
        {"name": TIMESTAMP_HEADER, "in": "header", "required": True, "schema": {"type": "string"}},
        {"name": SIGNATURE_HEADER, "in": "header", "required": True, "schema": {"type": "string"}},
    ],
}
_WEBHOOK_BODY["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"] = {
    **UPLOAD_BODY["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"],
    "tenant": {"type": "string", "description": "Tenant the file is for."},
}


def _tenant_caller(state: ApiState, name: str) -> Caller:
    # Only existing tenants: a signed push never creates one.
    with state.sessions() as session:
        tenant = repo.get_tenant(session, name=name)
        if tenant is None:
            raise ApiProblem(422, f"unknown tenant {name!r}")
        return Caller(tenant_id=tenant.id, tenant_name=tenant.name)


@router.post(
    "/documents",
    status_code=202,
    response_model=UploadAccepted,
    openapi_extra=_WEBHOOK_BODY,
    responses={
        200: {"model": UploadAccepted},
        **PROBLEMS,
        400: {"model": Problem, "description": "A malformed multipart body"},
        409: {"model": Problem, "description": "The idempotency key was used for other bytes or schema"},
        413: {"model": Problem, "description": "The body is over FOLIO_MAX_UPLOAD_BYTES"},
        415: {"model": Problem, "description": "Not multipart, or not a PDF or an image"},
    },
)
async def webhook_document(request: Request, state: StateDep) -> Any:
    """Register a file pushed by a system holding the webhook secret (signed body)."""
    secret = state.settings.api.webhook_secret
    if secret is None:
        raise ApiProblem(401, "the webhook is not configured (FOLIO_WEBHOOK_SECRET is unset)")
    try:
        signed = check_headers(
            timestamp=request.headers.get(TIMESTAMP_HEADER),
            signature=request.headers.get(SIGNATURE_HEADER),
            window_s=state.settings.api.webhook_replay_window_s,
        )
    except SignatureError as exc:
        raise ApiProblem(401, f"bad webhook signature: {exc}") from None
    mac = BodyMac(secret.get_secret_value(), signed)
    body = await spool_body(request, state.settings.api.max_upload_bytes, mac.update)
    try:
        try:
            mac.verify()
        except SignatureError as exc:
            raise ApiProblem(401, f"bad webhook signature: {exc}") from None
        form = await parse_spooled(body, request.headers.get("content-type"))
    finally:
        body.close()
    try:
        tenant_name = form.fields.get("tenant", "").strip()
        checked_text("tenant", tenant_name, max_length=TENANT_NAME_MAX)
        if not tenant_name:
            raise ApiProblem(422, "the form has no 'tenant' field")
        caller = await asyncio.to_thread(_tenant_caller, state, tenant_name)
        wait = state.limiter.acquire(caller.tenant_id)
        if wait > 0:
            raise ApiProblem(
                429, "rate limit exceeded for this tenant", headers={"Retry-After": retry_after_header(wait)}
            )
        done = await ingest(state, caller, form, source="webhook")
    finally:
        form.close()
    return upload_response(done.document_id, done.status, done.created)
