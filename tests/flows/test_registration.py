"""One registration path for files and uploads: the same row, the same tier priority, the same
idempotency, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from core.errors import InternalError
from core.settings import Settings
from flows.intake import register_file
from flows.registration import Arrival, register_document, tier_priorities
from models.document import DocumentStatus, FileKind
from models.tiers import load_tiers
from storage import repository as repo
from storage.blobs import BlobStore
from storage.database import make_engine, make_session_factory
from storage.migrate import upgrade
from tests.support.documents import invoice_pdf
from tests.support.truth import make_invoice_truth


def _other_tier(settings: Settings) -> tuple[str, int]:
    """A tier whose priority differs from the default tier's, so a wrong look-up shows."""
    tiers = load_tiers()
    default = tiers.get(settings.tenancy.default_tier)
    other = next(t for t in tiers.tiers.values() if t.priority != default.priority)
    return other.name, other.priority


def test_files_and_uploads_get_the_same_tier_priority(db_settings: Settings, tmp_path: Path) -> None:
    upgrade(db_settings)
    db = make_engine(db_settings)
    sessions = make_session_factory(db)
    blobs = BlobStore(db_settings.storage.blob_dir)
    tier, priority = _other_tier(db_settings)
    try:
        with sessions.begin() as session:
            tenant_id = repo.get_or_create_tenant(session, name="acme", tier=tier).id
        path = tmp_path / "a.pdf"
        path.write_bytes(invoice_pdf(make_invoice_truth(3)))
        by_file = register_file(
            path, settings=db_settings, sessions=sessions, blobs=blobs, tenant="acme", schema_name="invoice"
        )
        again = register_file(
            path, settings=db_settings, sessions=sessions, blobs=blobs, tenant="acme", schema_name="invoice"
        )
        ref = blobs.put_bytes(invoice_pdf(make_invoice_truth(4)))
        upload = Arrival(
            file_name="b.pdf",
            sha256=ref.sha256,
            size=ref.size,
            kind=FileKind.PDF,
            blob_key=ref.key,
            schema_name="invoice",
            source="api",
            idempotency_key=f"key-{uuid.uuid4()}",
        )
        with sessions.begin() as session:
            by_id = register_document(session, upload, tenant=tenant_id, settings=db_settings)
        with sessions.begin() as session:
            repeated = register_document(session, upload, tenant=tenant_id, settings=db_settings)
        with sessions() as session:
            rows = [repo.get_document(session, i) for i in (by_file.document_id, by_id.document_id)]
    finally:
        db.dispose()
    assert by_file.created and by_file.status is DocumentStatus.QUEUED
    assert (again.document_id, again.created) == (by_file.document_id, False)
    assert by_id.created and (repeated.document_id, repeated.created) == (by_id.document_id, False)
    assert not repeated.key_conflict
    assert tier_priorities(db_settings)[tier] == priority
    for row in rows:
        assert row is not None and row.licence_tier == tier and row.priority == priority


def test_a_tier_missing_from_the_tier_file_registers_with_priority_0(
    db_settings: Settings, tmp_path: Path
) -> None:
    # The policy step blocks such a document with the reason; registering it loses nothing.
    upgrade(db_settings)
    db = make_engine(db_settings)
    sessions = make_session_factory(db)
    blobs = BlobStore(db_settings.storage.blob_dir)
    try:
        with sessions.begin() as session:
            repo.get_or_create_tenant(session, name="gone", tier="retired-tier")
        path = tmp_path / "a.pdf"
        path.write_bytes(invoice_pdf(make_invoice_truth(5)))
        result = register_file(
            path, settings=db_settings, sessions=sessions, blobs=blobs, tenant="gone", schema_name="invoice"
        )
        with sessions() as session:
            row = repo.get_document(session, result.document_id)
    finally:
        db.dispose()
    assert row is not None and row.status is DocumentStatus.QUEUED
    assert row.licence_tier == "retired-tier" and row.priority == 0


def test_an_upload_must_be_sniffed_and_stored_and_a_file_has_no_callback(settings: Settings) -> None:
    arrival = Arrival(
        file_name="x.bin",
        sha256="0" * 64,
        size=1,
        kind=None,
        blob_key=None,
        schema_name="invoice",
        source="api",
    )
    with pytest.raises(InternalError):
        register_document(None, arrival, tenant=1, settings=settings)  # type: ignore[arg-type]
    with pytest.raises(InternalError):
        register_document(
            None,  # type: ignore[arg-type]
            Arrival(**{**arrival.__dict__, "callback_url": "https://example.com/done"}),
            tenant="acme",
            settings=settings,
        )
