"""Hostile custom schemas are refused with a ConfigurationError that says what is wrong,
never another exception (a traceback for the user) and never a silently changed schema."""

from __future__ import annotations

import json
from typing import Any

import pytest

from core.errors import ConfigurationError
from models.schemas.custom import (
    MAX_FIELDS,
    MAX_JSON_DEPTH,
    MAX_NAME_CHARS,
    MAX_REF_HOPS,
    check_document_limits,
    schema_from_json_schema,
)


def _with(spec: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": {"ok": {"type": "string"}, "hostile": spec}}


def _nested_all_of(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "string"}
    for _ in range(depth):
        node = {"allOf": [node]}
    return _with(node)


def _ref_chain(hops: int) -> dict[str, Any]:
    defs: dict[str, Any] = {f"D{i}": {"$ref": f"#/$defs/D{i + 1}"} for i in range(hops)}
    defs[f"D{hops}"] = {"type": "string"}
    return {"type": "object", "$defs": defs, "properties": {"a": {"$ref": "#/$defs/D0"}}}


HOSTILE: list[tuple[str, dict[str, Any], str]] = [
    ("deep-nesting", _nested_all_of(MAX_JSON_DEPTH * 50), "nested more than"),
    ("long-ref-chain", _ref_chain(MAX_REF_HOPS * 20), "$ref followed"),
    (
        "recursive-ref",
        {
            "type": "object",
            "$defs": {"Loop": {"allOf": [{"$ref": "#/$defs/Loop"}]}},
            "properties": {"a": {"$ref": "#/$defs/Loop"}},
        },
        "$ref cycle",
    ),
    ("look-behind", _with({"type": "string", "pattern": "(?<=EUR)\\d+"}), "look-ahead or look-behind"),
    ("look-ahead", _with({"type": "string", "pattern": "^(?!X)\\w+$"}), "look-ahead or look-behind"),
    ("back-reference", _with({"type": "string", "pattern": "(a)\\1"}), "back-references"),
    ("named-group", _with({"type": "string", "pattern": "(?P<n>\\d+)"}), "named groups"),
    ("inline-flag", _with({"type": "string", "pattern": "(?i)abc"}), "inline flags"),
    ("pattern-does-not-compile", _with({"type": "string", "pattern": "([a-z"}), "does not compile"),
    ("pattern-not-a-string", _with({"type": "string", "pattern": 42}), "pattern must be a string"),
    ("infinite-number", _with({"type": "number", "maximum": float("inf")}), "too large"),
    ("huge-integer", _with({"type": "integer", "maximum": 10**1000}), "too large"),
    ("huge-length", _with({"type": "string", "maxLength": 10**30}), "too large"),
    ("negative-length", _with({"type": "string", "minLength": -1}), "whole number"),
    ("bound-not-a-number", _with({"type": "number", "minimum": "5"}), "must be a number"),
    ("bound-a-boolean", _with({"type": "number", "minimum": True}), "must be a number"),
    ("zero-multiple", _with({"type": "number", "multipleOf": 0}), "greater than 0"),
    (
        "name-over-the-column-limit",
        {"type": "object", "properties": {"f" * (MAX_NAME_CHARS + 1): {"type": "string"}}},
        "the limit is 100",
    ),
    (
        "name-with-leading-underscore",
        {"type": "object", "properties": {"_secret": {"type": "string"}, "b": {"type": "string"}}},
        "does not start with '_'",
    ),
    ("reserved-name", {"type": "object", "properties": {"model_config": {"type": "string"}}}, "reserved"),
    ("shadowing-name", {"type": "object", "properties": {"json": {"type": "string"}}}, "reserved"),
    (
        "thousands-of-properties",
        {"type": "object", "properties": {f"field_{i}": {"type": "string"} for i in range(5000)}},
        f"more than {MAX_FIELDS} fields",
    ),
    (
        "defs-not-an-object",
        {"type": "object", "$defs": [1], "properties": {"a": {"type": "string"}}},
        "$defs",
    ),
    (
        "description-not-a-string",
        {"type": "object", "properties": {"a": {"type": "string", "description": {"x": 1}}}},
        "description must be a string",
    ),
    ("huge-string", _with({"type": "string", "description": "x" * 100_000}), "characters"),
]


@pytest.mark.parametrize(("raw", "problem"), [case[1:] for case in HOSTILE], ids=[c[0] for c in HOSTILE])
def test_hostile_schema_is_refused_with_a_reason(raw: dict[str, Any], problem: str):
    with pytest.raises(ConfigurationError) as info:
        schema_from_json_schema("hostile", 1, raw)
    message = str(info.value)
    assert problem in message
    assert len(message) < 1000 and "\n" not in message


def test_limits_leave_ordinary_schemas_alone():
    # At the limits, not past them: the schema is built and keeps every field.
    raw = {
        "type": "object",
        "properties": {
            **{f"field_{i}": {"type": "string", "maxLength": 200} for i in range(MAX_FIELDS - 1)},
            "c" * MAX_NAME_CHARS: {"type": "string", "pattern": "^[A-Z]{2}\\d+(?:-\\d+)?$"},
        },
    }
    schema = schema_from_json_schema("wide", 1, raw)
    assert len(schema.fields) == MAX_FIELDS
    # The pattern is kept as written, so the engines enforce what the user asked for.
    assert schema.json_schema()["properties"]["c" * MAX_NAME_CHARS]["anyOf"][0]["pattern"] == (
        "^[A-Z]{2}\\d+(?:-\\d+)?$"
    )


def test_document_limits_walk_without_recursion():
    deep: Any = "leaf"
    for _ in range(50_000):  # far past Python's recursion limit
        deep = [deep]
    with pytest.raises(ConfigurationError, match="nested more than"):
        check_document_limits(deep)
    check_document_limits(json.loads(json.dumps({"a": [1, 2.5, None, True, "x"]})))
