"""What the cost-rollup triggers (migration 0008) cost concurrent intake of one tenant.

    .venv/bin/python -m bench.rollup_contention --threads 16 --seconds 10

Registers documents of a single tenant from N threads, one document per transaction (as
intake does), on a scratch PostgreSQL database at revision 0007 (no rollups) and then at
the head (triggers, a per-tenant lock until commit), and prints documents/s for each.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from core.settings import Settings
from storage import repository as repo
from storage.database import make_engine, make_session_factory, session_scope
from storage.migrate import upgrade

ADMIN = os.environ.get("FOLIO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _rate(settings: Settings, revision: str, threads: int, seconds: float) -> float:
    upgrade(settings, revision)
    engine = make_engine(settings)
    sessions = make_session_factory(engine)
    with session_scope(sessions) as session:
        tenant_id = repo.create_tenant(session, name=f"t-{revision}", tier="standard").id
    done = [0] * threads
    stop = time.monotonic() + seconds

    def work(slot: int) -> None:
        while time.monotonic() < stop:
            with session_scope(sessions) as session:
                repo.register_document(
                    session,
                    tenant_id=tenant_id,
                    sha256=uuid.uuid4().hex * 2,
                    schema_name="invoice",
                    file_name="a.pdf",
                    kind=None,
                    media_type="application/pdf",
                    size_bytes=1,
                    blob_key=None,
                    licence_tier="standard",
                    source="api",
                )
            done[slot] += 1

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    engine.dispose()
    return sum(done) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    name = f"folio_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(ADMIN).set(database=name).render_as_string(hide_password=False)
    settings = Settings(
        _env_file=None,
        storage={
            "data_dir": Path(tempfile.mkdtemp()),
            "database_url": url,
            "database_pool_size": args.threads,
        },
    )
    try:
        for revision, label in (("0007", "without rollups (0007)"), ("head", "with rollup triggers (0008)")):
            rate = _rate(settings, revision, args.threads, args.seconds)
            print(
                f"rollup_contention: {args.threads} threads, one tenant, {label}: {rate:.0f} documents/s",
                flush=True,
            )
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
