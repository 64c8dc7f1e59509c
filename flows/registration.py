"""Registering a document: the one way a file's content becomes a ``documents`` row, for the
CLI, batch runs and HTTP uploads alike, with its queue priority from the tenant's tier.

The same bytes for the same tenant and schema are the same document: registering them again
answers the first registration's id (``created`` False).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy.orm import Session

from core.errors import BadInputError, InternalError
from core.settings import Settings
from models.document import DocumentStatus, FileKind
from models.tiers import load_tiers
from storage import repository as repo


@dataclass(frozen=True)
class Arrival:
    """A file's content as intake found it, ready to become a documents row."""

    file_name: str
    sha256: str
    size: int
    kind: FileKind | None  # None: its type could not be told (``error`` says why)
    blob_key: str | None  # None: refused before it was stored (over the size limit)
    schema_name: str
    source: str  # cli, batch, upload, webhook: who waits for it
    error: BadInputError | None = None  # set: the document is registered ``rejected``
    callback_url: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class Registration:
    """What registering made: the document's id and status, whether this call created it,
    and whether an idempotency key given earlier named other bytes or another schema."""

    document_id: str
    status: DocumentStatus
    reason: str | None  # the stored reason (an upload's one statement reads only the status)
    created: bool
    key_conflict: bool = False


@lru_cache(maxsize=8)  # read once per process: registration runs for every upload
def _priorities(tiers_file: Path | None) -> Mapping[str, int]:
    return {name: tier.priority for name, tier in load_tiers(tiers_file).tiers.items()}


def tier_priorities(settings: Settings) -> Mapping[str, int]:
    """The queue priority of each licence tier in the tier file (interactive tiers ahead of
    bulk ones); a tier missing from the file has priority 0 (its policy step blocks it)."""
    return _priorities(settings.licence.tiers_file)


def register_document(
    session: Session, arrival: Arrival, *, tenant: str | int, settings: Settings
) -> Registration:
    """Write the documents row for ``arrival`` in the caller's transaction, or find the one it
    already is.

    ``tenant`` is a name (the CLI's and batch runs': created on the default tier the first
    time) or the id of an existing tenant (an API caller's: the row takes the tenant's tier
    and its priority in the same statement; ``DocumentNotFoundError`` when the tenant is
    gone). Either way the priority comes from :func:`tier_priorities`.
    """
    priorities = tier_priorities(settings)
    if isinstance(tenant, int):
        return _register_for_caller(session, arrival, tenant_id=tenant, priorities=priorities)
    if arrival.callback_url is not None or arrival.idempotency_key is not None:
        raise InternalError("callback URLs and idempotency keys come with an API caller's upload")
    tenant_row = repo.get_or_create_tenant(session, name=tenant, tier=settings.tenancy.default_tier)
    error = arrival.error
    document, created = repo.register_document(
        session,
        tenant_id=tenant_row.id,
        sha256=arrival.sha256,
        schema_name=arrival.schema_name,
        file_name=arrival.file_name,
        kind=arrival.kind,
        media_type=arrival.kind.media_type if arrival.kind else "application/octet-stream",
        size_bytes=arrival.size,
        blob_key=arrival.blob_key,
        licence_tier=tenant_row.tier,
        priority=priorities.get(tenant_row.tier, 0),
        source=arrival.source,
        status=DocumentStatus.REJECTED if error else DocumentStatus.QUEUED,
        reason=error.message if error else None,
        error_code=error.code if error else None,
    )
    return Registration(document.id, DocumentStatus(document.status), document.reason, created)


def _register_for_caller(
    session: Session, arrival: Arrival, *, tenant_id: int, priorities: Mapping[str, int]
) -> Registration:
    """An upload of an existing tenant: one ``INSERT ... SELECT`` that reads the tenant's
    tier and its priority, with the callback URL and the idempotency key."""
    if arrival.kind is None or arrival.blob_key is None or arrival.error is not None:
        # The HTTP API refuses bad uploads with a problem response before storing a byte.
        raise InternalError("an upload is registered only once it is sniffed and stored")
    done = repo.register_upload(
        session,
        tenant_id=tenant_id,
        sha256=arrival.sha256,
        schema_name=arrival.schema_name,
        file_name=arrival.file_name,
        kind=arrival.kind,
        size_bytes=arrival.size,
        blob_key=arrival.blob_key,
        source=arrival.source,
        tier_priorities=priorities,
        callback_url=arrival.callback_url,
        idempotency_key=arrival.idempotency_key,
    )
    return Registration(done.document_id, done.status, None, done.created, done.key_conflict)
