"""Schemathesis against the app's own OpenAPI document, over ASGI, on SQLite and PostgreSQL,
with a valid tenant key: schema-valid and schema-invalid requests to every operation must never get a
5xx, and every answer must match what the document says (status code, content type,
headers, body schema). Bounded: a few dozen examples per operation, derandomized."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Ok

from api.app import create_app
from core.settings import Settings
from models.document import DocumentStatus
from tests.api.conftest import Keys, api_settings, bearer, make_keys, running_app
from tests.support.review import needs_review

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 20
STATUSES = {s.value for s in DocumentStatus}


def _fuzz(
    operation: Any, mode: GenerationMode, headers: dict[str, str], document_id: str | None
) -> str | None:
    """Run one operation's examples in ``mode``; ``document_id``: every example names that
    document. The failures as text, None when there are none."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def conforms(case: schemathesis.Case) -> None:
        if document_id is not None:
            case.path_parameters = {**(case.path_parameters or {}), "document_id": document_id}
        case.call_and_validate(headers=headers, checks=CHECKS)

    try:
        conforms()
    except Unsatisfiable:
        return None  # nothing schema-invalid exists for it (e.g. no parameters at all)
    except Exception as exc:  # noqa: BLE001 (every operation's failures are reported together)
        return f"{mode.value} {operation.label} ({document_id or 'generated ids'}): {exc}"
    return None


def test_every_operation_conforms_to_the_openapi_document(api_db_settings: Settings, keys: Keys) -> None:
    # Generated ids find no document (404 at once), so the operations on one document are
    # also fuzzed on a real one waiting for review: bodies, page numbers, approval, rejection.
    api = api_db_settings.replace(pages={"render_workers": 1})
    in_review = needs_review(api, seed=61, tenant="alpha").document_id
    app = create_app(api, process=False, sweep=False)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = bearer(keys.alpha)
    failures: list[str] = []
    operations = on_a_document = 0
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"the document is invalid: {result}"
        operation = result.ok()
        operations += 1
        targets: list[str | None] = [None]
        if "{document_id}" in operation.path:
            targets.append(in_review)
            on_a_document += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failures += filter(None, (_fuzz(operation, mode, headers, target) for target in targets))
    assert operations >= 8, "the document lists fewer operations than the app serves"
    assert on_a_document >= 5, "fewer operations on one document than the review routes alone"
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("path", ["/v1/documents", "/v1/webhooks/documents"])
def test_the_document_describes_upload_problems_as_problem_json(path: str, tmp_path: Path) -> None:
    base = Settings(
        _env_file=None,
        storage={"data_dir": tmp_path / "var"},
        extraction={"engine": "local"},
        pages={"render_workers": 1},
    )
    app = create_app(api_settings(base), process=False, sweep=False)
    responses = app.openapi()["paths"][path]["post"]["responses"]
    for code in ("400", "401", "408", "413", "415", "422", "429", "503"):
        assert list(responses[code]["content"]) == ["application/problem+json"], code


def test_an_unknown_status_filter_is_a_422_problem(tmp_path: Path) -> None:
    base = Settings(
        _env_file=None,
        storage={"data_dir": tmp_path / "var"},
        extraction={"engine": "local"},
        pages={"render_workers": 1},
    )
    api = api_settings(base)
    keys = make_keys(api)

    async def go() -> httpx.Response:
        async with running_app(api) as (_, client):
            return await client.get("/v1/query/documents?status=false", headers=bearer(keys.alpha))

    response = asyncio.run(go())
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
