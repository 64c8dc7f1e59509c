"""The pipeline's model-server step: a document for the ``llama`` engine goes on only when a
model server is ready.

vLLM takes up to about half an hour to load Llama 4's weights, and answers nothing while it
does. A document that arrives meanwhile is not quietly handed to the weaker local engine:

- its tier chose ``model_unavailable = "fallback"``: it goes to the tier's fallback engine
  now, and the document records that decision (``routed``, code ``model_unavailable``);
- otherwise it goes back to the queue with the reason shown (the sweeper brings it back
  every ``sweep_queued_after_s``), for at most ``llm_startup_wait_s`` after it was
  registered; after that it fails with ``model_unavailable`` (it can be retried).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from core.logging import get_logger
from extractors.engines.base import Engine
from flows.cost_rules import MODEL_UNAVAILABLE, CostRules, routed_to_local
from flows.steps import Ending, end_document, record_decision
from flows.worker import Pipeline
from models.document import DocumentStatus
from models.policy import PolicyDecision
from storage import repository as repo
from storage.tables import utcnow

__all__ = ["MODEL_UNAVAILABLE", "ReadyOutcome", "ServedEngine", "model_server_step"]

log = get_logger("readiness")


@runtime_checkable
class ServedEngine(Protocol):
    """An engine behind a model server that can say whether the server is ready."""

    async def ready(self) -> bool: ...


@dataclass(frozen=True)
class ReadyOutcome:
    """Go on with ``engine`` (and ``decision``), or stop here with the ``stopped`` ending."""

    engine: Engine
    decision: PolicyDecision
    stopped: Ending | None = None


async def model_server_step(
    pipeline: Pipeline, document_id: str, rules: CostRules, decision: PolicyDecision, engine: Engine
) -> ReadyOutcome:
    """Step 1b: the engine as decided when its server is ready; else the tier's fallback, a
    wait in the queue, or ``failed`` past ``llm_startup_wait_s`` (see the module)."""
    if not isinstance(engine, ServedEngine) or await engine.ready():
        return ReadyOutcome(engine, decision)
    settings = pipeline.settings
    tier = rules.tiers.get(decision.tier)  # the policy step blocked unknown tiers already
    servers = ", ".join(settings.llm.base_urls)
    if tier.model_unavailable == "fallback" and tier.fallback_engine == "local":
        routed = routed_to_local(rules, decision, servers)
        if routed is not None:
            with pipeline.sessions.begin() as session:
                record_decision(session, document_id, routed)
            return ReadyOutcome(pipeline.engine_for(routed), routed)
    with pipeline.sessions() as session:
        document = repo.get_document(session, document_id)
        registered = document.created_at if document is not None else utcnow()
    if registered.tzinfo is None:
        registered = registered.replace(tzinfo=dt.UTC)
    waited = (utcnow() - registered).total_seconds()
    deadline = settings.llm.startup_wait_s
    if waited < deadline:
        reason = (
            f"waiting for the model server ({servers}) to be ready, e.g. still loading its "
            f"weights: queued {waited:,.0f} s of at most {deadline:,.0f} s (FOLIO_LLM_STARTUP_WAIT_S)"
        )
        waiting = Ending(DocumentStatus.QUEUED, reason, MODEL_UNAVAILABLE)
        end_document(pipeline, document_id, waiting)
        log.info("document %s: %s", document_id, reason)
        return ReadyOutcome(engine, decision, waiting)
    reason = (
        f"no model server ({servers}) was ready within {deadline:,.0f} s of the document's "
        "arrival (FOLIO_LLM_STARTUP_WAIT_S); the document can be retried"
    )
    failed = Ending(DocumentStatus.FAILED, reason, MODEL_UNAVAILABLE)
    return ReadyOutcome(engine, decision, end_document(pipeline, document_id, failed))
