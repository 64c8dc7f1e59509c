"""The outcome of a stored document (``models.outcome``), built here once from its rows."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from models.extraction import DocumentExtraction
from models.outcome import DocumentOutcome, PolicyRecord, Timings
from storage import repository as repo
from storage.tables import Document, Extraction, Tenant


def outcome_of(
    document: Document, *, current: Extraction | None = None, tenant: Tenant | None = None
) -> DocumentOutcome:
    """The outcome of a loaded document row; ``current`` (its current extraction) and
    ``tenant`` add the fields and the policy record when the caller has them."""
    return DocumentOutcome(
        document_id=document.id,
        sha256=document.sha256,
        file_name=document.file_name,
        media_type=document.media_type,
        size_bytes=document.size_bytes,
        status=document.status,
        reason=document.reason,
        error_code=document.error_code,
        schema_name=document.schema_name,
        engine=document.engine,
        model=document.model,
        pages=document.page_count,
        cost_usd=document.cost_usd if document.cost_usd is not None else Decimal(0),
        licence_tier=document.licence_tier,
        attempts=document.attempts,
        callback_url=document.callback_url,
        timings=Timings(
            created_at=document.created_at,
            started_at=document.started_at,
            finished_at=document.finished_at,
        ),
        extraction=None if current is None else DocumentExtraction.model_validate(current.result),
        extraction_version=None if current is None else current.version,
        policy=None if tenant is None else _policy(document, tenant),
    )


def _policy(document: Document, tenant: Tenant) -> PolicyRecord:
    return PolicyRecord(
        tenant=tenant.name,
        decision=document.policy_decision,
        reason=document.policy_reason,
        model_licence=document.model_licence,
        attribution=document.attribution,
        licence_reference=document.licence_reference,
        quoted_tokens=document.quoted_tokens,
        quoted_cost_usd=document.quoted_cost_usd,
        price_version=document.price_version,
    )


def load_outcome(session: Session, document_id: str, *, with_policy: bool = True) -> DocumentOutcome:
    """The stored state of one document with its current extraction (and, by default, its
    policy decision and quote); KeyError when there is no such document."""
    if repo.get_document(session, document_id) is None:
        raise KeyError(document_id)
    tenant, document = repo.document_tenant(session, document_id=document_id)
    current = repo.current_extraction(session, document_id)
    return outcome_of(document, current=current, tenant=tenant if with_policy else None)


def resolve_document_id(session: Session, prefix: str) -> str:
    """The full id of the document whose id starts with ``prefix`` (unique), else LookupError."""
    matches = repo.document_ids_with_prefix(session, prefix, limit=2)
    if not matches:
        raise LookupError(f"no document with id {prefix!r}")
    if len(matches) > 1:
        raise LookupError(f"{prefix!r} matches several documents; give more of the id")
    return matches[0]


def document_detail(session: Session, id_or_prefix: str) -> DocumentOutcome:
    """The outcome of the document named by its id or a unique prefix (``folio show``)."""
    return load_outcome(session, resolve_document_id(session, id_or_prefix), with_policy=False)
