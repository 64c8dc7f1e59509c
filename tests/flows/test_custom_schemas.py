"""Custom schemas: registration and versioning in SQL (SQLite and PostgreSQL), resolution by
name, the xgrammar check, and a generated purchase order through the whole pipeline."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
from decimal import Decimal
from pathlib import Path

import pytest

from core.errors import ConfigurationError
from core.settings import Settings
from flows.schemas import register_schema, resolve_schema
from models.page import PreparedPage
from models.schemas import BUILTIN_SCHEMAS
from storage import repository as repo
from storage.database import make_engine, make_session_factory
from storage.migrate import upgrade
from tests.support import documents

PO_SCHEMA = {
    "type": "object",
    "description": "A purchase order.",
    "properties": {
        "po_number": {
            "type": "string",
            "description": "Purchase order number as printed.",
            "x-folio-aliases": ["po number"],
        },
        "order_date": {
            "type": "string",
            "format": "date",
            "description": "Date of the order.",
            "x-folio-aliases": ["order date"],
        },
        "buyer": {"type": "string", "description": "Who placed the order.", "x-folio-aliases": ["buyer"]},
        "total": {
            "type": "number",
            "x-folio-kind": "money",
            "description": "Order total.",
            "x-folio-aliases": ["total"],
        },
    },
}

MODEL_FILE = '''
import datetime as dt
from pydantic import BaseModel, Field


class DeliveryNote(BaseModel):
    """A delivery note."""

    note_number: str | None = Field(None, description="The note's number.",
                                    json_schema_extra={"aliases": ["note no"]})
    delivered_on: dt.date | None = None
'''


@pytest.fixture
def sessions(db_settings: Settings):
    upgrade(db_settings)
    engine = make_engine(db_settings)
    yield make_session_factory(engine)
    engine.dispose()


def write_json(folder: Path, name: str, value: dict) -> Path:
    path = folder / name
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


def test_register_json_schema_versions_by_content(sessions, tmp_path: Path):
    source = write_json(tmp_path, "po.json", PO_SCHEMA)
    with sessions.begin() as session:
        first, created = register_schema(session, name="purchase_order", source=source)
    assert created and first.version == "1"
    assert [f.name for f in first.fields] == list(PO_SCHEMA["properties"])
    with sessions.begin() as session:
        again, created = register_schema(session, name="purchase_order", source=source)
    assert not created and again.version == "1" and again.schema_hash == first.schema_hash

    changed = json.loads(json.dumps(PO_SCHEMA))
    changed["properties"]["currency"] = {"type": "string", "x-folio-kind": "currency"}
    with sessions.begin() as session:
        second, created = register_schema(
            session, name="purchase_order", source=write_json(tmp_path, "po2.json", changed)
        )
    assert created and second.version == "2"
    with sessions() as session:
        resolved = resolve_schema(session, "purchase_order")
        rows = repo.list_schemas(session)
        latest = repo.latest_schema(session, "purchase_order")
    assert resolved.version == "2" and "currency" in {f.name for f in resolved.fields}
    assert [(r.name, r.version) for r in rows] == [("purchase_order", 2)]
    assert latest is not None and latest.json_schema == changed
    assert latest.description == "A purchase order."


def test_register_pydantic_model_file(sessions, tmp_path: Path):
    module = tmp_path / "notes.py"
    module.write_text(MODEL_FILE, encoding="utf-8")
    with sessions.begin() as session:
        schema, created = register_schema(session, name="delivery_note", source=f"{module}:DeliveryNote")
    assert created and schema.description == "A delivery note."
    specs = {f.name: f for f in schema.fields}
    assert list(specs) == ["note_number", "delivered_on"]
    assert specs["note_number"].aliases == ("note no",)
    with sessions() as session:
        assert resolve_schema(session, "delivery_note").fields == schema.fields
    with sessions.begin() as session, pytest.raises(ConfigurationError, match="Missing"):
        register_schema(session, name="delivery_note", source=f"{module}:Missing")


@pytest.mark.parametrize(
    ("prop", "problem"),
    [
        (
            {
                "type": "array",
                "uniqueItems": True,
                "items": {"type": "object", "properties": {"sku": {"type": "string"}}},
            },
            "uniqueItems",
        ),
        ({"type": "string", "pattern": "^[A-Z]+$", "minLength": 3}, "pattern/format together"),
        ({"type": "number", "multipleOf": 5}, "multipleOf"),
    ],
)
def test_xgrammar_incompatible_schemas_are_refused_and_not_stored(sessions, tmp_path, prop, problem):
    schema = {"type": "object", "properties": {"code": prop}}
    with sessions.begin() as session, pytest.raises(ConfigurationError) as info:
        register_schema(session, name="codes", source=write_json(tmp_path, "c.json", schema))
    assert problem in str(info.value) and "code" in str(info.value)
    with sessions() as session:
        assert repo.latest_schema(session, "codes") is None


def test_builtin_names_cannot_be_overridden_and_unknown_names_list_all(sessions, tmp_path):
    source = write_json(tmp_path, "po.json", PO_SCHEMA)
    for name in BUILTIN_SCHEMAS:
        with sessions.begin() as session, pytest.raises(ConfigurationError, match="built-in"):
            register_schema(session, name=name, source=source)
    with sessions.begin() as session:
        register_schema(session, name="purchase_order", source=source)
    with sessions() as session:
        for name, builtin in BUILTIN_SCHEMAS.items():
            assert resolve_schema(session, name) is builtin
        with pytest.raises(ConfigurationError) as info:
            resolve_schema(session, "no_such_schema")
    assert all(name in str(info.value) for name in [*BUILTIN_SCHEMAS, "purchase_order"])


def test_llama_request_carries_descriptions_and_a_clean_response_format(sessions, tmp_path):
    from extractors.llama.requests import build_request
    from tests.extractors.llama.conftest import llm_settings

    with sessions.begin() as session:
        schema, _ = register_schema(
            session, name="purchase_order", source=write_json(tmp_path, "po.json", PO_SCHEMA)
        )
    page = PreparedPage(page_number=1, text="PO Number: X-1", route="text", text_quality="good")
    body = build_request([page], schema, settings=llm_settings(tmp_path, "http://x/v1")).body("m")
    prompt = json.dumps(body["messages"])
    for spec in PO_SCHEMA["properties"].values():
        assert spec["description"] in prompt
    sent = body["response_format"]["json_schema"]["schema"]
    assert "x-folio" not in json.dumps(sent) and "aliases" not in json.dumps(sent)
    assert set(sent["properties"]) == set(PO_SCHEMA["properties"])
    assert body["response_format"]["json_schema"]["name"] == "purchase_order"


def purchase_order_pdf(seed: int) -> tuple[bytes, dict]:
    rng = random.Random(seed)
    truth = {
        "po_number": f"PO-{rng.randrange(10000, 99999)}",
        "order_date": (dt.date(2021, 1, 1) + dt.timedelta(days=rng.randrange(1500))).isoformat(),
        "buyer": rng.choice(["Hartley Foods Ltd", "Norrland Timber AB", "Casa Verde SL"]),
        "total": Decimal(rng.randrange(100, 10**7)) / 100,
    }
    data = documents.purchase_order_pdf(
        f"PO Number: {truth['po_number']}",
        f"Order Date: {truth['order_date']}",
        f"Buyer: {truth['buyer']}",
        f"Total: {truth['total']:,.2f}",
    )
    return data, truth


@pytest.mark.usefixtures("prefect_server")
@pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning"
)
def test_custom_schema_end_to_end_with_the_local_engine(db_settings: Settings, sessions, tmp_path):
    from flows.batch_run import BatchRequest, run_batch

    with sessions.begin() as session:
        register_schema(session, name="purchase_order", source=write_json(tmp_path, "po.json", PO_SCHEMA))
    data, truth = purchase_order_pdf(seed=20260)
    path = tmp_path / "po.pdf"
    path.write_bytes(data)
    request = BatchRequest(paths=[path], schema_name="purchase_order", tenant="acme")
    [outcome] = asyncio.run(run_batch(db_settings, request))
    row = outcome.row()
    assert row["status"] in ("done", "needs_review"), row["reason"]
    assert row["engine"] == "local"
    fields = row["fields"]
    assert fields["po_number"] == truth["po_number"]
    assert fields["order_date"] == truth["order_date"]
    assert fields["buyer"] == truth["buyer"]
    assert Decimal(str(fields["total"])) == truth["total"]
