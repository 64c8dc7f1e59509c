"""Extraction schemas by name: the built-ins, then users' registered (custom) schemas.

``resolve_schema`` is what every flow calls where a ``--schema`` name arrives; built-in
names always mean the built-in (a custom schema cannot shadow ``invoice``), so documents
and results keep their meaning. ``register_schema`` turns a JSON Schema file or a pydantic
model file into a new schema version after checking that both engines can work with it.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from core.errors import ConfigurationError
from models.schemas import BUILTIN_SCHEMAS, ExtractionSchema
from models.schemas.custom import schema_from_json_schema
from storage import repository as repo

_SCHEMA_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,99}$")
# A schema file larger than this is refused before it is parsed (schemas are small).
MAX_SCHEMA_FILE_BYTES = 1 << 20


def resolve_schema(session: Session, name: str) -> ExtractionSchema:
    """The schema called ``name``: a built-in, else the latest custom version.

    Unknown names raise a ConfigurationError listing every built-in and custom name.
    """
    if name in BUILTIN_SCHEMAS:
        return BUILTIN_SCHEMAS[name]
    row = repo.latest_schema(session, name)
    if row is None:
        builtin = ", ".join(sorted(BUILTIN_SCHEMAS))
        custom = ", ".join(r.name for r in repo.list_schemas(session)) or "none"
        raise ConfigurationError(
            f"unknown schema {name!r}; built-in schemas: {builtin}; custom schemas: {custom} "
            "(register one with `folio schema add NAME FILE`)"
        )
    return schema_from_json_schema(row.name, row.version, row.json_schema, row.description)


def register_schema(
    session: Session, *, name: str, source: Path | str, description: str = ""
) -> tuple[ExtractionSchema, bool]:
    """Register ``source`` as the next version of custom schema ``name``.

    ``source`` is a ``.json`` JSON Schema file or ``path/to/module.py:ClassName`` naming a
    pydantic model. The schema is checked by building it and by converting it to what the
    llama engine would send vLLM; any problem is a ConfigurationError listing them. Returns
    the schema as now in force and whether a new version was created (same content as the
    latest version: no new version).
    """
    if name in BUILTIN_SCHEMAS:
        raise ConfigurationError(f"{name!r} is a built-in schema and cannot be replaced")
    if not _SCHEMA_NAME.match(name):
        raise ConfigurationError(
            f"schema name {name!r}: use lower-case letters, digits, '_' and '-' (start with a letter)"
        )
    raw, found_description = load_json_schema(source)
    text = description or found_description
    # Build with a placeholder version first: a schema that fails its checks gets no row.
    check_schema(schema_from_json_schema(name, 0, raw, text))
    row, created = repo.add_schema_version(session, name=name, json_schema=raw, description=text)
    return schema_from_json_schema(row.name, row.version, row.json_schema, row.description), created


def check_schema(schema: ExtractionSchema) -> None:
    """Raise ConfigurationError unless the llama engine can hold the model to ``schema``."""
    # Imported here: the llama package (httpx, the engine) is not needed to resolve names.
    from extractors.llama.json_schema import page_schema, xgrammar_violations

    sent = page_schema(schema)  # raises, listing violations, when conversion leaves any
    problems = xgrammar_violations(sent)
    if problems:
        raise ConfigurationError(
            f"schema {schema.name!r} uses JSON Schema features vLLM's xgrammar backend "
            "cannot enforce: " + "; ".join(problems)
        )


def load_json_schema(source: Path | str) -> tuple[dict[str, Any], str]:
    """The JSON Schema in ``source`` (a .json file or ``file.py:ClassName``) and its description."""
    text = str(source)
    if ":" in text and text.rsplit(":", 1)[0].endswith(".py"):
        file_part, class_name = text.rsplit(":", 1)
        model = _load_model(Path(file_part), class_name)
        doc = (model.__doc__ or "").strip()
        try:
            return model.model_json_schema(), doc
        except Exception as exc:  # noqa: BLE001 (the user's model: any failure is a configuration problem)
            raise ConfigurationError(
                f"{file_part}: {class_name} has no usable JSON Schema ({type(exc).__name__})"
            ) from None
    path = Path(text)
    if path.suffix.lower() != ".json":
        raise ConfigurationError(f"{text}: give a .json JSON Schema file or path/to/module.py:ClassName")
    try:
        if path.stat().st_size > MAX_SCHEMA_FILE_BYTES:
            raise ConfigurationError(
                f"{path}: the schema file is larger than {MAX_SCHEMA_FILE_BYTES:,} bytes"
            )
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot read the schema file ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise ConfigurationError(f"{path}: not valid JSON ({exc})") from None
    except UnicodeDecodeError:
        raise ConfigurationError(f"{path}: not UTF-8 text") from None
    except RecursionError:  # the JSON parser recurses per nesting level
        raise ConfigurationError(f"{path}: the JSON is nested too deeply") from None
    except ValueError:  # Python refuses integers of more than 4,300 digits
        raise ConfigurationError(f"{path}: a number in it is too large to read") from None
    if not isinstance(raw, dict):
        raise ConfigurationError(f"{path}: the JSON Schema must be an object")
    return raw, str(raw.get("description") or "")


def _load_model(path: Path, class_name: str) -> type[BaseModel]:
    if not path.is_file():
        raise ConfigurationError(f"{path}: no such file")
    # A private module name: the user's file must not replace one of ours in sys.modules.
    module_name = f"_folio_custom_schema_{abs(hash(path.resolve()))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ConfigurationError(f"{path}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # pydantic resolves forward references through it
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001 (the user's code: any failure is a configuration problem)
        raise ConfigurationError(f"{path}: importing it failed: {exc!r}") from None
    finally:
        sys.modules.pop(module_name, None)
    model = getattr(module, class_name, None)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise ConfigurationError(f"{path}: {class_name!r} is not a pydantic model class in it")
    return model


__all__ = ["check_schema", "load_json_schema", "register_schema", "resolve_schema"]
