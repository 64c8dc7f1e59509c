"""The blob store keeps each content once, under its sha256, and never a half-written file."""

from __future__ import annotations

import hashlib
import random
import threading
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.errors import FileTooLargeError, InternalError
from storage.blobs import CHUNK_BYTES, BlobNotFoundError, BlobRef, BlobStore
from tests.support.documents import make_jpeg, make_pdf


def _stored_files(root: Path) -> list[Path]:
    """Every file under the store, temporary ones included."""
    return sorted(path for path in root.rglob("*") if path.is_file())


def _random_bytes(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


def test_put_bytes_stores_a_pdf_under_its_sha256(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    data = make_pdf("Invoice 2024-001", "Total 118.00 EUR")
    sha256 = hashlib.sha256(data).hexdigest()

    ref = store.put_bytes(data)

    assert ref == BlobRef(sha256=sha256, size=len(data), key=f"{sha256[:2]}/{sha256[2:4]}/{sha256}")
    assert store.path(sha256) == tmp_path / "blobs" / sha256[:2] / sha256[2:4] / sha256
    assert store.exists(sha256)
    with store.open(sha256) as blob:
        assert blob.read() == data
    assert _stored_files(tmp_path / "blobs") == [store.path(sha256)]


def test_the_same_content_is_stored_once(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    data = make_jpeg(320, 200)
    source = tmp_path / "scan.jpg"
    source.write_bytes(data)

    first = store.put_bytes(data)
    second = store.put_file(source)
    third = store.put_stream(iter([data[:100], data[100:]]), max_bytes=len(data))

    assert first == second == third
    assert _stored_files(tmp_path / "blobs") == [store.path(first.sha256)]


def test_different_contents_get_different_blobs(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    refs = {store.put_bytes(make_pdf(f"document {n}")) for n in range(3)}
    assert len({ref.sha256 for ref in refs}) == 3
    assert len(_stored_files(tmp_path / "blobs")) == 3


def test_put_file_streams_a_large_file_without_reading_it_whole(tmp_path: Path) -> None:
    size = 12 * CHUNK_BYTES + 12345
    source = tmp_path / "large.bin"
    source.write_bytes(_random_bytes(size, seed=7))
    expected = hashlib.sha256(source.read_bytes()).hexdigest()
    store = BlobStore(tmp_path / "blobs")

    tracemalloc.start()
    try:
        ref = store.put_file(source)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert ref.sha256 == expected and ref.size == size
    assert store.path(ref.sha256).read_bytes() == source.read_bytes()
    # Copying in 1 MiB chunks needs a few chunks of memory at most, never the whole file.
    assert peak < 4 * CHUNK_BYTES < size


def test_put_stream_past_the_limit_raises_and_leaves_nothing(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    data = _random_bytes(3 * 1000, seed=1)
    chunks = [data[i : i + 1000] for i in range(0, len(data), 1000)]

    with pytest.raises(FileTooLargeError):
        store.put_stream(iter(chunks), max_bytes=len(data) - 1)

    assert _stored_files(tmp_path / "blobs") == []
    assert not store.exists(hashlib.sha256(data).hexdigest())

    ref = store.put_stream(iter(chunks), max_bytes=len(data))  # exactly the limit is fine
    assert ref.size == len(data)


def test_a_stream_that_breaks_midway_leaves_nothing(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")

    def broken() -> Iterator[bytes]:
        yield b"%PDF-1.7 the first part"
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        store.put_stream(broken(), max_bytes=1_000_000)
    assert _stored_files(tmp_path / "blobs") == []


def test_empty_content_is_a_valid_blob(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    ref = store.put_bytes(b"")
    assert ref.sha256 == hashlib.sha256(b"").hexdigest() and ref.size == 0
    assert store.path(ref.sha256).read_bytes() == b""


def test_unknown_and_malformed_keys(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    missing = hashlib.sha256(b"never stored").hexdigest()
    assert not store.exists(missing)
    with pytest.raises(BlobNotFoundError):
        store.open(missing)
    for bad in ("../../etc/passwd", missing.upper(), missing[:-1], missing + "0"):
        with pytest.raises(InternalError):
            store.path(bad)


def test_concurrent_puts_of_the_same_content_store_one_blob(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs")
    data = _random_bytes(3 * CHUNK_BYTES, seed=3)
    barrier = threading.Barrier(4)
    refs: list[BlobRef] = []

    def put() -> None:
        barrier.wait()
        refs.append(store.put_bytes(data))

    threads = [threading.Thread(target=put) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(refs) == 4 and len(set(refs)) == 1
    assert _stored_files(tmp_path / "blobs") == [store.path(refs[0].sha256)]
    assert store.path(refs[0].sha256).read_bytes() == data
