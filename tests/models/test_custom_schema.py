"""Custom schemas built from JSON Schema and pydantic models (pure: no database)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from pydantic import BaseModel, Field

from core.errors import ConfigurationError
from extractors.llama.json_schema import page_schema, xgrammar_violations
from models.schemas import FieldKind
from models.schemas.custom import schema_from_json_schema, schema_from_model

PURCHASE_ORDER = {
    "type": "object",
    "description": "A purchase order.",
    "properties": {
        "po_number": {
            "type": "string",
            "description": "The order's number as printed.",
            "x-folio-aliases": ["po number", "order number"],
        },
        "order_date": {"type": "string", "format": "date", "description": "Date ordered."},
        "total": {"type": "number", "x-folio-kind": "money", "x-folio-aliases": ["total"]},
        "quantity": {"type": "number"},
        "line_count": {"type": "integer"},
        "urgent": {"type": "boolean"},
        "lines": {
            "type": "array",
            "description": "Ordered lines.",
            "items": {
                "type": "object",
                "properties": {
                    "sku": {"type": "string", "x-folio-aliases": ["sku", "item"]},
                    "amount": {"type": "number", "x-folio-kind": "money"},
                },
            },
        },
    },
}


def test_json_schema_types_become_field_kinds_and_typed_values():
    schema = schema_from_json_schema("purchase_order", 3, PURCHASE_ORDER)
    assert (schema.name, schema.version, schema.description) == ("purchase_order", "3", "A purchase order.")
    specs = {spec.name: spec for spec in schema.fields}
    assert set(specs) == set(PURCHASE_ORDER["properties"])
    assert specs["po_number"].kind is FieldKind.TEXT
    assert specs["po_number"].aliases == ("po number", "order number")
    assert specs["po_number"].description == "The order's number as printed."
    assert specs["order_date"].kind is FieldKind.DATE
    assert specs["total"].kind is FieldKind.MONEY
    assert specs["quantity"].kind is FieldKind.NUMBER
    assert specs["line_count"].kind is FieldKind.INTEGER
    assert specs["lines"].kind is FieldKind.TABLE
    assert [c.name for c in specs["lines"].columns] == ["sku", "amount"]
    assert specs["lines"].columns[0].aliases == ("sku", "item")
    assert not any(spec.required for spec in schema.fields)

    rng = random.Random(7)
    day = dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(2000))
    amount = Decimal(rng.randrange(1, 10**6)) / 100
    model = schema.validate_values(
        {
            "order_date": day.isoformat(),
            "total": str(amount),
            "urgent": True,
            "lines": [{"sku": "A1", "amount": float(amount)}],
        }
    )
    assert model.order_date == day and model.total == amount and model.urgent is True
    assert model.lines[0].amount == amount and model.po_number is None
    assert schema_from_json_schema("purchase_order", 3, PURCHASE_ORDER).schema_hash == schema.schema_hash


def test_llama_page_schema_is_xgrammar_safe_and_has_no_folio_keywords():
    sent = page_schema(schema_from_json_schema("purchase_order", 1, PURCHASE_ORDER))
    assert xgrammar_violations(sent) == []
    text = repr(sent)
    assert "x-folio" not in text and "aliases" not in text
    assert sent["properties"]["po_number"]["description"] == "The order's number as printed."
    assert sent["properties"]["total"] == {"anyOf": [{"type": "number"}, {"type": "null"}]}


class Shipment(BaseModel):
    """A shipping note."""

    tracking_id: str | None = Field(
        None, description="Carrier tracking id.", json_schema_extra={"aliases": ["tracking"]}
    )
    shipped_on: dt.date | None = None
    weight_kg: float | None = None
    freight: Decimal | None = Field(None, description="Freight charge.")


def test_pydantic_model_is_rebuilt_with_the_same_fields():
    schema = schema_from_model("shipment", 1, Shipment)
    specs = {spec.name: spec for spec in schema.fields}
    assert list(specs) == list(Shipment.model_fields)
    assert specs["tracking_id"].aliases == ("tracking",)
    assert specs["tracking_id"].description == "Carrier tracking id."
    assert specs["shipped_on"].kind is FieldKind.DATE
    assert specs["weight_kg"].kind is FieldKind.NUMBER
    assert specs["freight"].kind is FieldKind.MONEY
    assert schema.description == "A shipping note."
    assert schema.model is not Shipment


def _with_property(name: str, spec: dict) -> dict:
    return {"type": "object", "properties": {"ok": {"type": "string"}, name: spec}}


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ({"type": "object", "properties": {"street": {"type": "string"}}}, "nested objects"),
        ({"type": "array", "items": {"type": "string"}}, "arrays of objects"),
        ({"type": "null"}, "unsupported type"),
        ({"type": "string", "format": "email"}, "format 'email'"),
        ({"type": "string", "enum": ["a", "b"]}, "enum"),
        ({"type": "number", "x-folio-kind": "weight"}, "x-folio-kind 'weight'"),
        ({"type": "number", "x-folio-kind": "money", "minimum": 0}, "bounds on money"),
        ({"anyOf": [{"type": "string"}, {"type": "integer"}]}, "anyOf"),
        ({"$ref": "#/$defs/Missing"}, "unknown $ref"),
        (
            {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "inner": {
                            "type": "array",
                            "items": {"type": "object", "properties": {"x": {"type": "string"}}},
                        }
                    },
                },
            },
            "tables inside tables",
        ),
    ],
)
def test_unsupported_constructs_name_the_property(spec, problem):
    prop = f"prop_{abs(hash(problem)) % 1000}"
    with pytest.raises(ConfigurationError) as info:
        schema_from_json_schema("custom", 1, _with_property(prop, spec))
    assert prop in str(info.value) and problem in str(info.value)


def test_ref_cycle_is_rejected_with_the_property_named():
    schema = {
        "type": "object",
        "$defs": {"Node": {"type": "array", "items": {"$ref": "#/$defs/Node"}}},
        "properties": {"children": {"$ref": "#/$defs/Node"}},
    }
    with pytest.raises(ConfigurationError, match=r"children.*\$ref cycle"):
        schema_from_json_schema("tree", 1, schema)


def test_top_level_must_be_an_object_with_properties():
    with pytest.raises(ConfigurationError, match="top level"):
        schema_from_json_schema("x", 1, {"type": "array", "items": {"type": "string"}})
    with pytest.raises(ConfigurationError, match="no properties"):
        schema_from_json_schema("x", 1, {"type": "object", "properties": {}})
