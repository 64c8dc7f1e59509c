"""Shared fixtures: settings in a temp data dir, and databases (SQLite and PostgreSQL);
and the test tiers.

PostgreSQL tests need the server at FOLIO_TEST_POSTGRES_URL (default
postgresql+psycopg://postgres@127.0.0.1:5432/test). Where it is absent they skip with a
visible message, unless FOLIO_REQUIRE_POSTGRES=1 (set by .ci/run), which makes them fail.

Tiers: ``pytest -m "not slow"`` (``make check``) is the fast tier; ``pytest`` (``make
test``, CI) runs everything. Besides the tests marked ``slow`` by hand (real OCR, big
generated sets), a test is slow when it runs on PostgreSQL (its SQLite twin stays fast),
needs the Prefect test server, or sits in a module of ``SLOW_MODULES`` (child processes,
real servers, OCR through whole flows). Test documents and helpers live in ``tests.support``,
fakes (the vLLM server, an in-process engine) in ``tests.fakes``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.settings import Settings

# Fixtures that make a test slow: a PostgreSQL database, the Prefect test server.
SLOW_FIXTURES = frozenset({"postgres_server_url", "prefect_server"})

# Modules whose every test is slow, and why (measured on 2 cores: seconds to minutes each).
SLOW_MODULES = {
    "tests/test_cli_batch.py": "runs folio batch in a child process over Prefect",
    "tests/test_cli_eval.py": "runs folio eval in a child process",
    "tests/test_cli_process.py": "runs folio process in a child process",
    "tests/test_cli_stop.py": "runs folio in a child process and signals it",
    "tests/test_docs_quickstart.py": "runs every quickstart command with folio in a child process",
    "tests/flows/test_llama_flow.py": "whole flows against the fake vLLM server, OCR witness",
    "tests/flows/test_scale_out.py": "several worker processes",
    "tests/flows/test_batch.py": "inbox runs through the Prefect flow",
    "tests/flows/test_stopping.py": "batch runs against a slow fake vLLM server",
    "tests/api/test_kill_and_recover.py": "kills a uvicorn child process mid-document",
    "tests/api/test_openapi_fuzz.py": "schema fuzzing of every operation",
    "tests/api/test_edge_fuzz.py": "fuzzed uploads",
    "tests/analytics/test_dashboard.py": "a browser against a uvicorn child process",
    "tests/api/test_review_browser.py": "a browser against a folio serve child process",
    "tests/extractors/llama/test_fairness.py": "fake vLLM servers fed from other processes",
    "tests/support/test_invoice_set.py": "generates and renders golden sets",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the slow tier (see the module docstring)."""
    root = config.rootpath
    for item in items:
        module = item.path.relative_to(root).as_posix() if item.path.is_relative_to(root) else ""
        if (
            module in SLOW_MODULES
            or item.get_closest_marker("postgres") is not None
            or SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ()))
        ):
            item.add_marker(pytest.mark.slow)


POSTGRES_ADMIN_URL = os.environ.get(
    "FOLIO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_available() -> str | None:
    """None when the server answers, else the reason it does not."""
    try:
        engine = sa.create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 (any failure to connect means "not available")
        return f"{type(exc).__name__}: {exc}".splitlines()[0]


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session; dropped at the end."""
    reason = _postgres_available()
    if reason is not None:
        message = f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL} ({reason})"
        if os.environ.get("FOLIO_REQUIRE_POSTGRES") == "1":
            pytest.fail(message + " and FOLIO_REQUIRE_POSTGRES=1", pytrace=False)
        pytest.skip(message + "; PostgreSQL tests skipped")
    name = f"folio_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test using this runs twice: on a fresh SQLite file and on real PostgreSQL.

    PostgreSQL tests get an empty schema of their own inside the session database.
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'folio.db'}"
        return
    server_url: str = request.getfixturevalue("postgres_server_url")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.make_url(server_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture(autouse=True)
def _default_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Folio's default data dir (``$XDG_DATA_HOME/folio``) points into a temp folder, so a test
    that does not set FOLIO_DATA_DIR never touches the user's real one."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data")))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings rooted in a temp data dir, SQLite database, local engine."""
    return Settings(
        _env_file=None,
        storage={"data_dir": tmp_path / "var"},
        extraction={"engine": "local"},
        pages={"render_workers": 2},
    )


@pytest.fixture
def db_settings(tmp_path: Path, database_url: str) -> Settings:
    """Like ``settings`` but parametrised over SQLite and PostgreSQL."""
    return Settings(
        _env_file=None,
        storage={"data_dir": tmp_path / "var", "database_url": database_url},
        extraction={"engine": "local"},
        pages={"render_workers": 2},
    )
