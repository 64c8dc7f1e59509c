"""`folio serve` says where the API, its docs, the dashboard and the review queue are."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli import app as cli_app
from cli.server import serve_urls


def test_serve_prints_its_urls_before_serving(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    served: list[dict[str, Any]] = []
    monkeypatch.setenv("FOLIO_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("FOLIO_DATABASE_URL", raising=False)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    # Stands in for the server loop only: the app is built for real before it is called.
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.append(options))
    result = CliRunner().invoke(cli_app, ["serve", "--port", "8123", "--no-schedules", "--no-process"])
    assert result.exit_code == 0, result.output
    assert [(o["host"], o["port"]) for o in served] == [("127.0.0.1", 8123)]
    for path in ("/docs", "/redoc", "/dashboard", "/review"):
        assert f"http://127.0.0.1:8123{path}" in result.output, path


def test_listen_all_addresses_are_shown_as_this_machine() -> None:
    lines = serve_urls("0.0.0.0", 80)
    assert any("http://127.0.0.1:80/docs" in line for line in lines)
    assert "every address" in lines[-1]
    assert any("http://[::1]:8000/dashboard" in line for line in serve_urls("::1", 8000))
