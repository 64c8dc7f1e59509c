"""Request bodies cannot exhaust the API process: a stranger's webhook is refused before its
body is read, an oversized one as soon as it passes the cap, a slow or trickling body is cut
off with 408, and requests beyond the upload slots get 503 with Retry-After. Through the app
directly (with a scripted body), and through a real uvicorn server on a loopback socket."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import uvicorn
from fastapi import FastAPI

from api.app import create_app
from api.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, signed_headers
from api.state import ApiState
from core.settings import Settings
from tests.api.conftest import SECRET, Keys, api_settings, bearer, running_app
from tests.api.edge import AsgiAnswer, call_asgi, multipart
from tests.support.documents import make_pdf
from tests.support.review import needs_review

PIECE = 64 * 1024


def _pieces(data: bytes, size: int = PIECE) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def _assert_problem(answer: AsgiAnswer, status: int) -> None:
    assert answer.status == status, answer.body
    assert answer.headers["content-type"] == "application/problem+json"


def _stale_headers(content_type: str) -> list[tuple[str, str]]:
    return [
        (TIMESTAMP_HEADER, str(int(time.time()) - 3600)),
        (SIGNATURE_HEADER, "sha256=" + "0" * 64),
        ("content-type", content_type),
    ]


def test_a_stale_webhook_is_refused_before_its_body_is_read(api_db_settings: Settings, keys: Keys) -> None:
    body, content_type = multipart({"tenant": "alpha"}, content=b"%PDF-" + b"x" * (4 << 20))

    async def go() -> AsgiAnswer:
        async with running_app(api_db_settings) as (app, _):
            headers = [*_stale_headers(content_type), ("content-length", str(len(body)))]
            return await call_asgi(
                app, "POST", "/v1/webhooks/documents", headers=headers, pieces=_pieces(body)
            )

    answer = asyncio.run(go())
    _assert_problem(answer, 401)
    assert answer.pieces_read == 0
    assert answer.headers["connection"] == "close"  # the server drops the rest of the body


def test_a_webhook_body_over_the_cap_is_cut_off_as_it_passes(api_db_settings: Settings, keys: Keys) -> None:
    settings = api_settings(api_db_settings, api={"max_upload_bytes": 256 * 1024})
    body, content_type = multipart({"tenant": "alpha"}, content=b"%PDF-" + b"x" * (8 << 20))
    fresh = [(k, v) for k, v in signed_headers(SECRET, body).items()] + [("content-type", content_type)]

    async def go() -> tuple[AsgiAnswer, AsgiAnswer]:
        async with running_app(settings) as (app, _):
            chunked = await call_asgi(
                app, "POST", "/v1/webhooks/documents", headers=fresh, pieces=_pieces(body)
            )
            declared = await call_asgi(
                app,
                "POST",
                "/v1/webhooks/documents",
                headers=[*fresh, ("content-length", str(len(body)))],
                pieces=_pieces(body),
            )
            return chunked, declared

    chunked, declared = asyncio.run(go())
    _assert_problem(chunked, 413)
    assert chunked.pieces_read == 256 * 1024 // PIECE + 1  # the piece that passed the cap, no more
    _assert_problem(declared, 413)
    assert declared.pieces_read == 0


def test_a_streamed_webhook_body_is_verified_over_every_piece(api_db_settings: Settings, keys: Keys) -> None:
    pdf = make_pdf(f"streamed {uuid.uuid4()}", pad_bytes=300_000)
    body, content_type = multipart({"tenant": "alpha", "schema": "invoice"}, content=pdf)
    good = [(k, v) for k, v in signed_headers(SECRET, body).items()] + [("content-type", content_type)]
    middle = len(body) // 2  # one bit flipped deep inside a piece the MAC reads late
    tampered = body[:middle] + bytes([body[middle] ^ 1]) + body[middle + 1 :]

    async def go() -> tuple[AsgiAnswer, AsgiAnswer]:
        async with running_app(api_db_settings) as (app, _):
            bad = await call_asgi(
                app, "POST", "/v1/webhooks/documents", headers=good, pieces=_pieces(tampered, 7_001)
            )
            ok = await call_asgi(
                app, "POST", "/v1/webhooks/documents", headers=good, pieces=_pieces(body, 7_001)
            )
            return bad, ok

    bad, ok = asyncio.run(go())
    _assert_problem(bad, 401)
    assert bad.pieces_read == len(_pieces(tampered, 7_001))
    assert ok.status == 202, ok.body


def _upload_request(keys: Keys) -> tuple[list[tuple[str, str]], bytes]:
    body, content_type = multipart({"schema": "invoice"}, content=make_pdf(f"slow {uuid.uuid4()}"))
    return [("authorization", f"Bearer {keys.alpha}"), ("content-type", content_type)], body


def test_a_body_that_stops_coming_is_cut_off_with_408(api_db_settings: Settings, keys: Keys) -> None:
    settings = api_settings(api_db_settings, api={"upload_read_timeout_s": 0.3})
    headers, body = _upload_request(keys)

    async def go() -> AsgiAnswer:
        async with running_app(settings) as (app, _):
            return await call_asgi(app, "POST", "/v1/documents", headers=headers, pieces=[body], pause_s=2.0)

    answer = asyncio.run(go())
    _assert_problem(answer, 408)
    assert answer.headers["connection"] == "close"


def test_a_trickling_body_is_cut_off_with_408(api_db_settings: Settings, keys: Keys) -> None:
    # Pauses (0.05 s) well inside the timeout, but 40 bytes per pause is 800 bytes/s, under
    # the minimum rate: only the rate rule can stop it, long before the body would end.
    settings = api_settings(
        api_db_settings,
        api={"upload_read_timeout_s": 0.5, "upload_min_bytes_per_s": 10_000},
    )
    headers, body = _upload_request(keys)
    pieces = _pieces(body, 40)

    async def go() -> AsgiAnswer:
        async with running_app(settings) as (app, _):
            return await call_asgi(app, "POST", "/v1/documents", headers=headers, pieces=pieces, pause_s=0.05)

    answer = asyncio.run(go())
    _assert_problem(answer, 408)
    assert 0 < answer.pieces_read < len(pieces)


def test_a_client_that_hangs_up_mid_body_is_no_server_error(api_db_settings: Settings, keys: Keys) -> None:
    headers, body = _upload_request(keys)

    async def go() -> tuple[AsgiAnswer, int]:
        async with running_app(api_db_settings) as (app, _):
            answer = await call_asgi(
                app, "POST", "/v1/documents", headers=headers, pieces=[body[: len(body) // 2]], hang_up=True
            )
            state: ApiState = app.state.folio
            return answer, state.upload_slots.active

    answer, active = asyncio.run(go())
    _assert_problem(answer, 400)
    assert active == 0  # the slot came back


def test_requests_beyond_the_upload_slots_get_503_and_reads_do_not_wait(
    api_db_settings: Settings, keys: Keys
) -> None:
    settings = api_settings(api_db_settings, api={"upload_concurrency": 2})
    release = asyncio.Event()

    def held_upload() -> tuple[list[tuple[str, str]], AsyncIterator[bytes]]:
        headers, body = _upload_request(keys)

        async def pieces() -> AsyncIterator[bytes]:
            yield body[:100]
            await release.wait()
            yield body[100:]

        return headers, pieces()

    async def go() -> None:
        async with running_app(settings) as (app, client):
            state: ApiState = app.state.folio
            held = [
                asyncio.create_task(call_asgi(app, "POST", "/v1/documents", headers=h, pieces=p))
                for h, p in (held_upload(), held_upload())
            ]
            while state.upload_slots.active < 2:
                await asyncio.sleep(0.01)
            headers, body = _upload_request(keys)
            busy = await call_asgi(app, "POST", "/v1/documents", headers=headers, pieces=[body])
            _assert_problem(busy, 503)
            assert busy.headers["retry-after"] == "1" and busy.pieces_read == 0
            listed = await client.get("/v1/documents", headers={"Authorization": f"Bearer {keys.alpha}"})
            assert listed.status_code == 200  # a read takes no upload slot
            release.set()
            for answer in await asyncio.gather(*held):
                assert answer.status == 202, answer.body
            assert state.upload_slots.active == 0
            again = await call_asgi(app, "POST", "/v1/documents", headers=headers, pieces=[body])
            assert again.status == 202, again.body

    asyncio.run(go())


@contextlib.contextmanager
def served(app: FastAPI) -> Iterator[int]:
    """``app`` served by uvicorn on a loopback port, in a thread; yields the port."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield int(server.servers[0].sockets[0].getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _answer_and_close(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def test_a_real_server_drops_hostile_connections(api_db_settings: Settings, keys: Keys) -> None:
    settings = api_settings(
        api_db_settings,
        api={"upload_read_timeout_s": 0.5, "upload_min_bytes_per_s": 10_000},
    )
    app = create_app(settings, process=False, sweep=False)
    with served(app) as port:
        # A stale signature announcing 40 MiB: answered and closed before a body byte is sent.
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            stale = "\r\n".join(f"{k}: {v}" for k, v in _stale_headers("multipart/form-data; boundary=b"))
            sock.sendall(
                f"POST /v1/webhooks/documents HTTP/1.1\r\nHost: t\r\n{stale}\r\n"
                f"Content-Length: {40 << 20}\r\n\r\n".encode()
            )
            answer = _answer_and_close(sock)
        assert answer.startswith(b"HTTP/1.1 401"), answer[:200]
        assert b"connection: close" in answer.lower()

        # An authenticated upload trickling 50 bytes every 0.05 s: 408, then closed.
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(
                f"POST /v1/documents HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {keys.alpha}\r\n"
                "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 1000000\r\n\r\n".encode()
            )
            sock.settimeout(0.05)
            received = b""
            for _ in range(400):  # 20 s at most, far past the deadline
                try:
                    sock.sendall(secrets.token_bytes(50))
                    received += sock.recv(65536)
                except TimeoutError:
                    continue
                except OSError:  # the server closed while we wrote
                    break
                if received.endswith(b"}"):
                    break
            sock.settimeout(10)
            with contextlib.suppress(OSError):
                received += _answer_and_close(sock)
        assert received.startswith(b"HTTP/1.1 408"), received[:200]
        assert b"connection: close" in received.lower()


def test_a_json_body_that_stops_coming_is_cut_off_with_408(api_db_settings: Settings, keys: Keys) -> None:
    # FastAPI reads JSON bodies itself and turned the deadline's 408 into a bare 400.
    settings = api_settings(api_db_settings, api={"upload_read_timeout_s": 0.3})
    headers = [("authorization", f"Bearer {keys.alpha}"), ("content-type", "application/json")]
    body = b'{"extraction_version": 1, "fields": {"total_amount": 1}}'

    async def go() -> AsgiAnswer:
        async with running_app(settings) as (app, _):
            return await call_asgi(
                app, "PATCH", "/v1/documents/no-such/fields", headers=headers, pieces=[body], pause_s=2.0
            )

    answer = asyncio.run(go())
    _assert_problem(answer, 408)
    assert answer.headers["connection"] == "close"


def test_a_sign_in_form_over_its_cap_is_cut_off_as_it_passes(api_db_settings: Settings, keys: Keys) -> None:
    pieces = [b"key=" + b"k" * 1020] + [b"k" * 1024] * 63  # 64 KiB, the cap is 8 KiB
    headers = [("content-type", "application/x-www-form-urlencoded")]

    async def go() -> AsgiAnswer:
        async with running_app(api_db_settings) as (app, _):
            return await call_asgi(app, "POST", "/signin", headers=headers, pieces=pieces)

    answer = asyncio.run(go())
    _assert_problem(answer, 413)
    assert answer.pieces_read <= 9 and answer.headers["connection"] == "close"


def _review_request(keys: Keys, document_id: str, action: str) -> tuple[str, str, list[tuple[str, str]]]:
    headers = [("authorization", f"Bearer {keys.alpha}"), ("content-type", "application/json")]
    if action == "fields":
        return "PATCH", f"/v1/documents/{document_id}/fields", headers
    return "POST", f"/v1/documents/{document_id}/{action}", headers


def test_a_json_body_declared_over_the_cap_is_refused_before_the_key_is_checked(
    api_db_settings: Settings, keys: Keys
) -> None:
    declared = 2 << 20  # the default cap is 1 MiB
    routes = [("PATCH", "/v1/documents/x/fields"), ("POST", "/v1/documents/x/approve"), ("POST", "/signin")]

    async def go() -> list[AsgiAnswer]:
        async with running_app(api_db_settings) as (app, _):
            # No key at all, and a Content-Type FastAPI would still read whole: 413 all the same.
            headers = [("content-type", "text/plain"), ("content-length", str(declared))]
            return [
                await call_asgi(app, method, path, headers=headers, pieces=_pieces(b"x" * declared))
                for method, path in routes
            ]

    for answer in asyncio.run(go()):
        _assert_problem(answer, 413)
        assert answer.pieces_read == 0 and answer.headers["connection"] == "close"
        assert "FOLIO_MAX_JSON_BODY_BYTES" in answer.body.decode()


def test_a_chunked_json_body_is_cut_off_as_it_passes_the_cap_and_decides_nothing(
    api_db_settings: Settings, keys: Keys
) -> None:
    doc = needs_review(api_db_settings, seed=71, tenant="alpha")
    body = b'{"note": "' + b" " * (4 << 20) + b'"}'  # 4 MiB, no Content-Length

    async def go() -> tuple[list[AsgiAnswer], str]:
        async with running_app(api_db_settings) as (app, client):
            answers = []
            for action in ("approve", "reject", "fields"):
                method, path, headers = _review_request(keys, doc.document_id, action)
                answers.append(await call_asgi(app, method, path, headers=headers, pieces=_pieces(body)))
            status = await client.get(f"/v1/documents/{doc.document_id}", headers=bearer(keys.alpha))
            return answers, status.json()["status"]

    answers, status = asyncio.run(go())
    for answer in answers:
        _assert_problem(answer, 413)
        assert answer.pieces_read == (1 << 20) // PIECE + 1  # the piece that passed the cap, no more
        assert answer.headers["connection"] == "close"
    assert status == "needs_review"


def test_a_correction_up_to_the_cap_is_made_and_one_byte_more_is_not(
    api_db_settings: Settings, keys: Keys
) -> None:
    cap = 16 * 1024
    settings = api_settings(api_db_settings, api={"max_json_body_bytes": cap})
    doc = needs_review(settings, seed=72, tenant="alpha")

    def padded(body: dict[str, Any], size: int) -> bytes:
        text = json.dumps(body).encode()
        return text + b" " * (size - len(text))  # JSON allows trailing whitespace

    async def go() -> tuple[AsgiAnswer, AsgiAnswer, AsgiAnswer]:
        async with running_app(settings) as (app, client):
            view = await client.get(f"/v1/review/{doc.document_id}", headers=bearer(keys.alpha))
            fix = {
                "extraction_version": view.json()["extraction_version"],
                "fields": {"total_amount": str(doc.right["total_amount"])},
            }
            method, path, headers = _review_request(keys, doc.document_id, "fields")
            over = await call_asgi(
                app, method, path, headers=headers, pieces=_pieces(padded(fix, cap + 1), 4096)
            )
            made = await call_asgi(app, method, path, headers=headers, pieces=_pieces(padded(fix, cap), 4096))
            method, path, headers = _review_request(keys, doc.document_id, "approve")
            approval = padded({"extraction_version": json.loads(made.body)["extraction_version"]}, cap)
            declared = [*headers, ("content-length", str(cap))]
            approved = await call_asgi(app, method, path, headers=declared, pieces=[approval])
            return over, made, approved

    over, made, approved = asyncio.run(go())
    _assert_problem(over, 413)
    assert made.status == 200, made.body
    assert json.loads(made.body)["changed"] == ["total_amount"]
    assert approved.status == 200, approved.body
    assert json.loads(approved.body)["status"] == "done"
