"""Seed a database with tenants, documents, extractions and ledger rows; keep the truth."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from core.settings import Settings
from models.document import DocumentStatus
from models.extraction import DocumentExtraction, ExtractedField
from models.usage import EngineCall
from storage import repository as repo
from storage.database import make_engine, make_session_factory, session_scope
from storage.migrate import upgrade

VENDORS = ("Acme GmbH", "Globex SA", "Initech Ltd")
MODELS = ("llama-4-scout", "llama-4-maverick")


@dataclass
class Truth:
    """What was seeded, for tests to derive expected answers from."""

    invoices: list[dict[str, object]] = field(default_factory=list)
    ledger: list[tuple[str, str, str, Decimal]] = field(default_factory=list)  # tenant, model, tier, cost
    missing: dict[str, int] = field(default_factory=dict)  # field name -> documents missing it


def seed(settings: Settings, *, documents: int = 24, rng_seed: int = 7) -> Truth:
    """Migrate and fill the database of ``settings``; returns the truth."""
    upgrade(settings)
    rng = random.Random(rng_seed)
    truth = Truth()
    engine = make_engine(settings)
    sessions = make_session_factory(engine)
    try:
        with session_scope(sessions) as session:
            tenants = [
                repo.create_tenant(session, name=n, tier=t)
                for n, t in (("north", "standard"), ("south", "enterprise"))
            ]
            for i in range(documents):
                tenant = tenants[i % 2]
                model = MODELS[i % 3 % 2]
                doc = repo.register_document(
                    session,
                    tenant_id=tenant.id,
                    sha256=f"{i:064x}",
                    schema_name="invoice",
                    file_name=f"inv{i}.pdf",
                    kind=None,
                    media_type="application/pdf",
                    size_bytes=1000 + i,
                    blob_key=None,
                    licence_tier=tenant.tier,
                    source="cli",
                )
                document = doc[0]
                document_id = document.id
                vendor = VENDORS[rng.randrange(3)]
                total = Decimal(rng.randrange(100, 3_000_000)) / 100
                date = dt.date(2026, 7, 1) + dt.timedelta(days=rng.randrange(0, 150))
                currency = rng.choice(("EUR", "USD"))
                fields = {
                    "vendor_name": ExtractedField(value=vendor, confidence=0.9, page=1),
                    "total_amount": ExtractedField(value=float(total), confidence=rng.random(), page=1),
                    "invoice_date": ExtractedField(value=date.isoformat(), confidence=0.8, page=1),
                    "currency": ExtractedField(value=currency, confidence=0.95, page=1),
                }
                flags = []
                if fields["total_amount"].confidence < 0.5:
                    flags.append(f"low_confidence: total_amount ({fields['total_amount'].confidence:.2f})")
                if rng.random() < 0.3:
                    flags.append("missing: invoice_number was not found")
                    truth.missing["invoice_number"] = truth.missing.get("invoice_number", 0) + 1
                cost = Decimal(rng.randrange(1, 10_000_000)).scaleb(-8)
                calls = [
                    EngineCall(
                        engine="llama",
                        model=model,
                        page_numbers=[1],
                        prompt_tokens=100,
                        completion_tokens=20,
                        cost_usd=cost,
                    )
                ]
                extraction = DocumentExtraction(
                    schema_name="invoice",
                    schema_version="1",
                    engine="llama",
                    model=model,
                    fields=fields,
                    review_flags=flags,
                    calls=calls,
                    tables={"line_items": [{"amount": ExtractedField(value=float(total), confidence=0.7)}]},
                )
                row = repo.add_extraction(
                    session, document_id=document_id, extraction=extraction, fingerprint={}
                )
                repo.add_usage(session, document_id=document_id, extraction_id=row.id, calls=calls)
                status = DocumentStatus.NEEDS_REVIEW if flags else DocumentStatus.DONE
                document.status = status
                document.engine, document.model = "llama", model
                document.cost_usd = cost
                truth.invoices.append(
                    {
                        "document_id": document_id,
                        "tenant": tenant.name,
                        "vendor": vendor,
                        "total": total,
                        "date": date,
                        "currency": currency,
                        "flags": flags,
                        "low": fields["total_amount"].confidence < 0.5,
                    }
                )
                truth.ledger.append((tenant.name, model, tenant.tier, cost))
    finally:
        engine.dispose()
    return truth
