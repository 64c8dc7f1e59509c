"""Prefect's environment for Folio, set before Prefect is imported."""

from __future__ import annotations

import os
import sys

from core.settings import Settings

# Prefect's ephemeral SQLite server answers 503 and stalls for seconds under many task runs;
# these services are not needed to run flows (measured: turning them off removed the stalls).
_QUIET_SERVICES = ("TASK_RUN_RECORDER", "EVENT_PERSISTER", "TRIGGERS")


def configure_prefect(settings: Settings) -> None:
    """Point Prefect at Folio's data dir and quiet the services embedded runs do not need.

    Values the operator set explicitly in the environment win. With ``PREFECT_API_URL`` set,
    flows report to that server and nothing here matters but the home folder.
    """
    os.environ.setdefault("PREFECT_HOME", str((settings.storage.data_dir / "prefect").resolve()))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    for service in _QUIET_SERVICES:
        os.environ.setdefault(f"PREFECT_SERVER_SERVICES_{service}_ENABLED", "false")
    (settings.storage.data_dir / "prefect").mkdir(parents=True, exist_ok=True)


def prefect_api_configured() -> bool:
    """Whether flow runs have a Prefect API to report to: ``PREFECT_API_URL`` in the
    environment, or (when Prefect is already imported, e.g. under its test harness) in
    Prefect's current settings. Without one, command-line runs process documents in this
    process instead of starting Prefect's temporary server (``flows.local_run``)."""
    if os.environ.get("PREFECT_API_URL"):
        return True
    prefect_settings = sys.modules.get("prefect.settings")
    if prefect_settings is None:  # not imported: its settings can only come from the environment
        return False
    return bool(prefect_settings.get_current_settings().api.url)
