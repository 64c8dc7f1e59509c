"""A Folio worker process for the scale-out tests: ``python -m tests.flows.scale_out_worker``.

Settings come from ``FOLIO_*`` variables. It opens a pipeline, prints ``READY <owner>``,
waits for the file named by ``--go`` (so that every worker starts at once), then sweeps
(``sweep_once``: every queued document, and every processing one past its lease) until
no document is left queued or processing, printing ``PROCESSED <document id>`` for each
run that did the work.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

import sqlalchemy as sa

from core.settings import Settings
from flows.pipeline import open_pipeline
from flows.sweeper import sweep_once
from models.document import DocumentStatus
from storage.tables import Document


async def work(go: Path, idle_exit_s: float) -> None:
    settings = Settings()
    async with open_pipeline(settings) as pipeline:
        print(f"READY {pipeline.owner}", flush=True)  # noqa: T201
        while not go.exists():
            await asyncio.sleep(0.02)
        last_work = time.monotonic()
        while True:
            runs = await sweep_once(pipeline, queued_after_s=0.0)
            for run in runs:
                if run.processed:
                    print(f"PROCESSED {run.document_id}", flush=True)  # noqa: T201
            with pipeline.sessions() as session:
                open_count = session.scalar(
                    sa.select(sa.func.count())
                    .select_from(Document)
                    .where(Document.status.in_([DocumentStatus.QUEUED, DocumentStatus.PROCESSING]))
                )
            if not open_count:
                return
            if any(run.processed for run in runs):
                last_work = time.monotonic()
            elif time.monotonic() - last_work > idle_exit_s:
                return  # others hold the rest (or a dead worker's lease has not lapsed yet)
            await asyncio.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--go", type=Path, required=True)
    parser.add_argument("--idle-exit-s", type=float, default=60.0)
    args = parser.parse_args()
    asyncio.run(work(args.go, args.idle_exit_s))


if __name__ == "__main__":
    main()
