"""``folio serve`` in a child process on a free port, for tests and benches that drive the API
from outside the way a browser does (the server's process then has no children of the
test's, such as a browser, as in production)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def folio_serve(settings: Settings, *, ready_timeout_s: float = 90.0) -> Iterator[str]:
    """The base URL of ``folio serve`` on the database and data dir of ``settings`` (uploads
    only registered, no rate limit, one render worker); stopped with its workers on exit."""
    port = _free_port()
    env = {
        **os.environ,
        "FOLIO_DATA_DIR": str(settings.storage.data_dir),
        "FOLIO_DATABASE_URL": settings.storage.sqlalchemy_url,
        "FOLIO_ENGINE": "local",
        "FOLIO_API_PROCESS": "0",
        "FOLIO_RATE_LIMIT_PER_SECOND": "0",
        "FOLIO_RENDER_WORKERS": "1",
        "FOLIO_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "cli", "serve", "--port", str(port)]
    # Its own session: stopping it takes the server and its render workers together.
    server = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_timeout_s
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError(f"folio serve exited with {server.returncode}")
            try:
                if httpx.get(f"{url}/readyz", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            raise RuntimeError("folio serve did not become ready")
        yield url
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=10)
