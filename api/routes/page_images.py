"""``GET /v1/documents/{id}/pages/{n}/image``: a page of the stored file as a JPEG, rendered
on demand and cached (``api.page_images``), for the review page and any other viewer."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from api.deps import KeyOrBrowserCallerDep, StateDep
from api.inputs import DOCUMENT_ID_MAX
from api.page_images import PageImageFailedError, PageImages
from api.problems import ApiProblem
from api.schemas import Problem
from api.state import ApiState
from storage import repository as repo

router = APIRouter(prefix="/v1/documents", tags=["review"])

MAX_PAGE_NUMBER = 100_000
CACHE_CONTROL = "private, max-age=3600"
IMAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}},
        "description": "The page",
    },
    304: {"description": "Not modified (If-None-Match matched the ETag)"},
    404: {"model": Problem, "description": "No such document (or another tenant's), or no such page"},
    422: {"model": Problem, "description": "The page cannot be rendered (damaged, over a limit)"},
}


def page_images(request: Request) -> PageImages:
    """The app's page renderer and cache (made by ``api.app.create_app``)."""
    images: PageImages = request.app.state.folio_page_images
    return images


def _locate(state: ApiState, document_id: str, page_number: int, tenant_id: int | None) -> tuple[Any, ...]:
    with state.sessions() as session:
        document = (
            repo.get_document(session, document_id, tenant_id=tenant_id)
            if len(document_id) <= DOCUMENT_ID_MAX
            else None
        )
        if document is None:
            raise ApiProblem(404, f"no document {document_id}")
        if document.blob_key is None or document.kind is None:
            raise ApiProblem(404, f"document {document_id} has no stored file to show")
        if document.page_count is None or not 1 <= page_number <= document.page_count:
            pages = "not counted yet" if document.page_count is None else f"{document.page_count} page(s)"
            raise ApiProblem(404, f"document {document_id} has no page {page_number} ({pages})")
        return document.sha256, document.kind


@router.get(
    "/{document_id}/pages/{page_number}/image",
    response_class=Response,
    responses=IMAGE_RESPONSES,
)
async def page_image(
    document_id: str,
    page_number: Annotated[int, Path(ge=1, le=MAX_PAGE_NUMBER, description="1-based page number.")],
    request: Request,
    caller: KeyOrBrowserCallerDep,
    state: StateDep,
) -> Response:
    """The page rendered as the engine saw it (JPEG, sized for the Llama 4 tile grid; field
    bounding boxes are fractions of its width and height). Cached: send ``If-None-Match``
    with the ETag for a 304."""
    sha256, kind = await asyncio.to_thread(_locate, state, document_id, page_number, caller.tenant_scope)
    images = page_images(request)
    etag = images.etag(sha256, page_number)
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "X-Content-Type-Options": "nosniff"}
    if etag in {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}:
        return Response(status_code=304, headers=headers)
    try:
        rendered = await images.render(state.blobs.path(sha256), kind, sha256, page_number)
    except PageImageFailedError as exc:
        raise ApiProblem(422, f"page {page_number} cannot be rendered: {exc.message}") from None
    return Response(rendered.jpeg, media_type="image/jpeg", headers=headers)
