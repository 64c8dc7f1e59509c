"""The browser side of review over the real app (ASGI), on SQLite and PostgreSQL: sign-in
by API key into an HttpOnly, SameSite=Strict session with a CSRF token, the page served
with nothing external, the dashboard behind the same sign-in, and page images (JPEG, the
ETag revalidated, tenants kept apart)."""

from __future__ import annotations

import asyncio
import io
import re
from http.cookies import SimpleCookie

import httpx
from PIL import Image

from core.settings import Settings
from tests.api.conftest import Keys, bearer, running_app
from tests.support.review import needs_review

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _set_cookies(response: httpx.Response) -> dict[str, str]:
    """Each Set-Cookie header of a response by cookie name (the raw header, attributes and all)."""
    found = {}
    for header in response.headers.get_list("set-cookie"):
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        for name in cookie:
            found[name] = header
    return found


async def _sign_in(client: httpx.AsyncClient, key: str, target: str = "/review") -> httpx.Response:
    form = await client.get(f"/signin?next={target}")
    assert form.status_code == 200 and "text/html" in form.headers["content-type"]
    token = re.search(r"name='csrf' value='([^']+)'", form.text)
    assert token is not None
    body = httpx.QueryParams({"csrf": token.group(1), "key": key, "next": target})
    return await client.post("/signin", content=str(body), headers=FORM)


def test_a_key_signs_a_browser_in_and_every_request_needs_the_csrf_token(
    api_db_settings: Settings, keys: Keys
) -> None:
    needs_review(api_db_settings, seed=51, tenant="alpha")

    async def go() -> None:
        async with running_app(api_db_settings) as (_, client):
            away = await client.get("/review")
            assert away.status_code == 303 and away.headers["location"] == "/signin?next=/review"
            # No form token (another site posting a key): refused, no session.
            forged = await client.post(
                "/signin", content=str(httpx.QueryParams({"key": keys.alpha, "csrf": "x"})), headers=FORM
            )
            assert forged.status_code == 403 and "folio_session" not in _set_cookies(forged)
            wrong = await _sign_in(client, "folio_not-a-key")
            assert wrong.status_code == 401 and "folio_session" not in _set_cookies(wrong)

            signed = await _sign_in(client, keys.alpha)
            assert signed.status_code == 303 and signed.headers["location"] == "/review"
            cookie = _set_cookies(signed)["folio_session"].lower()
            assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
            page = await client.get("/review")
            assert page.status_code == 200 and "tenant alpha" in page.text
            assert "'self'" in page.headers["content-security-policy"]
            assert not re.search(r"(src|href)=['\"](https?:)?//", page.text), (
                "the page loads something external"
            )
            csrf = re.search(r"data-csrf='([^']+)'", page.text)
            assert csrf is not None
            for asset in re.findall(r"(?:src|href)='(/web/assets/[^']+)'", page.text):
                assert (await client.get(asset)).status_code == 200

            assert (await client.get("/v1/review")).status_code == 403  # the cookie alone is not enough
            assert (await client.get("/v1/review", headers={"X-CSRF-Token": "forged"})).status_code == 403
            queue = await client.get("/v1/review", headers={"X-CSRF-Token": csrf.group(1)})
            assert queue.status_code == 200 and len(queue.json()["data"]) == 1

            assert (await client.get("/dashboard", headers={"Accept": "text/html"})).status_code == 403
            out = await client.post("/signout", content=f"csrf={csrf.group(1)}", headers=FORM)
            assert out.status_code == 303
            assert (
                await client.get("/v1/review", headers={"X-CSRF-Token": csrf.group(1)})
            ).status_code == 401

            assert (await _sign_in(client, keys.admin, "/dashboard")).headers["location"] == "/dashboard"
            board = await client.get("/dashboard", headers={"Accept": "text/html"})
            assert board.status_code == 200 and "chart-status" in board.text
            # Only paths on this server are followed after signing in.
            assert (await _sign_in(client, keys.admin, "//evil.example/x")).headers["location"] == "/review"

    asyncio.run(go())


def test_a_page_image_is_a_cached_jpeg_of_the_stored_page(api_db_settings: Settings, keys: Keys) -> None:
    doc = needs_review(api_db_settings, seed=52, tenant="alpha")
    url = f"/v1/documents/{doc.document_id}/pages/1/image"

    async def go() -> None:
        async with running_app(api_db_settings) as (app, client):
            first = await client.get(url, headers=bearer(keys.alpha))
            assert first.status_code == 200, first.text
            assert (
                first.headers["content-type"] == "image/jpeg" and "private" in first.headers["cache-control"]
            )
            with Image.open(io.BytesIO(first.content)) as image:
                assert image.format == "JPEG" and image.width > 300 and image.height > 300
                assert len(image.convert("L").getcolors(maxcolors=1 << 16) or []) > 10  # not blank
            etag = first.headers["etag"]
            same = await client.get(url, headers={**bearer(keys.alpha), "If-None-Match": etag})
            assert same.status_code == 304 and same.content == b""
            again = await client.get(url, headers=bearer(keys.admin))
            assert again.content == first.content and again.headers["etag"] == etag
            assert app.state.folio_page_images.cache.size_bytes == len(first.content)
            for bad, status in (("pages/2/image", 404), ("pages/0/image", 422), ("pages/x/image", 422)):
                answer = await client.get(
                    f"/v1/documents/{doc.document_id}/{bad}", headers=bearer(keys.alpha)
                )
                assert answer.status_code == status and answer.headers["content-type"].startswith(
                    "application/problem+json"
                )
            assert (await client.get(url, headers=bearer(keys.beta))).status_code == 404
            assert (await client.get(url)).status_code == 401

    asyncio.run(go())
