"""``/dashboard/documents`` over the real app (ASGI), on SQLite and PostgreSQL: the filters
return the right rows, a tenant's session sees only its tenant, keyset pages follow their
next link, file names are escaped, and the dashboard's bars link to the documents behind
them."""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import re
from decimal import Decimal

import httpx

from core.settings import Settings
from models.document import DocumentStatus
from storage import repository as repo
from storage.database import make_engine, make_session_factory, session_scope
from tests.analytics.seed import seed
from tests.api.conftest import Keys, bearer, running_app

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
DAY = dt.date(2026, 3, 10)
HOSTILE = "<script>alert('x')</script>&\"q\".pdf"


def _add(  # noqa: PLR0913 - one per stored column the test sets
    settings: Settings,
    *,
    tenant: str,
    status: DocumentStatus,
    schema: str = "invoice",
    day: int = 0,
    file_name: str | None = None,
    count: int = 1,
) -> list[str]:
    """``count`` documents of ``tenant``, created on ``DAY`` + ``day`` (a minute apart)."""
    engine = make_engine(settings)
    ids = []
    try:
        with session_scope(make_session_factory(engine)) as session:
            owner = repo.get_tenant(session, name=tenant)
            assert owner is not None
            for n in range(count):
                document, created = repo.register_document(
                    session,
                    tenant_id=owner.id,
                    sha256=f"{tenant}-{status}-{schema}-{day}-{n}-{file_name}".ljust(64, "0")[:64],
                    schema_name=schema,
                    file_name=file_name or f"{tenant}-{status}-{n}.pdf",
                    kind=None,
                    media_type="application/pdf",
                    size_bytes=100,
                    blob_key=None,
                    licence_tier=owner.tier,
                    source="api",
                    status=status,
                    reason="a rule asks for a person" if status == DocumentStatus.NEEDS_REVIEW else None,
                )
                assert created
                document.created_at = dt.datetime.combine(
                    DAY, dt.time(9, n % 60), tzinfo=dt.UTC
                ) + dt.timedelta(days=day, hours=n // 60)
                document.engine, document.cost_usd = "local", Decimal("0.25")
                ids.append(document.id)
    finally:
        engine.dispose()
    return ids


async def _sign_in(client: httpx.AsyncClient, key: str) -> None:
    form = await client.get("/signin?next=/dashboard/documents")
    token = re.search(r"name='csrf' value='([^']+)'", form.text)
    assert token is not None
    body = httpx.QueryParams({"csrf": token.group(1), "key": key, "next": "/dashboard/documents"})
    signed = await client.post("/signin", content=str(body), headers=FORM)
    assert signed.status_code == 303 and signed.headers["location"] == "/dashboard/documents"


def _rows(page: httpx.Response) -> list[str]:
    assert page.status_code == 200, page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    return re.findall(r"<tr data-id='([^']+)'", page.text)


def _next(page: httpx.Response) -> str | None:
    found = re.search(r"<a id='next' href='([^']+)'", page.text)
    return html.unescape(found.group(1)) if found else None


def test_the_filters_return_the_right_rows(api_db_settings: Settings, keys: Keys) -> None:
    review_a = _add(api_db_settings, tenant="alpha", status=DocumentStatus.NEEDS_REVIEW)
    done_a = _add(api_db_settings, tenant="alpha", status=DocumentStatus.DONE, day=1)
    receipt_a = _add(api_db_settings, tenant="alpha", status=DocumentStatus.FAILED, schema="receipt", day=1)
    review_b = _add(api_db_settings, tenant="beta", status=DocumentStatus.NEEDS_REVIEW)
    receipt_b = _add(api_db_settings, tenant="beta", status=DocumentStatus.DONE, schema="receipt", day=2)
    everything = review_a + done_a + receipt_a + review_b + receipt_b

    async def go() -> dict[str, list[str]]:
        async with running_app(api_db_settings) as (_, client):
            await _sign_in(client, keys.admin)
            queries = {
                "all": "",
                "review": "status=needs_review",
                "beta": "tenant=beta",
                "receipt": "schema=receipt",
                "day1": f"created_from={DAY + dt.timedelta(days=1)}&created_to={DAY + dt.timedelta(days=1)}",
                "from1": f"created_from={DAY + dt.timedelta(days=1)}",
                "to0": f"created_to={DAY}",
                "done_alpha": "status=done&tenant=alpha&schema=invoice",
                "empty_fields": "status=&tenant=&schema=&created_from=&created_to=",
            }
            found = {
                name: _rows(await client.get(f"/dashboard/documents?{q}")) for name, q in queries.items()
            }
            bad = await client.get("/dashboard/documents?status=lost")
            assert bad.status_code == 422 and "status" in bad.json()["detail"]
            return found

    found = asyncio.run(go())
    assert sorted(found["all"]) == sorted(everything) == sorted(found["empty_fields"])
    assert sorted(found["review"]) == sorted(review_a + review_b)
    assert sorted(found["beta"]) == sorted(review_b + receipt_b)
    assert sorted(found["receipt"]) == sorted(receipt_a + receipt_b)
    assert sorted(found["day1"]) == sorted(done_a + receipt_a)
    assert sorted(found["from1"]) == sorted(done_a + receipt_a + receipt_b)
    assert sorted(found["to0"]) == sorted(review_a + review_b)
    assert found["done_alpha"] == done_a
    assert found["all"][0] == receipt_b[0]  # newest first


def test_a_tenant_session_sees_only_its_tenant(api_db_settings: Settings, keys: Keys) -> None:
    review_a = _add(api_db_settings, tenant="alpha", status=DocumentStatus.NEEDS_REVIEW)
    done_a = _add(api_db_settings, tenant="alpha", status=DocumentStatus.DONE)
    done_b = _add(api_db_settings, tenant="beta", status=DocumentStatus.DONE)

    async def go() -> None:
        async with running_app(api_db_settings) as (_, client):
            away = await client.get("/dashboard/documents?status=done")
            assert away.status_code == 303
            assert away.headers["location"] == "/signin?next=%2Fdashboard%2Fdocuments%3Fstatus%3Ddone"
            await _sign_in(client, keys.alpha)
            page = await client.get("/dashboard/documents")
            assert sorted(_rows(page)) == sorted(review_a + done_a)
            assert "name='tenant'" not in page.text  # no tenant filter to offer
            assert f"href='/review#{review_a[0]}'" in page.text
            assert f"href='/dashboard/documents/{done_a[0]}'" in page.text
            other = await client.get("/dashboard/documents?tenant=beta")
            assert other.status_code == 403
            mine = await client.get(f"/dashboard/documents/{done_a[0]}")
            assert mine.status_code == 200 and mine.json()["id"] == done_a[0]
            assert (
                mine.json()
                == (await client.get(f"/v1/documents/{done_a[0]}", headers=bearer(keys.alpha))).json()
            )
            assert (await client.get(f"/dashboard/documents/{done_b[0]}")).status_code == 404
            # A key works as well as a session, with the same scope.
            by_key = await client.get("/dashboard/documents", headers=bearer(keys.beta))
            assert _rows(by_key) == done_b

    asyncio.run(go())


def test_file_names_are_escaped(api_db_settings: Settings, keys: Keys) -> None:
    [hostile] = _add(api_db_settings, tenant="alpha", status=DocumentStatus.DONE, file_name=HOSTILE)

    async def go() -> str:
        async with running_app(api_db_settings) as (_, client):
            await _sign_in(client, keys.admin)
            page = await client.get("/dashboard/documents?schema=" + "<b>")
            assert "&lt;b&gt;" in page.text and "<b>" not in page.text  # the filter's echo too
            return (await client.get("/dashboard/documents")).text

    page = asyncio.run(go())
    assert "<script>" not in page
    assert f">{html.escape(HOSTILE)}</a>" in page
    assert hostile in page


def test_the_next_link_pages_through_everything_with_its_filters(
    api_db_settings: Settings, keys: Keys
) -> None:
    done = _add(api_db_settings, tenant="alpha", status=DocumentStatus.DONE, count=73)
    _add(api_db_settings, tenant="alpha", status=DocumentStatus.FAILED, count=3)

    async def go() -> list[list[str]]:
        async with running_app(api_db_settings) as (_, client):
            await _sign_in(client, keys.alpha)
            pages, address = [], "/dashboard/documents?status=done"
            while address is not None:
                page = await client.get(address)
                pages.append(_rows(page))
                address = _next(page)
                assert address is None or "status=done" in address
            bad = await client.get("/dashboard/documents?cursor=not-a-cursor")
            assert bad.status_code == 422
            return pages

    pages = asyncio.run(go())
    assert [len(p) for p in pages] == [50, 23]
    assert pages[0] + pages[1] == list(reversed(done))  # newest first, none twice, none lost


def _links(page: str, chart: str) -> dict[tuple[str, str], str]:
    """(label, series) of each linked bar of ``chart`` -> its href."""
    svg = page[page.index(f'<svg id="{chart}"') :]
    svg = svg[: svg.index("</svg>")]
    bars = re.findall(
        r'<a href="([^"]+)"><rect class="bar"[^>]*data-label="([^"]*)"(?: data-series="([^"]*)")?', svg
    )
    return {
        (html.unescape(label), html.unescape(series)): html.unescape(href) for href, label, series in bars
    }


def test_the_dashboard_bars_link_to_the_documents_behind_them(api_db_settings: Settings) -> None:
    truth = seed(api_db_settings, documents=12)
    engine = make_engine(api_db_settings)
    try:
        with session_scope(make_session_factory(engine)) as session:
            admin = repo.create_api_key(session, tenant_id=None)[1]
    finally:
        engine.dispose()
    in_review = {d["document_id"] for d in truth.invoices if d["flags"]}
    of_north = {d["document_id"] for d in truth.invoices if d["tenant"] == "north"}
    assert in_review and of_north

    async def go() -> tuple[dict[tuple[str, str], str], ...]:
        async with running_app(api_db_settings) as (_, client):
            await _sign_in(client, admin)
            page = (await client.get("/dashboard")).text
            status, cost, review = (_links(page, c) for c in ("chart-status", "chart-cost", "chart-review"))
            followed = {}
            for links in (status, cost, review):
                for key, href in links.items():
                    followed[key] = _rows(await client.get(href))
            return status, cost, review, followed

    status, cost, review, followed = asyncio.run(go())
    today = dt.datetime.now(dt.UTC).date().isoformat()
    review_link = status[(today, "needs_review")]
    assert review_link == f"/dashboard/documents?status=needs_review&created_from={today}&created_to={today}"
    assert set(followed[(today, "needs_review")]) == in_review
    north = next(key for key in cost if key[1].startswith("north / "))
    assert cost[north] == "/dashboard/documents?tenant=north"
    assert set(followed[north]) == of_north
    assert review and all(href == "/dashboard/documents?schema=invoice" for href in review.values())
    assert len(next(iter(followed[k] for k in review))) == 12
