"""Helpers shared by the storage tests: a migrated database and registered documents."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from core.settings import Settings
from models.document import DocumentStatus, FileKind
from storage.database import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.repository import get_or_create_tenant, register_document
from storage.tables import Document


def migrated(settings: Settings) -> Iterator[sessionmaker[Session]]:
    """Upgrade the database of ``settings`` to head and yield a session factory for it."""
    upgrade(settings)
    engine = make_engine(settings)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


def register_pdf(
    session: Session,
    data: bytes,
    *,
    tenant: str = "acme",
    schema_name: str = "invoice",
    **overrides: Any,
) -> tuple[Document, bool]:
    """Register ``data`` (a PDF) for ``tenant`` the way intake would."""
    tenant_row = get_or_create_tenant(session, name=tenant, tier="standard")
    sha256 = hashlib.sha256(data).hexdigest()
    arguments: dict[str, Any] = {
        "tenant_id": tenant_row.id,
        "sha256": sha256,
        "schema_name": schema_name,
        "file_name": f"{sha256[:8]}.pdf",
        "kind": FileKind.PDF,
        "media_type": FileKind.PDF.media_type,
        "size_bytes": len(data),
        "blob_key": f"{sha256[:2]}/{sha256[2:4]}/{sha256}",
        "licence_tier": tenant_row.tier,
        "source": "cli",
        "status": DocumentStatus.QUEUED,
    }
    arguments.update(overrides)
    return register_document(session, **arguments)
