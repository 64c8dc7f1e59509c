"""Custom extraction schemas: users' JSON Schemas (or pydantic models) as ExtractionSchemas.

Only the shapes the engines understand are accepted, so a schema that registers is one the
local mapper can fill and the llama engine can hold the model to: an object whose
properties are strings (``format: date`` for dates), numbers (``"x-folio-kind": "money"``
for amounts), integers, booleans, or arrays of flat objects (tables). Everything else is a
ConfigurationError naming the property, at registration rather than at extraction time.

Folio-specific keywords: ``x-folio-essential`` (top level: the fields a document must have
to end ``done``; default: the schema's ``required`` list), ``x-folio-aliases`` (labels that
introduce the value on a page, used by the local engine) and ``x-folio-kind`` (``money``,
``address``, ``currency``).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PydanticUserError, create_model
from pydantic_core import SchemaError

from core.errors import ConfigurationError
from models.schemas.spec import ExtractionSchema, FieldKind
from models.schemas.types import Money

ALIASES_KEY = "x-folio-aliases"
KIND_KEY = "x-folio-kind"
ESSENTIAL_KEY = "x-folio-essential"
# Kinds a user may ask for explicitly; the rest follow from the JSON type.
_EXPLICIT_KINDS = {
    "money": FieldKind.MONEY,
    "address": FieldKind.ADDRESS,
    "currency": FieldKind.CURRENCY,
}
# A field name: a Python identifier not starting with '_' (pydantic makes those private
# attributes, and the field would vanish), at most the width of the fields table's column.
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
MAX_NAME_CHARS = 100
# Names the generated model class already has (``json``, ``model_config``, ``copy``...):
# pydantic refuses them as fields, or silently drops them.
_RESERVED_NAMES = frozenset(name for name in dir(BaseModel) if not name.startswith("__"))
# Annotation keywords that say nothing about the value's shape; safe to ignore.
_ANNOTATIONS = frozenset(
    {
        "title",
        "description",
        "default",
        "examples",
        "$comment",
        ALIASES_KEY,
        KIND_KEY,
        "aliases",
        "kind",
    }
)
_MAX_DEPTH = 16
# Limits on what a registered schema may be: beyond them it is refused with a reason, so a
# hostile or runaway schema never reaches the model builder, the database or the prompt.
MAX_FIELDS = 300  # properties, table columns included: each is a column of the prompt
MAX_JSON_DEPTH = 32  # nesting of the JSON document itself
MAX_JSON_NODES = 20_000  # objects, arrays and values in the document
MAX_REF_HOPS = 32  # $ref followed one after another
MAX_STRING_CHARS = 10_000  # any single string (descriptions, aliases, patterns)
MAX_PATTERN_CHARS = 1_000
# JSON numbers every consumer reads exactly (IEEE doubles hold integers up to 2**53).
MAX_NUMBER = 2**53
MAX_LENGTH_BOUND = 1_000_000  # minLength, maxLength, minItems, maxItems
# Regular-expression syntax Python, pydantic (Rust regex) and vLLM's xgrammar do not all
# read the same way, or that a grammar cannot express: look-around, back-references, named
# groups, inline flags, atomic groups, possessive quantifiers, \A \Z \z \G anchors.
_NON_PORTABLE_REGEX = (
    (re.compile(r"\(\?<?[=!]"), "look-ahead or look-behind"),
    (re.compile(r"\\[1-9]|\\k<"), "back-references"),
    (re.compile(r"\(\?P?<[A-Za-z_]|\(\?P[=>]"), "named groups"),
    (re.compile(r"\(\?[a-zA-Z-]+[:)]"), "inline flags"),
    (re.compile(r"\(\?>"), "atomic groups"),
    (re.compile(r"[*+?}]\+"), "possessive quantifiers"),
    (re.compile(r"\\[AZzG]"), "the anchors \\A, \\Z, \\z and \\G (use ^ and $)"),
)
# JSON Schema constraint -> pydantic Field argument, per JSON type.
_NUMERIC = {
    "minimum": "ge",
    "maximum": "le",
    "exclusiveMinimum": "gt",
    "exclusiveMaximum": "lt",
    "multipleOf": "multiple_of",
}
_CONSTRAINTS: dict[str, dict[str, str]] = {
    "string": {"pattern": "pattern", "minLength": "min_length", "maxLength": "max_length"},
    "number": _NUMERIC,
    "integer": _NUMERIC,
    "array": {"minItems": "min_length", "maxItems": "max_length"},
}
# Kept in the JSON Schema as written (pydantic has no argument for them); the registration
# check tells the user whether the llama engine could enforce them.
_PASSED_THROUGH: dict[str, tuple[str, ...]] = {
    "array": ("uniqueItems", "contains", "minContains", "maxContains"),
}


def schema_from_json_schema(
    name: str, version: str | int, json_schema: dict[str, Any], description: str = ""
) -> ExtractionSchema:
    """An ExtractionSchema whose model is built from ``json_schema`` (see the module docstring).

    Every field is optional (None when the page does not show it; tables default to empty).
    Raises ConfigurationError naming the property and the problem for anything unsupported.
    """
    if not isinstance(json_schema, dict):
        raise ConfigurationError(f"schema {name!r}: the JSON Schema must be an object")
    try:
        check_document_limits(json_schema)
    except ConfigurationError as exc:
        raise ConfigurationError(f"schema {name!r}: {exc.message}") from None
    defs = _definitions(name, json_schema)
    root, _ = _resolve(json_schema, defs, path="$", seen=())
    if root.get("type") != "object" or not isinstance(root.get("properties"), dict):
        raise ConfigurationError(f"schema {name!r}: the top level must be an object with 'properties'")
    if not root["properties"]:
        raise ConfigurationError(f"schema {name!r}: the schema has no properties")
    counter = _FieldCounter(name)
    try:
        model = _object_model(_model_name(name), root, defs, path="", table=False, seen=(), count=counter)
    except (PydanticUserError, SchemaError, TypeError, ValueError, RecursionError) as exc:
        # Backstop: every construct is checked above, but a case missed there must still
        # be a reason for the user, never a traceback (the error's first line names it).
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        raise ConfigurationError(f"schema {name!r}: the schema cannot be built ({first})") from None
    text = description or str(root.get("description") or json_schema.get("description") or "")
    essential = _essential(name, root)
    return ExtractionSchema(
        name=name, version=str(version), description=text, model=model, essential=essential
    )


def check_document_limits(document: Any) -> None:
    """Raise ConfigurationError when a JSON document is too deep, too large, or holds a
    number no JSON reader takes exactly (``1e400`` arrives as infinity, ``10**1000`` would
    overflow every consumer's number type). Walks without recursion, so depth is safe."""
    stack: list[tuple[Any, str, int]] = [(document, "$", 0)]
    nodes = 0
    while stack:
        node, where, depth = stack.pop()
        nodes += 1
        if nodes > MAX_JSON_NODES:
            raise ConfigurationError(f"the schema is too large (more than {MAX_JSON_NODES:,} JSON values)")
        if depth > MAX_JSON_DEPTH:
            raise ConfigurationError(
                f"the schema is nested more than {MAX_JSON_DEPTH} levels deep (at {where[:200]})"
            )
        if isinstance(node, dict):
            for key, value in node.items():
                if not isinstance(key, str):
                    raise ConfigurationError(f"{where[:200]}: keys must be strings")
                stack.append((value, f"{where}.{key[:40]}", depth + 1))
        elif isinstance(node, list):
            stack.extend((value, f"{where}[{i}]", depth + 1) for i, value in enumerate(node))
        elif isinstance(node, bool) or node is None:
            continue
        elif isinstance(node, float):
            if not math.isfinite(node) or abs(node) > MAX_NUMBER:
                raise ConfigurationError(
                    f"{where[:200]}: the number is too large (numbers must lie within "
                    f"±{MAX_NUMBER:,}; 1e400 reads as infinity)"
                )
        elif isinstance(node, int):
            if abs(node) > MAX_NUMBER:
                raise ConfigurationError(
                    f"{where[:200]}: the number is too large (numbers must lie within ±{MAX_NUMBER:,})"
                )
        elif isinstance(node, str):
            if len(node) > MAX_STRING_CHARS:
                raise ConfigurationError(
                    f"{where[:200]}: a string of {len(node):,} characters; the limit is {MAX_STRING_CHARS:,}"
                )
        else:
            raise ConfigurationError(f"{where[:200]}: {type(node).__name__} is not a JSON value")


def _definitions(name: str, json_schema: dict[str, Any]) -> dict[str, Any]:
    """``definitions`` and ``$defs`` merged; each must be an object of schema objects."""
    defs: dict[str, Any] = {}
    for key in ("definitions", "$defs"):
        found = json_schema.get(key, {})
        if not isinstance(found, dict) or not all(isinstance(v, dict) for v in found.values()):
            raise ConfigurationError(f"schema {name!r}: {key} must be an object of schemas")
        defs.update(found)
    return defs


class _FieldCounter:
    """Counts the fields (table columns included) as the model is built; refuses too many."""

    def __init__(self, schema_name: str) -> None:
        self.schema_name = schema_name
        self.fields = 0

    def add(self, count: int) -> None:
        self.fields += count
        if self.fields > MAX_FIELDS:
            raise ConfigurationError(
                f"schema {self.schema_name!r}: more than {MAX_FIELDS} fields (table columns "
                "included); split it into smaller schemas"
            )


def _check_name(prop: Any, where: str) -> None:
    if not isinstance(prop, str) or not _NAME.match(prop):
        raise ConfigurationError(
            f"property {where[:120]!r}: the name must be a Python identifier that does not start with '_'"
        )
    if len(prop) > MAX_NAME_CHARS:
        raise ConfigurationError(
            f"property {where[:120]!r}...: the name is {len(prop)} characters long; the limit is "
            f"{MAX_NAME_CHARS}"
        )
    if prop in _RESERVED_NAMES:
        raise ConfigurationError(
            f"property {where!r}: the name is reserved (the model class already has {prop!r}); rename it"
        )


def _check_pattern(pattern: Any, where: str) -> None:
    """A ``pattern`` must be a string of the regular-expression syntax every engine reads
    alike (Python, pydantic's Rust engine, vLLM's xgrammar) and must compile."""
    if not isinstance(pattern, str):
        raise ConfigurationError(f"property {where!r}: pattern must be a string")
    if len(pattern) > MAX_PATTERN_CHARS:
        raise ConfigurationError(
            f"property {where!r}: the pattern is {len(pattern):,} characters; "
            f"the limit is {MAX_PATTERN_CHARS:,}"
        )
    for construct, words in _NON_PORTABLE_REGEX:
        if construct.search(pattern):
            raise ConfigurationError(
                f"property {where!r}: the pattern uses {words}, which the extraction engines do "
                "not all support; rewrite it without"
            )
    try:
        re.compile(pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        raise ConfigurationError(f"property {where!r}: the pattern does not compile ({exc})") from None


def _check_bound(key: str, value: Any, where: str) -> None:
    """Value constraints must be numbers of the right kind and in range."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigurationError(f"property {where!r}: {key} must be a number")
    if key in ("minLength", "maxLength", "minItems", "maxItems"):
        if not isinstance(value, int) or not 0 <= value <= MAX_LENGTH_BOUND:
            raise ConfigurationError(
                f"property {where!r}: {key} must be a whole number from 0 to {MAX_LENGTH_BOUND:,}"
            )
    elif key == "multipleOf" and value <= 0:
        raise ConfigurationError(f"property {where!r}: multipleOf must be greater than 0")


def _essential(name: str, root: dict[str, Any]) -> tuple[str, ...]:
    """``x-folio-essential`` when given, else the JSON Schema's ``required`` properties."""
    declared = root.get(ESSENTIAL_KEY, root.get("required", []))
    if not isinstance(declared, list) or not all(isinstance(n, str) for n in declared):
        raise ConfigurationError(f"schema {name!r}: {ESSENTIAL_KEY} must be a list of property names")
    unknown = [n for n in declared if n not in root["properties"]]
    if unknown:
        listed = ", ".join(unknown[:10]) + (f" and {len(unknown) - 10} more" if len(unknown) > 10 else "")
        raise ConfigurationError(f"schema {name!r}: essential field(s) not in properties: {listed[:500]}")
    return tuple(dict.fromkeys(declared))


def schema_from_model(
    name: str, version: str | int, model_cls: type[BaseModel], description: str = ""
) -> ExtractionSchema:
    """An ExtractionSchema for a user's pydantic model, rebuilt through its JSON Schema.

    Rebuilding (rather than using the class as is) applies the same checks and the same
    all-optional rule as a JSON Schema file, and keeps user code out of the pipeline.
    """
    if not (isinstance(model_cls, type) and issubclass(model_cls, BaseModel)):
        raise ConfigurationError(f"schema {name!r}: {model_cls!r} is not a pydantic model")
    raw = model_cls.model_json_schema()
    return schema_from_json_schema(name, version, raw, description or (model_cls.__doc__ or "").strip())


def _model_name(name: str) -> str:
    parts = re.split(r"[^A-Za-z0-9]+", name)
    return "".join(p[:1].upper() + p[1:] for p in parts if p) or "Custom"


def _resolve(
    node: Any, defs: dict[str, Any], *, path: str, seen: tuple[str, ...]
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """``node`` with a ``$ref`` (or pydantic's one-branch ``allOf``/nullable ``anyOf``) followed,
    and the definitions followed to reach it (a cycle is one seen twice on the way down)."""
    if not isinstance(node, dict):
        raise ConfigurationError(f"property {path}: expected a JSON Schema object")
    if "$ref" in node:
        ref = str(node["$ref"])
        target = ref.rsplit("/", 1)[-1]
        if target in seen:
            raise ConfigurationError(f"property {path}: $ref cycle through {target[:100]!r}")
        if len(seen) >= MAX_REF_HOPS:
            raise ConfigurationError(f"property {path}: more than {MAX_REF_HOPS} $ref followed in a row")
        if target not in defs:
            raise ConfigurationError(f"property {path}: unknown $ref {ref[:200]!r}")
        merged = {**defs[target], **{k: v for k, v in node.items() if k != "$ref"}}
        return _resolve(merged, defs, path=path, seen=(*seen, target))
    if isinstance(node.get("allOf"), list) and len(node["allOf"]) == 1:
        rest = {k: v for k, v in node.items() if k != "allOf"}
        return _resolve({**node["allOf"][0], **rest}, defs, path=path, seen=seen)
    if isinstance(node.get("anyOf"), list):
        # ``X | None`` (pydantic's Optional) is accepted: every field is optional anyway.
        branches = [b for b in node["anyOf"] if b != {"type": "null"}]
        if len(branches) == 1:
            rest = {k: v for k, v in node.items() if k != "anyOf"}
            return _resolve({**branches[0], **rest}, defs, path=path, seen=seen)
        if _is_pydantic_decimal(branches):
            rest = {k: v for k, v in node.items() if k != "anyOf"}
            return {**rest, "type": "number", KIND_KEY: node.get(KIND_KEY, "money")}, seen
        raise ConfigurationError(f"property {path}: anyOf with several types is not supported")
    if isinstance(node.get("type"), list):
        types = [t for t in node["type"] if t != "null"]
        if len(types) != 1:
            raise ConfigurationError(f"property {path}: several types {node['type']} not supported")
        return {**node, "type": types[0]}, seen
    return node, seen


def _is_pydantic_decimal(branches: list[Any]) -> bool:
    """pydantic writes a Decimal as ``number | string`` (the string with a pattern)."""
    types = {b.get("type") for b in branches if isinstance(b, dict)}
    return len(branches) == 2 and types == {"number", "string"}


def _object_model(
    model_name: str,
    node: dict[str, Any],
    defs: dict[str, Any],
    *,
    path: str,
    table: bool,
    seen: tuple[str, ...],
    count: _FieldCounter,
) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    count.add(len(node["properties"]))
    for prop, raw in node["properties"].items():
        where = f"{path}.{prop}" if path else prop
        _check_name(prop, where)
        if len(where.split(".")) > _MAX_DEPTH:
            raise ConfigurationError(f"property {where!r}: nested too deeply")
        spec, followed = _resolve(raw, defs, path=where, seen=seen)
        fields[prop] = _field(
            spec,
            defs,
            row_model_name=f"{model_name}{_model_name(prop)}Row",
            where=where,
            table=table,
            seen=followed,
            count=count,
        )
    # Closed objects: the model (and the llama engine's schema) accept only these keys.
    config = ConfigDict(extra="forbid")
    doc = str(node.get("description") or "")
    model = create_model(model_name, __config__=config, __doc__=doc or None, **fields)
    return model


def _field(
    spec: dict[str, Any],
    defs: dict[str, Any],
    *,
    row_model_name: str,
    where: str,
    table: bool,
    seen: tuple[str, ...],
    count: _FieldCounter,
) -> tuple[Any, Any]:
    """The pydantic (annotation, Field) of one property; an array of objects is a table
    whose rows are a model named ``row_model_name``."""
    kind_name, extra = _field_extra(spec, where)
    type_ = spec.get("type")
    if type_ == "array":
        if table:
            raise ConfigurationError(f"property {where!r}: tables inside tables are not supported")
        items, followed = _resolve(spec.get("items"), defs, path=f"{where}[]", seen=seen)
        if items.get("type") != "object" or not isinstance(items.get("properties"), dict):
            raise ConfigurationError(f"property {where!r}: only arrays of objects (tables) are supported")
        if not items["properties"]:
            raise ConfigurationError(f"property {where!r}: a table row needs properties")
        row = _object_model(
            row_model_name,
            items,
            defs,
            path=where,
            table=True,
            seen=followed,
            count=count,
        )
        field = Field(
            default_factory=list,
            description=spec.get("description") or None,
            **_with_extra(_constraints(spec, where, "array"), extra),
        )
        return list[row], field  # type: ignore[valid-type]
    annotation = _scalar_annotation(spec, kind_name, where)
    field = Field(
        None,
        description=spec.get("description") or None,
        **_with_extra(_constraints(spec, where, str(type_)), extra),
    )
    return annotation | None, field


def _field_extra(spec: dict[str, Any], where: str) -> tuple[Any, dict[str, Any]]:
    """The property's Folio kind and what its Field carries beyond pydantic's own keywords
    (aliases; the address and currency kinds), after checking them and its description."""
    # A pydantic model written like the built-ins carries plain ``kind``/``aliases``.
    kind_name = spec.get(KIND_KEY, spec.get("kind"))
    if kind_name is not None and kind_name not in _EXPLICIT_KINDS:
        known = ", ".join(sorted(_EXPLICIT_KINDS))
        raise ConfigurationError(f"property {where!r}: {KIND_KEY} {kind_name!r}; use one of {known}")
    aliases = spec.get(ALIASES_KEY, spec.get("aliases", []))
    if not (isinstance(aliases, list) and all(isinstance(a, str) for a in aliases)):
        raise ConfigurationError(f"property {where!r}: {ALIASES_KEY} must be a list of strings")
    extra: dict[str, Any] = {}
    description = spec.get("description")
    if description is not None and not isinstance(description, str):
        raise ConfigurationError(f"property {where!r}: description must be a string")
    if aliases:
        extra["aliases"] = list(aliases)
    if kind_name in ("address", "currency"):
        extra["kind"] = kind_name
    return kind_name, extra


def _scalar_annotation(spec: dict[str, Any], kind_name: Any, where: str) -> Any:
    """The Python type of a property that is not a table."""
    type_ = spec.get("type")
    if type_ == "string":
        fmt = spec.get("format")
        if fmt not in (None, "date"):
            raise ConfigurationError(f"property {where!r}: string format {fmt!r} is not supported")
        if kind_name == "money":
            raise ConfigurationError(f"property {where!r}: money must be a number")
        return dt.date if fmt == "date" else str
    if type_ == "number":
        if kind_name == "money" and any(k in spec for k in _NUMERIC):
            # pydantic would put the bound on the number branch of its number-or-string
            # Decimal schema, and the model could then answer with an unbounded string.
            raise ConfigurationError(f"property {where!r}: bounds on money are not supported")
        return Money if kind_name == "money" else float
    if type_ == "integer":
        return int
    if type_ == "boolean":
        return bool
    if type_ == "object":
        raise ConfigurationError(
            f"property {where!r}: nested objects are not supported (only arrays of objects)"
        )
    raise ConfigurationError(f"property {where!r}: unsupported type {type_!r}")


def _with_extra(kwargs: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = {**extra, **kwargs.pop("json_schema_extra", {})}
    if merged:
        kwargs["json_schema_extra"] = merged
    return kwargs


def _constraints(spec: dict[str, Any], where: str, type_: str) -> dict[str, Any]:
    """pydantic Field arguments for the value constraints of ``spec``.

    Constraints are kept (not dropped), so both the model's validation and the JSON Schema
    sent to the llama engine carry them; the ones vLLM's xgrammar cannot enforce are then
    refused by the registration check, which names them. Unknown keywords are refused here.
    """
    allowed = _CONSTRAINTS.get(type_, {})
    kwargs: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    unknown = []
    for key, value in spec.items():
        if key in _ANNOTATIONS or key in ("type", "format", "items", "properties"):
            continue
        if key in allowed:
            if key == "pattern":
                _check_pattern(value, where)
            else:
                _check_bound(key, value, where)
            kwargs[allowed[key]] = value
        elif key in _PASSED_THROUGH.get(type_, ()):
            extra[key] = value
        else:
            unknown.append(key)
    if unknown:
        raise ConfigurationError(
            f"property {where!r}: keywords not supported for type {type_!r}: " + ", ".join(sorted(unknown))
        )
    if extra:
        kwargs["json_schema_extra"] = extra
    return kwargs
