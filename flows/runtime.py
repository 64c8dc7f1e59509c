"""Prefect's environment for Folio, set before Prefect is imported."""

from __future__ import annotations

import os

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
