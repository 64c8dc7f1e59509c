"""Uploads, auth, tenant isolation, idempotency, limits and listing, over HTTP."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator

from core.settings import Settings
from storage import repository as repo
from storage.blobs import BlobStore
from storage.database import make_engine, make_session_factory
from tests.api.conftest import Keys, api_settings, bearer, make_keys, running_app
from tests.support.documents import make_pdf


def _upload(pdf: bytes, name: str = "a.pdf", **fields: str) -> dict[str, object]:
    return {"files": {"file": (name, pdf, "application/pdf")}, "data": {"schema": "invoice", **fields}}


def test_upload_commits_row_and_blob_and_repeat_returns_the_same_document(
    api_db_settings: Settings, keys: Keys
) -> None:
    pdf = make_pdf(f"invoice {uuid.uuid4()}")

    async def go() -> None:
        async with running_app(api_db_settings) as (_, client):
            first = await client.post("/v1/documents", headers=bearer(keys.alpha), **_upload(pdf))
            assert first.status_code == 202, first.text
            body = first.json()
            assert first.headers["location"] == f"/v1/documents/{body['id']}"
            assert body["status"] == "queued" and body["created"] is True
            again = await client.post(
                "/v1/documents", headers=bearer(keys.alpha), **_upload(pdf, "renamed.pdf")
            )
            assert again.status_code == 200
            assert again.json()["id"] == body["id"] and again.json()["created"] is False
            got = await client.get(first.headers["location"], headers=bearer(keys.alpha))
            assert got.status_code == 200
            assert got.json()["sha256"] == hashlib.sha256(pdf).hexdigest()
            assert got.json()["size_bytes"] == len(pdf)

    asyncio.run(go())
    blobs = BlobStore(api_db_settings.storage.blob_dir)
    assert blobs.path(hashlib.sha256(pdf).hexdigest()).read_bytes() == pdf
    engine = make_engine(api_db_settings)
    with make_session_factory(engine)() as session:
        page = repo.page_documents(session, tenant_id=None)
    engine.dispose()
    assert page.total == 1


def test_missing_and_bad_keys_are_401_problems(api_db_settings: Settings, keys: Keys) -> None:
    async def go() -> None:
        async with running_app(api_db_settings) as (_, client):
            for headers in ({}, bearer("folio_not-a-key"), {"Authorization": f"Basic {keys.alpha}"}):
                response = await client.get("/v1/documents", headers=headers)
                assert response.status_code == 401
                assert response.headers["content-type"] == "application/problem+json"
                problem = response.json()
                assert problem["status"] == 401 and problem["detail"] and problem["title"]
                assert response.headers["www-authenticate"].startswith("Bearer")

    asyncio.run(go())


def test_other_tenants_documents_are_404_like_missing_ones(api_db_settings: Settings, keys: Keys) -> None:
    pdf = make_pdf(f"private {uuid.uuid4()}")

    async def go() -> None:
        async with running_app(api_db_settings) as (_, client):
            created = await client.post("/v1/documents", headers=bearer(keys.alpha), **_upload(pdf))
            doc_id = created.json()["id"]
            missing_id = str(uuid.uuid4())
            theirs = await client.get(f"/v1/documents/{doc_id}", headers=bearer(keys.beta))
            missing = await client.get(f"/v1/documents/{missing_id}", headers=bearer(keys.beta))
            assert theirs.status_code == missing.status_code == 404
            assert theirs.json()["detail"].replace(doc_id, "ID") == missing.json()["detail"].replace(
                missing_id, "ID"
            )
            result = await client.get(f"/v1/documents/{doc_id}/result", headers=bearer(keys.beta))
            assert result.status_code == 404
            listed = await client.get("/v1/documents", headers=bearer(keys.beta))
            assert listed.json()["count"] == 0
            # Beta uploading the same bytes gets a document of its own.
            own = await client.post("/v1/documents", headers=bearer(keys.beta), **_upload(pdf))
            assert own.status_code == 202 and own.json()["id"] != doc_id
            admin = await client.get(f"/v1/documents/{doc_id}", headers=bearer(keys.admin))
            assert admin.status_code == 200
            everyone = await client.get("/v1/documents", headers=bearer(keys.admin))
            assert everyone.json()["count"] == 2
            refused = await client.post("/v1/documents", headers=bearer(keys.admin), **_upload(pdf))
            assert refused.status_code == 403

    asyncio.run(go())


def test_idempotency_key_reuse(api_db_settings: Settings, keys: Keys) -> None:
    one, two = make_pdf(f"one {uuid.uuid4()}"), make_pdf(f"two {uuid.uuid4()}")

    async def go() -> None:
        async with running_app(api_db_settings) as (_, client):
            first = await client.post(
                "/v1/documents", headers=bearer(keys.alpha), **_upload(one, idempotency_key="k-1")
            )
            assert first.status_code == 202
            same = await client.post(
                "/v1/documents", headers=bearer(keys.alpha), **_upload(one, idempotency_key="k-1")
            )
            assert same.status_code == 200 and same.json()["id"] == first.json()["id"]
            clash = await client.post(
                "/v1/documents", headers=bearer(keys.alpha), **_upload(two, idempotency_key="k-1")
            )
            assert clash.status_code == 409
            assert clash.headers["content-type"] == "application/problem+json"
            # Keys are per tenant: beta may use the same key.
            other = await client.post(
                "/v1/documents", headers=bearer(keys.beta), **_upload(two, idempotency_key="k-1")
            )
            assert other.status_code == 202

    asyncio.run(go())


def test_oversize_is_413_before_the_body_is_read(db_settings: Settings) -> None:
    settings = api_settings(db_settings, api={"max_upload_bytes": 256 * 1024})
    keys = make_keys(settings)
    chunk = b"%PDF-1.7\n" + b"0" * (64 * 1024 - 9)
    total_chunks = 64  # 4 MiB offered, 16x the cap
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'--b0\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n\r\n'
        for _ in range(total_chunks):
            sent += 1
            yield chunk
        yield b"\r\n--b0--\r\n"

    async def go() -> None:
        async with running_app(settings) as (_, client):
            headers = {**bearer(keys.alpha), "Content-Type": "multipart/form-data; boundary=b0"}
            streamed = await client.post("/v1/documents", headers=headers, content=body())
            assert streamed.status_code == 413, streamed.text
            assert streamed.headers["content-type"] == "application/problem+json"
            assert "FOLIO_MAX_UPLOAD_BYTES" in streamed.json()["detail"]
            # Stopped just past the cap: not the whole body.
            assert sent * len(chunk) <= settings.api.max_upload_bytes + 2 * len(chunk)
            assert sent < total_chunks
            declared = await client.post(
                "/v1/documents",
                headers=bearer(keys.alpha),
                files={"file": ("big.pdf", chunk * 8, "application/pdf")},
            )
            assert declared.status_code == 413

    asyncio.run(go())
    incoming = settings.storage.blob_dir / ".incoming"
    assert not incoming.exists() or not any(incoming.iterdir())


def test_unsupported_type_is_415_and_nothing_is_stored(api_db_settings: Settings, keys: Keys) -> None:
    text = f"just text {uuid.uuid4()}\n".encode() * 50

    async def go() -> None:
        async with running_app(api_db_settings) as (_, client):
            response = await client.post(
                "/v1/documents",
                headers=bearer(keys.alpha),
                files={"file": ("looks.pdf", text, "application/pdf")},
                data={"schema": "invoice"},
            )
            assert response.status_code == 415
            assert response.headers["content-type"] == "application/problem+json"
            assert "not a PDF or an image" in response.json()["detail"]
            unknown = await client.post(
                "/v1/documents",
                headers=bearer(keys.alpha),
                **{**_upload(make_pdf("x")), "data": {"schema": "no-such-schema"}},
            )
            assert unknown.status_code == 422 and "no-such-schema" in unknown.json()["detail"]
            not_multipart = await client.post(
                "/v1/documents", headers=bearer(keys.alpha), content=b"%PDF-1.7"
            )
            assert not_multipart.status_code == 415
            listed = await client.get("/v1/documents", headers=bearer(keys.alpha))
            assert listed.json()["count"] == 0

    asyncio.run(go())
    assert not BlobStore(api_db_settings.storage.blob_dir).exists(hashlib.sha256(text).hexdigest())


def test_listing_filters_and_pages(api_db_settings: Settings, keys: Keys) -> None:
    pdfs = [make_pdf(f"doc {i} {uuid.uuid4()}") for i in range(5)]

    async def go() -> None:
        async with running_app(api_db_settings) as (_, client):
            ids = []
            for i, pdf in enumerate(pdfs):
                schema = "invoice" if i % 2 == 0 else "receipt"
                r = await client.post(
                    "/v1/documents",
                    headers=bearer(keys.alpha),
                    files={"file": (f"{i}.pdf", pdf, "application/pdf")},
                    data={"schema": schema},
                )
                ids.append(r.json()["id"])
            seen: list[str] = []
            offset: int | None = 0
            while offset is not None:
                page = await client.get(
                    "/v1/documents", params={"limit": 2, "offset": offset}, headers=bearer(keys.alpha)
                )
                assert page.status_code == 200
                body = page.json()
                assert body["count"] == len(pdfs) and len(body["data"]) <= 2
                seen += [d["id"] for d in body["data"]]
                offset = body["next_offset"]
            assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen))
            receipts = await client.get(
                "/v1/documents", params={"schema": "receipt"}, headers=bearer(keys.alpha)
            )
            assert sorted(d["id"] for d in receipts.json()["data"]) == sorted(ids[1::2])
            queued = await client.get("/v1/documents", params={"status": "done"}, headers=bearer(keys.alpha))
            assert queued.json()["count"] == 0
            bad = await client.get("/v1/documents", params={"limit": 0}, headers=bearer(keys.alpha))
            assert bad.status_code == 422
            assert bad.headers["content-type"] == "application/problem+json"
            assert "limit" in bad.json()["detail"]

    asyncio.run(go())


def test_rate_limit_answers_429_with_retry_after(db_settings: Settings) -> None:
    settings = api_settings(db_settings, api={"rate_limit_per_second": 0.5, "rate_limit_burst": 3})
    keys = make_keys(settings)

    async def go() -> None:
        async with running_app(settings) as (_, client):
            codes = [
                (await client.get("/v1/documents", headers=bearer(keys.alpha))).status_code
                for _ in range(settings.api.rate_limit_burst + 1)
            ]
            assert codes[:-1] == [200] * settings.api.rate_limit_burst
            limited = await client.get("/v1/documents", headers=bearer(keys.alpha))
            assert limited.status_code == 429
            assert int(limited.headers["retry-after"]) >= 1
            # Another tenant has its own bucket.
            assert (await client.get("/v1/documents", headers=bearer(keys.beta))).status_code == 200

    asyncio.run(go())


def test_health_and_readiness(api_db_settings: Settings, keys: Keys) -> None:
    async def go() -> None:
        async with running_app(api_db_settings) as (_, client):
            assert (await client.get("/healthz")).json() == {"status": "ok"}
            ready = await client.get("/readyz")
            assert ready.status_code == 200 and ready.json()["database"] == "ok"
            spec = (await client.get("/openapi.json")).json()
            assert "/v1/documents" in spec["paths"] and "/v1/webhooks/documents" in spec["paths"]
        # Nothing listens on port 1: the database is unreachable, the process still up.
        broken = api_settings(
            api_db_settings,
            storage={"database_url": "postgresql+psycopg://postgres@127.0.0.1:1/x"},
        )
        async with running_app(broken) as (_, client):
            assert (await client.get("/healthz")).status_code == 200
            down = await client.get("/readyz")
            assert down.status_code == 503 and down.json()["database"].startswith("unavailable")

    asyncio.run(go())
