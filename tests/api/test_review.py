"""The review API over the real app (ASGI) on SQLite and PostgreSQL: the queue with reasons
and keyset pages, a correction as a new human version authored by the key, stale versions
and bad values refused as problems, approval and rejection, tenants kept apart."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from core.settings import Settings
from models.document import DocumentStatus
from storage import repository as repo
from storage.database import make_engine, make_session_factory
from tests.api.conftest import Keys, bearer, running_app
from tests.support.review import InReview, needs_review

PROBLEM = "application/problem+json"


def _stored(settings: Settings, document_id: str) -> dict[str, Any]:
    db = make_engine(settings)
    try:
        with make_session_factory(db)() as session:
            document = repo.get_document(session, document_id)
            assert document is not None
            versions = repo.extraction_history(session, document_id)
            return {
                "status": document.status,
                "reason": document.reason,
                "reviewed_by": document.reviewed_by,
                "versions": [(v.version, v.source, v.author, v.is_current) for v in versions],
                "current": next(v.result for v in versions if v.is_current),
                "corrections": [
                    (c.field, c.before, c.after, c.author)
                    for c in repo.corrections_for(session, document_id=document_id)
                ],
            }
    finally:
        db.dispose()


def _prefix(key: str) -> str:
    return key[:12]


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def test_the_queue_shows_each_tenant_its_own_documents_with_reasons_in_pages(
    api_db_settings: Settings, keys: Keys
) -> None:
    alpha = [needs_review(api_db_settings, seed=seed, tenant="alpha") for seed in (21, 22, 23)]
    beta = needs_review(api_db_settings, seed=24, tenant="beta")

    async def go() -> None:
        async with running_app(api_db_settings) as (_, client):
            mine = (await client.get("/v1/review", headers=bearer(keys.alpha))).json()
            assert {item["id"] for item in mine["data"]} == {d.document_id for d in alpha}
            for item in mine["data"]:
                assert item["reason"] and item["review_flags"] and item["extraction_version"] >= 1
                assert "total_amount" in item["flagged_fields"]
            everyone = (await client.get("/v1/review?order=tier", headers=bearer(keys.admin))).json()
            assert {item["id"] for item in everyone["data"]} == {d.document_id for d in [*alpha, beta]}
            # Keyset pages of one: every document once, in the order of the whole list.
            seen, cursor = [], None
            while True:
                query = "/v1/review?limit=1" + (f"&cursor={cursor}" if cursor else "")
                page = (await client.get(query, headers=bearer(keys.alpha))).json()
                seen += [item["id"] for item in page["data"]]
                cursor = page["next_cursor"]
                if cursor is None:
                    break
            assert seen == [item["id"] for item in mine["data"]]
            _problem(await client.get("/v1/review?cursor=nonsense", headers=bearer(keys.alpha)), 422)
            _problem(await client.get("/v1/review?order=newest", headers=bearer(keys.alpha)), 422)
            assert (await client.get("/v1/review")).status_code == 401

    asyncio.run(go())


def test_a_correction_makes_a_human_version_and_approval_ends_the_review(
    api_db_settings: Settings, keys: Keys
) -> None:
    doc = needs_review(api_db_settings, seed=31, tenant="alpha")
    right_total = doc.right["total_amount"]
    auth = bearer(keys.alpha)

    async def go() -> None:
        async with running_app(api_db_settings) as (_, client):
            view = (await client.get(f"/v1/review/{doc.document_id}", headers=auth)).json()
            total = view["fields"]["total_amount"]
            assert total["value"] == doc.answered["total_amount"] and total["kind"] == "money"
            assert total["essential"] and any("total_amount" in flag for flag in total["review_flags"])
            first = view["extraction_version"]
            path = f"/v1/documents/{doc.document_id}/fields"

            bad = _problem(
                await client.patch(
                    path, headers=auth, json={"extraction_version": first, "fields": {"total_amount": "lots"}}
                ),
                422,
            )
            assert bad["field"] == "total_amount" and "total_amount" in bad["detail"]
            unknown = _problem(
                await client.patch(
                    path, headers=auth, json={"extraction_version": first, "fields": {"no_such": "1"}}
                ),
                422,
            )
            assert unknown["field"] == "no_such"
            assert _stored(api_db_settings, doc.document_id)["corrections"] == []  # nothing written

            done = await client.patch(
                path,
                headers=auth,
                json={"extraction_version": first, "fields": {"total_amount": str(right_total)}},
            )
            assert done.status_code == 200, done.text
            assert done.json()["extraction_version"] > first and done.json()["changed"] == ["total_amount"]
            stale = _problem(
                await client.patch(
                    path, headers=auth, json={"extraction_version": first, "fields": {"total_amount": "1"}}
                ),
                409,
            )
            assert stale["current_version"] == done.json()["extraction_version"]
            approve = f"/v1/documents/{doc.document_id}/approve"
            _problem(await client.post(approve, headers=auth, json={"extraction_version": first}), 409)
            approved = await client.post(
                approve, headers=auth, json={"extraction_version": done.json()["extraction_version"]}
            )
            assert approved.status_code == 200, approved.text
            assert approved.json()["status"] == "done" and approved.json()["reviewed_by"] == _prefix(
                keys.alpha
            )
            again = _problem(await client.post(approve, headers=auth), 409)
            assert again["document_status"] == "done"

    asyncio.run(go())
    stored = _stored(api_db_settings, doc.document_id)
    assert stored["status"] is DocumentStatus.DONE and stored["reviewed_by"] == _prefix(keys.alpha)
    engine_version, human_version = stored["versions"][0], stored["versions"][-1]
    assert engine_version[1] == "engine" and human_version[1:] == ("human", _prefix(keys.alpha), True)
    assert float(stored["current"]["fields"]["total_amount"]["value"]) == float(right_total)
    assert [(c[0], c[3]) for c in stored["corrections"]] == [("total_amount", _prefix(keys.alpha))]


def test_a_rejection_needs_a_reason_and_another_tenant_finds_nothing(
    api_db_settings: Settings, keys: Keys
) -> None:
    doc: InReview = needs_review(api_db_settings, seed=41, tenant="alpha")
    base = f"/v1/documents/{doc.document_id}"

    async def go() -> None:
        async with running_app(api_db_settings) as (_, client):
            other = bearer(keys.beta)
            _problem(await client.get(f"/v1/review/{doc.document_id}", headers=other), 404)
            _problem(
                await client.patch(
                    f"{base}/fields",
                    headers=other,
                    json={"extraction_version": 1, "fields": {"total_amount": 1}},
                ),
                404,
            )
            _problem(await client.post(f"{base}/approve", headers=other), 404)
            _problem(await client.post(f"{base}/reject", headers=other, json={"reason": "mine now"}), 404)
            _problem(await client.get(f"{base}/pages/1/image", headers=other), 404)
            assert (await client.get("/v1/review", headers=other)).json()["data"] == []

            auth = bearer(keys.alpha)
            _problem(await client.post(f"{base}/reject", headers=auth, json={}), 422)
            _problem(await client.post(f"{base}/reject", headers=auth, json={"reason": "   "}), 422)
            rejected = await client.post(f"{base}/reject", headers=auth, json={"reason": "not an invoice"})
            assert rejected.status_code == 200, rejected.text
            assert rejected.json()["status"] == "rejected"
            status = (await client.get(base, headers=auth)).json()
            assert status["status"] == "rejected" and status["reason"] == "not an invoice"

    asyncio.run(go())
    stored = _stored(api_db_settings, doc.document_id)
    assert stored["status"] is DocumentStatus.REJECTED and stored["reviewed_by"] == _prefix(keys.alpha)
    assert [v[1] for v in stored["versions"]] == ["engine"]  # beta's attempts changed nothing


def test_a_body_that_is_not_json_is_a_422_problem_and_changes_nothing(
    api_db_settings: Settings, keys: Keys
) -> None:
    # Bytes that are not UTF-8 (FastAPI alone answers an undocumented 400) and bytes that are
    # text but not JSON (FastAPI's own 422): one rule for both, as the OpenAPI document says.
    doc: InReview = needs_review(api_db_settings, seed=43, tenant="alpha")
    base = f"/v1/documents/{doc.document_id}"
    headers = {**bearer(keys.alpha), "content-type": "application/json"}

    async def go() -> list[dict[str, Any]]:
        async with running_app(api_db_settings) as (app, client):
            documented = app.openapi()["paths"]["/v1/documents/{document_id}/fields"]["patch"]["responses"]
            assert "422" in documented and "400" not in documented
            return [
                _problem(await client.request(method, base + path, headers=headers, content=body), 422)
                for method, path, body in [
                    ("PATCH", "/fields", b"q\xff g\xfe"),
                    ("PATCH", "/fields", b'{"extraction_version": 1, "fields": {'),
                    ("POST", "/reject", b'{"reason": "\xc3"}'),
                    ("POST", "/approve", b"\xff\xfe\xff"),
                ]
            ]

    problems = asyncio.run(go())
    assert [p["errors"][0]["type"] for p in problems] == ["json_invalid"] * 4
    stored = _stored(api_db_settings, doc.document_id)
    assert stored["status"] is DocumentStatus.NEEDS_REVIEW and len(stored["versions"]) == 1
