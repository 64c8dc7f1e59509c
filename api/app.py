"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from core.settings import Settings
from storage.database import make_engine


def create_app(settings: Settings) -> FastAPI:
    """An app bound to ``settings`` (one database engine for its lifetime)."""
    db = make_engine(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        db.dispose()

    app = FastAPI(title="Folio", version="0.1.0", lifespan=lifespan)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"])
    def readyz() -> Any:
        """The database answers."""
        try:
            with db.connect() as conn:
                conn.execute(sa.text("select 1"))
        except Exception as exc:  # report, never crash the probe
            return JSONResponse(
                {"status": "unavailable", "database": str(exc)[:200]}, status_code=503
            )
        return {"status": "ok", "database": "ok"}

    return app
