"""Documents waiting for review: made cheaply, a real generated invoice PDF run through the
real pipeline around ``FakeEngine``, which answers the truth with one value wrong (and every
confidence low, so the done rule sends it to a person; it stores no boxes); or read by the
real local engine from the PDF's text layer (every value with its box), an invoice whose
printed total is wrong."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.settings import Settings
from extractors.engines.local import LocalEngine
from models.document import DocumentStatus
from storage.database import make_engine, make_session_factory
from tests.fakes.engine import FakeEngine
from tests.support.documents import invoice_pdf
from tests.support.pipeline import process_bytes
from tests.support.truth import InvoiceTruth, make_invoice_truth


@dataclass(frozen=True)
class InReview:
    """A ``needs_review`` document, the truth of its file and what the engine answered."""

    document_id: str
    truth: InvoiceTruth
    answered: dict[str, Any]
    tenant: str

    @property
    def right(self) -> dict[str, Any]:
        """The truth as the invoice schema holds it."""
        return self.truth.schema_values()


def wrong_total(truth: InvoiceTruth) -> dict[str, Any]:
    """The truth's values with the total off by 10."""
    values = truth.schema_values()
    values["total_amount"] = float(Decimal(str(values["total_amount"])) + 10)
    return values


def needs_review(settings: Settings, *, seed: int, tenant: str = "acme") -> InReview:
    """Process a generated invoice whose total the engine reads wrong, at low confidence."""
    truth = make_invoice_truth(seed)
    answered = wrong_total(truth)
    run = process_bytes(
        settings,
        invoice_pdf(truth),
        FakeEngine(answered, confidence=0.2),
        name=f"invoice-{seed}.pdf",
        tenant=tenant,
    )
    assert run.status is DocumentStatus.NEEDS_REVIEW, (run.status, run.reason)
    return InReview(run.document_id, truth, answered, tenant)


def misprint(seed: int) -> tuple[InvoiceTruth, InvoiceTruth]:
    """An invoice's truth, and the same invoice with a total 10 more than it should be."""
    truth = make_invoice_truth(seed)
    return truth, dataclasses.replace(truth, total_amount=truth.total_amount + 10)


def misprinted_total(settings: Settings, *, seed: int, tenant: str = "acme") -> InReview:
    """A digital invoice whose printed total is 10 more than its subtotal plus tax, read by the
    real local engine: it reads what is printed, with the text layer's box of every value, and
    the consistency check sends it to review. ``answered`` is what is printed; ``right`` the
    true values."""
    truth, printed = misprint(seed)
    run = process_bytes(
        settings, invoice_pdf(printed), LocalEngine(settings), name=f"invoice-{seed}.pdf", tenant=tenant
    )
    assert run.status is DocumentStatus.NEEDS_REVIEW, (run.status, run.reason)
    return InReview(run.document_id, truth, printed.schema_values(), tenant)


def tenant_id(settings: Settings, name: str) -> int:
    """The id of tenant ``name``."""
    from storage import repository as repo

    db = make_engine(settings)
    try:
        with make_session_factory(db)() as session:
            tenant = repo.get_tenant(session, name=name)
            assert tenant is not None
            return tenant.id
    finally:
        db.dispose()
