"""Analyst query figures on PostgreSQL: seed N documents by COPY, then time the reports.

    .venv/bin/python bench/queries.py --documents 1000000

Uses a scratch database (dropped at the end) on FOLIO_TEST_POSTGRES_URL, as the tests do.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.settings import Settings  # noqa: E402
from storage import repository as repo  # noqa: E402
from storage.database import make_engine, make_session_factory  # noqa: E402
from storage.export import export_rows  # noqa: E402
from storage.migrate import upgrade  # noqa: E402

ADMIN = os.environ.get("FOLIO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
VENDORS = [f"Vendor {i}" for i in range(500)]


def _seed(engine: sa.Engine, documents: int) -> None:
    rng = random.Random(1)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(
            "INSERT INTO tenants (name, tier, created_at) SELECT 't' || g, "
            "CASE WHEN g % 2 = 0 THEN 'standard' ELSE 'enterprise' END, now() "
            "FROM generate_series(1, 20) g"
        )
        start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        with cur.copy(
            "COPY documents (id, tenant_id, sha256, schema_name, file_name, media_type, "
            "size_bytes, status, engine, model, licence_tier, cost_usd, source, created_at, "
            "updated_at) FROM STDIN"
        ) as copy_docs:
            ids = []
            for i in range(documents):
                doc_id = str(uuid.UUID(int=rng.getrandbits(128)))
                ids.append(doc_id)
                tenant = i % 20 + 1
                when = start + dt.timedelta(seconds=rng.randrange(0, 300 * 86400))
                copy_docs.write_row(
                    (
                        doc_id,
                        tenant,
                        f"{i:064x}",
                        "invoice",
                        f"f{i}.pdf",
                        "application/pdf",
                        50000,
                        "done" if i % 5 else "needs_review",
                        "llama",
                        "llama-4-scout" if i % 3 else "llama-4-maverick",
                        "standard" if tenant % 2 == 0 else "enterprise",
                        Decimal(rng.randrange(1, 10**6)).scaleb(-8),
                        "api",
                        when,
                        when,
                    )
                )
        with cur.copy(
            "COPY extractions (id, document_id, version, is_current, schema_name, schema_version, "
            "engine, model, result, review_flags, fingerprint, created_at) FROM STDIN"
        ) as copy_ex:
            for n, doc_id in enumerate(ids, 1):
                copy_ex.write_row(
                    (
                        n,
                        doc_id,
                        1,
                        True,
                        "invoice",
                        "1",
                        "llama",
                        "llama-4-scout",
                        "{}",
                        "[]" if n % 5 else '["low_confidence: total_amount (0.40)"]',
                        "{}",
                        start,
                    )
                )
        with cur.copy(
            "COPY extraction_fields (tenant_id, document_id, extraction_id, schema_name, name, "
            "value_text, value_number, value_date, confidence, page, flagged) FROM STDIN"
        ) as cf:
            for n, doc_id in enumerate(ids, 1):
                tenant = (n - 1) % 20 + 1
                total = Decimal(rng.randrange(100, 5_000_000)).scaleb(-2)
                date = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(0, 300))
                vendor = rng.choice(VENDORS)
                for name, text, number, day in (
                    ("vendor_name", vendor, None, None),
                    ("total_amount", str(total), total, None),
                    ("invoice_date", date.isoformat(), None, date),
                    ("currency", "EUR", None, None),
                    ("invoice_number", f"INV-{n}", None, None),
                ):
                    cf.write_row(
                        (
                            tenant,
                            doc_id,
                            n,
                            "invoice",
                            name,
                            text,
                            number,
                            day,
                            rng.random(),
                            1,
                            name == "total_amount" and n % 5 == 0,
                        )
                    )
        with cur.copy(
            "COPY usage_ledger (document_id, extraction_id, page_numbers, engine, model, attempt, "
            "estimated_prompt_tokens, estimated_image_tokens, prompt_tokens, completion_tokens, "
            "latency_ms, cost_usd, created_at) FROM STDIN"
        ) as cl:
            for n, doc_id in enumerate(ids, 1):
                when = start + dt.timedelta(seconds=rng.randrange(0, 300 * 86400))
                cl.write_row(
                    (
                        doc_id,
                        n,
                        "[1]",
                        "llama",
                        "llama-4-scout" if n % 3 else "llama-4-maverick",
                        1,
                        1000,
                        0,
                        1000,
                        200,
                        900.0,
                        Decimal(rng.randrange(1, 10**6)).scaleb(-8),
                        when,
                    )
                )
        cur.execute("SELECT setval('extractions_id_seq', (SELECT max(id) FROM extractions))")
        raw.commit()
        cur.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()


def _time(label: str, fn, runs: int = 5) -> None:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    print(f"queries: {label}: {statistics.median(times):.0f} ms (median of {runs})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=1_000_000)
    args = parser.parse_args()
    name = f"folio_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(ADMIN).set(database=name).render_as_string(hide_password=False)
    settings = Settings(data_dir=Path(tempfile.mkdtemp()), database_url=url, _env_file=None)
    try:
        upgrade(settings)
        engine = make_engine(settings)
        started = time.perf_counter()
        _seed(engine, args.documents)
        print(
            f"queries: seeded {args.documents:,} documents (5 fields, 1 ledger row each) "
            f"in {time.perf_counter() - started:.1f} s"
        )
        sessions = make_session_factory(engine)
        with sessions() as session:
            _time("cost report by tenant,month", lambda: repo.cost_report(session, by=["tenant", "month"]))
            _time(
                "cost report by tenant,month,model,tier",
                lambda: repo.cost_report(session, by=["tenant", "month", "model", "tier"]),
            )
            query = repo.DocumentQuery(
                schema="invoice",
                predicates=[
                    repo.FieldPredicate("total_amount", "gt", "49000"),
                    repo.FieldPredicate("vendor_name", "eq", "Vendor 7"),
                ],
                limit=100,
            )
            rows = repo.query_documents(session, query=query, tenant_scope=None).rows
            _time(
                f"field-predicate filter ({len(rows)} rows)",
                lambda: repo.query_documents(session, query=query, tenant_scope=None),
            )
            wide = repo.DocumentQuery(
                predicates=[repo.FieldPredicate("total_amount", "gt", "10000")], limit=100
            )
            _time(
                "field-predicate filter, first 100 of many",
                lambda: repo.query_documents(session, query=wide, tenant_scope=None),
            )
            _time("field report", lambda: repo.field_report(session, tenant_scope=None))
        out = Path(tempfile.mkdtemp()) / "all.csv"
        started = time.perf_counter()
        with sessions() as session:
            count = export_rows(
                repo.iter_documents(session, query=repo.DocumentQuery(sort="id"), tenant_scope=None),
                fmt="csv",
                out=out,
            )
        hwm = next(
            line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("VmHWM")
        )
        print(
            f"queries: export of {count:,} rows to CSV: {time.perf_counter() - started:.1f} s, "
            f"{out.stat().st_size / 1e6:.0f} MB; peak RSS {hwm.split(':')[1].strip()}"
        )
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
