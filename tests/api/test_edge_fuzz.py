"""Hypothesis against the real app on PostgreSQL (the database that refuses NUL bytes and
over-long strings): fuzzed upload forms (file name, schema, idempotency key, callback URL,
tenant, bytes) through both upload routes, and fuzzed query, path and cursor parameters
through the read routes, never get a 5xx; every refusal is problem+json. Bounded and
derandomized so it stays fast and repeatable."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.signing import signed_headers
from core.settings import Settings
from tests.api.conftest import HOOK_HOST, SECRET, Keys, bearer, running_app
from tests.api.edge import multipart
from tests.support.documents import make_pdf

EXAMPLES = 60
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Text as a hostile client writes it: any character (NUL and other controls included), short
# or long, and lengths right at and just past the columns that store upload options.
_ANY_CHAR = st.characters(exclude_categories=("Cs",))
_COLUMN_EDGES = (36, 37, 64, 65, 100, 101, 200, 201, 500, 501, 1000, 1001, 2000, 2001)
hostile_text = st.one_of(
    st.text(_ANY_CHAR, max_size=30),
    st.builds(lambda n, c: c * n, st.sampled_from(_COLUMN_EDGES), st.sampled_from(["a", "é", "\x00", "/"])),
    st.builds(lambda a, b: a + "\x00" + b, st.text(max_size=10), st.text(max_size=10)),
    st.sampled_from(["invoice", "receipt", "alpha", "-created_at", "cost_usd", "id", ""]),
)


def mostly(valid: list[Any]) -> st.SearchStrategy[Any]:
    """A valid value four times in five, else hostile text: most examples then get past the
    first check and reach the deeper ones (storage, conflicts, cursors)."""
    valid_values = st.sampled_from(valid)
    return st.sampled_from([True, True, True, True, False]).flatmap(
        lambda ok: valid_values if ok else hostile_text
    )


def _fuzz_cursor(sort: str, key: str, document_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([sort, key, document_id]).encode()).decode().rstrip("=")


cursors = st.one_of(
    hostile_text,
    st.builds(
        _fuzz_cursor,
        st.sampled_from(["-created_at", "created_at", "cost_usd", "-cost_usd", "id"]),
        st.one_of(
            hostile_text,
            st.sampled_from(["sNaN", "NaN", "Infinity", "1e999999", "-1e-999999", "2026-01-01T00:00:00"]),
            st.datetimes().map(lambda d: d.isoformat()),
        ),
        hostile_text,
    ),
)


def _problem_or_success(response: httpx.Response, what: object) -> None:
    assert response.status_code < 500, (what, response.status_code, response.text)
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json", (what, response.text)


def _with_app(settings_: Settings, body: Callable[[Callable[[Any], Any], httpx.AsyncClient], None]) -> None:
    """Run ``body(run, client)`` with the app up on one event loop kept across examples."""
    with asyncio.Runner() as runner:
        stack = AsyncExitStack()
        _, client = runner.run(stack.enter_async_context(running_app(settings_)))
        try:
            body(runner.run, client)
        finally:
            runner.run(stack.aclose())


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_fuzzed_uploads_never_get_a_5xx(api_db_settings: Settings, keys: Keys) -> None:
    pdfs = [make_pdf(f"fuzz {i} {uuid.uuid4()}") for i in range(3)]

    def body(run: Callable[[Any], Any], client: httpx.AsyncClient) -> None:
        @FUZZ
        @given(
            route=st.sampled_from(["api", "webhook"]),
            hostile=st.sampled_from([None, *_UPLOAD_FIELDS]),
            data=st.data(),
            content=st.one_of(st.sampled_from(pdfs), st.sampled_from(pdfs), st.binary(max_size=64)),
        )
        def upload(route: str, hostile: str | None, data: st.DataObject, content: bytes) -> None:
            # One field hostile (or none), the others valid, so each example gets as deep as
            # its one bad value allows: the check for that value is what it exercises.
            drawn = {
                name: data.draw(hostile_text if name == hostile else st.sampled_from(valid), label=name)
                for name, valid in _UPLOAD_FIELDS.items()
            }
            fields = {
                name: value
                for name, value in drawn.items()
                if value is not None and name != "file_name" and (name != "tenant" or route == "webhook")
            }
            body, content_type = multipart(fields, file_name=drawn["file_name"], content=content)
            if route == "api":
                headers = {**bearer(keys.alpha), "Content-Type": content_type}
                url = "/v1/documents"
            else:
                headers = {**signed_headers(SECRET, body), "Content-Type": content_type}
                url = "/v1/webhooks/documents"
            _problem_or_success(run(client.post(url, content=body, headers=headers)), drawn)

        upload()

    _with_app(api_db_settings, body)


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_fuzzed_query_parameters_never_get_a_5xx(api_db_settings: Settings, keys: Keys) -> None:
    def body(run: Callable[[Any], Any], client: httpx.AsyncClient) -> None:
        seeded = run(
            client.post(
                "/v1/documents",
                headers=bearer(keys.alpha),
                files={"file": ("seed.pdf", make_pdf(f"seed {uuid.uuid4()}"), "application/pdf")},
                data={"schema": "invoice"},
            )
        )
        assert seeded.status_code == 202, seeded.text

        @FUZZ
        @given(
            route=st.sampled_from(["list", "query", "costs", "fields", "document", "result"]),
            text=st.lists(
                st.sampled_from(sorted(_TEXT_PARAMS)).flatmap(
                    lambda name: st.tuples(st.just(name), mostly(_TEXT_PARAMS[name]))
                ),
                max_size=4,
            ),
            times=st.lists(
                st.tuples(
                    st.sampled_from(["since", "until", "created_after", "created_before"]),
                    st.one_of(
                        hostile_text, st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat())
                    ),
                ),
                max_size=2,
            ),
            numbers=st.lists(
                st.tuples(
                    st.sampled_from(["limit", "offset", "min_confidence", "value"]),
                    st.one_of(
                        st.integers(min_value=-(10**30), max_value=10**30).map(str),
                        st.floats().map(str),
                        st.decimals().map(str),
                    ),
                ),
                max_size=2,
            ),
            cursor=st.one_of(st.none(), cursors),
            document_id=hostile_text,
            admin=st.booleans(),
        )
        def read(
            route: str,
            text: list[tuple[str, str]],
            times: list[tuple[str, str]],
            numbers: list[tuple[str, str]],
            cursor: str | None,
            document_id: str,
            admin: bool,
        ) -> None:
            params = [*text, *times, *numbers]
            if cursor is not None:
                params.append(("cursor", cursor))
            query = "&".join(f"{quote(k)}={quote(v, safe='')}" for k, v in params)
            path = {
                "list": "/v1/documents",
                "query": "/v1/query/documents",
                "costs": "/v1/reports/costs",
                "fields": "/v1/reports/fields",
                "document": "/v1/documents/" + quote(document_id, safe=""),
                "result": "/v1/documents/" + quote(document_id, safe="") + "/result",
            }[route]
            url = f"{path}?{query}" if query else path
            key = keys.admin if admin else keys.alpha
            _problem_or_success(run(client.get(url, headers=bearer(key))), url)

        read()

    _with_app(api_db_settings, body)


# Upload form fields with values that are valid (None: the field is left out).
_UPLOAD_FIELDS: dict[str, list[str | None]] = {
    "file_name": [None, "a.pdf", "scan 1.png", "facture-é.pdf", "c" * 496 + ".pdf"],
    "schema": [None, "invoice", "receipt"],
    "idempotency_key": [None, None, "k-1", "k-2", "k" * 200],
    "callback_url": [None, None, f"https://{HOOK_HOST}/hook"],
    "tenant": ["alpha", "beta"],
}
# Query parameters that take text, with values that mean something to some route.
_TEXT_PARAMS: dict[str, list[str]] = {
    "schema": ["invoice", "receipt"],
    "status": ["queued", "done", "needs_review"],
    "tenant": ["alpha", "beta"],
    "engine": ["local", "llama"],
    "model": ["meta-llama/Llama-4-Scout-17B-16E-Instruct"],
    "tier": ["free", "standard"],
    "field": ["total_amount", "vendor_name", "line_items.amount"],
    "op": ["eq", "gt", "le", "contains"],
    "value": ["10", "2026-01-31", "acme", "-0.5"],
    "sort": ["-created_at", "created_at", "cost_usd", "-id"],
    "by": ["tenant,month", "model", "tier,status"],
    "has_review_flags": ["true", "false"],
}
