"""The signed inbound webhook: good, bad, stale and tampered signatures."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx

from api.signing import signed_headers
from core.settings import Settings
from tests.api.conftest import SECRET, Keys, running_app
from tests.support.documents import make_pdf


def _signed_body(tenant: str, pdf: bytes) -> tuple[bytes, str]:
    request = httpx.Request(
        "POST",
        "http://folio/v1/webhooks/documents",
        files={"file": ("pushed.pdf", pdf, "application/pdf")},
        data={"schema": "invoice", "tenant": tenant},
    )
    return request.read(), request.headers["content-type"]


def test_signed_push_is_accepted_and_bad_or_stale_ones_are_401(api_db_settings: Settings, keys: Keys) -> None:
    pdf = make_pdf(f"pushed {uuid.uuid4()}")
    body, content_type = _signed_body("alpha", pdf)

    async def go() -> None:
        async with running_app(api_db_settings) as (_, client):
            url = "/v1/webhooks/documents"
            good = {**signed_headers(SECRET, body), "Content-Type": content_type}
            accepted = await client.post(url, content=body, headers=good)
            assert accepted.status_code == 202, accepted.text
            doc = await client.get(
                accepted.headers["location"], headers={"Authorization": f"Bearer {keys.alpha}"}
            )
            assert doc.status_code == 200 and doc.json()["file_name"] == "pushed.pdf"

            wrong_secret = {**signed_headers("another-secret", body), "Content-Type": content_type}
            stale = {**signed_headers(SECRET, body, now=time.time() - 301), "Content-Type": content_type}
            future = {**signed_headers(SECRET, body, now=time.time() + 301), "Content-Type": content_type}
            tampered_body, _ = _signed_body("beta", pdf)  # signed for alpha, sent for beta
            cases = [
                (body, wrong_secret),
                (body, stale),
                (body, future),
                (tampered_body, good),
                (body, {"Content-Type": content_type}),
                (body, {**good, "X-Folio-Timestamp": "yesterday"}),
            ]
            for content, headers in cases:
                refused = await client.post(url, content=content, headers=headers)
                assert refused.status_code == 401, (headers, refused.text)
                assert refused.headers["content-type"] == "application/problem+json"
            listed = await client.get("/v1/documents", headers={"Authorization": f"Bearer {keys.beta}"})
            assert listed.json()["count"] == 0

            unknown_body, unknown_type = _signed_body("nobody", pdf)
            unknown = await client.post(
                url,
                content=unknown_body,
                headers={**signed_headers(SECRET, unknown_body), "Content-Type": unknown_type},
            )
            assert unknown.status_code == 422

    asyncio.run(go())
