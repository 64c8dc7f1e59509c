"""The queue: each document goes to one worker at a time, a lapsed lease is taken over,
finished documents can be queued again."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from core.settings import Settings
from models.document import DocumentStatus
from storage.database import session_scope
from storage.repository import (
    LeaseLostError,
    claim_document,
    claim_next_documents,
    count_final,
    finish_document,
    get_document,
    renew_lease,
    requeue_document,
)
from storage.tables import Document
from tests.storage import migrated, register_pdf
from tests.support.documents import make_pdf

T0 = dt.datetime(2031, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def factory(db_settings: Settings) -> Iterator[sessionmaker[Session]]:
    yield from migrated(db_settings)


def _register(factory: sessionmaker[Session], count: int, **overrides: object) -> list[Document]:
    with session_scope(factory) as session:
        return [
            register_pdf(session, make_pdf(f"queued document {uuid.uuid4()}"), **overrides)[0]
            for _ in range(count)
        ]


def test_claim_takes_a_queued_document_once(factory: sessionmaker[Session]) -> None:
    (document,) = _register(factory, 1)
    with session_scope(factory) as session:
        claimed = claim_document(session, document.id, owner="w1", lease_seconds=60, now=T0)
    with session_scope(factory) as session:
        other = claim_document(
            session, document.id, owner="w2", lease_seconds=60, now=T0 + dt.timedelta(seconds=59)
        )

    assert claimed is not None and other is None
    assert claimed.status is DocumentStatus.PROCESSING
    assert (claimed.lease_owner, claimed.attempts) == ("w1", 1)
    assert claimed.started_at == T0
    assert claimed.lease_expires_at == T0 + dt.timedelta(seconds=60)


def test_a_lapsed_lease_is_taken_over_and_the_old_worker_is_stopped(
    factory: sessionmaker[Session],
) -> None:
    (document,) = _register(factory, 1)
    with session_scope(factory) as session:
        assert claim_document(session, document.id, owner="w1", lease_seconds=60, now=T0)
    with session_scope(factory) as session:
        renewed = renew_lease(
            session,
            document_id=document.id,
            owner="w1",
            lease_seconds=60,
            now=T0 + dt.timedelta(seconds=30),
        )
    assert renewed.lease_expires_at == T0 + dt.timedelta(seconds=90)

    with session_scope(factory) as session:  # still inside the renewed lease
        at_70 = T0 + dt.timedelta(seconds=70)
        assert claim_document(session, document.id, owner="w2", lease_seconds=60, now=at_70) is None
    with session_scope(factory) as session:  # the lease has lapsed: the sweeper takes over
        at_90 = T0 + dt.timedelta(seconds=90)
        taken = claim_document(session, document.id, owner="w2", lease_seconds=60, now=at_90)
    assert taken is not None
    assert (taken.lease_owner, taken.attempts, taken.started_at) == ("w2", 2, at_90)

    with session_scope(factory) as session, pytest.raises(LeaseLostError):
        renew_lease(session, document_id=document.id, owner="w1", lease_seconds=60)
    with session_scope(factory) as session, pytest.raises(LeaseLostError):
        finish_document(session, document_id=document.id, status=DocumentStatus.DONE, owner="w1")
    with session_scope(factory) as session:
        done = finish_document(session, document_id=document.id, status=DocumentStatus.DONE, owner="w2")
    assert done.status is DocumentStatus.DONE and done.attempts == 2


def test_final_documents_are_never_claimed(factory: sessionmaker[Session]) -> None:
    documents = _register(factory, 2)
    with session_scope(factory) as session:
        finish_document(session, document_id=documents[0].id, status=DocumentStatus.FAILED)
        finish_document(session, document_id=documents[1].id, status=DocumentStatus.REJECTED)
    far_future = T0 + dt.timedelta(days=3650)
    with session_scope(factory) as session:
        for document in documents:
            assert claim_document(session, document.id, owner="w", lease_seconds=1, now=far_future) is None
        assert claim_next_documents(session, owner="w", lease_seconds=1, limit=10, now=far_future) == []


def test_claim_next_takes_higher_priority_then_oldest_first(
    factory: sessionmaker[Session],
) -> None:
    documents = [
        *_register(factory, 3, priority=0),
        *_register(factory, 2, priority=5),
        *_register(factory, 2, priority=1),
    ]
    expected = [d.id for d in sorted(documents, key=lambda d: (-d.priority, d.created_at, d.id))]
    claimed: list[str] = []
    with session_scope(factory) as session:
        for batch in (3, 3, 3):
            taken = claim_next_documents(session, owner="w1", lease_seconds=60, limit=batch)
            claimed.extend(d.id for d in taken)
            assert all(d.status is DocumentStatus.PROCESSING for d in taken)
    assert claimed == expected


def test_claim_next_reclaims_lapsed_leases(factory: sessionmaker[Session]) -> None:
    documents = _register(factory, 3)
    with session_scope(factory) as session:
        first = claim_next_documents(session, owner="w1", lease_seconds=30, limit=3, now=T0)
    assert len(first) == 3
    with session_scope(factory) as session:
        too_early = claim_next_documents(
            session, owner="w2", lease_seconds=30, limit=3, now=T0 + dt.timedelta(seconds=29)
        )
        later = claim_next_documents(
            session, owner="w2", lease_seconds=30, limit=3, now=T0 + dt.timedelta(seconds=31)
        )
    assert too_early == []
    assert sorted(d.id for d in later) == sorted(d.id for d in documents)
    assert all(d.lease_owner == "w2" and d.attempts == 2 for d in later)


def _run_workers(target: object, count: int) -> list[BaseException]:
    errors: list[BaseException] = []

    def guarded() -> None:
        try:
            target()  # type: ignore[operator]
        except BaseException as exc:  # noqa: BLE001 - a thread's error is reported by the caller's assertion
            errors.append(exc)

    threads = [threading.Thread(target=guarded) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_concurrent_workers_claim_each_document_exactly_once(
    factory: sessionmaker[Session],
) -> None:
    documents = _register(factory, 24)
    workers = 4
    barrier = threading.Barrier(workers)
    claims: list[tuple[str, str]] = []
    lock = threading.Lock()

    def worker() -> None:
        name = threading.current_thread().name
        barrier.wait()
        while True:
            with session_scope(factory) as session:
                taken = claim_next_documents(session, owner=name, lease_seconds=300, limit=3)
                ids = [d.id for d in taken]
            if not ids:
                return
            with lock:
                claims.extend((document_id, name) for document_id in ids)

    assert _run_workers(worker, workers) == []
    counts = Counter(document_id for document_id, _ in claims)
    assert set(counts) == {d.id for d in documents}
    assert set(counts.values()) == {1}
    with session_scope(factory) as session:
        for document_id, owner in claims:
            stored = get_document(session, document_id)
            assert stored is not None
            assert (stored.status, stored.lease_owner, stored.attempts) == (
                DocumentStatus.PROCESSING,
                owner,
                1,
            )


def test_racing_claims_on_one_document_have_one_winner(factory: sessionmaker[Session]) -> None:
    (document,) = _register(factory, 1)
    racers = 6
    barrier = threading.Barrier(racers)
    winners: list[str] = []

    def racer() -> None:
        name = threading.current_thread().name
        barrier.wait()
        with session_scope(factory) as session:
            if claim_document(session, document.id, owner=name, lease_seconds=300):
                winners.append(name)

    assert _run_workers(racer, racers) == []
    assert len(winners) == 1
    with session_scope(factory) as session:
        stored = get_document(session, document.id)
    assert stored is not None and (stored.lease_owner, stored.attempts) == (winners[0], 1)


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_postgres_workers_skip_rows_locked_by_others(factory: sessionmaker[Session]) -> None:
    documents = _register(factory, 3)
    ordered = sorted(documents, key=lambda d: (d.created_at, d.id))
    with session_scope(factory) as holder:
        held = claim_next_documents(holder, owner="slow", lease_seconds=300, limit=1)
        assert [d.id for d in held] == [ordered[0].id]
        # While the first worker's transaction is still open, another one neither waits
        # for its row nor takes it.
        with session_scope(factory) as other:
            assert claim_document(other, ordered[0].id, owner="fast", lease_seconds=300) is None
            rest = claim_next_documents(other, owner="fast", lease_seconds=300, limit=5)
        assert [d.id for d in rest] == [d.id for d in ordered[1:]]


def test_finish_refuses_a_worker_that_lost_its_lease(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as session:
        document, _ = register_pdf(session, make_pdf("leased"))
        assert claim_document(session, document.id, owner="w1", lease_seconds=60) is not None
    with session_scope(factory) as session, pytest.raises(LeaseLostError):
        finish_document(session, document_id=document.id, status=DocumentStatus.DONE, owner="someone-else")
    with session_scope(factory) as session:
        unchanged = get_document(session, document.id)
        assert unchanged is not None and unchanged.status is DocumentStatus.PROCESSING
        done = finish_document(
            session, document_id=document.id, status=DocumentStatus.DONE, owner="w1", page_count=1
        )
    assert done.status is DocumentStatus.DONE and done.page_count == 1
    assert done.lease_owner is None and done.lease_expires_at is None
    assert done.finished_at is not None and done.started_at is not None
    assert done.started_at <= done.finished_at


def test_requeue_puts_finished_documents_back_and_counts_final_ones(
    factory: sessionmaker[Session],
) -> None:
    done, rejected, running, queued = _register(factory, 4)
    with session_scope(factory) as session:
        finish_document(session, document_id=done.id, status=DocumentStatus.DONE)
        finish_document(session, document_id=rejected.id, status=DocumentStatus.REJECTED)
        claim_document(session, running.id, owner="w1", lease_seconds=60)
    ids = [d.id for d in (done, rejected, running, queued)]
    with session_scope(factory) as session:
        assert count_final(session, ids) == 2
        assert count_final(session, []) == 0
        outcomes = [requeue_document(session, document_id=i, reason="reprocess") for i in ids]
        assert requeue_document(session, document_id="missing") is False
        assert count_final(session, ids) == 1
    assert outcomes == [True, False, False, True]
    with session_scope(factory) as session:
        again = get_document(session, done.id)
    assert again is not None
    assert (again.status, again.reason, again.finished_at) == (
        DocumentStatus.QUEUED,
        "reprocess",
        None,
    )
