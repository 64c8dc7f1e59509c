"""The review queue: documents Folio is unsure of, a person's corrections as new extraction
versions with an audit trail, and the approval or rejection that ends a review.

Every action names the extraction version the person saw (``expected_version``) and runs
under a lock on the document row (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite a
write that takes the database's one write lock first), so of two concurrent actions on
one version exactly one wins and the other gets :class:`StaleVersionError`.

Which actions apply to which status:

- corrections: ``needs_review`` and ``done`` documents (a done document's values may still
  be wrong; the correction marks it reviewed by its author; its status stays ``done``);
- approval (-> ``done``) and rejection (-> ``rejected``, with the reviewer's reason): only
  ``needs_review`` documents.

``tenant_id`` None acts for every tenant (admins); otherwise another tenant's document is
"not found", never "forbidden". Functions flush, never commit; notification of the new
final status is the caller's (``flows.review``) after the commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.corrections import HUMAN_METHOD, FieldValueError, apply_corrections
from models.document import DocumentStatus
from models.extraction import DocumentExtraction
from models.schemas import BUILTIN_SCHEMAS, ExtractionSchema
from models.schemas.custom import schema_from_json_schema
from storage.repository.dialect import dialect_name
from storage.repository.documents import reload_document, update_document
from storage.repository.errors import DocumentNotFoundError, NotInReviewError, StaleVersionError
from storage.repository.extractions import add_extraction, current_extraction
from storage.repository.leases import finish_document
from storage.repository.review_queue import tenant_scope
from storage.repository.schemas import latest_schema
from storage.tables import Document, Extraction, ExtractionSchemaVersion, FieldCorrection, utcnow

CORRECTABLE = frozenset({DocumentStatus.NEEDS_REVIEW, DocumentStatus.DONE})
REVIEW_REJECTED = "review_rejected"  # error_code of a document a reviewer rejected
_NAME_LIMIT = 200  # the author columns' length
_REASON_LIMIT = 2000


@dataclass(frozen=True)
class ReviewDetail:
    """A document as a reviewer sees it: its row, current extraction and corrections so far."""

    document: Document
    version: int | None
    source: str | None  # engine or human: who made the current version
    author: str | None
    extraction: DocumentExtraction | None
    corrections: list[FieldCorrection]


def corrections_for(session: Session, *, document_id: str) -> list[FieldCorrection]:
    """Every correction made to a document, oldest first."""
    return list(
        session.scalars(
            sa.select(FieldCorrection)
            .where(FieldCorrection.document_id == document_id)
            .order_by(FieldCorrection.id)
        )
    )


def review_document(session: Session, *, document_id: str, tenant_id: int | None) -> ReviewDetail:
    """The document with its current extraction and corrections (any status); raises
    ``DocumentNotFoundError`` when it does not exist or belongs to another tenant."""
    document = session.scalars(
        sa.select(Document).where(Document.id == document_id, *tenant_scope(tenant_id))
    ).one_or_none()
    if document is None:
        raise DocumentNotFoundError(f"no document {document_id}")
    current = current_extraction(session, document_id)
    return ReviewDetail(
        document=document,
        version=current.version if current else None,
        source=current.source if current else None,
        author=current.author if current else None,
        extraction=DocumentExtraction.model_validate(current.result) if current else None,
        corrections=corrections_for(session, document_id=document_id),
    )


def _locked(session: Session, document_id: str, tenant_id: int | None) -> Document:
    """The document, locked against concurrent review actions until the transaction ends."""
    where = [Document.id == document_id, *tenant_scope(tenant_id)]
    if dialect_name(session) == "postgresql":
        found = session.scalar(sa.select(Document.id).where(*where).with_for_update())
    else:
        # SQLite ignores FOR UPDATE: a write takes its one write lock before anything is read.
        touch = sa.update(Document).where(*where).values(updated_at=Document.updated_at)
        found = session.scalar(touch.returning(Document.id).execution_options(synchronize_session=False))
    if found is None:
        raise DocumentNotFoundError(f"no document {document_id}")
    return reload_document(session, document_id)


def _require(document: Document, allowed: frozenset[DocumentStatus], action: str) -> None:
    if document.status not in allowed:
        wanted = " or ".join(sorted(s.value for s in allowed))
        raise NotInReviewError(
            f"document {document.id} is {document.status.value}: only {wanted} documents can be {action}",
            status=document.status.value,
        )


def _current_at(session: Session, document: Document, expected_version: int) -> Extraction:
    current = current_extraction(session, document.id)
    if current is None:
        raise NotInReviewError(
            f"document {document.id} has no extraction to review", status=document.status.value
        )
    if current.version != expected_version:
        raise StaleVersionError(
            f"document {document.id} is at version {current.version}, not {expected_version}: "
            "someone changed it meanwhile; reload it and try again",
            current_version=current.version,
        )
    return current


def _one_line(value: str | None, what: str, limit: int = _NAME_LIMIT) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        raise FieldValueError(what, f"the {what} must not be empty")
    return text[:limit]


def schema_of(session: Session, name: str, version: str) -> ExtractionSchema:
    """The schema an extraction was made with: a built-in, or that custom version (else the
    latest one registered under the name)."""
    if name in BUILTIN_SCHEMAS:
        return BUILTIN_SCHEMAS[name]
    row = None
    if version.isdigit():
        row = session.scalars(
            sa.select(ExtractionSchemaVersion).where(
                ExtractionSchemaVersion.name == name, ExtractionSchemaVersion.version == int(version)
            )
        ).one_or_none()
    row = row or latest_schema(session, name)
    if row is None:
        raise FieldValueError("schema", f"schema {name!r} is not registered here; values cannot be checked")
    return schema_from_json_schema(row.name, row.version, row.json_schema, row.description)


def correct_fields(  # noqa: PLR0913 - keyword-only, one per part of the request
    session: Session,
    *,
    document_id: str,
    tenant_id: int | None,
    expected_version: int,
    fields: Mapping[str, Any],
    author: str,
) -> Extraction:
    """Store the corrected values as a new extraction version (source ``human``) and one
    ``field_corrections`` row per changed field; returns the new current version.

    ``fields`` maps paths (``total_amount``, ``line_items[2].amount``, ``line_items[2]``,
    ``line_items``: see ``models.corrections``) to values, checked and normalised by the
    schema's types; each value set is marked human (confidence 1.0). Values equal to what a
    person already set change nothing: then the current version is returned as it is.
    Raises ``FieldValueError`` (a bad path or value, named), ``StaleVersionError``,
    ``NotInReviewError`` or ``DocumentNotFoundError``; nothing is written then.
    """
    author = _one_line(author, "author")
    document = _locked(session, document_id, tenant_id)
    _require(document, CORRECTABLE, "corrected")
    current = _current_at(session, document, expected_version)
    extraction = DocumentExtraction.model_validate(current.result)
    schema = schema_of(session, current.schema_name, current.schema_version)
    corrected, changes = apply_corrections(extraction, schema, fields, author=author)
    if not changes:
        return current
    fingerprint = {**current.fingerprint, "review": {"from_version": current.version, "method": HUMAN_METHOD}}
    row = add_extraction(
        session,
        document_id=document.id,
        extraction=corrected,
        fingerprint=fingerprint,
        source="human",
        author=author,
    )
    now = row.created_at
    session.add_all(
        FieldCorrection(
            tenant_id=document.tenant_id,
            document_id=document.id,
            from_version=current.version,
            to_version=row.version,
            field=change.field,
            before=change.before,
            after=change.after,
            author=author,
            corrected_at=now,
        )
        for change in changes
    )
    values: dict[str, Any] = {"updated_at": now}
    if document.status is DocumentStatus.DONE:
        values.update(reviewed_by=author, reviewed_at=now)
    update_document(session, document.id, values)
    session.flush()
    return row


def _end_review(  # noqa: PLR0913 - keyword-only, one per part of the request
    session: Session,
    *,
    document_id: str,
    tenant_id: int | None,
    expected_version: int,
    author: str,
    status: DocumentStatus,
    reason: str | None,
) -> Document:
    author = _one_line(author, "author")
    document = _locked(session, document_id, tenant_id)
    _require(document, frozenset({DocumentStatus.NEEDS_REVIEW}), "approved or rejected")
    _current_at(session, document, expected_version)
    code = REVIEW_REJECTED if status is DocumentStatus.REJECTED else None
    finish_document(session, document_id=document.id, status=status, reason=reason, error_code=code)
    update_document(session, document.id, {"reviewed_by": author, "reviewed_at": utcnow()})
    return reload_document(session, document.id)


def approve(
    session: Session, *, document_id: str, tenant_id: int | None, expected_version: int, author: str
) -> Document:
    """A person says the current version (``expected_version``) is right: the document ends
    ``done``, reviewed by ``author``. Raises as :func:`correct_fields` does."""
    return _end_review(
        session,
        document_id=document_id,
        tenant_id=tenant_id,
        expected_version=expected_version,
        author=author,
        status=DocumentStatus.DONE,
        reason=None,
    )


def reject(  # noqa: PLR0913 - keyword-only, one per part of the request
    session: Session,
    *,
    document_id: str,
    tenant_id: int | None,
    expected_version: int,
    author: str,
    reason: str,
) -> Document:
    """A person refuses the document (not an invoice, unreadable, a duplicate...): it ends
    ``rejected`` with ``reason`` (required) and error code ``review_rejected``."""
    return _end_review(
        session,
        document_id=document_id,
        tenant_id=tenant_id,
        expected_version=expected_version,
        author=author,
        status=DocumentStatus.REJECTED,
        reason=_one_line(reason, "reason", _REASON_LIMIT),
    )


def reviewed_documents(
    session: Session, *, tenant_id: int | None, since: dt.datetime | None = None
) -> list[Document]:
    """``done`` documents a person reviewed (approved, or corrected after done), oldest
    review first; ``since``: reviewed at or after that instant."""
    conditions = [
        Document.status == DocumentStatus.DONE,
        Document.reviewed_at.is_not(None),
        *tenant_scope(tenant_id),
    ]
    if since is not None:
        conditions.append(Document.reviewed_at >= since)
    return list(
        session.scalars(sa.select(Document).where(*conditions).order_by(Document.reviewed_at, Document.id))
    )
