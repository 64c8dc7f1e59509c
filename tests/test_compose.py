"""docker-compose.yml holds together: services, order of start, health checks, and every
FOLIO_ variable the services set is a real setting."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from core.settings import Settings

COMPOSE = yaml.safe_load((Path(__file__).resolve().parent.parent / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_the_production_services_are_there():
    assert {"postgres", "migrate", "prefect-server", "api", "worker", "vllm-h100", "vllm-fp8"} <= set(
        SERVICES
    )


def test_apps_wait_for_a_healthy_database_and_a_finished_migration():
    assert SERVICES["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("api", "worker"):
        assert SERVICES[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    for name in ("postgres", "prefect-server", "vllm-h100"):
        assert SERVICES[name]["healthcheck"]["test"], name


def test_vllm_is_run_the_way_folio_needs_it():
    for name in ("vllm-h100", "vllm-fp8"):
        service = SERVICES[name]
        args = " ".join(service["command"])
        assert '--limit-mm-per-prompt={"image":5}' in args
        assert "--enable-prompt-tokens-details" in args and "--kv-cache-dtype=fp8" in args
        assert "--max-model-len" in args
        assert service["ipc"] == "host"
        devices = service["deploy"]["resources"]["reservations"]["devices"]
        assert devices[0]["capabilities"] == ["gpu"]
        assert re.fullmatch(r"vllm/vllm-openai:v\d+\.\d+\.\d+", service["image"])
        assert "guided" not in args


def test_every_folio_variable_is_a_setting():
    known = {f"FOLIO_{name.upper()}" for name in Settings.model_fields}
    used: set[str] = set()
    for service in SERVICES.values():
        environment = service.get("environment") or {}
        used |= {key for key in environment if key.startswith("FOLIO_")}
    assert used, "the services configure Folio through FOLIO_ variables"
    assert used <= known, sorted(used - known)


def test_required_secrets_are_marked():
    text = (Path(__file__).resolve().parent.parent / "docker-compose.yml").read_text()
    for variable in ("POSTGRES_PASSWORD", "HF_TOKEN", "FOLIO_LICENSEE_COUNTRY", "FOLIO_LLM_MODEL"):
        assert re.search(r"\$\{" + variable + r":\?", text), variable
