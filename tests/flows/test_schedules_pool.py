"""`folio deploy`'s registration on a work pool (the production path), read back from the
Prefect API: the three deployments, on the pool, with the schedules and inbox from settings."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from core.settings import Settings

pytestmark = [
    pytest.mark.usefixtures("prefect_server"),
    pytest.mark.filterwarnings(
        "ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning"
    ),
]


def test_deployments_are_registered_on_the_work_pool_with_their_schedules(tmp_path: Path) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate

    from flows.deployments import deploy_to_work_pool

    settings = Settings(
        _env_file=None,
        storage={"data_dir": tmp_path / "var"},
        batch={"inbox": tmp_path / "inbox", "cron": "15 3 * * *"},
        queue={"sweep_schedule_s": 45},
    )

    async def scenario() -> tuple[list[str], dict]:
        async with get_client() as client:
            await client.create_work_pool(WorkPoolCreate(name="folio-test", type="process"))
            names = await deploy_to_work_pool(settings, "folio-test")
            found = {}
            for name in names:
                deployment = await client.read_deployment_by_name(name)
                found[name] = deployment
            return names, found

    names, found = asyncio.run(scenario())

    assert sorted(names) == [
        "batch-ingest/folio-batch",
        "process-document/folio",
        "sweep-documents/folio-sweep",
    ]
    batch, sweep = found["batch-ingest/folio-batch"], found["sweep-documents/folio-sweep"]
    assert {d.work_pool_name for d in found.values()} == {"folio-test"}
    assert found["process-document/folio"].schedules == []
    assert batch.entrypoint == "flows.process.batch_ingest"
    assert batch.parameters == {"inbox": str((tmp_path / "inbox").resolve())}
    [batch_schedule] = batch.schedules
    assert batch_schedule.schedule.cron == "15 3 * * *" and batch_schedule.active
    [sweep_schedule] = sweep.schedules
    assert sweep_schedule.schedule.interval.total_seconds() == 45
