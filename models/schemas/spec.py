"""The shape of an extraction schema as the engines see it: fields, kinds, labels."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import types
import typing
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class FieldKind(StrEnum):
    """How a value is read and normalised."""

    TEXT = "text"
    ADDRESS = "address"  # multi-line text
    DATE = "date"  # ISO 8601
    MONEY = "money"  # decimal amount
    NUMBER = "number"
    INTEGER = "integer"
    CURRENCY = "currency"  # ISO 4217 code
    TABLE = "table"  # list of rows, each row a set of column fields


class FieldSpec(BaseModel):
    """One field of a schema with the labels a document uses for it."""

    model_config = ConfigDict(frozen=True)

    name: str
    kind: FieldKind
    description: str = ""
    aliases: tuple[str, ...] = Field(default=(), description="Labels that introduce the value.")
    required: bool = False
    columns: tuple[FieldSpec, ...] = Field(default=(), description="For tables: the columns.")


class ExtractionSchema(BaseModel):
    """A named, versioned extraction schema backed by a pydantic model."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    name: str
    version: str
    description: str
    model: type[BaseModel]
    free_form: bool = Field(False, description="True for 'generic': any labelled value becomes a field.")
    essential: tuple[str, ...] = Field(
        (),
        description="Fields without which the document is not usable: each must be present, "
        "confident and consistent for the document to end `done`.",
    )

    @property
    def fields(self) -> tuple[FieldSpec, ...]:
        return field_specs(self.model)

    def json_schema(self) -> dict[str, Any]:
        return self.model.model_json_schema()

    @property
    def schema_hash(self) -> str:
        """sha256 of the canonical JSON Schema: part of every extraction's fingerprint."""
        canonical = json.dumps(self.json_schema(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def validate_values(self, values: dict[str, Any]) -> BaseModel:
        """The values as the typed schema model (raises pydantic.ValidationError)."""
        return self.model.model_validate(values)


def _kind_of(annotation: Any, extra: dict[str, Any]) -> tuple[FieldKind, type[BaseModel] | None]:
    if "kind" in extra:
        return FieldKind(extra["kind"]), None
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *metadata = typing.get_args(annotation)
        for meta in metadata:
            meta_extra = getattr(meta, "json_schema_extra", None)
            if isinstance(meta_extra, dict) and "kind" in meta_extra:
                return FieldKind(str(meta_extra["kind"])), None
        return _kind_of(base, extra)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _kind_of(args[0], extra)
    if origin is list:
        (item,) = typing.get_args(annotation)
        if isinstance(item, type) and issubclass(item, BaseModel):
            return FieldKind.TABLE, item
        return FieldKind.TEXT, None
    if annotation is dt.date:
        return FieldKind.DATE, None
    if annotation is Decimal:
        return FieldKind.MONEY, None
    if annotation is float:
        return FieldKind.NUMBER, None
    if annotation is int:
        return FieldKind.INTEGER, None
    return FieldKind.TEXT, None


def field_specs(model: type[BaseModel]) -> tuple[FieldSpec, ...]:
    """Read the field specs off a pydantic model (kinds from types, labels from extras)."""
    specs = []
    for name, info in model.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        kind, row_model = _kind_of(info.annotation, extra)
        aliases = tuple(str(a) for a in extra.get("aliases", ()))  # type: ignore[union-attr]
        specs.append(
            FieldSpec(
                name=name,
                kind=kind,
                description=info.description or "",
                aliases=aliases,
                required=info.is_required(),
                columns=field_specs(row_model) if row_model is not None else (),
            )
        )
    return tuple(specs)
