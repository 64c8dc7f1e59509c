"""JSON Schemas the model is held to, kept inside what vLLM's default xgrammar backend enforces.

vLLM compiles ``response_format.json_schema.schema`` with xgrammar. Some JSON Schema
constructs are silently dropped or rejected there (vLLM's
``has_xgrammar_unsupported_json_features``): ``multipleOf``; ``uniqueItems``, ``contains``,
``minContains``, ``maxContains`` on arrays; ``patternProperties``, ``propertyNames``;
string ``format`` outside xgrammar's list; ``pattern``/``format`` together with
``minLength``/``maxLength`` (the length bounds are lost). Folio also avoids ``allOf`` with
several branches and sends every schema with ``$ref``/``$defs`` inlined, so what the model
is held to is plain to read in the request.

:func:`xgrammar_schema` turns a schema's pydantic JSON Schema into such a schema: it inlines
``$ref``, drops Folio-only keywords (``aliases``, ``kind``) and annotation noise (``title``,
``default``), narrows pydantic's Decimal ``number | string`` to ``number`` (amounts are JSON
numbers), and makes every property of a closed object required (absent values are
``null``), so the answer always has the same keys. :func:`xgrammar_violations` lists what a
schema does that xgrammar cannot enforce.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from core.errors import ConfigurationError
from models.schemas import ExtractionSchema

# xgrammar's string formats (vLLM's STRING_SUPPORTED_FORMATS, from xgrammar's converter).
XGRAMMAR_STRING_FORMATS = frozenset(
    {
        "email",
        "date",
        "time",
        "date-time",
        "duration",
        "ipv4",
        "ipv6",
        "hostname",
        "uuid",
        "uri",
        "uri-reference",
        "uri-template",
        "json-pointer",
        "relative-json-pointer",
    }
)
# Keywords pydantic copies from ``json_schema_extra`` that mean something to Folio only.
FOLIO_KEYWORDS = frozenset({"aliases", "kind"})
# Custom schemas' own Folio keywords (``x-folio-aliases``, ``x-folio-kind``) start with this.
FOLIO_PREFIX = "x-folio-"
_NOISE = frozenset({"title", "default", "examples"})
_UNSUPPORTED = (
    "multipleOf",
    "uniqueItems",
    "contains",
    "minContains",
    "maxContains",
    "patternProperties",
    "propertyNames",
)
_SCHEMA_MAPS = ("properties", "$defs", "definitions")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_VALUES = ("items", "additionalProperties", "not", "if", "then", "else")

# The ``generic`` schema is free-form (any key); the model gets this concrete shape instead.
GENERIC_MODEL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every labelled value and every table on the page.",
    "properties": {
        "fields": {
            "type": "array",
            "description": "Labelled values in reading order.",
            "items": {
                "type": "object",
                "properties": {
                    "key": {"type": "string", "description": "The label, in snake_case."},
                    "value": {
                        "anyOf": [{"type": "string"}, {"type": "number"}, {"type": "null"}],
                        "description": "The value exactly as printed (numbers as numbers).",
                    },
                },
                "required": ["key", "value"],
                "additionalProperties": False,
            },
        },
        "tables": {
            "type": "array",
            "description": "Tables in reading order.",
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "description": "The table's name, in snake_case."},
                    "rows": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "cells": {
                                    "type": "array",
                                    "items": {
                                        "type": "object",
                                        "properties": {
                                            "column": {"type": "string"},
                                            "value": {
                                                "anyOf": [
                                                    {"type": "string"},
                                                    {"type": "number"},
                                                    {"type": "null"},
                                                ]
                                            },
                                        },
                                        "required": ["column", "value"],
                                        "additionalProperties": False,
                                    },
                                }
                            },
                            "required": ["cells"],
                            "additionalProperties": False,
                        },
                    },
                },
                "required": ["name", "rows"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["fields", "tables"],
    "additionalProperties": False,
}


def page_schema(schema: ExtractionSchema) -> dict[str, Any]:
    """The xgrammar-safe JSON Schema of one page's answer for ``schema``."""
    if schema.free_form:
        return copy.deepcopy(GENERIC_MODEL_SCHEMA)
    return xgrammar_schema(schema.json_schema())


def group_schema(schema: ExtractionSchema, page_numbers: Sequence[int]) -> dict[str, Any]:
    """The answer schema for a request covering ``page_numbers``.

    One page: the page schema itself. Several pages: an object with one required property
    per page (``page_3``, ``page_4``, ...), each the page schema, so every value is
    attributed to the page it was read from. A plain object keeps within xgrammar's limits
    (no arrays of tagged unions, no ``enum`` juggling).
    """
    one = page_schema(schema)
    if len(page_numbers) == 1:
        return one
    keys = [f"page_{n}" for n in page_numbers]
    return {
        "type": "object",
        "description": "One answer per page, each read from that page only.",
        "properties": {key: copy.deepcopy(one) for key in keys},
        "required": keys,
        "additionalProperties": False,
    }


def xgrammar_schema(raw: dict[str, Any]) -> dict[str, Any]:
    """``raw`` (pydantic's JSON Schema) rewritten for xgrammar; see the module docstring.

    Raises ConfigurationError when the result still holds something xgrammar cannot enforce.
    """
    defs = {**raw.get("definitions", {}), **raw.get("$defs", {})}
    converted = _convert(raw, defs, depth=0)
    problems = xgrammar_violations(converted)
    if problems:
        raise ConfigurationError(
            "the schema uses JSON Schema features vLLM's xgrammar backend cannot enforce: "
            + "; ".join(problems)
        )
    return converted


def _convert(node: Any, defs: dict[str, Any], *, depth: int) -> Any:
    if depth > 32:
        raise ConfigurationError("the schema nests too deeply (recursive $ref?)")
    if isinstance(node, list):
        return [_convert(item, defs, depth=depth + 1) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = str(node["$ref"]).rsplit("/", 1)[-1]
        if name not in defs:
            raise ConfigurationError(f"the schema refers to an unknown definition {name!r}")
        merged = {**defs[name], **{k: v for k, v in node.items() if k != "$ref"}}
        return _convert(merged, defs, depth=depth + 1)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in FOLIO_KEYWORDS or key in _NOISE or key in ("$defs", "definitions"):
            continue
        if isinstance(key, str) and key.startswith(FOLIO_PREFIX):
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: _convert(sub, defs, depth=depth + 1) for name, sub in value.items()}
        else:
            out[key] = _convert(value, defs, depth=depth + 1)
    if "allOf" in out and len(out["allOf"]) == 1:  # pydantic wraps a lone $ref like this
        only = out.pop("allOf")[0]
        out = {**only, **out}
    if "anyOf" in out:
        out["anyOf"] = _narrow_decimal(out["anyOf"])
        if len(out["anyOf"]) == 1:
            out = {**out.pop("anyOf")[0], **out}
    if out.get("type") == "object" and out.get("additionalProperties") is False:
        out["required"] = list(out.get("properties", {}))
    return out


def _narrow_decimal(branches: list[Any]) -> list[Any]:
    """pydantic writes Decimal as ``number | string``; the model should write numbers."""
    plain = [b for b in branches if isinstance(b, dict) and set(b) == {"type"}]
    types = {b["type"] for b in plain}
    if {"number", "string"} <= types:
        return [b for b in branches if not (isinstance(b, dict) and b == {"type": "string"})]
    return branches


def xgrammar_violations(schema: Any, path: str = "$") -> list[str]:
    """Every place in ``schema`` that xgrammar (as vLLM runs it) cannot enforce, as
    ``"<json path>: <what>"``; empty when the schema is safe to send."""
    if not isinstance(schema, dict):
        return []
    found = [f"{path}: {what}" for what in _keyword_violations(schema) + _string_violations(schema)]
    for key in _SCHEMA_MAPS:
        sub = schema.get(key)
        if isinstance(sub, dict):
            for name, child in sub.items():
                found.extend(xgrammar_violations(child, f"{path}.{key}.{name}"))
    for key in _SCHEMA_LISTS:
        sub = schema.get(key)
        if isinstance(sub, list):
            for index, child in enumerate(sub):
                found.extend(xgrammar_violations(child, f"{path}.{key}[{index}]"))
    for key in _SCHEMA_VALUES:
        found.extend(xgrammar_violations(schema.get(key), f"{path}.{key}"))
    return found


def _keyword_violations(schema: dict[Any, Any]) -> list[str]:
    """Keywords on this node that xgrammar does not enforce or must not see."""
    found = [f"{key} is not supported" for key in _UNSUPPORTED if key in schema]
    folio_only = sorted(FOLIO_KEYWORDS & set(schema)) + sorted(
        k for k in schema if isinstance(k, str) and k.startswith(FOLIO_PREFIX)
    )
    found += [f"Folio-only keyword {key!r} must be removed" for key in folio_only]
    if "$ref" in schema or "$defs" in schema or "definitions" in schema:
        found.append("$ref/$defs must be inlined")
    if isinstance(schema.get("allOf"), list) and len(schema["allOf"]) > 1:
        found.append(f"allOf with {len(schema['allOf'])} branches")
    return found


def _string_violations(schema: dict[Any, Any]) -> list[str]:
    """String constraints on this node that xgrammar cannot enforce."""
    found = []
    fmt = schema.get("format")
    if isinstance(fmt, str) and fmt not in XGRAMMAR_STRING_FORMATS:
        found.append(f"string format {fmt!r} is not in xgrammar's list")
    if ("pattern" in schema or "format" in schema) and ("minLength" in schema or "maxLength" in schema):
        found.append("pattern/format together with minLength/maxLength")
    return found
