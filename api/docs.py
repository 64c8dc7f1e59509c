"""The API's own pages: ``/docs`` (Swagger UI) and ``/redoc`` with assets served by this app,
and ``/`` leading a person to the dashboard.

FastAPI's default pages load Swagger UI and ReDoc from a CDN, so they are blank on a machine
without internet. Here the same pages point at the copies the ``fastapi-offline`` package
ships (MIT; Swagger UI and ReDoc under their own licences, inside that wheel), mounted at
``/docs/assets``: nothing the pages load comes from outside the app.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

ASSETS_URL = "/docs/assets"
DOCS_URL = "/docs"
REDOC_URL = "/redoc"
_OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"

router = APIRouter(include_in_schema=False)


def assets_dir() -> Path:
    """The folder of Swagger UI's and ReDoc's files (from the ``fastapi-offline`` wheel)."""
    import fastapi_offline

    return Path(fastapi_offline.__file__).parent / "static"


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", ""))


@router.get("/", response_class=RedirectResponse)
def home() -> RedirectResponse:
    """People who open the server's address land on the dashboard (it asks them to sign in)."""
    return RedirectResponse("/dashboard", status_code=307)


@router.get(DOCS_URL, response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI over this app's OpenAPI document, every asset from this app."""
    root, app = _root(request), request.app
    return get_swagger_ui_html(
        openapi_url=f"{root}{app.openapi_url}",
        title=f"{app.title} API",
        swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
        oauth2_redirect_url=f"{root}{_OAUTH2_REDIRECT_URL}",
        swagger_ui_parameters={"persistAuthorization": True},
    )


@router.get(_OAUTH2_REDIRECT_URL, response_class=HTMLResponse)
def swagger_ui_redirect() -> HTMLResponse:
    """Swagger UI's OAuth2 helper page (self-contained)."""
    return get_swagger_ui_oauth2_redirect_html()


@router.get(REDOC_URL, response_class=HTMLResponse)
def redoc(request: Request) -> HTMLResponse:
    """ReDoc over this app's OpenAPI document, every asset from this app (no web fonts)."""
    root, app = _root(request), request.app
    return get_redoc_html(
        openapi_url=f"{root}{app.openapi_url}",
        title=f"{app.title} API reference",
        redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
        redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
        with_google_fonts=False,
    )


def install_docs(app: FastAPI) -> None:
    """Serve ``/docs``, ``/redoc``, their assets and the ``/`` redirect on ``app`` (built
    with ``docs_url=None, redoc_url=None``, so FastAPI's CDN pages are not there)."""
    app.mount(ASSETS_URL, StaticFiles(directory=assets_dir()), name="docs-assets")
    app.include_router(router)
