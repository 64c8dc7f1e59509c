"""A blob exists only for a documents row: an upload that creates no row (409, a repeat, a
failure after the file was staged, a refusal) leaves no blob and no staged file behind."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from typing import Any

import sqlalchemy as sa

from core.settings import Settings
from storage.database import make_engine, make_session_factory
from storage.tables import ApiKey, Document, Tenant
from tests.api.conftest import Keys, bearer, running_app
from tests.api.edge import blob_files, staged_files
from tests.support.documents import make_pdf


def _upload(pdf: bytes, **fields: str) -> dict[str, Any]:
    return {"files": {"file": ("a.pdf", pdf, "application/pdf")}, "data": {"schema": "invoice", **fields}}


def _referenced(settings: Settings) -> set[str]:
    engine = make_engine(settings)
    try:
        with make_session_factory(engine)() as session:
            return {key.rsplit("/", 1)[-1] for key in session.scalars(sa.select(Document.blob_key)) if key}
    finally:
        engine.dispose()


def test_a_409_and_a_repeat_store_no_blob(api_db_settings: Settings, keys: Keys) -> None:
    first, other = make_pdf(f"first {uuid.uuid4()}"), make_pdf(f"other {uuid.uuid4()}")

    async def go() -> None:
        async with running_app(api_db_settings) as (_, client):
            created = await client.post(
                "/v1/documents", headers=bearer(keys.alpha), **_upload(first, idempotency_key="k1")
            )
            assert created.status_code == 202, created.text
            before = blob_files(api_db_settings.storage.blob_dir)
            assert before == {hashlib.sha256(first).hexdigest()}
            clash = await client.post(
                "/v1/documents", headers=bearer(keys.alpha), **_upload(other, idempotency_key="k1")
            )
            assert clash.status_code == 409, clash.text
            again = await client.post("/v1/documents", headers=bearer(keys.alpha), **_upload(first))
            assert again.status_code == 200 and again.json()["id"] == created.json()["id"]
            assert blob_files(api_db_settings.storage.blob_dir) == before
            # The same bytes for another tenant are a new row over the one stored blob.
            beta = await client.post("/v1/documents", headers=bearer(keys.beta), **_upload(first))
            assert beta.status_code == 202, beta.text

    asyncio.run(go())
    assert blob_files(api_db_settings.storage.blob_dir) == _referenced(api_db_settings)
    assert staged_files(api_db_settings.storage.blob_dir) == []


def test_an_upload_whose_row_cannot_be_made_leaves_no_blob(api_db_settings: Settings, keys: Keys) -> None:
    warm, lost = make_pdf(f"warm {uuid.uuid4()}"), make_pdf(f"lost {uuid.uuid4()}")

    async def go() -> None:
        async with running_app(api_db_settings) as (_, client):
            # Caches alpha's key in the process, so the next upload gets past the key check...
            ok = await client.post("/v1/documents", headers=bearer(keys.alpha), **_upload(warm))
            assert ok.status_code == 202, ok.text
            # ...then the tenant disappears: the file is staged, the INSERT makes no row.
            engine = make_engine(api_db_settings)
            try:
                with make_session_factory(engine).begin() as session:
                    alpha = session.scalars(sa.select(Tenant.id).where(Tenant.name == "alpha")).one()
                    session.execute(sa.delete(Document).where(Document.tenant_id == alpha))
                    session.execute(sa.delete(ApiKey).where(ApiKey.tenant_id == alpha))
                    session.execute(sa.delete(Tenant).where(Tenant.id == alpha))
            finally:
                engine.dispose()
            gone = await client.post("/v1/documents", headers=bearer(keys.alpha), **_upload(lost))
            assert gone.status_code == 401, gone.text

    asyncio.run(go())
    assert hashlib.sha256(lost).hexdigest() not in blob_files(api_db_settings.storage.blob_dir)
    assert staged_files(api_db_settings.storage.blob_dir) == []


def test_concurrent_uploads_of_one_file_publish_one_blob(api_db_settings: Settings, keys: Keys) -> None:
    pdf = make_pdf(f"race {uuid.uuid4()}")

    async def go() -> None:
        async with running_app(api_db_settings) as (_, client):
            answers = await asyncio.gather(
                *(client.post("/v1/documents", headers=bearer(keys.alpha), **_upload(pdf)) for _ in range(6))
            )
            assert sorted(r.status_code for r in answers) == [200] * 5 + [202], [r.text for r in answers]

    asyncio.run(go())
    assert (
        blob_files(api_db_settings.storage.blob_dir)
        == {hashlib.sha256(pdf).hexdigest()}
        == _referenced(api_db_settings)
    )
    assert staged_files(api_db_settings.storage.blob_dir) == []
