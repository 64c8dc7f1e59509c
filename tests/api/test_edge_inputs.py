"""Ordinary bad input at the HTTP edge is a 4xx problem, never a 500, on SQLite and on
PostgreSQL (which refuses NUL bytes and over-long strings inside the driver): upload
options, query and path parameters, crafted cursors, out-of-range times and numbers, webhook
timestamps, and custom schemas whose field names do not fit their column."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from urllib.parse import quote

import httpx

from api.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, signed_headers
from core.settings import Settings
from storage import repository as repo
from storage.database import make_engine, make_session_factory
from storage.tables import ExtractionField
from tests.api.conftest import SECRET, Keys, bearer, running_app
from tests.api.edge import blob_files, multipart, staged_files
from tests.support.documents import make_pdf


def _is_problem(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status


def _cursor(*parts: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode().rstrip("=")


BAD_UPLOADS: list[tuple[dict[str, str], str]] = [
    ({"file_name": "a" * 497 + ".pdf"}, "file name"),  # 501 characters; the column holds 500
    ({"file_name": "in\x00voice.pdf"}, "file name"),
    ({"file_name": "in\x1bvoice.pdf"}, "file name"),
    ({"file_name": "in\x85voice.pdf"}, "file name"),  # C1 control
    ({"idempotency_key": "k\x00"}, "idempotency_key"),
    ({"idempotency_key": "k" * 201}, "idempotency_key"),
    ({"callback_url": "http://127.0.0.1/\x00"}, "callback_url"),
    ({"callback_url": "https://x/" + "a" * 1991}, "callback_url"),
    ({"schema": "in\x00voice"}, "schema"),
    ({"schema": "s" * 101}, "schema"),
]


def test_upload_options_that_do_not_fit_their_column_are_422_and_store_nothing(
    api_db_settings: Settings, keys: Keys
) -> None:
    async def go() -> None:
        async with running_app(api_db_settings) as (_, client):
            for change, named in BAD_UPLOADS:
                fields = {"schema": "invoice", **{k: v for k, v in change.items() if k != "file_name"}}
                body, content_type = multipart(
                    fields, file_name=change.get("file_name", "a.pdf"), content=make_pdf(str(uuid.uuid4()))
                )
                headers = {**bearer(keys.alpha), "Content-Type": content_type}
                refused = await client.post("/v1/documents", content=body, headers=headers)
                _is_problem(refused, 422)
                assert named in refused.json()["detail"], (change, refused.text)
            listed = await client.get("/v1/documents", headers=bearer(keys.alpha))
            assert listed.json()["count"] == 0

    asyncio.run(go())
    assert blob_files(api_db_settings.storage.blob_dir) == set()
    assert staged_files(api_db_settings.storage.blob_dir) == []


def test_a_file_name_of_exactly_the_column_length_is_stored(api_db_settings: Settings, keys: Keys) -> None:
    name = "b" * 496 + ".pdf"  # 500 characters: the column's length, accepted on both databases
    body, content_type = multipart({"schema": "invoice"}, file_name=name, content=make_pdf(str(uuid.uuid4())))

    async def go() -> None:
        async with running_app(api_db_settings) as (_, client):
            headers = {**bearer(keys.alpha), "Content-Type": content_type}
            accepted = await client.post("/v1/documents", content=body, headers=headers)
            assert accepted.status_code == 202, accepted.text
            doc = await client.get(accepted.headers["location"], headers=bearer(keys.alpha))
            assert doc.json()["file_name"] == name

    asyncio.run(go())


BAD_QUERIES = [
    "/v1/documents?schema=in%00voice",
    "/v1/documents/abc%00def",
    "/v1/documents/abc%00def/result",
    "/v1/query/documents?engine=local%00",
    "/v1/query/documents?model=m%00",
    "/v1/query/documents?tier=t%00",
    "/v1/query/documents?schema=s%01",
    "/v1/query/documents?field=total&op=eq&value=1%00",
    "/v1/query/documents?sort=id%00",
    "/v1/query/documents?cursor=a%00",
    "/v1/reports/fields?schema=a%00",
    "/v1/reports/costs?by=tenant%00",
    "/v1/documents?schema=" + "s" * 1001,
]


def test_parameters_with_control_characters_or_no_end_are_422(api_db_settings: Settings, keys: Keys) -> None:
    async def go() -> None:
        async with running_app(api_db_settings) as (_, client):
            for path in BAD_QUERIES:
                _is_problem(await client.get(path, headers=bearer(keys.alpha)), 422)

    asyncio.run(go())


def test_a_document_id_longer_than_any_id_is_404(api_db_settings: Settings, keys: Keys) -> None:
    async def go() -> httpx.Response:
        async with running_app(api_db_settings) as (_, client):
            return await client.get("/v1/documents/" + "d" * 300, headers=bearer(keys.alpha))

    _is_problem(asyncio.run(go()), 404)


CRAFTED_CURSORS = [
    ("-created_at", _cursor("-created_at", "2026-01-01T00:00:00", str(uuid.uuid4()))),  # naive
    ("-created_at", _cursor("-created_at", "0001-01-01T00:00:00+05:00", "x")),  # before year 1 in UTC
    ("cost_usd", _cursor("cost_usd", "sNaN", str(uuid.uuid4()))),
    ("cost_usd", _cursor("cost_usd", "NaN", str(uuid.uuid4()))),
    ("cost_usd", _cursor("cost_usd", "-Infinity", str(uuid.uuid4()))),
    ("cost_usd", _cursor("cost_usd", "1e999999", str(uuid.uuid4()))),
    ("id", _cursor("id", "a\x00", "a\x00")),
    ("id", _cursor("id", "i" * 37, "i" * 37)),
    ("-created_at", _cursor("-created_at", ["2026"], 5)),
    ("-created_at", "%%%%"),
    ("-created_at", base64.urlsafe_b64encode(b"\xff\xfe{").decode()),
    ("cost_usd", _cursor("-created_at", "2026-01-01T00:00:00+00:00", "x")),  # another sort's
]


def test_crafted_cursors_are_422(api_db_settings: Settings, keys: Keys) -> None:
    pdfs = [make_pdf(f"cursor {i} {uuid.uuid4()}") for i in range(2)]

    async def go() -> None:
        async with running_app(api_db_settings) as (_, client):
            for pdf in pdfs:  # rows for the cursor's condition to be evaluated against
                r = await client.post(
                    "/v1/documents",
                    headers=bearer(keys.alpha),
                    files={"file": ("c.pdf", pdf, "application/pdf")},
                    data={"schema": "invoice"},
                )
                assert r.status_code == 202, r.text
            for sort in ("-created_at", "cost_usd", "id"):
                # A cursor the server made still pages on (the refusals are not blanket).
                first = await client.get(
                    f"/v1/query/documents?sort={sort}&limit=1", headers=bearer(keys.alpha)
                )
                assert first.status_code == 200, first.text
                following = first.json()["next_cursor"]
                second = await client.get(
                    f"/v1/query/documents?sort={sort}&limit=1&cursor={following}", headers=bearer(keys.alpha)
                )
                assert second.status_code == 200, second.text
                assert second.json()["items"][0]["document_id"] != first.json()["items"][0]["document_id"]
            for sort, cursor in CRAFTED_CURSORS:
                crafted = await client.get(
                    f"/v1/query/documents?sort={sort}&cursor={quote(cursor)}", headers=bearer(keys.alpha)
                )
                _is_problem(crafted, 422)
                assert "cursor" in crafted.json()["detail"], cursor

    asyncio.run(go())


OUT_OF_RANGE = [
    "/v1/query/documents?since=0001-01-01T00:00:00%2B05:00",
    "/v1/query/documents?until=9999-12-31T23:59:59-05:00",
    "/v1/documents?created_after=0001-01-01T00:00:00%2B05:00",
    "/v1/documents?created_before=9999-12-31T23:59:59-05:00",
    "/v1/documents?created_after=2026-01-01T00:00:00",  # no time zone
    "/v1/reports/costs?since=0001-01-01T00:00:00%2B01:00",
    "/v1/query/documents?field=total_amount&op=gt&value=1e999999",
    "/v1/query/documents?field=total_amount&op=lt&value=-1e16",
    "/v1/query/documents?field=total_amount&op=eq&value=1e-99999",
    "/v1/query/documents?min_confidence=nan",
    "/v1/query/documents?limit=100000000000000000000000000000",
    "/v1/documents?offset=-1",
]


def test_times_and_numbers_out_of_range_are_422(api_db_settings: Settings, keys: Keys) -> None:
    async def go() -> None:
        async with running_app(api_db_settings) as (_, client):
            for path in OUT_OF_RANGE:
                _is_problem(await client.get(path, headers=bearer(keys.alpha)), 422)

    asyncio.run(go())


MALFORMED_TIMESTAMPS = [
    "9" * 400,
    "1" * 13,
    "+1700000000",
    "1_700_000_000",
    "1700000000.5",
    "-5",
    "0x6553F100",
]


def test_malformed_webhook_timestamps_are_401(api_db_settings: Settings, keys: Keys) -> None:
    body, content_type = multipart({"tenant": "alpha"}, content=make_pdf(str(uuid.uuid4())))

    async def go() -> None:
        async with running_app(api_db_settings) as (_, client):
            for timestamp in MALFORMED_TIMESTAMPS:
                headers = {
                    TIMESTAMP_HEADER: timestamp,
                    SIGNATURE_HEADER: sign(SECRET, timestamp, body),
                    "Content-Type": content_type,
                }
                refused = await client.post("/v1/webhooks/documents", content=body, headers=headers)
                _is_problem(refused, 401)
                assert TIMESTAMP_HEADER in refused.json()["detail"], timestamp

    asyncio.run(go())


def test_a_signed_push_naming_an_impossible_tenant_is_422(api_db_settings: Settings, keys: Keys) -> None:
    async def go() -> None:
        async with running_app(api_db_settings) as (_, client):
            for tenant in ("al\x00pha", "t" * 201):
                body, content_type = multipart({"tenant": tenant}, content=make_pdf(str(uuid.uuid4())))
                headers = {**signed_headers(SECRET, body), "Content-Type": content_type}
                refused = await client.post("/v1/webhooks/documents", content=body, headers=headers)
                _is_problem(refused, 422)
                assert "tenant" in refused.json()["detail"]

    asyncio.run(go())
    assert blob_files(api_db_settings.storage.blob_dir) == set()


def test_a_custom_schema_with_a_field_name_too_long_to_store_is_refused_at_upload(
    api_db_settings: Settings, keys: Keys
) -> None:
    long_name = "f" * 150  # extraction_fields.name holds 100
    engine = make_engine(api_db_settings)
    try:
        with make_session_factory(engine).begin() as session:
            # Straight into the table: a row registered before registration checked names.
            repo.add_schema_version(
                session,
                name="too-long",
                json_schema={"type": "object", "properties": {long_name: {"type": "string"}}},
                description="",
            )
    finally:
        engine.dispose()
    body, content_type = multipart({"schema": "too-long"}, content=make_pdf(str(uuid.uuid4())))

    async def go() -> httpx.Response:
        async with running_app(api_db_settings) as (_, client):
            headers = {**bearer(keys.alpha), "Content-Type": content_type}
            return await client.post("/v1/documents", content=body, headers=headers)

    refused = asyncio.run(go())
    _is_problem(refused, 422)
    assert str(ExtractionField.name.type.length) in refused.json()["detail"]  # says the limit
    assert blob_files(api_db_settings.storage.blob_dir) == set()
