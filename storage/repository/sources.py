"""Files seen in batch sources: what a rescan must not ingest again, and how each
file ended. A file is identified by (source, path, size, mtime): the same name with new
content is a new file; the same content under two names is two files but one document."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from core.reasons import tenant_reason
from storage.repository.dialect import insert_for
from storage.tables import SourceFile, utcnow

SourceFileKey = tuple[str, int, int]  # path inside the source, size in bytes, mtime in ns

# Paths per look-up query: keeps the IN list well under either database's parameter limit.
_CHUNK = 500


def find_source_files(
    session: Session, *, source: str, paths: Sequence[str]
) -> dict[SourceFileKey, SourceFile]:
    """The recorded files of ``source`` at these paths, by (path, size, mtime)."""
    found: dict[SourceFileKey, SourceFile] = {}
    unique = sorted(set(paths))
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start : start + _CHUNK]
        rows = session.scalars(
            sa.select(SourceFile).where(SourceFile.source == source, SourceFile.path.in_(chunk))
        )
        for row in rows:
            found[(row.path, row.size_bytes, row.mtime_ns)] = row
    return found


def record_source_file(  # noqa: PLR0913 - keyword-only, one per stored column
    session: Session,
    *,
    source: str,
    path: str,
    size_bytes: int,
    mtime_ns: int,
    sha256: str | None,
    document_id: str | None,
    state: str = "registered",
    reason: str | None = None,
) -> int | None:
    """Remember a file: its row id, or None if it was already recorded (a concurrent scan won;
    race-safe)."""
    now = utcnow()
    statement = (
        insert_for(session, SourceFile)
        .values(
            source=source,
            path=path,
            size_bytes=size_bytes,
            mtime_ns=mtime_ns,
            sha256=sha256,
            document_id=document_id,
            state=state,
            reason=tenant_reason(reason),  # shown in reports: no paths, SQL or tracebacks
            seen_at=now,
            finished_at=None if state == "registered" else now,
        )
        .on_conflict_do_nothing(index_elements=["source", "path", "size_bytes", "mtime_ns"])
        .returning(SourceFile.id)
    )
    return cast(int | None, session.execute(statement).scalar_one_or_none())


def pending_source_files(session: Session, *, source: str) -> list[SourceFile]:
    """Files of ``source`` registered but not yet marked done or failed (oldest first)."""
    statement = (
        sa.select(SourceFile)
        .where(SourceFile.source == source, SourceFile.state == "registered")
        .order_by(SourceFile.id)
    )
    return list(session.scalars(statement))


def finish_source_file(session: Session, *, source_file_id: int, state: str, reason: str | None) -> bool:
    """Mark a registered file done or failed; False if it was already marked (by another run)."""
    if state not in ("done", "failed"):
        raise ValueError(f"a source file ends done or failed, not {state!r}")
    statement = (
        sa.update(SourceFile)
        .where(SourceFile.id == source_file_id, SourceFile.state == "registered")
        .values(state=state, reason=tenant_reason(reason), finished_at=utcnow())
    )
    return cast(sa.CursorResult[Any], session.execute(statement)).rowcount == 1


def reopen_source_file(session: Session, *, source_file_id: int) -> bool:
    """Mark an ended file registered again, so the next run of its source processes it
    (``folio batch --reprocess``); False if it is registered already."""
    statement = (
        sa.update(SourceFile)
        .where(SourceFile.id == source_file_id, SourceFile.state != "registered")
        .values(state="registered", reason=None, finished_at=None)
    )
    return cast(sa.CursorResult[Any], session.execute(statement)).rowcount == 1
