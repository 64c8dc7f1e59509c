"""Settings: one section per subsystem, every field still read from its own ``FOLIO_…`` variable
(environment first, then ``.env``), overrides per section checked like the environment's."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from core.settings import LlmSettings, Settings

# The variables operators have set since before the sections: none may be renamed.
VARIABLES = [
    "FOLIO_ADMIN_KEY_HASH",
    "FOLIO_API_KEY_CACHE_S",
    "FOLIO_API_PROCESS",
    "FOLIO_BATCH_AFTER",
    "FOLIO_BATCH_CRON",
    "FOLIO_BATCH_DOCUMENT_CONCURRENCY",
    "FOLIO_BATCH_INBOX",
    "FOLIO_BATCH_INTERVAL_S",
    "FOLIO_BATCH_SETTLE_S",
    "FOLIO_CALLBACK_ALLOWED_HOSTS",
    "FOLIO_CALLBACK_BACKOFF_BASE_S",
    "FOLIO_CALLBACK_BACKOFF_MAX_S",
    "FOLIO_CALLBACK_MAX_ATTEMPTS",
    "FOLIO_CALLBACK_TIMEOUT_S",
    "FOLIO_CATALOG_FILE",
    "FOLIO_DATABASE_POOL_SIZE",
    "FOLIO_DATABASE_URL",
    "FOLIO_DATA_DIR",
    "FOLIO_DATE_ORDER",
    "FOLIO_DEFAULT_SCHEMA",
    "FOLIO_DEFAULT_TENANT",
    "FOLIO_DEFAULT_TIER",
    "FOLIO_DOCUMENT_CONCURRENCY",
    "FOLIO_ENGINE",
    "FOLIO_JPEG_QUALITY",
    "FOLIO_LEASE_SECONDS",
    "FOLIO_LICENSEE_COUNTRY",
    "FOLIO_LICENSEE_MONTHLY_ACTIVE_USERS",
    "FOLIO_LLM_API_KEY",
    "FOLIO_LLM_BACKOFF_BASE_S",
    "FOLIO_LLM_BACKOFF_MAX_S",
    "FOLIO_LLM_BASE_URLS",
    "FOLIO_LLM_COMPLETION_MARGIN",
    "FOLIO_LLM_CONNECT_TIMEOUT_S",
    "FOLIO_LLM_HEALTH_BACKOFF_S",
    "FOLIO_LLM_INTERACTIVE_BURST",
    "FOLIO_LLM_MAX_ATTEMPTS",
    "FOLIO_LLM_MAX_CONCURRENCY_PER_REPLICA",
    "FOLIO_LLM_MAX_IMAGES_PER_REQUEST",
    "FOLIO_LLM_MAX_TOKENS_CEILING",
    "FOLIO_LLM_MODEL",
    "FOLIO_LLM_POOL_TIMEOUT_S",
    "FOLIO_LLM_READ_TIMEOUT_S",
    "FOLIO_LLM_RETRY_BUDGET_S",
    "FOLIO_LLM_SCHEDULING_POLICY",
    "FOLIO_LLM_SPEND_CEILING_FACTOR",
    "FOLIO_LLM_STARTUP_WAIT_S",
    "FOLIO_LLM_STREAM",
    "FOLIO_LLM_WITNESS",
    "FOLIO_LLM_WRITE_TIMEOUT_S",
    "FOLIO_LOG_LEVEL",
    "FOLIO_MAX_FILE_BYTES",
    "FOLIO_MAX_PAGES",
    "FOLIO_MAX_PAGE_DECODE_BYTES",
    "FOLIO_MAX_PAGE_PIXELS",
    "FOLIO_MAX_PAGE_POINTS",
    "FOLIO_MAX_JSON_BODY_BYTES",
    "FOLIO_MAX_TILES",
    "FOLIO_MAX_UPLOAD_BYTES",
    "FOLIO_META_LICENCE_REFERENCE",
    "FOLIO_OCR_TIMEOUT_S",
    "FOLIO_PAGE_CONCURRENCY",
    "FOLIO_PREFECT_DEPLOYMENT",
    "FOLIO_PRICES_FILE",
    "FOLIO_PRICE_OVERRIDES",
    "FOLIO_QUOTE_COMPLETION_TOKENS_PER_PAGE",
    "FOLIO_QUOTE_PROMPT_OVERHEAD_TOKENS",
    "FOLIO_RATE_LIMIT_BURST",
    "FOLIO_RATE_LIMIT_PER_SECOND",
    "FOLIO_RENDER_DPI",
    "FOLIO_RENDER_IMAGES",
    "FOLIO_RENDER_TIMEOUT_S",
    "FOLIO_RENDER_MEMORY_BYTES",
    "FOLIO_RENDER_WORKERS",
    "FOLIO_SWEEP_INTERVAL_S",
    "FOLIO_SWEEP_QUEUED_AFTER_S",
    "FOLIO_SWEEP_SCHEDULE_S",
    "FOLIO_TIERS_FILE",
    "FOLIO_TILE_SIZE",
    "FOLIO_TILE_TEXT_FLOOR_PX",
    "FOLIO_UNKNOWN_MODEL_LICENCE",
    "FOLIO_UPLOAD_CONCURRENCY",
    "FOLIO_UPLOAD_MIN_BYTES_PER_S",
    "FOLIO_UPLOAD_READ_TIMEOUT_S",
    "FOLIO_WEBHOOK_REPLAY_WINDOW_S",
    "FOLIO_WEBHOOK_SECRET",
    "FOLIO_WORKER_QUEUE_SIZE",
]


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No FOLIO_ variable of the test process leaks in; the working directory has no .env."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_every_variable_keeps_its_name_and_has_a_description() -> None:
    variables = Settings.variables()
    assert sorted(variables) == sorted(VARIABLES)
    assert all(description for _, description in variables.values())
    assert variables["FOLIO_LLM_BASE_URLS"][0] == "llm.base_urls"
    assert variables["FOLIO_MAX_UPLOAD_BYTES"][0] == "api.max_upload_bytes"
    assert variables["FOLIO_LOG_LEVEL"][0] == "logging.level"


def test_each_section_reads_its_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "FOLIO_DATA_DIR": "/srv/folio",
        "FOLIO_DATABASE_URL": "postgresql+psycopg://folio@db/folio",
        "FOLIO_MAX_PAGES": "12",
        "FOLIO_TILE_SIZE": "224",
        "FOLIO_RENDER_IMAGES": "always",
        "FOLIO_ENGINE": "local",
        "FOLIO_LLM_BASE_URLS": "http://a:1/v1/, http://b:2/v1",
        "FOLIO_LLM_API_KEY": "sk-test",
        "FOLIO_LLM_STREAM": "false",
        "FOLIO_DEFAULT_TIER": "free",
        "FOLIO_LICENSEE_COUNTRY": " us ",
        "FOLIO_PRICE_OVERRIDES": '{"m": {"input_usd_per_million": "0.1"}}',
        "FOLIO_LEASE_SECONDS": "60",
        "FOLIO_MAX_UPLOAD_BYTES": "4096",
        "FOLIO_CALLBACK_ALLOWED_HOSTS": "Hooks.Example.com,.acme.test",
        "FOLIO_CALLBACK_MAX_ATTEMPTS": "2",
        "FOLIO_BATCH_INBOX": "/srv/inbox",
        "FOLIO_BATCH_CRON": "5 1 * * *",
        "folio_log_level": "DEBUG",  # names are not case-sensitive, as before
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    s = Settings()
    assert s.storage.data_dir == Path("/srv/folio") and s.storage.blob_dir == Path("/srv/folio/blobs")
    assert s.storage.sqlalchemy_url == "postgresql+psycopg://folio@db/folio"
    assert (s.intake.max_pages, s.pages.tile_size, s.pages.render_images) == (12, 224, "always")
    assert s.extraction.engine == "local"
    assert s.llm.base_urls == ["http://a:1/v1", "http://b:2/v1"]
    assert s.llm.api_key is not None and s.llm.api_key.get_secret_value() == "sk-test"
    assert s.llm.stream is False
    assert (s.tenancy.default_tier, s.licence.licensee_country) == ("free", "US")
    assert s.pricing.price_overrides == {"m": {"input_usd_per_million": Decimal("0.1")}}
    assert (s.queue.lease_seconds, s.api.max_upload_bytes) == (60.0, 4096)
    assert s.callbacks.allowed_hosts == ["hooks.example.com", ".acme.test"]
    assert s.callbacks.max_attempts == 2
    assert (s.batch.inbox, s.batch.cron) == (Path("/srv/inbox"), "5 1 * * *")
    assert s.logging.level == "DEBUG"


def test_the_env_file_is_read_under_the_environment_and_can_be_turned_off(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text(
        "FOLIO_LLM_MODEL=from-file\nFOLIO_MAX_UPLOAD_BYTES=2048\nFOLIO_BATCH_SETTLE_S=3\nOTHER=1\n"
    )
    monkeypatch.setenv("FOLIO_MAX_UPLOAD_BYTES", "8192")
    s = Settings()
    assert (s.llm.model, s.api.max_upload_bytes, s.batch.settle_s) == ("from-file", 8192, 3.0)
    assert LlmSettings().model == "from-file"  # a section alone reads the same sources
    bare = Settings(_env_file=None)
    assert bare.llm.model == "meta-llama/Llama-4-Scout-17B-16E-Instruct" and bare.batch.settle_s == 10.0
    assert bare.api.max_upload_bytes == 8192


def test_overrides_are_per_section_over_the_environment_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOLIO_LLM_MODEL", "from-env")
    s = Settings(_env_file=None, llm={"stream": False}, storage={"data_dir": "/tmp/x"})
    assert (s.llm.stream, s.llm.model, s.storage.data_dir) == (False, "from-env", Path("/tmp/x"))
    changed = s.replace(llm={"max_attempts": 2}, callbacks={"allowed_hosts": "A.example"})
    assert (changed.llm.max_attempts, changed.llm.stream, changed.llm.model) == (2, False, "from-env")
    assert changed.callbacks.allowed_hosts == ["a.example"] and s.llm.max_attempts == 4
    with pytest.raises(ValidationError):
        s.replace(llm={"max_attempts": 0})
    with pytest.raises(ValidationError):
        Settings(_env_file=None, licence={"licensee_country": "USA"})
    with pytest.raises(ValueError, match="no field steam"):
        s.replace(llm={"steam": False})
    with pytest.raises(ValueError, match="no section"):
        Settings(_env_file=None, llm_stream=False)


def test_settings_are_frozen() -> None:
    s = Settings(_env_file=None)
    with pytest.raises(ValidationError):
        s.llm.stream = False  # type: ignore[misc]


def test_default_data_dir_is_one_for_every_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FOLIO_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    seen = set()
    for folder in (tmp_path, tmp_path / "examples"):
        folder.mkdir(exist_ok=True)
        monkeypatch.chdir(folder)
        seen.add(Settings(_env_file=None).storage.sqlalchemy_url)
    assert seen == {f"sqlite:///{tmp_path / 'data' / 'folio' / 'folio.db'}"}
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert Settings(_env_file=None).storage.data_dir == tmp_path / "home" / ".local" / "share" / "folio"
    monkeypatch.setenv("FOLIO_DATA_DIR", "~/folio-data")
    assert Settings(_env_file=None).storage.data_dir == tmp_path / "home" / "folio-data"
