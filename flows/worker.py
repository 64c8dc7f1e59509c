"""What one worker holds while it processes documents (:class:`Pipeline`), and one claimed
document as the pipeline's steps see it (:class:`WorkItem`).

Both the pipeline (``flows.pipeline``) and its steps (``flows.steps``, ``flows.readiness``)
import this module, so the steps never import the pipeline back.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from core.settings import Settings
from extractors.engines.base import Engine
from extractors.engines.local import LocalEngine
from extractors.prepare import PagePreparer
from flows.cost_rules import CostRules
from models.document import FileKind
from models.policy import PolicyDecision, PolicyOutcome
from models.schemas import ExtractionSchema
from storage.blobs import BlobStore


def _owner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class Pipeline:
    """What one worker needs to process documents: opened once per flow run, shared by the
    documents it processes."""

    settings: Settings
    sessions: sessionmaker[Session]
    blobs: BlobStore
    preparer: PagePreparer
    engine: Engine
    owner: str = field(default_factory=_owner_name)
    # Engines documents are routed to by their tier's policy (opened on first use, closed
    # with the pipeline).
    fallback_engines: dict[str, Engine] = field(default_factory=dict)
    # Catalog, prices, tiers and licensee facts, read once per pipeline (None: read per use).
    cost_rules: CostRules | None = None

    def engine_for(self, decision: PolicyDecision) -> Engine:
        """The engine the decision names: this pipeline's own, or its (shared) fallback engine."""
        if decision.outcome is not PolicyOutcome.ROUTED or decision.engine == self.engine.name:
            return self.engine
        engine = self.fallback_engines.get(decision.engine)
        if engine is None:
            # The only fallback engine tiers may name; its OCR shares the render budget.
            engine = LocalEngine(self.settings, memory=self.preparer.memory)
            self.fallback_engines[decision.engine] = engine
        return engine


@dataclass(frozen=True)
class WorkItem:
    """One claimed document: its id, its stored file, its schema and the file's password."""

    document_id: str
    path: Path
    kind: FileKind
    schema: ExtractionSchema
    password: str | None
