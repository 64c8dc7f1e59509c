"""What the model is held to stays inside vLLM's xgrammar limits."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict, Field

from core.errors import ConfigurationError
from extractors.llama.json_schema import (
    group_schema,
    page_schema,
    xgrammar_schema,
    xgrammar_violations,
)
from models.schemas import BUILTIN_SCHEMAS, ExtractionSchema


@pytest.mark.parametrize("name", sorted(BUILTIN_SCHEMAS))
def test_every_builtin_schema_passes_the_checker(name: str) -> None:
    schema = BUILTIN_SCHEMAS[name]
    for pages in ((1,), (2, 3, 4)):
        answer = group_schema(schema, pages)
        assert xgrammar_violations(answer) == []
        text = repr(answer)
        for word in ("aliases", "'kind'", "$ref", "$defs"):
            assert word not in text


def test_closed_objects_require_every_property_and_amounts_are_numbers() -> None:
    answer = page_schema(BUILTIN_SCHEMAS["invoice"])
    assert answer["required"] == list(BUILTIN_SCHEMAS["invoice"].model.model_fields)
    rows = answer["properties"]["line_items"]["items"]
    assert set(rows["required"]) == set(rows["properties"])
    subtotal = answer["properties"]["subtotal"]["anyOf"]
    assert {"type": "string"} not in subtotal and {"type": "number"} in subtotal


def test_group_schema_has_one_key_per_page() -> None:
    answer = group_schema(BUILTIN_SCHEMAS["receipt"], (3, 5))
    assert list(answer["properties"]) == ["page_3", "page_5"]
    assert answer["required"] == ["page_3", "page_5"]
    assert not any(key.startswith("page_") for key in page_schema(BUILTIN_SCHEMAS["receipt"])["properties"])


FORBIDDEN = {
    "multipleOf": {"type": "number", "multipleOf": 0.01},
    "uniqueItems": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
    "contains": {"type": "array", "contains": {"type": "string"}},
    "patternProperties": {"type": "object", "patternProperties": {"^x": {"type": "string"}}},
    "propertyNames": {"type": "object", "propertyNames": {"maxLength": 3}},
    "allOf with 2 branches": {"allOf": [{"type": "string"}, {"maxLength": 3}]},
    "format 'iban'": {"type": "string", "format": "iban"},
    "pattern together with minLength": {"type": "string", "pattern": "^A", "minLength": 2},
    "$ref": {"$ref": "#/$defs/Row"},
    "Folio-only keyword 'aliases'": {"type": "string", "aliases": ["total"]},
}


@pytest.mark.parametrize("construct", sorted(FORBIDDEN))
def test_checker_catches_each_forbidden_construct(construct: str) -> None:
    nested = {
        "type": "object",
        "properties": {
            "outer": {
                "type": "array",
                "items": {"type": "object", "properties": {"bad": FORBIDDEN[construct]}},
            }
        },
    }
    problems = xgrammar_violations(nested)
    assert len(problems) == 1
    assert problems[0].startswith("$.properties.outer.items.properties.bad:")


def test_supported_format_and_plain_pattern_pass() -> None:
    assert xgrammar_violations({"type": "string", "format": "date-time"}) == []
    assert xgrammar_violations({"type": "string", "pattern": "^[A-Z]{3}$"}) == []
    assert xgrammar_violations({"type": "string", "maxLength": 3}) == []


class _Tagged(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^[A-Z]+$", max_length=8)


def test_a_schema_xgrammar_cannot_enforce_is_a_configuration_error() -> None:
    schema = ExtractionSchema(name="tagged", version="1", description="x", model=_Tagged)
    with pytest.raises(ConfigurationError, match="pattern/format together with"):
        page_schema(schema)


def test_refs_are_inlined() -> None:
    raw = {
        "$defs": {
            "Row": {
                "type": "object",
                "title": "Row",
                "additionalProperties": False,
                "properties": {"a": {"type": "string", "kind": "text"}},
            }
        },
        "type": "object",
        "properties": {"rows": {"type": "array", "items": {"$ref": "#/$defs/Row"}}},
    }
    converted = xgrammar_schema(raw)
    assert converted["properties"]["rows"]["items"] == {
        "type": "object",
        "additionalProperties": False,
        "properties": {"a": {"type": "string"}},
        "required": ["a"],
    }
