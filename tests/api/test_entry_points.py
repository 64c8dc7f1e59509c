"""The API's entry points: local /docs and /redoc, the bearer scheme, `/`, the admin tenant
filter and one pagination style (cursor) across lists."""

from __future__ import annotations

import asyncio
import re
import uuid

import httpx

from core.settings import Settings
from tests.api.conftest import Keys, bearer, running_app
from tests.support.documents import make_pdf

_URL = re.compile(r"""(?:src|href|url)\s*[=:(]\s*['"]?([^'")\s>]+)""", re.IGNORECASE)


def test_docs_pages_load_only_local_assets(settings: Settings) -> None:
    async def go() -> None:
        async with running_app(settings) as (_, client):
            for page in ("/docs", "/redoc"):
                answer = await client.get(page)
                assert answer.status_code == 200, page
                html = answer.text
                assert not re.search(r"https?://", html), f"{page} names an outside URL"
                assets = [u for u in _URL.findall(html) if u.startswith("/") and u != "/openapi.json"]
                assert assets, page
                for asset in assets:
                    served = await client.get(asset)
                    assert served.status_code == 200, asset
                    assert len(served.content) > 1000, asset
                assert "/openapi.json" in html
            spec = await client.get("/openapi.json")
            assert spec.status_code == 200

    asyncio.run(go())


def test_openapi_names_the_bearer_scheme_on_keyed_operations(settings: Settings) -> None:
    async def go() -> None:
        async with running_app(settings) as (_, client):
            spec = (await client.get("/openapi.json")).json()
        scheme = spec["components"]["securitySchemes"]["bearerAuth"]
        assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
        assert spec["paths"]["/v1/documents"]["get"]["security"] == [{"bearerAuth": []}]
        assert spec["paths"]["/v1/query/documents"]["get"]["security"] == [{"bearerAuth": []}]
        assert "security" not in spec["paths"]["/healthz"]["get"]
        assert "/docs" not in spec["paths"] and "/" not in spec["paths"]

    asyncio.run(go())


def test_root_leads_to_the_dashboard(settings: Settings) -> None:
    async def go() -> None:
        async with running_app(settings) as (_, client):
            answer = await client.get("/")
            assert answer.status_code in (302, 303, 307)
            assert answer.headers["location"] == "/dashboard"

    asyncio.run(go())


async def _upload(client: httpx.AsyncClient, key: str, count: int) -> list[str]:
    ids = []
    for i in range(count):
        answer = await client.post(
            "/v1/documents",
            headers=bearer(key),
            files={"file": (f"{i}.pdf", make_pdf(f"doc {i} {uuid.uuid4()}"), "application/pdf")},
            data={"schema": "invoice"},
        )
        ids.append(answer.json()["id"])
    return ids


def test_admin_tenant_filter_and_cursor_pages(api_db_settings: Settings, keys: Keys) -> None:
    async def go() -> None:
        async with running_app(api_db_settings) as (_, client):
            alpha = await _upload(client, keys.alpha, 5)
            beta = await _upload(client, keys.beta, 2)
            only_beta = await client.get(
                "/v1/documents", params={"tenant": "beta"}, headers=bearer(keys.admin)
            )
            assert only_beta.status_code == 200
            assert sorted(d["id"] for d in only_beta.json()["data"]) == sorted(beta)
            assert only_beta.json()["count"] == 2
            everyone = await client.get("/v1/documents", headers=bearer(keys.admin))
            assert everyone.json()["count"] == 7
            refused = await client.get("/v1/documents", params={"tenant": "beta"}, headers=bearer(keys.alpha))
            assert refused.status_code == 403
            # One style for every list: data, limit, next_cursor passed back as cursor.
            seen: list[str] = []
            params: dict[str, object] = {"limit": 2}
            while True:
                page = (await client.get("/v1/documents", params=params, headers=bearer(keys.alpha))).json()
                assert page["limit"] == 2 and len(page["data"]) <= 2
                seen += [d["id"] for d in page["data"]]
                if page["next_cursor"] is None:
                    break
                params = {"limit": 2, "cursor": page["next_cursor"]}
            assert sorted(seen) == sorted(alpha) and len(seen) == len(set(seen))
            created = [
                d["timings"]["created_at"]
                for d in (await client.get("/v1/documents", headers=bearer(keys.alpha))).json()["data"]
            ]
            assert created == sorted(created, reverse=True)
            last = (await client.get("/v1/documents", params={"limit": 5}, headers=bearer(keys.alpha))).json()
            assert last["next_cursor"] is None  # exactly one full page: no empty page after it
            bad = await client.get(
                "/v1/documents", params={"cursor": "not-a-cursor"}, headers=bearer(keys.alpha)
            )
            assert bad.status_code == 422
            query = await client.get("/v1/query/documents", params={"limit": 3}, headers=bearer(keys.alpha))
            body = query.json()
            assert len(body["data"]) == 3 and body["limit"] == 3 and body["next_cursor"]
            assert body["items"] == body["data"]  # the old name still answers

    asyncio.run(go())
