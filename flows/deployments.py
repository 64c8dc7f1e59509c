"""Prefect deployments of Folio's scheduled work: batch ingest (cron from settings) and the
sweep (every ``sweep_schedule_s``), plus the per-upload ``process-document`` deployment the
API triggers; the Runner that serves them on one machine, and registration on a work pool.

Who runs a schedule: the Prefect *server*'s scheduler service creates the scheduled flow
runs; a Runner (``folio serve``) or a worker (``prefect worker start``) only picks them up
and executes them. Prefect's ephemeral mode (no ``PREFECT_API_URL``) runs its server
without the scheduler (``schedule_deployments`` is not a ``run_in_ephemeral`` service in
Prefect 3.9), so schedules need a real server: ``prefect server start``, or the one in
docker-compose. Import only after ``flows.runtime.configure_prefect(settings)``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from core.errors import ConfigurationError
from core.logging import get_logger
from core.settings import Settings

log = get_logger("deployments")

BATCH_DEPLOYMENT = "folio-batch"
SWEEP_DEPLOYMENT = "folio-sweep"


def _batch_schedule(settings: Settings) -> dict[str, Any]:
    if settings.batch.interval_s is not None:
        return {"interval": dt.timedelta(seconds=settings.batch.interval_s)}
    return {"cron": settings.batch.cron}


async def folio_deployments(settings: Settings) -> list[Any]:
    """The RunnerDeployments to serve: the per-upload ``process-document`` deployment the API
    triggers (FOLIO_PREFECT_DEPLOYMENT), batch ingest (when FOLIO_BATCH_INBOX is set) and the
    sweep. Entrypoints are module paths, so any process with Folio installed can run them."""
    from prefect.types.entrypoint import EntrypointType

    from flows.process import batch_ingest, process_document, sweep_documents

    deployments: list[Any] = []
    flow_name, _, name = settings.queue.prefect_deployment.partition("/")
    if flow_name == process_document.name and name:  # what the API triggers per upload
        deployments.append(
            await process_document.ato_deployment(
                name=name,
                description="Process one uploaded document (triggered by the API, no schedule).",
                entrypoint_type=EntrypointType.MODULE_PATH,
            )
        )
    if settings.batch.inbox is not None:
        deployments.append(
            await batch_ingest.ato_deployment(
                name=BATCH_DEPLOYMENT,
                parameters={"inbox": str(settings.batch.inbox.resolve())},
                description="Ingest the new files of FOLIO_BATCH_INBOX.",
                entrypoint_type=EntrypointType.MODULE_PATH,
                **_batch_schedule(settings),
            )
        )
    else:
        log.warning("FOLIO_BATCH_INBOX is not set: no batch-ingest schedule")
    deployments.append(
        await sweep_documents.ato_deployment(
            name=SWEEP_DEPLOYMENT,
            interval=dt.timedelta(seconds=settings.queue.sweep_schedule_s),
            description="Process documents lost by their trigger or stuck past their lease.",
            entrypoint_type=EntrypointType.MODULE_PATH,
        )
    )
    return deployments


async def serve_deployments(settings: Settings, *, name: str = "folio") -> None:
    """Register Folio's deployments and execute their runs in this machine's Runner until
    cancelled (each flow run in a subprocess, as Prefect's Runner does)."""
    from prefect.runner import Runner
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        raise ConfigurationError(
            "schedules need a Prefect server (its scheduler creates the runs): run `prefect server "
            "start` (or the compose stack) and set PREFECT_API_URL"
        )
    runner = Runner(name=name)
    for deployment in await folio_deployments(settings):
        await runner.aadd_deployment(deployment)
        log.info("serving deployment %s/%s", deployment.flow_name, deployment.name)
    await runner.start()


async def deploy_to_work_pool(settings: Settings, pool: str) -> list[str]:
    """Register Folio's deployments on a work pool (the production path): the server's
    scheduler creates their runs, and ``prefect worker start --pool POOL`` on any host with
    Folio installed executes them. Returns the deployment names."""
    names = []
    for deployment in await folio_deployments(settings):
        await deployment.aapply(work_pool_name=pool)
        names.append(f"{deployment.flow_name}/{deployment.name}")
        log.info("deployment %s registered on work pool %s", names[-1], pool)
    return names
