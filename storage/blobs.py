"""Content-addressed blob store on the local disk: a file is stored once under its sha256.

Layout: ``<root>/ab/cd/<sha256>``. Every write goes to a temporary file under
``<root>/.incoming`` (same file system), is flushed and fsynced, then renamed into place with
``os.replace``: a crash leaves at worst a stray temporary file, never a half blob under a
final name. Storing the same content twice keeps the first copy.

A writer that must not leave a blob without a database row stages it (``stage_stream``:
written, fsynced and hashed, but not yet under its final name), inserts the row, and only
when the row was created publishes the blob (a rename) before committing; otherwise the
staged file is discarded.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from core.errors import FileTooLargeError, InternalError

CHUNK_BYTES = 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")


class BlobNotFoundError(InternalError):
    """A blob the database refers to is missing from the store."""

    code = "blob_missing"


@dataclass(frozen=True)
class BlobRef:
    """Where a stored blob is: its sha256 (hex), its size in bytes, its key in the store."""

    sha256: str
    size: int
    key: str


class BlobStore:
    """Content-addressed files under ``root`` (usually ``settings.storage.blob_dir``)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._incoming = self.root / ".incoming"

    @staticmethod
    def key_for(sha256: str) -> str:
        """The store key of a sha256: ``ab/cd/<sha256>``."""
        if not _SHA256.fullmatch(sha256):
            # Keys become paths: anything but 64 lowercase hex digits could escape the root.
            raise InternalError(f"not a sha256 hex digest: {sha256!r}", code="bad_blob_key")
        return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"

    def path(self, sha256: str) -> Path:
        """The file that holds (or would hold) the blob with this sha256."""
        return self.root / self.key_for(sha256)

    def exists(self, sha256: str) -> bool:
        """Whether the blob is stored."""
        return self.path(sha256).is_file()

    def open(self, sha256: str) -> BinaryIO:
        """The stored blob, opened for binary reading; the caller closes it."""
        try:
            return self.path(sha256).open("rb")
        except FileNotFoundError:
            raise BlobNotFoundError(f"blob {sha256} is not in the store at {self.root}") from None

    def put_bytes(self, data: bytes) -> BlobRef:
        """Store ``data``; returns its reference (a no-op when the content is already stored)."""
        return self.put_stream(_chunks_of(data), max_bytes=None)

    def put_file(self, path: Path, *, max_bytes: int | None = None) -> BlobRef:
        """Store a file's content, copied in 1 MiB chunks and hashed on the way."""
        with Path(path).open("rb") as source:
            return self.put_stream(iter(lambda: source.read(CHUNK_BYTES), b""), max_bytes=max_bytes)

    def put_stream(self, chunks: Iterable[bytes], *, max_bytes: int | None) -> BlobRef:
        """Store the concatenated chunks.

        Raises ``FileTooLargeError`` as soon as more than ``max_bytes`` arrive (None: no
        limit), leaving nothing behind.
        """
        staged = self.stage_stream(chunks, max_bytes=max_bytes)
        try:
            staged.publish()
        finally:
            staged.discard()
        return staged.ref

    def stage_stream(self, chunks: Iterable[bytes], *, max_bytes: int | None) -> StagedBlob:
        """Write the concatenated chunks to a fsynced temporary file, hashed on the way, but
        not under their final name: the caller ``publish``-es or ``discard``-s it."""
        self._incoming.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, temp_name = tempfile.mkstemp(dir=self._incoming, prefix="blob-", suffix=".part")
        temp = Path(temp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise FileTooLargeError(f"file is larger than the limit of {max_bytes:,} bytes")
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        sha256 = digest.hexdigest()
        return StagedBlob(self, temp, BlobRef(sha256=sha256, size=size, key=self.key_for(sha256)))


class StagedBlob:
    """A blob written and fsynced under a temporary name (see ``BlobStore.stage_stream``)."""

    def __init__(self, store: BlobStore, temp: Path, ref: BlobRef) -> None:
        self.ref = ref
        self._store = store
        self._temp: Path | None = temp

    def publish(self) -> None:
        """Put the blob under its final name (kept as is when that content is already
        stored) and make the rename durable."""
        if self._temp is None:
            return
        final = self._store.path(self.ref.sha256)
        if final.is_file():
            self._temp.unlink()
        else:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self._temp, final)
            _fsync_dir(final.parent)
        self._temp = None

    def discard(self) -> None:
        """Remove the temporary file unless it was published (safe to call twice)."""
        if self._temp is not None:
            self._temp.unlink(missing_ok=True)
            self._temp = None


def _chunks_of(data: bytes) -> Iterator[bytes]:
    view = memoryview(data)
    for start in range(0, len(view), CHUNK_BYTES):
        yield bytes(view[start : start + CHUNK_BYTES])


def _fsync_dir(directory: Path) -> None:
    """Make a rename durable: the directory entry must reach the disk too (POSIX)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # some platforms cannot open a directory; the rename is still atomic
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
