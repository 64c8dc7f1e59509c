"""``/healthz`` (the process is up) and ``/readyz`` (database and engine reachable)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError

from api.deps import StateDep

router = APIRouter(tags=["health"])


class Readiness(BaseModel):
    """What ``/readyz`` found."""

    status: str = Field(description="ok, or unavailable (503).")
    database: str = Field(description="ok, or why the database is unavailable.")
    engine: str = Field(description="ok, or why the engine is unreachable.")


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


def _database(state: StateDep) -> str:
    try:
        with state.db.connect() as conn:
            conn.execute(sa.text("select 1"))
    except (SQLAlchemyError, OSError) as exc:  # unreachable, refused, timed out: reported, not raised
        return f"unavailable: {str(exc)[:200]}"
    return "ok"


async def _engine(state: StateDep) -> str:
    worker = state.worker
    if worker is not None:
        if not worker.alive:
            return "unavailable: the in-process worker is not running"
        pipeline = worker.pipeline
        name = pipeline.engine.name if pipeline is not None else "?"
        if name != "llama":
            return "ok"
    elif state.settings.extraction.engine == "local" or not state.settings.llm.base_urls:
        return "ok"  # the local engine runs in-process: nothing to reach
    # A model server: any replica answering /models is enough to make progress.
    async with httpx.AsyncClient(timeout=2.0) as client:
        for base in state.settings.llm.base_urls:
            try:
                response = await client.get(f"{base}/models")
                if response.status_code < 500:
                    return "ok"
            except httpx.HTTPError:
                continue
    return "unavailable: no model server answered"


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "The database or the engine is unavailable"}},
)
async def readyz(state: StateDep) -> Any:
    """The database answers and the engine is reachable (503 otherwise)."""
    database = await asyncio.to_thread(_database, state)
    engine = await _engine(state)
    ready = database == "ok" and engine == "ok"
    body = {"status": "ok" if ready else "unavailable", "database": database, "engine": engine}
    return JSONResponse(body, status_code=200 if ready else 503)
