"""What the API process holds for its lifetime, built once by ``create_app``."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from api.callers import CallerCache
from api.limits import UploadSlots
from api.ratelimit import RateLimiter
from core.settings import Settings
from flows.trigger import InProcessWorker, ProcessingTrigger
from storage.blobs import BlobStore


@dataclass
class ApiState:
    """The settings, database, blob store, rate limiter, caches and processing trigger of one
    app."""

    settings: Settings
    db: sa.Engine
    sessions: sessionmaker[Session]
    blobs: BlobStore
    limiter: RateLimiter
    callers: CallerCache
    upload_slots: UploadSlots  # requests with a body in progress (``api.limits``)
    trigger: ProcessingTrigger | None = None  # None: uploads wait for the sweeper / a worker
    worker: InProcessWorker | None = None
    # Custom schema names seen to exist: registered schemas are never removed, so an upload
    # naming one needs no look-up after the first.
    known_schemas: set[str] = field(default_factory=set)
