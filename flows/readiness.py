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
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from core.logging import get_logger
from extractors.engines.base import Engine
from extractors.engines.local import LocalEngine
from flows.policy import CostRules, decide, engine_for
from models.document import DocumentStatus
from models.policy import PolicyDecision, PolicyOutcome
from storage import repository as repo
from storage.tables import utcnow

if TYPE_CHECKING:
    from flows.pipeline import Pipeline

log = get_logger("readiness")

MODEL_UNAVAILABLE = "model_unavailable"


@runtime_checkable
class ServedEngine(Protocol):
    """An engine behind a model server that can say whether the server is ready."""

    async def ready(self) -> bool: ...


@dataclass(frozen=True)
class ReadyOutcome:
    """Go on with ``engine`` (and ``decision``), or stop here with ``stopped``."""

    engine: Engine
    decision: PolicyDecision
    stopped: tuple[DocumentStatus, str | None, str | None] | None = None


async def model_server_step(
    pipeline: Pipeline, document_id: str, rules: CostRules, decision: PolicyDecision, engine: Engine
) -> ReadyOutcome:
    """Step 1b: the engine as decided when its server is ready; else the tier's fallback, a
    wait in the queue, or ``failed`` past ``llm_startup_wait_s`` (see the module)."""
    if not isinstance(engine, ServedEngine) or await engine.ready():
        return ReadyOutcome(engine, decision)
    settings = pipeline.settings
    tier = rules.tiers.get(decision.tier)  # the policy step blocked unknown tiers already
    servers = ", ".join(settings.llm_base_urls)
    if tier.model_unavailable == "fallback" and tier.fallback_engine == "local":
        routed = _routed_to_local(rules, decision, servers)
        if routed is not None:
            with pipeline.sessions.begin() as session:
                repo.record_policy(
                    session,
                    document_id=document_id,
                    decision=routed.outcome.value,
                    reason=routed.explanation,
                    engine=routed.engine,
                    model=routed.model,
                    model_licence=routed.licence_id,
                    attribution=routed.attribution,
                    licence_reference=routed.licence_reference,
                )
            return ReadyOutcome(engine_for(pipeline, routed), routed)
    with pipeline.sessions() as session:
        document = repo.get_document(session, document_id)
        registered = document.created_at if document is not None else utcnow()
    if registered.tzinfo is None:
        registered = registered.replace(tzinfo=dt.UTC)
    waited = (utcnow() - registered).total_seconds()
    deadline = settings.llm_startup_wait_s
    if waited < deadline:
        reason = (
            f"waiting for the model server ({servers}) to be ready, e.g. still loading its "
            f"weights: queued {waited:,.0f} s of at most {deadline:,.0f} s (FOLIO_LLM_STARTUP_WAIT_S)"
        )
        with pipeline.sessions.begin() as session:
            repo.set_document_status(
                session,
                document_id=document_id,
                status=DocumentStatus.QUEUED,
                reason=reason,
                error_code=MODEL_UNAVAILABLE,
            )
        log.info("document %s: %s", document_id, reason)
        return ReadyOutcome(engine, decision, (DocumentStatus.QUEUED, reason, MODEL_UNAVAILABLE))
    reason = (
        f"no model server ({servers}) was ready within {deadline:,.0f} s of the document's "
        "arrival (FOLIO_LLM_STARTUP_WAIT_S); the document can be retried"
    )
    with pipeline.sessions.begin() as session:
        repo.finish_document(
            session,
            document_id=document_id,
            status=DocumentStatus.FAILED,
            reason=reason,
            error_code=MODEL_UNAVAILABLE,
            owner=pipeline.owner,
        )
    return ReadyOutcome(engine, decision, (DocumentStatus.FAILED, reason, MODEL_UNAVAILABLE))


def _routed_to_local(rules: CostRules, decision: PolicyDecision, servers: str) -> PolicyDecision | None:
    """The decision to route to the local engine because no server is ready; None when the
    tier or the licence refuses the local engine's model too."""
    local = decide(rules, tier_name=decision.tier, engine="local", model=LocalEngine.model)
    if local.outcome is not PolicyOutcome.ALLOWED:
        return None
    return local.model_copy(
        update={
            "outcome": PolicyOutcome.ROUTED,
            "requested_model": decision.model,
            "code": MODEL_UNAVAILABLE,
            "reason": f"no model server ({servers}) is ready; routed to the local engine "
            f"({local.model}), tier {decision.tier}'s choice when the model is unavailable",
        }
    )
