"""Hostile input against Folio: the resident memory of the process under attack stays flat.

One section per measurement, each printing its own ``hostile[SECTION]:`` lines, so a section
can be added (e.g. hostile *files* through the pipeline) without touching the others:

- ``connections``: the real API (uvicorn in a subprocess, the app factory ``folio serve
  --workers N`` runs, uploads registered but not processed) on 127.0.0.1, SQLite in a temp
  data dir (``--postgres``: a fresh PostgreSQL database). N concurrent loopback connections
  (32 by default), each repeating one attack until the time is up: signed webhooks with a
  stale timestamp announcing a body at the cap; fresh timestamps with a wrong signature and
  a body at the cap; chunked bodies past the cap; uploads without a key; bodies that
  trickle in a byte at a time (webhook and authenticated upload). The server's RSS is
  sampled every 50 ms: before (after a warm-up upload), peak, and after the load.
  ``/healthz`` is probed during the load.

Bounded: a fixed number of connections and ``--seconds`` of load, loopback only.

    .venv/bin/python -m bench.hostile
    .venv/bin/python -m bench.hostile --seconds 20 --slots 8
    .venv/bin/python -m bench.hostile --server-root /tmp/folio-old   # another checkout's API
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pymupdf
import sqlalchemy as sa

from api.signing import sign
from core.settings import Settings
from storage import repository as repo
from storage.database import make_engine, make_session_factory
from storage.migrate import upgrade

ROOT = Path(__file__).resolve().parents[1]

ADMIN_URL = os.environ.get("FOLIO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SECRET = "bench-hostile-secret-" + uuid.uuid4().hex
BOUNDARY = "hostile-bench"
MIB = 1024 * 1024


# --- shared: a server under test and its memory ---------------------------------------------


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_bytes(pid: int) -> int:
    """Resident set size of one process (Linux /proc), 0 once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class RssSampler:
    """Samples a process's RSS every ``interval_s`` in a thread; keeps the peak."""

    def __init__(self, pid: int, interval_s: float = 0.05) -> None:
        self.pid = pid
        self.interval_s = interval_s
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes(self.pid))
            self._stop.wait(self.interval_s)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def mb(size: int) -> str:
    """Bytes as whole megabytes (10^6), the unit the figures are quoted in."""
    return f"{size / 1e6:,.0f} MB"


@dataclass(frozen=True)
class Served:
    """A running API subprocess."""

    process: subprocess.Popen[bytes]
    port: int
    key: str  # a tenant's API key


@contextlib.contextmanager
def serve_api(root: Path, *, postgres: bool, env_extra: dict[str, str]) -> Iterator[Served]:
    """The API of the checkout at ``root`` served by uvicorn on a loopback port, with a fresh
    database (migrated by this checkout) and a tenant ``bench`` with a key."""
    data_dir = Path(tempfile.mkdtemp(prefix="folio-hostile-"))
    database: str | None = None
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT") if postgres else None
    if admin is not None:
        database = f"folio_hostile_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{database}"'))
        db_url = sa.make_url(ADMIN_URL).set(database=database).render_as_string(hide_password=False)
    else:
        db_url = f"sqlite:///{data_dir / 'folio.db'}"
    process: subprocess.Popen[bytes] | None = None
    try:
        settings = Settings(
            _env_file=None,
            storage={"data_dir": data_dir, "database_url": db_url},
            extraction={"engine": "local"},
        )
        upgrade(settings)
        engine = make_engine(settings)
        with make_session_factory(engine).begin() as session:
            tenant = repo.get_or_create_tenant(session, name="bench", tier=settings.tenancy.default_tier)
            key = repo.create_api_key(session, tenant_id=tenant.id)[1]
        engine.dispose()
        port = free_port()
        env = {
            **os.environ,
            "PYTHONPATH": str(root),
            "FOLIO_DATA_DIR": str(data_dir),
            "FOLIO_DATABASE_URL": db_url,
            "FOLIO_ENGINE": "local",
            "FOLIO_API_PROCESS": "false",  # register only: the API process alone is measured
            "FOLIO_WEBHOOK_SECRET": SECRET,
            "FOLIO_RATE_LIMIT_PER_SECOND": "0",
            "FOLIO_LOG_LEVEL": "ERROR",
            **env_extra,
        }
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "api.app:create_app_from_environment",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "error",
            "--no-access-log",
        ]
        process = subprocess.Popen(command, env=env, cwd=root)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None:
                raise SystemExit(f"the server exited with {process.returncode}")
            time.sleep(0.2)
        else:
            raise SystemExit("the server did not answer /healthz in 120 s")
        yield Served(process=process, port=port, key=key)
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            admin.dispose()
        shutil.rmtree(data_dir, ignore_errors=True)


# --- section: hostile connections -----------------------------------------------------------


@dataclass
class Tally:
    """What the hostile clients saw, per attack."""

    answers: dict[str, Counter[str]] = field(default_factory=dict)
    bytes_sent: int = 0

    def record(self, attack: str, outcome: str) -> None:
        self.answers.setdefault(attack, Counter())[outcome] += 1


async def _status_of(reader: asyncio.StreamReader) -> str:
    """The status code of the answer, read until the server closes ("closed" if none)."""
    head = b""
    with contextlib.suppress(OSError, asyncio.IncompleteReadError):
        head = await reader.readuntil(b"\r\n")
        while await reader.read(65536):  # drain until the server closes the connection
            pass
    parts = head.split(b" ", 2)
    return parts[1].decode() if len(parts) > 1 and parts[1].isdigit() else "closed"


async def _attack_once(
    port: int, head: bytes, body_bytes: int, *, chunk: bytes, pace_s: float, tally: Tally, stop: float
) -> str:
    """One connection: send ``head``, then body bytes (``chunk`` at a time, ``pace_s`` apart)
    until ``body_bytes`` are sent or the server answers; returns the answer's status
    ("unanswered" when the load ended first)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    answer = asyncio.ensure_future(_status_of(reader))
    try:
        writer.write(head)
        sent = 0
        while sent < body_bytes and not answer.done():
            if time.monotonic() >= stop:
                return "unanswered"
            piece = chunk[: body_bytes - sent]
            writer.write(piece)
            try:
                await writer.drain()
            except OSError:
                break  # the server closed: its answer is already on the way
            sent += len(piece)
            tally.bytes_sent += len(piece)
            if pace_s:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(answer), pace_s)
        return await asyncio.wait_for(answer, 60)
    finally:
        answer.cancel()
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


def _head(path: str, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@dataclass(frozen=True)
class Attack:
    """One kind of hostile request, and how many connections repeat it."""

    name: str
    connections: int
    run: Callable[[Tally, float], Awaitable[str]]  # (tally, time to stop) -> outcome


def attacks(port: int, key: str, *, connections: int, cap: int) -> list[Attack]:
    """The mix of hostile requests for ``connections`` connections (in proportion)."""
    big = secrets.token_bytes(MIB)
    multipart = f"multipart/form-data; boundary={BOUNDARY}"

    def stale(tally: Tally, stop: float) -> Awaitable[str]:
        stamp = str(int(time.time()) - 3600)
        headers = {
            "X-Folio-Timestamp": stamp,
            "X-Folio-Signature": "sha256=" + "0" * 64,
            "Content-Type": multipart,
            "Content-Length": str(cap),
        }
        return _attack_once(
            port, _head("/v1/webhooks/documents", headers), cap, chunk=big, pace_s=0, tally=tally, stop=stop
        )

    def bad_signature(tally: Tally, stop: float) -> Awaitable[str]:
        stamp = str(int(time.time()))
        headers = {
            "X-Folio-Timestamp": stamp,
            "X-Folio-Signature": sign("not-the-secret", stamp, b""),
            "Content-Type": multipart,
            "Content-Length": str(cap),
        }
        return _attack_once(
            port, _head("/v1/webhooks/documents", headers), cap, chunk=big, pace_s=0, tally=tally, stop=stop
        )

    def over_cap(tally: Tally, stop: float) -> Awaitable[str]:
        # Chunked transfer coding: no length to refuse up front; the chunk framing is sent
        # in one piece per MiB.
        stamp = str(int(time.time()))
        headers = {
            "X-Folio-Timestamp": stamp,
            "X-Folio-Signature": sign(SECRET, stamp, b"?"),
            "Content-Type": multipart,
            "Transfer-Encoding": "chunked",
        }
        framed = f"{len(big):x}\r\n".encode() + big + b"\r\n"
        return _attack_once(
            port,
            _head("/v1/webhooks/documents", headers),
            2 * cap,
            chunk=framed,
            pace_s=0,
            tally=tally,
            stop=stop,
        )

    def no_key(tally: Tally, stop: float) -> Awaitable[str]:
        headers = {"Content-Type": multipart, "Content-Length": str(cap)}
        return _attack_once(
            port, _head("/v1/documents", headers), cap, chunk=big, pace_s=0, tally=tally, stop=stop
        )

    def trickle_webhook(tally: Tally, stop: float) -> Awaitable[str]:
        stamp = str(int(time.time()))
        headers = {
            "X-Folio-Timestamp": stamp,
            "X-Folio-Signature": sign(SECRET, stamp, b"?"),
            "Content-Type": multipart,
            "Content-Length": str(cap),
        }
        return _attack_once(
            port,
            _head("/v1/webhooks/documents", headers),
            cap,
            chunk=b"x",
            pace_s=0.5,
            tally=tally,
            stop=stop,
        )

    def trickle_upload(tally: Tally, stop: float) -> Awaitable[str]:
        headers = {"Authorization": f"Bearer {key}", "Content-Type": multipart, "Content-Length": str(cap)}
        return _attack_once(
            port, _head("/v1/documents", headers), cap, chunk=b"x", pace_s=0.5, tally=tally, stop=stop
        )

    kinds: list[tuple[str, int, Callable[[Tally, float], Awaitable[str]]]] = [
        ("stale-timestamp webhook, body at the cap", 10, stale),
        ("wrong-signature webhook, body at the cap", 6, bad_signature),
        ("chunked webhook past the cap", 4, over_cap),
        ("upload without a key, body at the cap", 6, no_key),
        ("webhook trickling 1 byte / 0.5 s", 3, trickle_webhook),
        ("authenticated upload trickling 1 byte / 0.5 s", 3, trickle_upload),
    ]
    weight = sum(n for _, n, _ in kinds)
    counts = [max(1, round(n * connections / weight)) for _, n, _ in kinds]
    counts[0] += connections - sum(counts)  # exact total
    return [Attack(name, count, run) for (name, _, run), count in zip(kinds, counts, strict=True)]


async def _hostile_load(port: int, mix: list[Attack], seconds: float, tally: Tally) -> list[float]:
    """Every connection repeats its attack until ``seconds`` have passed; returns the
    /healthz latencies (ms) measured meanwhile (``inf`` for a probe that failed)."""
    stop = time.monotonic() + seconds

    async def client(attack: Attack) -> None:
        while time.monotonic() < stop:
            try:
                outcome = await attack.run(tally, stop)
            except (OSError, TimeoutError) as exc:
                outcome = type(exc).__name__
            tally.record(attack.name, outcome)

    probes: list[float] = []

    async def probe() -> None:
        async with httpx.AsyncClient(timeout=5.0) as http:
            while time.monotonic() < stop:
                t0 = time.perf_counter()
                try:
                    ok = (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200
                except httpx.HTTPError:
                    ok = False
                probes.append((time.perf_counter() - t0) * 1000 if ok else float("inf"))
                await asyncio.sleep(0.5)

    tasks = [asyncio.create_task(client(a)) for a in mix for _ in range(a.connections)]
    tasks.append(asyncio.create_task(probe()))
    # A round under way when the time is up still gets its answer (bounded: 60 s).
    _, pending = await asyncio.wait(tasks, timeout=seconds + 90)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    return probes


def _warm_up(port: int, key: str) -> None:
    """One real upload, so lazily imported code is resident before the baseline is read."""
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), f"warm-up {uuid.uuid4()}")
    pdf = doc.tobytes()
    doc.close()
    answer = httpx.post(
        f"http://127.0.0.1:{port}/v1/documents",
        headers={"Authorization": f"Bearer {key}"},
        files={"file": ("warm.pdf", pdf, "application/pdf")},
        data={"schema": "invoice"},
        timeout=30,
    )
    if answer.status_code != 202:
        raise SystemExit(f"warm-up upload answered {answer.status_code}: {answer.text[:200]}")


def section_connections(args: argparse.Namespace) -> None:
    """Measure the API process's RSS under hostile connections; print the figures."""
    env_extra: dict[str, str] = {}
    if args.slots is not None:
        env_extra["FOLIO_UPLOAD_CONCURRENCY"] = str(args.slots)
    root = Path(args.server_root).resolve() if args.server_root else ROOT
    cap = Settings(_env_file=None).api.max_upload_bytes
    with serve_api(root, postgres=args.postgres, env_extra=env_extra) as served:
        _warm_up(served.port, served.key)
        time.sleep(1.0)
        before = rss_bytes(served.process.pid)
        mix = attacks(served.port, served.key, connections=args.connections, cap=cap)
        tally = Tally()
        t0 = time.monotonic()
        with RssSampler(served.process.pid) as sampler:
            probes = asyncio.run(_hostile_load(served.port, mix, args.seconds, tally))
            elapsed = time.monotonic() - t0
            time.sleep(3.0)  # let the server finish what it was doing before "after" is read
            after = rss_bytes(served.process.pid)
        peak = max(sampler.peak, after)
        alive = served.process.poll() is None
    where = "this checkout" if root == ROOT else str(root)
    slots = args.slots if args.slots is not None else "default"
    print(
        f"hostile[connections]: {args.connections} connections for {elapsed:.0f} s against the API of "
        f"{where} ({'PostgreSQL' if args.postgres else 'SQLite'}, upload slots {slots}, cap {mb(cap)}): "
        f"server RSS before {mb(before)}, peak {mb(peak)}, after {mb(after)}; "
        f"{tally.bytes_sent / 1e9:.2f} GB sent; server {'alive' if alive else 'DEAD'}"
    )
    for attack in mix:
        answers = ", ".join(
            f"{status} x{n}" for status, n in sorted(tally.answers.get(attack.name, {}).items())
        )
        print(
            f"hostile[connections]:   {attack.connections:2d} x {attack.name}: {answers or 'no answer yet'}"
        )
    answered = sorted(p for p in probes if p != float("inf"))
    slowest = f"{answered[-1]:.0f} ms" if answered else "n/a"
    median = f"{answered[len(answered) // 2]:.0f} ms" if answered else "n/a"
    print(
        f"hostile[connections]: /healthz during the load: {len(answered)}/{len(probes)} answered, "
        f"median {median}, slowest {slowest}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )


SECTIONS: dict[str, Callable[[argparse.Namespace], None]] = {"connections": section_connections}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--section", choices=sorted(SECTIONS), action="append", help="default: all")
    parser.add_argument("--connections", type=int, default=32, help="concurrent hostile connections")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long the load lasts")
    parser.add_argument("--slots", type=int, default=None, help="FOLIO_UPLOAD_CONCURRENCY of the server")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--server-root", default=None, help="serve the API of another checkout")
    args = parser.parse_args()
    if not 1 <= args.connections <= 256 or not 0 < args.seconds <= 600:
        parser.error("keep it bounded: 1..256 connections, at most 600 s")
    for name in args.section or sorted(SECTIONS):
        SECTIONS[name](args)


if __name__ == "__main__":
    main()
