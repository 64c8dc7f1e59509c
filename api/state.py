"""What the API process holds for its lifetime, built once by ``create_app``."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from api.ratelimit import RateLimiter
from core.settings import Settings
from flows.trigger import InProcessWorker, ProcessingTrigger
from storage.blobs import BlobStore


@dataclass
class ApiState:
    """The settings, database, blob store, rate limiter and processing trigger of one app."""

    settings: Settings
    db: sa.Engine
    sessions: sessionmaker[Session]
    blobs: BlobStore
    limiter: RateLimiter
    trigger: ProcessingTrigger | None = None  # None: uploads wait for the sweeper / a worker
    worker: InProcessWorker | None = None
