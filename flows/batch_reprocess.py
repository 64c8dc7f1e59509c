"""``folio batch --reprocess``: the inbox's files that earlier runs ended are run again.

Their documents go back to the queue (rejected ones too, when their file was stored) and
their files back to ``registered``, so the batch run resumes them the way it resumes files a
stopped run left (``flows.batch``): processed again, then marked (moved or kept) anew.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from core.errors import ConfigurationError
from core.settings import Settings
from flows.sources import LocalInbox, Source
from storage import repository as repo
from storage.database import make_engine, make_session_factory
from storage.migrate import upgrade


def open_inbox(settings: Settings, inbox: str | None, *, reprocess: bool) -> tuple[LocalInbox, int]:
    """The inbox a batch run reads (``inbox``, default FOLIO_BATCH_INBOX) and, with
    ``reprocess``, how many of its ended files were reopened (else 0)."""
    root = Path(inbox) if inbox else settings.batch.inbox
    if root is None:
        raise ConfigurationError("no inbox: pass inbox= or set FOLIO_BATCH_INBOX")
    source = LocalInbox(root, after=settings.batch.after, settle_s=settings.batch.settle_s)
    return source, reopen_for_reprocess(settings, source) if reprocess else 0


def reopen_for_reprocess(settings: Settings, source: Source) -> int:
    """:func:`reopen_known_files` on the database of ``settings`` (migrated first)."""
    upgrade(settings)
    db = make_engine(settings)
    try:
        return reopen_known_files(make_session_factory(db), source)
    finally:
        db.dispose()


def reopen_known_files(sessions: sessionmaker[Session], source: Source) -> int:
    """Reopen every file of ``source`` now in it that an earlier run ended; how many."""
    items = source.scan().items
    reopened = 0
    with sessions.begin() as session:
        known = repo.find_source_files(session, source=source.name, paths=[i.path for i in items])
        for item in items:
            row = known.get((item.path, item.size_bytes, item.mtime_ns))
            if row is None or row.document_id is None:
                continue
            tenant, _document = repo.document_tenant(session, document_id=row.document_id)
            requeued = repo.requeue_document(
                session,
                document_id=row.document_id,
                reason="reprocess",
                rejected=True,
                licence_tier=tenant.tier,
            )
            if requeued and repo.reopen_source_file(session, source_file_id=row.id):
                reopened += 1
    return reopened
