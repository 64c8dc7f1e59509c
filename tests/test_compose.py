"""docker-compose.yml holds together: services, order of start, health checks, and every
FOLIO_ variable the services set is a real setting."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from core.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_TEXT = (ROOT / "docker-compose.yml").read_text()
COMPOSE = yaml.safe_load(COMPOSE_TEXT)
SERVICES = COMPOSE["services"]
SETTINGS = set(Settings.variables())


def test_the_production_services_are_there():
    assert {"postgres", "migrate", "prefect-server", "api", "worker", "vllm-h100", "vllm-fp8"} <= set(
        SERVICES
    )


def test_apps_wait_for_a_healthy_database_and_a_finished_migration():
    assert SERVICES["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("api", "worker", "deploy"):
        assert SERVICES[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    for name in ("postgres", "prefect-server", "vllm-h100"):
        assert SERVICES[name]["healthcheck"]["test"], name


def test_vllm_is_run_the_way_folio_needs_it():
    for name in ("vllm-h100", "vllm-fp8"):
        service = SERVICES[name]
        command = service["command"]
        args = " ".join(command)
        assert '--limit-mm-per-prompt={"image":5}' in args
        assert "--enable-prompt-tokens-details" in args and "--kv-cache-dtype=fp8" in args
        assert "--max-model-len" in args
        assert service["ipc"] == "host"
        devices = service["deploy"]["resources"]["reservations"]["devices"]
        assert devices[0]["capabilities"] == ["gpu"]
        assert re.fullmatch(r"vllm/vllm-openai:v\d+\.\d+\.\d+", service["image"])
        assert "guided" not in args
        # The image's entrypoint is `vllm serve`: the model is its positional argument (first),
        # not the deprecated --model flag, and `serve` is not repeated.
        assert re.fullmatch(r"\$\{VLLM_MODEL:-[\w.-]+/[\w.-]+\}", command[0]), command[0]
        assert not any(a.startswith("--model") for a in command) and "serve" not in command
        assert "entrypoint" not in service
        # Compact JSON: no whitespace loop under xgrammar (the backend must be named for it).
        (config,) = [a for a in command if a.startswith("--structured-outputs-config=")]
        assert json.loads(config.partition("=")[2]) == {"backend": "xgrammar", "disable_any_whitespace": True}
        assert "--stream-interval=16" in command  # Folio streams: fewer, larger chunks
        # One variable sets vLLM's policy and what Folio expects of it.
        assert "--scheduling-policy=${VLLM_SCHEDULING_POLICY:-priority}" in command
    environment = SERVICES["worker"]["environment"]
    assert environment["FOLIO_LLM_SCHEDULING_POLICY"] == "${VLLM_SCHEDULING_POLICY:-priority}"
    assert environment["FOLIO_ENGINE"] == "${FOLIO_ENGINE:-auto}"
    assert environment["FOLIO_LLM_STARTUP_WAIT_S"].startswith("${FOLIO_LLM_STARTUP_WAIT_S:-")


def test_the_startup_wait_outlasts_vllms_loading_allowance():
    check = SERVICES["vllm-h100"]["healthcheck"]
    loading_s = _seconds(check["interval"]) * check["retries"]  # how long compose lets vLLM load
    default = re.search(r"FOLIO_LLM_STARTUP_WAIT_S:-(\d+)", COMPOSE_TEXT)
    assert default is not None and int(default.group(1)) >= loading_s


def _seconds(duration: str) -> int:
    match = re.fullmatch(r"(\d+)s", duration)
    assert match is not None, duration
    return int(match.group(1))


def test_every_folio_variable_is_a_setting():
    known = set(Settings.variables())
    used: set[str] = set()
    for service in SERVICES.values():
        environment = service.get("environment") or {}
        used |= {key for key in environment if key.startswith("FOLIO_")}
    assert used, "the services configure Folio through FOLIO_ variables"
    assert used <= known, sorted(used - known)


def test_required_secrets_are_marked():
    for variable in ("POSTGRES_PASSWORD", "HF_TOKEN", "FOLIO_LICENSEE_COUNTRY", "FOLIO_LLM_MODEL"):
        assert re.search(r"\$\{" + variable + r":\?", COMPOSE_TEXT), variable


def test_workers_run_the_production_path_on_a_work_pool():
    worker = " ".join(SERVICES["worker"]["command"])
    assert worker.startswith("prefect worker start --pool folio")
    deploy = " ".join(SERVICES["deploy"]["command"])
    assert "prefect work-pool create folio" in deploy and "folio deploy --pool folio" in deploy
    assert SERVICES["worker"]["depends_on"]["deploy"]["condition"] == "service_completed_successfully"
    # the API does not serve the schedules as well (they would run twice)
    assert "--no-schedules" in SERVICES["api"]["command"]


def test_every_folio_name_in_compose_and_env_example_is_a_setting():
    interpolated = set(re.findall(r"\$\{(FOLIO_[A-Z0-9_]+)", COMPOSE_TEXT))
    example = set(re.findall(r"^#?\s*(FOLIO_[A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert interpolated and example
    assert interpolated | example <= SETTINGS, sorted((interpolated | example) - SETTINGS)


def test_state_lives_in_volumes():
    named = set(COMPOSE["volumes"])
    mounts = {
        name: {str(v).split(":")[0] + ":" + str(v).split(":")[1] for v in service.get("volumes") or []}
        for name, service in SERVICES.items()
    }
    assert "pgdata:/var/lib/postgresql/data" in mounts["postgres"]
    assert "hf-cache:/root/.cache/huggingface" in mounts["vllm-h100"]
    for name in ("api", "worker"):  # blobs under FOLIO_DATA_DIR, the same store for both
        data_dir = SERVICES[name]["environment"]["FOLIO_DATA_DIR"]
        assert f"blobs:{data_dir}" in mounts[name], name
    assert {"pgdata", "blobs", "hf-cache"} <= named
    # the scheduled batch ingest reads its inbox where the workers mount it
    inbox = SERVICES["worker"]["environment"]["FOLIO_BATCH_INBOX"]
    assert any(str(v).endswith(f":{inbox}") for v in SERVICES["worker"]["volumes"])


def test_prefect_server_keeps_its_state_in_postgres_and_workers_can_scale():
    server = SERVICES["prefect-server"]
    assert re.fullmatch(r"prefecthq/prefect:3\.\d+\.\d+-python3\.\d+", server["image"])
    url = server["environment"]["PREFECT_SERVER_DATABASE_CONNECTION_URL"]
    assert url.startswith("postgresql+asyncpg://") and "@postgres:5432/" in url
    assert server["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "replicas" in SERVICES["worker"]["deploy"]
    for name in ("api", "worker"):
        assert SERVICES[name]["environment"]["PREFECT_API_URL"] == "http://prefect-server:4200/api"
    migrate = " ".join(SERVICES["migrate"]["command"])
    assert migrate in ("folio db upgrade", "alembic upgrade head")
    assert SERVICES["migrate"]["restart"] == "no"
