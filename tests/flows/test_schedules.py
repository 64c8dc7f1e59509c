"""A file dropped in the inbox is processed by the scheduled run, with nobody calling anything.

Honest about who schedules: Prefect's scheduler is a service of a real (non-ephemeral)
server; the ephemeral test harness (``prefect_server``) does not run it. So this module
starts a real Prefect server in a subprocess (scheduler on, other services off), serves
Folio's deployments with the real Runner (``flows.deployments.serve_deployments``, what
``folio serve`` runs), drops a file into the inbox and waits (bounded) for the file's
document to be done. Nothing in the test creates a flow run.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from core.settings import Settings
from tests.support.documents import invoice_pdf
from tests.support.truth import make_invoice_truth

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings(
        "ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning"
    ),
]

# Services the scheduled run does not need; off, so the server is light on a small machine.
_OFF = (
    "CANCELLATION_CLEANUP",
    "FOREMAN",
    "LATE_RUNS",
    "PAUSE_EXPIRATIONS",
    "REPOSSESSOR",
    "TASK_RUN_RECORDER",
    "EVENT_PERSISTER",
    "TRIGGERS",
    "TELEMETRY",
    "DB_VACUUM",
)
WAIT_S = 180.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def scheduling_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Prefect server (with its scheduler service) on a free port; its API URL."""
    home = tmp_path_factory.mktemp("prefect-server")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_SERVER_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{home / 'prefect.db'}",
        PREFECT_UI_ENABLED="false",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS="1",
        PREFECT_SERVER_SERVICES_SCHEDULER_RECENT_DEPLOYMENTS_LOOP_SECONDS="1",
        **{f"PREFECT_SERVER_SERVICES_{name}_ENABLED": "false" for name in _OFF},
    )
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "prefect.server.api.server:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    log = (home / "server.log").open("w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 120
        while True:
            if server.poll() is not None:
                pytest.fail(f"the Prefect server exited: {(home / 'server.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("the Prefect server did not start within 120 s")
            time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def _document_states(settings: Settings) -> list[tuple[str, str | None]]:
    from storage.database import make_engine, make_session_factory
    from storage.tables import Document, SourceFile

    engine = make_engine(settings)
    try:
        with make_session_factory(engine)() as session:
            files = session.query(SourceFile).all()
            return [
                (f.state, (session.get(Document, f.document_id).status if f.document_id else None))
                for f in files
            ]
    finally:
        engine.dispose()


def test_a_file_dropped_in_the_inbox_is_processed_by_the_scheduled_run(
    scheduling_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    # The Runner executes each flow run in a subprocess: it reads Folio's settings from here.
    for name, value in {
        "FOLIO_DATA_DIR": str(tmp_path / "var"),
        "FOLIO_ENGINE": "local",
        "FOLIO_RENDER_WORKERS": "1",
        "FOLIO_BATCH_INBOX": str(inbox),
        "FOLIO_BATCH_INTERVAL_S": "3",
        "FOLIO_BATCH_SETTLE_S": "1",
        "FOLIO_SWEEP_SCHEDULE_S": "3600",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("FOLIO_DATABASE_URL", raising=False)
    settings = Settings(_env_file=None)
    from flows.runtime import configure_prefect

    configure_prefect(settings)
    from prefect.settings import PREFECT_API_URL, PREFECT_RUNNER_POLL_FREQUENCY, temporary_settings

    from flows.deployments import serve_deployments
    from storage.migrate import upgrade

    upgrade(settings)
    truth = make_invoice_truth(91)

    async def scenario() -> list[tuple[str, str | None]]:
        served = asyncio.create_task(serve_deployments(settings))
        try:
            await asyncio.sleep(2)  # let the deployments register before the file lands
            (inbox / "dropped.pdf").write_bytes(invoice_pdf(truth))
            deadline = time.monotonic() + WAIT_S
            while time.monotonic() < deadline:
                assert not served.done(), served.exception()
                states = await asyncio.to_thread(_document_states, settings)
                if states and all(state != "registered" for state, _ in states):
                    return states
                await asyncio.sleep(1)
            return await asyncio.to_thread(_document_states, settings)
        finally:
            served.cancel()
            await asyncio.gather(served, return_exceptions=True)

    with temporary_settings({PREFECT_API_URL: scheduling_server, PREFECT_RUNNER_POLL_FREQUENCY: 1}):
        states = asyncio.run(scenario())

    assert states, f"the scheduled run did not pick the file up within {WAIT_S:.0f} s"
    assert len(states) == 1
    state, status = states[0]
    assert state == "done" and status in ("done", "needs_review"), states
    assert (inbox / "done" / "dropped.pdf").is_file()
