"""folio serve: the HTTP API with its in-process worker, the sweeper and the schedules."""

from __future__ import annotations

import asyncio
import logging

import typer

from cli.common import EngineChoice, _settings, app, err
from core.settings import Settings


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    engine: EngineChoice = typer.Option(None, "--engine", help="Engine of the in-process worker."),
    workers: int = typer.Option(
        1,
        "--workers",
        min=1,
        max=64,
        help="API processes sharing the port; each runs its own in-process worker and sweeper "
        "(claims keep every document to one of them) and its own rate limiter.",
    ),
    process: bool = typer.Option(
        None,
        "--process/--no-process",
        help="Process uploads in this server (default: FOLIO_API_PROCESS); --no-process only "
        "registers them for a separate worker.",
    ),
    schedules: bool = typer.Option(
        True,
        "--schedules/--no-schedules",
        help="Also serve the batch-ingest and sweep deployments with a Prefect Runner (needs "
        "PREFECT_API_URL: a Prefect server's scheduler creates the runs).",
    ),
) -> None:
    """Serve the HTTP API with an in-process worker and the sweeper (and, with PREFECT_API_URL,
    the batch-ingest, sweep and process-document deployments)."""
    import os

    import uvicorn

    from api.app import create_app
    from storage.migrate import upgrade

    settings = _settings()
    upgrade(settings)
    level = settings.logging.level.lower()
    process_uploads = settings.api.api_process if process is None else process
    if schedules:
        _serve_schedules_in_background(settings)
    for line in serve_urls(host, port):
        err.print(line, highlight=False)
    if workers == 1:
        application = create_app(
            settings, process=process_uploads, engine_name=engine.value if engine else None
        )
        uvicorn.run(application, host=host, port=port, log_level=level)
        return
    # Worker processes build their own app from the environment: pass the options there.
    os.environ["FOLIO_API_PROCESS"] = "true" if process_uploads else "false"
    if engine is not None:
        os.environ["FOLIO_ENGINE"] = engine.value
    uvicorn.run(
        "api.app:create_app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=level,
    )


def serve_urls(host: str, port: int) -> list[str]:
    """What ``folio serve`` prints at start-up: where the API, its docs and the pages are."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host  # noqa: S104 - listen-all, shown as local
    base = f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"
    lines = [
        f"Folio API       {base}   (routes under /v1, key as Authorization: Bearer <key>)",
        f"API docs        {base}/docs   (ReDoc: {base}/redoc, OpenAPI: {base}/openapi.json)",
        f"Dashboard       {base}/dashboard",
        f"Review queue    {base}/review",
    ]
    if shown != host:
        lines.append(f"listening on every address of this machine ({host or 'all'}), port {port}")
    return lines


def _serve_schedules_in_background(settings: Settings) -> None:
    """Run the Runner of Folio's deployments in a daemon thread beside the API;
    each scheduled flow run executes in its own subprocess. Without a Prefect server there is
    no scheduler, so it says so and serves the API alone."""
    import threading

    from flows.trigger import prefect_configured

    if not prefect_configured():
        err.print(
            "[yellow]no PREFECT_API_URL: serving the API without schedules (Prefect's ephemeral "
            "mode has no scheduler; run `prefect server start` and set PREFECT_API_URL)[/yellow]"
        )
        return
    from flows.runtime import configure_prefect

    configure_prefect(settings)

    def run() -> None:
        from flows.deployments import serve_deployments

        try:
            asyncio.run(serve_deployments(settings))
        except Exception:  # the API keeps serving; the log says why schedules stopped
            logging.getLogger("folio.deployments").exception("the schedules' Runner stopped")

    threading.Thread(target=run, name="folio-schedules", daemon=True).start()
