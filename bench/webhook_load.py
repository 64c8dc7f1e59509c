"""Upload load: uvicorn serving the real app on 127.0.0.1 against PostgreSQL, N concurrent
clients uploading distinct ~100 KB PDFs for a fixed time. Reports accepted uploads/s, p50/p99
latency, and zero loss: every 2xx has its row and its blob, and (with processing on) every
document reaches a final status after the load stops (bounded wait).

    .venv/bin/python bench/webhook_load.py --clients 32 --seconds 60
    .venv/bin/python bench/webhook_load.py --seconds 10 --no-process
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import pymupdf
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.settings import Settings  # noqa: E402
from models.document import DocumentStatus  # noqa: E402
from storage import repository as repo  # noqa: E402
from storage.blobs import BlobStore  # noqa: E402
from storage.database import make_engine, make_session_factory  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.tables import Document  # noqa: E402

ADMIN_URL = os.environ.get("FOLIO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def base_pdf(target_bytes: int) -> bytes:
    """A text PDF padded (uncompressed metadata) to about ``target_bytes``."""
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 72), "Invoice INV-0001  Total 100.00 EUR", fontsize=12)
    doc.set_metadata({"keywords": "k" * max(0, target_bytes - 1200)})
    data = doc.tobytes()
    doc.close()
    return data


def distinct(pdf: bytes, n: str) -> bytes:
    """The same PDF made distinct by a trailing comment (still a valid PDF)."""
    return pdf + f"\n% {n}\n".encode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def client_loop(url: str, key: str, pdf: bytes, stop: float, out: list[tuple[float, int, str]]) -> None:
    async with httpx.AsyncClient(timeout=30.0) as client:
        while time.monotonic() < stop:
            body = distinct(pdf, uuid.uuid4().hex)
            t0 = time.perf_counter()
            r = await client.post(
                f"{url}/v1/documents",
                headers={"Authorization": f"Bearer {key}"},
                files={"file": ("load.pdf", body, "application/pdf")},
                data={"schema": "invoice"},
            )
            ms = (time.perf_counter() - t0) * 1000
            out.append((ms, r.status_code, r.json().get("id", "") if r.is_success else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--kb", type=int, default=100)
    parser.add_argument("--no-process", action="store_true", help="register only; no worker")
    parser.add_argument("--final-timeout", type=float, default=900.0)
    args = parser.parse_args()

    name = f"folio_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    db_url = sa.make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    data_dir = Path(tempfile.mkdtemp(prefix="folio-bench-"))
    try:
        settings = Settings(
            data_dir=data_dir,
            database_url=db_url,
            engine="local",
            rate_limit_per_second=0,
            sweep_queued_after_s=30,
            worker_queue_size=100_000,
            log_level="WARNING",
            _env_file=None,
        )
        upgrade(settings)
        engine = make_engine(settings)
        sessions = make_session_factory(engine)
        with sessions.begin() as session:
            tenant = repo.get_or_create_tenant(session, name="bench", tier=settings.default_tier)
            key = repo.create_api_key(session, tenant_id=tenant.id)[1]
        # The server runs in its own process, as `folio serve` does: a load generator sharing
        # its interpreter would measure the GIL, not the API.
        port = free_port()
        env = {
            **os.environ,
            "FOLIO_DATA_DIR": str(data_dir),
            "FOLIO_DATABASE_URL": db_url,
            "FOLIO_ENGINE": "local",
            "FOLIO_RATE_LIMIT_PER_SECOND": "0",
            "FOLIO_SWEEP_QUEUED_AFTER_S": "30",
            "FOLIO_WORKER_QUEUE_SIZE": "100000",
            "FOLIO_LOG_LEVEL": "WARNING",
        }
        launcher = (
            "import uvicorn; from api.app import create_app; from core.settings import Settings; "
            f"uvicorn.run(create_app(Settings(), process={not args.no_process}), host='127.0.0.1', "
            f"port={port}, log_level='warning')"
        )
        server = subprocess.Popen([sys.executable, "-c", launcher], env=env, cwd=ROOT)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        pdf = base_pdf(args.kb * 1024)
        results: list[tuple[float, int, str]] = []

        async def load() -> None:
            stop = time.monotonic() + args.seconds
            await asyncio.gather(*(client_loop(url, key, pdf, stop, results) for _ in range(args.clients)))

        t0 = time.monotonic()
        asyncio.run(load())
        elapsed = time.monotonic() - t0
        ok = [r for r in results if 200 <= r[1] < 300]
        latencies = sorted(r[0] for r in ok)
        p50 = latencies[len(latencies) // 2] if latencies else 0.0
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else 0.0
        ids = {r[2] for r in ok}
        blobs = BlobStore(settings.blob_dir)
        with sessions() as session:
            rows = session.execute(sa.select(Document.id, Document.sha256).where(Document.id.in_(ids))).all()
        found = sum(1 for _, sha in rows if blobs.exists(sha))
        final = 0
        if not args.no_process:
            finals = [s.value for s in DocumentStatus if s.is_final]
            deadline = time.monotonic() + args.final_timeout
            while time.monotonic() < deadline:
                with sessions() as session:
                    final = (
                        session.scalar(
                            sa.select(sa.func.count())
                            .select_from(Document)
                            .where(Document.status.in_(finals))
                        )
                        or 0
                    )
                if final >= len(ids):
                    break
                time.sleep(1.0)
        server.terminate()
        server.wait(timeout=30)
        engine.dispose()
        errors = len(results) - len(ok)
        print(
            f"webhook_load: {args.clients} clients, {args.seconds:.0f} s: "
            f"{len(ok) / elapsed:.0f} uploads/s accepted, p50 {p50:.0f} ms, p99 {p99:.0f} ms; "
            f"{found}/{len(ok)} rows and blobs; "
            + (f"{final} final" if not args.no_process else "processing off")
            + (f"; {errors} non-2xx" if errors else "")
        )
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
