"""Upload load: the real API served by ``folio serve`` on 127.0.0.1 against PostgreSQL, N
concurrent clients uploading distinct ~100 KB PDFs for a fixed time. Reports accepted
uploads/s, p50/p99 latency, the CPU seconds of the server and of this load generator, and
zero loss: every 2xx has its row and its blob and, with processing on, every accepted
document reaches a final status after the load stops (the wait is bounded and reported).

The clients are cheap on purpose (they share the machine's cores with the server): each
keeps one HTTP/1.1 connection alive over raw asyncio streams and sends a multipart body
prebuilt around the PDF, made distinct by a suffix, so the figure measures the API.

    .venv/bin/python -m bench.webhook_load --clients 32 --seconds 60
    .venv/bin/python -m bench.webhook_load --seconds 10 --no-process
    .venv/bin/python -m bench.webhook_load --seconds 10 --no-process --workers 2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pymupdf
import sqlalchemy as sa

from core.settings import Settings
from models.document import DocumentStatus
from storage import repository as repo
from storage.blobs import BlobStore
from storage.database import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.tables import Document

ROOT = Path(__file__).resolve().parents[1]

ADMIN_URL = os.environ.get("FOLIO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BOUNDARY = "folio-bench-boundary-7d1c"


def base_pdf(target_bytes: int) -> bytes:
    """A text PDF padded (uncompressed metadata) to about ``target_bytes``."""
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 72), "Invoice INV-0001  Total 100.00 EUR", fontsize=12)
    doc.set_metadata({"keywords": "k" * max(0, target_bytes - 1200)})
    data = doc.tobytes()
    doc.close()
    return data


@dataclass(frozen=True)
class RequestTemplate:
    """An upload request split around the point where each request's distinct suffix goes."""

    head: bytes  # request line, headers up to Content-Length's value
    body_start: bytes  # multipart prologue and the PDF
    body_end: bytes  # the closing of the file part and the form

    def build(self, distinct: bytes) -> bytes:
        """The full request with ``distinct`` appended to the PDF (a trailing PDF comment)."""
        length = len(self.body_start) + len(distinct) + len(self.body_end)
        return b"".join(
            (self.head, str(length).encode(), b"\r\n\r\n", self.body_start, distinct, self.body_end)
        )


def request_template(host: str, key: str, pdf: bytes) -> RequestTemplate:
    """The upload request for ``pdf`` with schema ``invoice``, authenticated with ``key``."""
    head = (
        f"POST /v1/documents HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: "
    ).encode()
    body_start = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="schema"\r\n\r\ninvoice\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="load.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode() + pdf
    body_end = f"\r\n--{BOUNDARY}--\r\n".encode()
    return RequestTemplate(head=head, body_start=body_start, body_end=body_end)


@dataclass
class Outcome:
    """What the clients saw."""

    latencies_ms: list[float] = field(default_factory=list)  # 2xx only
    ids: list[str] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


async def _response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    return status, await reader.readexactly(length)


async def client_loop(host: str, port: int, template: RequestTemplate, stop: float, out: Outcome) -> None:
    """One client: a kept-alive connection, uploads back to back until ``stop``."""
    reader, writer = await asyncio.open_connection(host, port)
    prefix = uuid.uuid4().hex.encode()
    n = 0
    try:
        while time.monotonic() < stop:
            n += 1
            request = template.build(b"\n% " + prefix + str(n).encode() + b"\n")
            t0 = time.perf_counter()
            writer.write(request)
            await writer.drain()
            status, body = await _response(reader)
            ms = (time.perf_counter() - t0) * 1000
            out.statuses[status] = out.statuses.get(status, 0) + 1
            if 200 <= status < 300:
                out.latencies_ms.append(ms)
                out.ids.append(json.loads(body)["id"])
            elif len(out.errors) < 5:
                out.errors.append(f"{status}: {body[:200]!r}")
    except (OSError, asyncio.IncompleteReadError) as exc:
        out.errors.append(f"connection: {exc!r}")
    finally:
        writer.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of these processes and their waited-for children (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(v) for v in fields[11:15])  # utime, stime, cutime, cstime
    return total / tick


def process_tree(pid: int) -> list[int]:
    """``pid`` and every descendant (uvicorn workers, render pools)."""
    found = [pid]
    for each in found:
        try:
            children = Path(f"/proc/{each}/task/{each}/children").read_text().split()
        except OSError:
            continue
        found.extend(int(c) for c in children)
    return found


def _analyze(url: str) -> None:
    """Refresh the planner's statistics, as autovacuum does on a normal server (the test
    server runs with it off): without them a table that grew from empty during the run is
    planned as if it were still empty, and per-document queries crawl."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("ANALYZE"))
    finally:
        engine.dispose()


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * q))]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--kb", type=int, default=100)
    parser.add_argument("--workers", type=int, default=1, help="folio serve --workers")
    parser.add_argument("--no-process", action="store_true", help="register only; no worker")
    parser.add_argument("--final-timeout", type=float, default=1800.0)
    args = parser.parse_args()

    database = f"folio_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{database}"'))
    db_url = sa.make_url(ADMIN_URL).set(database=database).render_as_string(hide_password=False)
    data_dir = Path(tempfile.mkdtemp(prefix="folio-bench-"))
    server: subprocess.Popen[bytes] | None = None
    try:
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
        settings = Settings(
            _env_file=None,
            storage={"data_dir": data_dir, "database_url": db_url},
            extraction={"engine": "local"},
            api={"rate_limit_per_second": 0},
            logging={"level": "WARNING"},
        )
        upgrade(settings)
        engine = make_engine(settings)
        sessions = make_session_factory(engine)
        with sessions.begin() as session:
            tenant = repo.get_or_create_tenant(session, name="bench", tier=settings.tenancy.default_tier)
            key = repo.create_api_key(session, tenant_id=tenant.id)[1]
        # The server runs as `folio serve` does, in its own process(es): a load generator
        # sharing its interpreter would measure the GIL, not the API.
        port = free_port()
        command = [sys.executable, "-m", "cli", "serve", "--port", str(port), "--workers", str(args.workers)]
        if args.no_process:
            command.append("--no-process")
        server = subprocess.Popen(command, env=env, cwd=ROOT)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/readyz", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            raise SystemExit("the server did not become ready in 120 s")
        template = request_template("127.0.0.1", key, base_pdf(args.kb * 1024))
        outcome = Outcome()

        async def load() -> None:
            stop = time.monotonic() + args.seconds
            clients = (client_loop("127.0.0.1", port, template, stop, outcome) for _ in range(args.clients))
            await asyncio.gather(*clients)

        server_pids = process_tree(server.pid)
        server_cpu0, own_cpu0 = cpu_seconds(server_pids), time.process_time()
        t0 = time.monotonic()
        asyncio.run(load())
        elapsed = time.monotonic() - t0
        server_cpu = cpu_seconds(process_tree(server.pid)) - server_cpu0
        own_cpu = time.process_time() - own_cpu0

        accepted = len(outcome.ids)
        latencies = sorted(outcome.latencies_ms)
        ids = set(outcome.ids)
        blobs = BlobStore(settings.storage.blob_dir)
        # The database is this run's own: read every row once and compare in Python (a huge
        # IN list per poll would cost the server the CPU it needs to process).
        with sessions() as session:
            rows = {r.id: r.sha256 for r in session.execute(sa.select(Document.id, Document.sha256))}
        found = sum(1 for i in ids if i in rows and blobs.exists(rows[i]))
        final_note = "processing off"
        if not args.no_process:
            finals = [s.value for s in DocumentStatus if s.is_final]
            waited0 = analyzed = time.monotonic()
            _analyze(db_url)
            while time.monotonic() - waited0 < args.final_timeout:
                if time.monotonic() - analyzed > 60:
                    analyzed = time.monotonic()
                    _analyze(db_url)
                with sessions() as session:
                    open_rows = session.scalar(
                        sa.select(sa.func.count()).select_from(Document).where(Document.status.not_in(finals))
                    )
                if not open_rows:
                    break
                time.sleep(2.0)
            waited = time.monotonic() - waited0
            with sessions() as session:
                statuses = {r.id: r.status for r in session.execute(sa.select(Document.id, Document.status))}
            final = sum(1 for i in ids if i in statuses and statuses[i].is_final)
            counts: dict[str, int] = {}
            for i in ids:
                status = statuses[i].value if i in statuses else "missing"
                counts[status] = counts.get(status, 0) + 1
            summary = ", ".join(f"{status} {n}" for status, n in sorted(counts.items()))
            final_note = (
                f"{final}/{len(ids)} final after a {waited:.0f} s wait "
                f"(limit {args.final_timeout:.0f} s): {summary}"
            )
        engine.dispose()
        non_2xx = {code: n for code, n in outcome.statuses.items() if not 200 <= code < 300}
        print(
            f"webhook_load: {args.clients} clients, {args.seconds:.0f} s, {args.kb} KB PDFs, "
            f"{args.workers} server worker(s): {accepted / elapsed:.0f} uploads/s accepted "
            f"({accepted} in {elapsed:.1f} s), p50 {percentile(latencies, 0.5):.0f} ms, "
            f"p99 {percentile(latencies, 0.99):.0f} ms; {found}/{accepted} rows and blobs; {final_note}"
            + (f"; non-2xx {non_2xx}" if non_2xx else "")
        )
        print(
            f"webhook_load: CPU during the load: server {server_cpu:.1f} s, load generator "
            f"{own_cpu:.1f} s, of {elapsed * (os.cpu_count() or 1):.0f} s on {os.cpu_count()} cores; "
            f"load average {os.getloadavg()[0]:.2f}"
        )
        for error in outcome.errors:
            print(f"webhook_load: error: {error}")
    finally:
        if server is not None:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
