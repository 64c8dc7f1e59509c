"""flows.review: approval and rejection notify the tenant the way every final status does
(the API's callback sender, a signed POST recorded in callback_deliveries), and two people
correcting the same version at once cannot both win; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest

from api.callbacks import CallbackSender
from core.settings import Settings
from flows.pipeline import DocumentRun
from flows.review import approve_document, correct_document, reject_document, review_detail
from models.document import DocumentStatus
from storage import repository as repo
from storage.database import make_engine, make_session_factory
from tests.api.conftest import Receivers, api_settings
from tests.support.review import needs_review


def test_approval_and_rejection_post_the_final_status(db_settings: Settings, receivers: Receivers) -> None:
    settings = api_settings(db_settings)
    approved, rejected = needs_review(settings, seed=61), needs_review(settings, seed=62)
    hook = receivers(1)  # fails once, then accepts: the sender's retries are the pipeline's
    db = make_engine(settings)
    sessions = make_session_factory(db)
    with sessions.begin() as session:
        repo.set_tenant_callback(session, name="acme", url=hook.url)

    async def go() -> list[DocumentRun]:
        sender = CallbackSender(settings, sessions, transport=receivers.transport)
        try:
            runs = [
                await approve_document(
                    sessions,
                    document_id=approved.document_id,
                    tenant_id=None,
                    expected_version=1,
                    author="erin",
                    on_finished=sender.on_finished,
                ),
                await reject_document(
                    sessions,
                    document_id=rejected.document_id,
                    tenant_id=None,
                    expected_version=1,
                    author="erin",
                    reason="not an invoice",
                    on_finished=sender.on_finished,
                ),
            ]
            await sender.drain(timeout=30)
            return runs
        finally:
            await sender.aclose()

    try:
        runs = asyncio.run(go())
        assert [r.status for r in runs] == [DocumentStatus.DONE, DocumentStatus.REJECTED]
        events = {e["document_id"]: e for e in (json.loads(body) for _, body in hook.posts)}
        assert events[approved.document_id]["status"] == "done"
        assert events[rejected.document_id]["status"] == "rejected"
        assert events[rejected.document_id]["reason"] == "not an invoice"
        with sessions() as session:
            for doc in (approved, rejected):
                attempts = repo.deliveries_for(session, document_id=doc.document_id)
                assert attempts and attempts[-1].status_code == 204 and attempts[-1].error is None
    finally:
        db.dispose()


def test_two_concurrent_corrections_of_one_version_cannot_both_win(db_settings: Settings) -> None:
    doc = needs_review(db_settings, seed=63)
    db = make_engine(db_settings)
    sessions = make_session_factory(db)
    first_in = threading.Event()
    outcomes: dict[str, object] = {}

    def slow_first() -> None:
        # Holds its transaction open (the row locked) while the second one starts.
        with sessions.begin() as session:
            row = repo.correct_fields(
                session,
                document_id=doc.document_id,
                tenant_id=None,
                expected_version=1,
                fields={"invoice_number": "FIRST"},
                author="first",
            )
            first_in.set()
            threading.Event().wait(1.0)
            outcomes["first"] = row.version

    def second() -> None:
        first_in.wait(30)
        try:
            row = correct_document(
                sessions,
                document_id=doc.document_id,
                tenant_id=None,
                expected_version=1,
                fields={"invoice_number": "SECOND"},
                author="second",
            )
            outcomes["second"] = row.version
        except repo.StaleVersionError as exc:
            outcomes["second"] = exc

    try:
        threads = [threading.Thread(target=slow_first), threading.Thread(target=second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert outcomes["first"] == 2
        assert isinstance(outcomes["second"], repo.StaleVersionError)
        assert outcomes["second"].current_version == 2
        now = review_detail(sessions, document_id=doc.document_id, tenant_id=None)
        assert now.version == 2 and now.extraction is not None
        assert now.extraction.fields["invoice_number"].value == "FIRST"
        assert [c.author for c in now.corrections] == ["first"]
    finally:
        db.dispose()


@pytest.fixture
def receivers() -> Receivers:
    return Receivers()
