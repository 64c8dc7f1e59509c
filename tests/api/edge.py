"""Helpers for the HTTP-edge tests: raw multipart bodies (any character reaches the server,
as a hostile client would send it), direct ASGI calls with a scripted body, and what the
blob store holds."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI

BOUNDARY = "folio-edge-test-boundary"


def multipart(
    fields: dict[str, str], *, file_name: str | None = "a.pdf", content: bytes = b""
) -> tuple[bytes, str]:
    """A multipart/form-data body and its Content-Type, built by hand: httpx would escape the
    file name, and the tests need it to arrive exactly as written."""
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode("utf-8", "surrogatepass")
            + b"\r\n"
        )
    if file_name is not None:
        quoted = file_name.replace("\\", "\\\\").replace('"', '\\"')
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="'.encode()
            + quoted.encode("utf-8", "surrogatepass")
            + b'"\r\nContent-Type: application/pdf\r\n\r\n'
            + content
            + b"\r\n"
        )
    body = b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()
    return body, f"multipart/form-data; boundary={BOUNDARY}"


def blob_files(blob_dir: Path) -> set[str]:
    """Names (sha256) of the blobs under their final names."""
    if not blob_dir.exists():
        return set()
    return {p.name for p in blob_dir.rglob("*") if p.is_file() and ".incoming" not in p.parts}


def staged_files(blob_dir: Path) -> list[Path]:
    """Temporary files left in the store's incoming folder."""
    incoming = blob_dir / ".incoming"
    return sorted(incoming.iterdir()) if incoming.exists() else []


@dataclass
class AsgiAnswer:
    """What the app sent back to a direct ASGI call, and how much of the body it read."""

    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    pieces_read: int = 0


async def call_asgi(
    app: FastAPI,
    method: str,
    path: str,
    *,
    headers: Sequence[tuple[str, str]],
    pieces: Iterable[bytes] | AsyncIterator[bytes],
    pause_s: float = 0.0,
    hang_up: bool = False,
) -> AsgiAnswer:
    """Call ``app`` as a server would, the body delivered in ``pieces`` (``pause_s`` apart,
    or as an async iterator paces them); counts the pieces the app asked for. ``hang_up``:
    the client disconnects after the pieces instead of ending the body."""
    answer = AsgiAnswer()
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
        "client": ("127.0.0.1", 40000),
        "server": ("folio", 80),
        "state": {},
    }
    if isinstance(pieces, AsyncIterator):
        source = pieces
    else:

        async def paced() -> AsyncIterator[bytes]:
            for piece in pieces:
                if pause_s:
                    await asyncio.sleep(pause_s)
                yield piece

        source = paced()
    finished = False

    async def receive() -> dict[str, Any]:
        nonlocal finished
        if finished:
            return {"type": "http.disconnect"}
        try:
            piece = await anext(source)
        except StopAsyncIteration:
            finished = True
            if hang_up:
                return {"type": "http.disconnect"}
            return {"type": "http.request", "body": b"", "more_body": False}
        answer.pieces_read += 1
        return {"type": "http.request", "body": piece, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer.status = message["status"]
            answer.headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            answer.body += message.get("body", b"")

    await app(scope, receive, send)
    return answer
