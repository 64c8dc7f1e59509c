"""Files seen in batch sources (inbox folders, buckets): each is ingested once."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from storage.tables.base import Base, utcnow


class SourceFile(Base):
    """One file seen in a batch source: the memory that keeps a rescan from ingesting it
    twice, and the file's own end (done or failed, with why)."""

    __tablename__ = "source_files"
    __table_args__ = (
        # A file is the same file while its path, size and modification time are unchanged.
        sa.UniqueConstraint("source", "path", "size_bytes", "mtime_ns"),
        sa.Index(None, "source", "state"),
        sa.CheckConstraint("state IN ('registered', 'done', 'failed')", name="state_known"),
        {"comment": "Files seen in batch sources (inbox folders, buckets); each ingested once."},
    )

    id: Mapped[int] = mapped_column(primary_key=True, comment="Source file row number.")
    source: Mapped[str] = mapped_column(
        sa.String(500), comment="Which source, e.g. inbox:/srv/inbox (a bucket: s3://bucket/prefix)."
    )
    path: Mapped[str] = mapped_column(sa.String(1000), comment="Path (or object key) inside the source.")
    size_bytes: Mapped[int] = mapped_column(sa.BigInteger, comment="File size when seen, bytes.")
    mtime_ns: Mapped[int] = mapped_column(
        sa.BigInteger, comment="Modification time when seen, ns since the epoch (a bucket: its ETag's time)."
    )
    sha256: Mapped[str | None] = mapped_column(
        sa.String(64), comment="sha256 of the content; null if it could not be read."
    )
    document_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("documents.id"), index=True, comment="Document it became; null if none."
    )
    state: Mapped[str] = mapped_column(
        sa.String(16), comment="registered (document made, not ended yet), done or failed."
    )
    reason: Mapped[str | None] = mapped_column(sa.Text, comment="Why it failed, or its document's reason.")
    seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow, comment="When first seen (UTC).")
    finished_at: Mapped[dt.datetime | None] = mapped_column(
        comment="When it was marked done or failed (UTC)."
    )
