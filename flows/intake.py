"""Intake of files on disk: sniff the real type, enforce limits, store the blob once, then
register the document (``flows.registration``).

Every file gets a row, bad ones included (status ``rejected`` with the reason), so nothing
that was handed to Folio disappears without a trace.
"""

from __future__ import annotations

import hashlib
import stat
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from core.errors import BadInputError, FileTooLargeError, UnsupportedTypeError
from core.settings import Settings
from extractors.sniff import sniff_kind
from flows.folders import special_reason
from flows.registration import Arrival, register_document
from flows.schemas import resolve_schema
from models.document import DocumentStatus, FileKind
from storage.blobs import BlobStore

# Enough for every signature sniff_kind knows (PDF headers may sit up to 1 KiB in).
SNIFF_BYTES = 2048


@dataclass(frozen=True)
class IntakeResult:
    """What intake decided for one file."""

    file: str
    document_id: str
    sha256: str
    status: DocumentStatus
    reason: str | None
    created: bool  # False: the same bytes were already registered (idempotent)
    kind: FileKind | None


def sha256_of(path: Path) -> str:
    """The file's sha256, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def check_file(path: Path, settings: Settings) -> FileKind:
    """The file's real type from its bytes, or the BadInputError that rejects it (over the
    size limit, or not a supported PDF or image)."""
    size, limit = path.stat().st_size, settings.intake.max_file_bytes
    if size > limit:
        raise FileTooLargeError(f"the file is {size:,} bytes; the limit is {limit:,} (FOLIO_MAX_FILE_BYTES)")
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    return sniff_kind(head, name=path.name)


def register_file(
    path: Path,
    *,
    settings: Settings,
    sessions: sessionmaker[Session],
    blobs: BlobStore,
    tenant: str,
    schema_name: str,
    source: str = "cli",
) -> IntakeResult:
    """Register one file as a document (or find the one it already is)."""
    with sessions() as session:
        resolve_schema(session, schema_name)  # unknown: an error before anything is stored
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        # Never opened: reading a named pipe blocks forever, a device never ends.
        raise UnsupportedTypeError(special_reason(info.st_mode))
    size = info.st_size
    kind: FileKind | None = None
    error: BadInputError | None = None
    blob_key: str | None = None
    try:
        kind = check_file(path, settings)
    except BadInputError as exc:
        error = exc
    if isinstance(error, FileTooLargeError):
        sha256 = sha256_of(path)  # recorded, never stored: the limit protects the disk too
    else:
        ref = blobs.put_file(path)  # rejected files of a known size are kept (nothing lost)
        sha256, blob_key = ref.sha256, ref.key

    arrival = Arrival(
        file_name=path.name,
        sha256=sha256,
        size=size,
        kind=kind,
        blob_key=blob_key,
        schema_name=schema_name,
        source=source,
        error=error,
    )
    with sessions.begin() as session:
        registered = register_document(session, arrival, tenant=tenant, settings=settings)
    return IntakeResult(
        file=str(path),
        document_id=registered.document_id,
        sha256=sha256,
        status=registered.status,
        reason=registered.reason,
        created=registered.created,
        kind=kind,
    )


# In a directory given to ``folio eval`` (a golden set of documents beside their truth
# files), these names are documents; the bytes still decide the real type. ``folio process``
# and batch inboxes read every file whatever its name (``flows.folders``).
SUPPORTED_SUFFIXES = frozenset(
    {
        ".pdf",
        ".png",
        ".jpg",
        ".jpeg",
        ".jpe",
        ".tif",
        ".tiff",
        ".webp",
        ".gif",
        ".bmp",
        ".heic",
        ".heif",
    }
)


def iter_input_files(paths: list[Path]) -> list[Path]:
    """Files named explicitly (whatever their name), and every file under a directory named
    whose suffix is a supported type (sorted; hidden files and folders skipped)."""
    found: list[Path] = []
    for path in paths:
        if not path.is_dir():
            found.append(path)
            continue
        for candidate in sorted(path.rglob("*")):
            hidden = any(part.startswith(".") for part in candidate.relative_to(path).parts)
            if candidate.is_file() and not hidden and candidate.suffix.lower() in SUPPORTED_SUFFIXES:
                found.append(candidate)
    return found
