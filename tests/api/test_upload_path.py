"""The fast upload path: one INSERT ... SELECT per upload (tier, priority, callback URL and
idempotency key in the same row), race-safe under concurrent uploads, and API keys
remembered for ``FOLIO_API_KEY_CACHE_S`` with revocation honoured after it."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from api.callers import CallerCache, key_digest, resolve_key
from core.settings import Settings
from models.tiers import load_tiers
from storage import repository as repo
from storage.database import make_engine, make_session_factory
from storage.tables import ApiKey
from tests.api.conftest import Keys, api_settings, bearer, make_keys, running_app
from tests.support.documents import make_pdf


def _upload(pdf: bytes, **fields: str) -> dict[str, Any]:
    return {"files": {"file": ("a.pdf", pdf, "application/pdf")}, "data": {"schema": "invoice", **fields}}


def test_an_upload_row_carries_tier_priority_and_options(db_settings: Settings) -> None:
    tiers = load_tiers()
    # A tier whose priority differs from the default tier's, so a wrong lookup shows.
    default = tiers.get(db_settings.tenancy.default_tier)
    other = next((t for t in tiers.tiers.values() if t.priority != default.priority), default)
    settings = api_settings(db_settings, callbacks={"allowed_hosts": "hooks.example.com"})
    keys = make_keys(settings)
    engine = make_engine(settings)
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        repo.set_tenant_tier(session, name="alpha", tier=other.name)
    pdf = make_pdf(f"row {uuid.uuid4()}")

    async def go() -> str:
        async with running_app(settings) as (_, client):
            r = await client.post(
                "/v1/documents",
                headers=bearer(keys.alpha),
                **_upload(pdf, idempotency_key="row-1", callback_url="https://hooks.example.com/done"),
            )
            assert r.status_code == 202, r.text
            return str(r.json()["id"])

    doc_id = asyncio.run(go())
    with sessions() as session:
        document = repo.get_document(session, doc_id)
        tenant = repo.get_tenant(session, name="alpha")
    engine.dispose()
    assert document is not None and tenant is not None
    assert document.tenant_id == tenant.id
    assert document.licence_tier == other.name
    assert document.priority == other.priority
    assert document.idempotency_key == "row-1"
    assert document.callback_url == "https://hooks.example.com/done"
    assert document.status.value == "queued" and document.source == "api"
    assert document.media_type == "application/pdf" and document.size_bytes == len(pdf)


def test_concurrent_uploads_of_one_file_make_one_document(api_db_settings: Settings, keys: Keys) -> None:
    pdf = make_pdf(f"race {uuid.uuid4()}")
    one, two = make_pdf(f"k one {uuid.uuid4()}"), make_pdf(f"k two {uuid.uuid4()}")

    async def go() -> None:
        async with running_app(api_db_settings) as (_, client):
            same = await asyncio.gather(
                *(client.post("/v1/documents", headers=bearer(keys.alpha), **_upload(pdf)) for _ in range(8))
            )
            assert all(r.status_code in (200, 202) for r in same), [r.text for r in same]
            assert len({r.json()["id"] for r in same}) == 1
            assert sum(r.json()["created"] for r in same) == 1
            # One idempotency key, different bytes, at once: one wins, the others are told.
            keyed = await asyncio.gather(
                *(
                    client.post(
                        "/v1/documents", headers=bearer(keys.alpha), **_upload(b, idempotency_key="k")
                    )
                    for b in (one, two, one, two)
                )
            )
            codes = sorted(r.status_code for r in keyed)
            assert codes.count(409) == 2 and codes.count(202) == 1 and codes.count(200) == 1, codes

    asyncio.run(go())
    engine = make_engine(api_db_settings)
    with make_session_factory(engine)() as session:
        assert repo.page_documents(session, tenant_id=None).total == 2
    engine.dispose()


def _revoke(settings: Settings, key: str) -> None:
    engine = make_engine(settings)
    try:
        with make_session_factory(engine).begin() as session:
            row = session.query(ApiKey).filter(ApiKey.key_hash == key_digest(key)).one()
            assert repo.revoke_api_key(session, key_id=row.id)
    finally:
        engine.dispose()


def test_a_revoked_key_is_refused_at_once_without_the_cache(db_settings: Settings) -> None:
    settings = api_settings(db_settings, api={"api_key_cache_s": 0})
    keys = make_keys(settings)

    async def go() -> None:
        async with running_app(settings) as (_, client):
            assert (await client.get("/v1/documents", headers=bearer(keys.alpha))).status_code == 200
            _revoke(settings, keys.alpha)
            assert (await client.get("/v1/documents", headers=bearer(keys.alpha))).status_code == 401
            assert (await client.get("/v1/documents", headers=bearer(keys.beta))).status_code == 200

    asyncio.run(go())


def test_a_cached_key_lasts_its_ttl_then_revocation_holds(db_settings: Settings) -> None:
    settings = api_settings(db_settings, api={"api_key_cache_s": 60})
    keys = make_keys(settings)
    engine = make_engine(settings)
    sessions = make_session_factory(engine)
    cache = CallerCache(ttl_s=60)
    try:
        caller = resolve_key(settings, sessions, cache, keys.alpha)
        assert caller is not None and caller.tenant_name == "alpha" and not caller.is_admin
        assert resolve_key(settings, sessions, cache, "folio_unknown") is None
        _revoke(settings, keys.alpha)
        # Within the TTL the process still knows the key (the documented trade-off)...
        assert resolve_key(settings, sessions, cache, keys.alpha) == caller
        # ...and once it lapses, the database's answer (revoked) holds.
        digest = key_digest(keys.alpha)
        assert cache.get(digest) == caller
        assert cache.get(digest, now=time.monotonic() + 61) is None
        assert resolve_key(settings, sessions, cache, keys.alpha) is None
        admin = resolve_key(settings, sessions, cache, keys.admin)
        assert admin is not None and admin.is_admin and admin.tenant_scope is None
    finally:
        engine.dispose()
