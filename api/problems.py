"""Problem details (RFC 9457): every 4xx and 5xx answer is ``application/problem+json``."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from api.schemas import Problem
from core.errors import BadInputError, ConfigurationError, FolioError
from core.logging import get_logger

log = get_logger("api")

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://folio.dev/problems/"
# Requests that carry a body: ``api.limits`` bounds them, the OpenAPI document says so.
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class ApiProblem(Exception):
    """Raised by routes: becomes a problem+json answer with ``status`` and ``detail``."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        type_: str | None = None,
        title: str | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.type = type_ or _default_type(status)
        self.title = title or HTTPStatus(status).phrase
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})


def _default_type(status: int) -> str:
    return TYPE_BASE + HTTPStatus(status).phrase.lower().replace(" ", "-").replace("'", "")


def problem_response(
    status: int,
    detail: str,
    *,
    type_: str | None = None,
    title: str | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> JSONResponse:
    """A problem+json response."""
    body: dict[str, Any] = {
        "type": type_ or _default_type(status),
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        **(extra or {}),
    }
    return JSONResponse(
        jsonable_encoder(body),
        status_code=status,
        headers=dict(headers or {}),
        media_type=PROBLEM_JSON,
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error, ours and the framework's, as problem+json."""

    @app.exception_handler(ApiProblem)
    async def _problem(_: Request, exc: ApiProblem) -> JSONResponse:
        return problem_response(
            exc.status,
            exc.detail,
            type_=exc.type,
            title=exc.title,
            headers=exc.headers,
            extra=exc.extra,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        unreadable = _unreadable_body(exc)
        if unreadable is not None:
            return unreadable
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return problem_response(exc.status_code, detail, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(part) for part in first["loc"])
        return problem_response(
            422,
            f"{where}: {first['msg']}" if where else str(first["msg"]),
            type_=TYPE_BASE + "validation",
            title="Request validation failed",
            extra={"errors": errors},
        )

    @app.exception_handler(BadInputError)
    async def _bad_input(_: Request, exc: BadInputError) -> JSONResponse:
        return problem_response(422, exc.message, type_=TYPE_BASE + exc.code)

    @app.exception_handler(ConfigurationError)
    async def _configuration(_: Request, exc: ConfigurationError) -> JSONResponse:
        # Raised for the caller's options too (e.g. an unknown schema name).
        return problem_response(422, exc.message, type_=TYPE_BASE + exc.code)

    @app.exception_handler(ClientDisconnect)
    async def _gone(request: Request, _: ClientDisconnect) -> JSONResponse:
        # The client closed the connection before its body ended: nobody reads the answer,
        # and it is no server fault (nginx logs these as 499).
        log.info("client went away during %s %s", request.method, request.url.path)
        return problem_response(400, "the client closed the connection before the request body ended")

    @app.exception_handler(FolioError)
    async def _folio(_: Request, exc: FolioError) -> JSONResponse:
        log.error("request failed: %s (%s)", exc.message, exc.code)
        return problem_response(500, "internal error; see the server log", type_=TYPE_BASE + exc.code)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return problem_response(500, "internal error; see the server log")


def _unreadable_body(exc: StarletteHTTPException) -> JSONResponse | None:
    """What a JSON body route answers when FastAPI could not read its body, by the cause.

    FastAPI turns any failure while reading a JSON body, other than a JSON syntax error
    (which it answers 422 ``json_invalid``), into a bare 400 "error parsing the body" that no
    operation documents: a body that is not UTF-8 text, and also the problems
    ``api.limits`` raises while the body arrives (408). The first is answered as FastAPI
    answers malformed JSON (422, one rule for every body that is not JSON), the others as
    themselves. None: not such a failure.
    """
    cause = exc.__cause__
    if exc.status_code != 400 or cause is None:
        return None
    if isinstance(cause, ApiProblem):
        return problem_response(
            cause.status, cause.detail, type_=cause.type, title=cause.title, headers=cause.headers
        )
    if isinstance(cause, ValueError):  # UnicodeDecodeError: the bytes are not JSON text
        error = {"loc": ["body"], "msg": f"JSON decode error: {cause}", "type": "json_invalid"}
        return problem_response(
            422,
            "body: the body is not JSON text (JSON is UTF-8)",
            type_=TYPE_BASE + "validation",
            title="Request validation failed",
            extra={"errors": [error]},
        )
    return None


# Statuses every operation of a kind can answer, beyond those its route lists.
PUBLIC_PATHS = frozenset({"/healthz", "/readyz"})


def _problem_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def install_problem_openapi(app: FastAPI) -> None:
    """Make the OpenAPI document say what the handlers above do: every 4xx and 5xx answer
    is ``application/problem+json`` with the ``Problem`` schema (FastAPI would document
    ``application/json`` and its own validation body), and every operation behind a key or
    ticket (all but ``PUBLIC_PATHS``) lists what the credential check can answer: 401
    (no valid key), 403 (a key that may not do this) and 429 (over the rate limit). Every
    operation that takes a body also lists what ``api.limits`` answers: 408 (the body came
    too slowly), 413 (the body is over its cap) and 503 (all upload slots busy). Those
    operations also name the bearer security scheme (an API key), so Swagger UI's Authorize
    button sends it.
    """

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
        )
        document.setdefault("components", {})["securitySchemes"] = {BEARER: _BEARER_SCHEME}
        components = document["components"].setdefault("schemas", {})
        components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        for path, operations in document.get("paths", {}).items():
            for method, operation in operations.items():
                responses: dict[str, Any] = operation.setdefault("responses", {})
                if path in PUBLIC_PATHS:
                    continue  # probes answer plain JSON, documented by their routes
                operation.setdefault("security", [{BEARER: []}])
                for code, description in _CREDENTIAL_PROBLEMS.items():
                    responses.setdefault(code, {"description": description})
                if method.upper() in BODY_METHODS:
                    for code, description in _BODY_PROBLEMS.items():
                        responses.setdefault(code, {"description": description})
                for code, response in responses.items():
                    if code == "default" or int(code) >= 400:
                        responses[code] = _problem_response(response.get("description") or "Problem")
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]


_BODY_PROBLEMS = {
    "408": "The request body arrived too slowly (FOLIO_UPLOAD_READ_TIMEOUT_S)",
    "413": "The request body is over its cap (FOLIO_MAX_JSON_BODY_BYTES; uploads: FOLIO_MAX_UPLOAD_BYTES)",
    "503": "Every upload slot of this server is busy (FOLIO_UPLOAD_CONCURRENCY); see Retry-After",
}
BEARER = "bearerAuth"
_BEARER_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": "A tenant's or an admin's API key (`folio tenant key create NAME`), sent as "
    "`Authorization: Bearer <key>`.",
}
_CREDENTIAL_PROBLEMS = {
    "401": "No valid API key (or dashboard ticket)",
    "403": "The key may not do this (an admin-only or a tenant-only operation)",
    "429": "Over the tenant's rate limit (see Retry-After)",
}
