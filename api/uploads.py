"""Uploads: the request body streamed through a multipart parser with the size cap, the file
part spooled (memory, then disk past 1 MiB), then sniffed, stored and registered.

The cap (``FOLIO_MAX_UPLOAD_BYTES``) bounds the whole request body: a ``Content-Length``
over it is refused before anything is read, and the bytes are counted as they arrive, so a
body without a length (chunked) is refused as soon as it passes the cap.

A signed webhook body must be verified before it is parsed, yet never be held whole in
memory: ``spool_body`` streams it to an unnamed temporary file on disk, handing each chunk to
the signature check on the way, and ``parse_spooled`` parses it from there afterwards.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import IO

from starlette.requests import Request

from api.problems import ApiProblem

SPOOL_BYTES = 1 << 20
READ_BYTES = 64 * 1024  # pieces a spooled body is parsed in
MAX_FIELD_BYTES = 64 * 1024
MAX_HEADER_BYTES = 16 * 1024
MAX_PARTS = 16
FILE_FIELD = "file"

_PARAM = re.compile(r';\s*([\w*-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))')


def too_large(limit: int) -> ApiProblem:
    """The 413 problem for a body over ``limit`` bytes."""
    return ApiProblem(
        413, f"the request body is larger than the limit of {limit:,} bytes (FOLIO_MAX_UPLOAD_BYTES)"
    )


async def capped_stream(request: Request, limit: int) -> AsyncIterator[bytes]:
    """The request body, chunk by chunk; 413 as soon as more than ``limit`` bytes arrived (or
    at once when ``Content-Length`` says so)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large(limit)
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > limit:
            raise too_large(limit)
        if chunk:
            yield chunk


async def spool_body(request: Request, limit: int, on_chunk: Callable[[bytes], None]) -> IO[bytes]:
    """The body written to an unnamed temporary file on disk (rewound; the caller closes it),
    each chunk handed to ``on_chunk`` first; 413 as soon as it passes ``limit``."""
    # On disk from the first byte: until its signature is checked, the body is a stranger's.
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the caller, or below on error)
    try:
        async for chunk in capped_stream(request, limit):
            on_chunk(chunk)
            spool.write(chunk)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    return spool


@dataclass
class UploadForm:
    """The parsed multipart form: text fields and the one file (spooled)."""

    fields: dict[str, str] = field(default_factory=dict)
    file: IO[bytes] | None = None
    file_name: str = "upload"
    file_size: int = 0

    def close(self) -> None:
        """Release the spooled file."""
        if self.file is not None:
            self.file.close()


def boundary_of(content_type: str | None) -> bytes:
    """The multipart boundary of a Content-Type, or a 415 problem."""
    value = content_type or ""
    if not value.lower().startswith("multipart/form-data"):
        raise ApiProblem(415, "send the file as multipart/form-data with a 'file' part")
    params = _params(value)
    boundary = params.get("boundary", "")
    if not boundary or len(boundary) > 200:
        raise ApiProblem(400, "multipart/form-data without a valid boundary")
    return boundary.encode("latin-1")


def _params(header: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for match in _PARAM.finditer(header):
        quoted, bare = match.group(2), match.group(3)
        value = quoted.replace('\\"', '"') if quoted is not None else bare or ""
        found[match.group(1).lower()] = value
    return found


def _part_headers(raw: bytes) -> tuple[str, str | None]:
    """(field name, file name or None) from one part's headers."""
    name: str | None = None
    file_name: str | None = None
    for line in raw.decode("utf-8", "replace").split("\r\n"):
        key, _, value = line.partition(":")
        if key.strip().lower() == "content-disposition":
            params = _params(value)
            name = params.get("name")
            file_name = params.get("filename")
    if name is None:
        raise ApiProblem(400, "a multipart part has no Content-Disposition name")
    return name, file_name


class _MultipartReader:
    """A multipart/form-data body parsed as it streams: the state between chunks, and one
    method per place in the body (each says whether it can go on without more bytes)."""

    def __init__(self, boundary: bytes) -> None:
        self.delimiter = b"\r\n--" + boundary
        self.keep = len(self.delimiter) + 4
        self.form = UploadForm()
        self.buffer = b"\r\n"  # so the first boundary looks like every later delimiter
        self.state = "preamble"
        self.name: str | None = None
        self.sink: IO[bytes] | None = None
        self.text = bytearray()
        self.parts = 0

    def feed(self, chunk: bytes) -> None:
        """Take the next chunk and parse as far as it goes; the epilogue is ignored."""
        self.buffer += chunk
        steps = {
            "preamble": self._preamble,
            "after_delimiter": self._after_delimiter,
            "headers": self._headers,
            "body": self._body,
        }
        while self.state != "done" and steps[self.state]():
            pass

    def _emit(self, data: bytes) -> None:
        if not data:
            return
        if self.sink is not None:
            self.sink.write(data)
            self.form.file_size += len(data)
            return
        self.text.extend(data)
        if len(self.text) > MAX_FIELD_BYTES:
            raise ApiProblem(400, f"form field {self.name!r} is longer than {MAX_FIELD_BYTES} bytes")

    def _preamble(self) -> bool:
        at = self.buffer.find(self.delimiter)
        if at < 0:
            self.buffer = self.buffer[-self.keep :]
            return False
        self.buffer = self.buffer[at + len(self.delimiter) :]
        self.state = "after_delimiter"
        return True

    def _after_delimiter(self) -> bool:
        if len(self.buffer) < 2:
            return False
        if self.buffer[:2] == b"--":
            self.state = "done"
            return False
        end = self.buffer.find(b"\r\n")
        if end < 0:
            return False
        self.buffer = self.buffer[end + 2 :]  # transport padding after the boundary
        self.state = "headers"
        return True

    def _headers(self) -> bool:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buffer) > MAX_HEADER_BYTES:
                raise ApiProblem(400, "multipart part headers are too long")
            return False
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise ApiProblem(400, f"more than {MAX_PARTS} multipart parts")
        self.name, file_name = _part_headers(self.buffer[:end])
        self.buffer = self.buffer[end + 4 :]
        if self.name == FILE_FIELD and file_name is not None:
            if self.form.file is not None:
                raise ApiProblem(400, "send exactly one 'file' part")
            # Closed by form.close(), after it is stored (or on any error).
            self.sink = self.form.file = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
            self.form.file_name = file_name.replace("\\", "/").rsplit("/", 1)[-1] or "upload"
        else:
            self.sink = None
            self.text.clear()
        self.state = "body"
        return True

    def _body(self) -> bool:
        at = self.buffer.find(self.delimiter)
        if at < 0:
            safe = len(self.buffer) - self.keep
            if safe > 0:
                self._emit(self.buffer[:safe])
                self.buffer = self.buffer[safe:]
            return False
        self._emit(self.buffer[:at])
        self.buffer = self.buffer[at + len(self.delimiter) :]
        if self.sink is None and self.name is not None:
            self.form.fields[self.name] = self.text.decode("utf-8", "replace")
        self.sink = None
        self.state = "after_delimiter"
        return True


async def parse_multipart(chunks: AsyncIterator[bytes], boundary: bytes) -> UploadForm:
    """Parse a multipart/form-data body as it streams: text fields into memory (64 KiB
    each at most), the ``file`` part into a spooled temporary file."""
    reader = _MultipartReader(boundary)
    try:
        async for chunk in chunks:
            reader.feed(chunk)
        if reader.state != "done":
            raise ApiProblem(400, "the multipart body ended before its closing boundary")
    except BaseException:
        reader.form.close()
        raise
    form = reader.form
    if form.file is not None:
        form.file.seek(0)
    return form


async def parse_upload(request: Request, limit: int) -> UploadForm:
    """Parse an upload request's multipart body with the size cap."""
    boundary = boundary_of(request.headers.get("content-type"))
    return await parse_multipart(capped_stream(request, limit), boundary)


async def parse_spooled(body: IO[bytes], content_type: str | None) -> UploadForm:
    """Parse a multipart body spooled by ``spool_body`` (the signed webhook's), piece by
    piece."""
    boundary = boundary_of(content_type)

    async def pieces() -> AsyncIterator[bytes]:
        while chunk := body.read(READ_BYTES):
            yield chunk

    return await parse_multipart(pieces(), boundary)
