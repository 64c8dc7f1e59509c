"""The review queue in the database: corrections as new versions with an audit trail, stale
versions refused, approval and rejection ending a review, tenants kept apart; on SQLite and
PostgreSQL, with documents the real pipeline sent to review."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from core.settings import Settings
from models.corrections import HUMAN_METHOD, FieldValueError
from models.document import DocumentStatus
from models.extraction import DocumentExtraction
from storage import repository as repo
from storage.database import make_engine, make_session_factory
from storage.tables import ExtractionField
from tests.support.review import needs_review, tenant_id


@pytest.fixture
def sessions(db_settings: Settings):
    from storage.migrate import upgrade

    upgrade(db_settings)
    db = make_engine(db_settings)
    yield make_session_factory(db)
    db.dispose()


def _correct(sessions: sessionmaker[Session], document_id: str, tenant: int | None, version: int, **fields):
    with sessions.begin() as session:
        row = repo.correct_fields(
            session,
            document_id=document_id,
            tenant_id=tenant,
            expected_version=version,
            fields=fields,
            author="alice",
        )
        return row.version, row.source, row.author, DocumentExtraction.model_validate(row.result)


def test_a_correction_is_a_new_human_version_with_an_audit_row(db_settings: Settings, sessions) -> None:
    doc = needs_review(db_settings, seed=11)
    acme = tenant_id(db_settings, "acme")
    with sessions() as session:
        before = repo.review_document(session, document_id=doc.document_id, tenant_id=acme)
    assert before.source == "engine" and before.author is None and before.extraction is not None
    first = before.version
    assert first is not None
    right_total = doc.right["total_amount"]

    version, source, author, result = _correct(
        sessions,
        doc.document_id,
        acme,
        first,
        total_amount=str(right_total),
        **{"line_items[0].amount": "1.5"},
    )

    assert (version, source, author) == (first + 1, "human", "alice")
    total = result.fields["total_amount"]
    assert total.value == right_total and total.confidence == 1.0 and total.method == HUMAN_METHOD
    assert result.tables["line_items"][0]["amount"].value == 1.5
    # Untouched values are copied as the engine gave them.
    assert result.fields["vendor_name"].value == doc.answered["vendor_name"]
    assert result.fields["vendor_name"].method != HUMAN_METHOD
    assert not [f for f in result.review_flags if f.split(": ", 1)[-1].startswith("total_amount")]
    with sessions() as session:
        history = repo.extraction_history(session, doc.document_id)
        corrections = repo.corrections_for(session, document_id=doc.document_id)
        stored = session.scalars(
            sa.select(ExtractionField).where(
                ExtractionField.document_id == doc.document_id, ExtractionField.name == "total_amount"
            )
        ).one()
        document = repo.get_document(session, doc.document_id)
    assert [h.version for h in history] == [first, first + 1]
    assert [h.is_current for h in history] == [False, True]
    assert history[0].result["fields"]["total_amount"]["value"] == doc.answered["total_amount"]
    audit = {c.field: c for c in corrections}
    assert set(audit) == {"total_amount", "line_items[0].amount"}
    assert audit["total_amount"].before == doc.answered["total_amount"]
    assert audit["total_amount"].after == right_total
    assert audit["total_amount"].from_version == first and audit["total_amount"].to_version == first + 1
    assert audit["line_items[0].amount"].before == doc.answered["line_items"][0]["amount"]
    assert all(c.author == "alice" and c.tenant_id == acme for c in corrections)
    # The typed field rows analysts filter on follow the new version.
    assert stored.confidence == 1.0 and float(stored.value_number) == right_total  # type: ignore[arg-type]
    assert document is not None and document.status is DocumentStatus.NEEDS_REVIEW


def test_a_stale_version_and_a_bad_value_are_refused_and_write_nothing(
    db_settings: Settings, sessions
) -> None:
    doc = needs_review(db_settings, seed=12)
    with sessions() as session:
        version = repo.review_document(session, document_id=doc.document_id, tenant_id=None).version
    assert version is not None
    _correct(sessions, doc.document_id, None, version, invoice_number="INV-1")

    with pytest.raises(repo.StaleVersionError) as stale:
        _correct(sessions, doc.document_id, None, version, invoice_number="INV-2")
    assert stale.value.current_version == version + 1
    with pytest.raises(FieldValueError) as bad:
        _correct(sessions, doc.document_id, None, version + 1, invoice_date="31/12/2024")
    assert bad.value.field == "invoice_date" and "invoice_date" in str(bad.value)
    with pytest.raises(FieldValueError, match=r"line_items\[0\]\.amount"):
        _correct(sessions, doc.document_id, None, version + 1, **{"line_items[0].amount": "ten"})
    with pytest.raises(FieldValueError, match="no such field"):
        _correct(sessions, doc.document_id, None, version + 1, colour="red")
    with sessions() as session:
        assert [h.version for h in repo.extraction_history(session, doc.document_id)] == [
            version,
            version + 1,
        ]
        assert len(repo.corrections_for(session, document_id=doc.document_id)) == 1


def test_approve_ends_done_and_reviewed_then_it_leaves_the_queue(db_settings: Settings, sessions) -> None:
    doc = needs_review(db_settings, seed=13)
    with sessions() as session:
        page = repo.review_queue(session, tenant_id=None)
    [item] = page.items
    assert item.document_id == doc.document_id and item.reason and item.review_flags
    assert "total_amount" in item.flagged_fields and item.version is not None
    with sessions.begin() as session, pytest.raises(repo.StaleVersionError):
        repo.approve(
            session,
            document_id=doc.document_id,
            tenant_id=None,
            expected_version=item.version + 1,
            author="bob",
        )
    with sessions.begin() as session:
        document = repo.approve(
            session, document_id=doc.document_id, tenant_id=None, expected_version=item.version, author="bob"
        )
    assert document.status is DocumentStatus.DONE and document.reviewed_by == "bob"
    assert document.reviewed_at is not None and document.reason is None
    with sessions() as session:
        assert repo.review_queue(session, tenant_id=None).items == []
        assert [d.id for d in repo.reviewed_documents(session, tenant_id=None)] == [doc.document_id]
    # Once done, approving again is refused; a correction is still taken (and marks it reviewed).
    with sessions.begin() as session, pytest.raises(repo.NotInReviewError):
        repo.approve(
            session, document_id=doc.document_id, tenant_id=None, expected_version=item.version, author="b"
        )
    version, *_ = _correct(
        sessions, doc.document_id, None, item.version, total_amount=doc.right["total_amount"]
    )
    assert version == item.version + 1


def test_reject_ends_rejected_with_the_reviewers_reason(db_settings: Settings, sessions) -> None:
    doc = needs_review(db_settings, seed=14)
    with sessions() as session:
        version = repo.review_document(session, document_id=doc.document_id, tenant_id=None).version
    assert version is not None
    with sessions.begin() as session, pytest.raises(FieldValueError, match="reason"):
        repo.reject(
            session,
            document_id=doc.document_id,
            tenant_id=None,
            expected_version=version,
            author="c",
            reason=" ",
        )
    with sessions.begin() as session:
        document = repo.reject(
            session,
            document_id=doc.document_id,
            tenant_id=None,
            expected_version=version,
            author="carol",
            reason="a delivery note, not an invoice",
        )
    assert document.status is DocumentStatus.REJECTED
    assert document.reason == "a delivery note, not an invoice"
    assert document.error_code == repo.REVIEW_REJECTED and document.reviewed_by == "carol"
    with sessions.begin() as session, pytest.raises(repo.NotInReviewError):
        repo.correct_fields(
            session,
            document_id=doc.document_id,
            tenant_id=None,
            expected_version=version,
            fields={"total_amount": 1},
            author="carol",
        )


def test_another_tenants_document_is_not_found(db_settings: Settings, sessions) -> None:
    mine = needs_review(db_settings, seed=15, tenant="acme")
    theirs = needs_review(db_settings, seed=16, tenant="globex")
    acme, globex = tenant_id(db_settings, "acme"), tenant_id(db_settings, "globex")
    with sessions() as session:
        assert [i.document_id for i in repo.review_queue(session, tenant_id=acme).items] == [mine.document_id]
        assert [i.document_id for i in repo.review_queue(session, tenant_id=globex).items] == [
            theirs.document_id
        ]
        version = repo.review_document(session, document_id=theirs.document_id, tenant_id=globex).version
        with pytest.raises(repo.DocumentNotFoundError):
            repo.review_document(session, document_id=theirs.document_id, tenant_id=acme)
    assert version is not None
    with pytest.raises(repo.DocumentNotFoundError):
        _correct(sessions, theirs.document_id, acme, version, invoice_number="X")
    with sessions.begin() as session, pytest.raises(repo.DocumentNotFoundError):
        repo.approve(
            session, document_id=theirs.document_id, tenant_id=acme, expected_version=version, author="a"
        )
    with sessions() as session:
        assert repo.get_document(session, theirs.document_id).status is DocumentStatus.NEEDS_REVIEW  # type: ignore[union-attr]


def test_the_queue_pages_by_cursor_in_either_order(db_settings: Settings, sessions) -> None:
    ids = [needs_review(db_settings, seed=seed).document_id for seed in (21, 22, 23)]
    for order in repo.QUEUE_ORDERS:
        seen: list[str] = []
        cursor = None
        while True:
            with sessions() as session:
                page = repo.review_queue(session, tenant_id=None, order=order, limit=2, cursor=cursor)
            seen.extend(i.document_id for i in page.items)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert seen == ids  # one tier here: oldest first either way
    with sessions() as session, pytest.raises(repo.QueryError):
        repo.review_queue(session, tenant_id=None, order="tier", cursor="bm90IGEgY3Vyc29y")
