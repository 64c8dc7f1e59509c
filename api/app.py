"""The FastAPI application factory: routers, problem-details handlers, and the lifetime of
the database engine, the processing trigger (in-process worker or Prefect) and the sweeper.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import Depends, FastAPI

from api.callbacks import CallbackSender
from api.callers import CallerCache
from api.docs import install_docs
from api.inputs import refuse_control_characters
from api.limits import BodyGuard, UploadSlots
from api.page_images import PageImages
from api.problems import install_problem_handlers, install_problem_openapi
from api.ratelimit import RateLimiter
from api.routes import documents, health, webhooks
from api.state import ApiState
from api.web_sessions import WebSessions
from core.logging import configure_logging, get_logger
from core.settings import Settings
from flows.sweeper import sweep_loop
from flows.trigger import InProcessWorker, PrefectTrigger, prefect_configured
from storage.blobs import BlobStore
from storage.database import make_engine, make_session_factory

log = get_logger("api")


def create_app(
    settings: Settings,
    *,
    process: bool = True,
    sweep: bool = True,
    engine_name: str | None = None,
    callback_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """An app bound to ``settings``.

    ``process``: start processing uploads in this process (the in-process worker, or a
    Prefect deployment run per upload when ``PREFECT_API_URL`` is set); False only registers
    them. ``sweep``: run the sweeper loop next to the in-process worker. Both start with the
    app's lifespan (uvicorn runs it; an ASGI test client must enter
    ``app.router.lifespan_context(app)``). ``callback_transport``: where callbacks are sent
    instead of the network (tests); the URL rules apply all the same.
    """
    db = make_engine(settings)
    sessions = make_session_factory(db)
    state = ApiState(
        settings=settings,
        db=db,
        sessions=sessions,
        blobs=BlobStore(settings.storage.blob_dir),
        limiter=RateLimiter(rate=settings.api.rate_limit_per_second, burst=settings.api.rate_limit_burst),
        callers=CallerCache(settings.api.api_key_cache_s),
        upload_slots=UploadSlots(limit=settings.api.upload_concurrency),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        callbacks = CallbackSender(settings, sessions, transport=callback_transport)
        app.state.folio_callbacks = callbacks  # the review's decisions notify through it too
        tasks: list[asyncio.Task[None]] = []
        try:
            if process and prefect_configured():
                state.trigger = PrefectTrigger(settings)
            elif process:
                worker = InProcessWorker(settings, on_finished=callbacks.on_finished, engine_name=engine_name)
                state.worker = state.trigger = worker
                tasks.append(asyncio.create_task(worker.run(), name="folio-worker"))
                await worker.wait_ready()
                if sweep and worker.pipeline is not None:
                    tasks.append(
                        asyncio.create_task(
                            sweep_loop(worker.pipeline, worker, settings=settings), name="folio-sweeper"
                        )
                    )
            yield
        finally:
            for task in reversed(tasks):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await callbacks.drain(timeout=5.0)
            await callbacks.aclose()
            await images.aclose()
            state.trigger = state.worker = None
            db.dispose()

    app = FastAPI(
        title="Folio",
        version="0.1.0",
        summary="Documents in, schema-validated JSON out, every cost on record.",
        lifespan=lifespan,
        # Every query and path parameter is printable text of bounded length, whatever the
        # route does with it (a NUL byte would fail inside PostgreSQL as a 500).
        dependencies=[Depends(refuse_control_characters)],
        # /docs and /redoc are served with local assets by api.docs (FastAPI's load a CDN).
        docs_url=None,
        redoc_url=None,
    )
    app.state.folio = state
    app.state.folio_web_sessions = WebSessions()
    app.state.folio_page_images = images = PageImages(settings)
    # Outside routing and every handler: it bounds bodies before any of them reads one.
    app.add_middleware(
        BodyGuard,
        slots=state.upload_slots,
        read_timeout_s=settings.api.upload_read_timeout_s,
        min_bytes_per_s=settings.api.upload_min_bytes_per_s,
        max_body_bytes=settings.api.max_json_body_bytes,
    )
    install_problem_handlers(app)
    app.include_router(health.router)
    app.include_router(documents.router)
    app.include_router(webhooks.router)

    # The analysts' routers: queries, reports and the dashboard.
    from api.routes import dashboard, dashboard_documents, query, reports

    app.include_router(query.router)
    app.include_router(reports.router)
    app.include_router(dashboard.router)
    app.include_router(dashboard_documents.router)

    # The review queue: its API, the page images, and the browser pages with their sign-in.
    from api.routes import page_images, review, review_page, signin

    app.include_router(review.router)
    app.include_router(page_images.router)
    app.include_router(signin.router)
    app.include_router(review_page.router)

    install_docs(app)
    install_problem_openapi(app)

    return app


def create_app_from_environment() -> FastAPI:
    """The app for ``Settings()`` read from the environment: the factory each uvicorn worker
    process calls when ``folio serve --workers N`` runs several (``FOLIO_API_PROCESS`` says
    whether uploads are processed in the process)."""
    settings = Settings()
    configure_logging(settings.logging.level)
    return create_app(settings, process=settings.api.api_process)
