"""The model catalog: which models Folio knows, their size and the licence they come under.

The catalog is data (``models/data/catalog.toml``, or the file ``FOLIO_CATALOG_FILE`` names);
:func:`load_catalog` reads it when called, never at import. Look-ups are by the exact model
name an engine reports. A name the catalog does not know (any OpenAI-compatible server can
serve anything) gets an entry with the ``unknown`` licence, which the policy treats as the
deployment's ``FOLIO_UNKNOWN_MODEL_LICENCE`` setting says.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from core.errors import ConfigurationError
from models.licences import UNKNOWN_LICENCE_ID, LicenceTerms, unknown_licence


class ModelEntry(BaseModel):
    """One model as the catalog describes it."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(description="Exact model name, as sent to (and reported by) the server.")
    display_name: str = ""
    engine: str = Field("llama", description="Engine that serves it: llama or local.")
    licence: str = Field(description="Licence id, a key of the catalog's licences.")
    multimodal: bool = Field(False, description="Takes images as well as text.")
    active_params_b: float | None = Field(None, description="Active parameters, billions.")
    total_params_b: float | None = Field(None, description="Total parameters, billions.")
    experts: int | None = Field(None, description="Mixture-of-experts: routed experts.")
    context_tokens: int | None = Field(None, description="Longest context, tokens.")
    quantization: str | None = Field(None, description="e.g. fp8, w4a16; None: BF16.")
    base_model: str | None = Field(None, description="The checkpoint this one was made from.")
    known: bool = Field(True, description="False for a name the catalog does not list.")


def catalog_names(name: str) -> tuple[str, ...]:
    """The names ``name`` is listed under, most specific first: itself, then the model it
    runs before any ``+`` (``rapidocr-ppocrv4+fieldmap-3`` is the OCR models
    ``rapidocr-ppocrv4`` with Folio's own rules, whose version changes no licence or price)."""
    base = name.split("+", 1)[0]
    return (name, base) if base and base != name else (name,)


class ModelCatalog(BaseModel):
    """Every model and licence the catalog lists, with its version."""

    model_config = ConfigDict(frozen=True)

    version: str
    models: dict[str, ModelEntry]
    licences: dict[str, LicenceTerms]

    def lookup(self, name: str | None) -> ModelEntry:
        """The entry for ``name``; an ``unknown``-licence entry for a name not listed."""
        for key in catalog_names(name) if name is not None else ():
            if key in self.models:
                entry = self.models[key]
                # Listed under the model it runs: the entry keeps the name asked for.
                return entry if key == name else entry.model_copy(update={"name": name})
        return ModelEntry(
            name=name or "(none)",
            display_name="model not in the catalog",
            licence=UNKNOWN_LICENCE_ID,
            # An unknown model may well take images: assume the stricter case.
            multimodal=True,
            known=False,
        )

    def licence_of(self, entry: ModelEntry) -> LicenceTerms:
        """The licence terms of ``entry`` (the ``unknown`` terms for an unlisted licence)."""
        return self.licences.get(entry.licence) or unknown_licence()


def parse_catalog(data: dict[str, Any]) -> ModelCatalog:
    """A catalog from the parsed TOML document (raises ConfigurationError when malformed)."""
    try:
        licences = {key: LicenceTerms(id=key, **value) for key, value in data.get("licences", {}).items()}
        models = {name: ModelEntry(name=name, **value) for name, value in data["models"].items()}
        catalog = ModelCatalog(version=str(data["version"]), models=models, licences=licences)
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigurationError(f"the model catalog is malformed: {exc}", code="catalog") from None
    missing = sorted({m.licence for m in models.values()} - set(licences))
    if missing:
        raise ConfigurationError(
            f"the model catalog names licences it does not define: {', '.join(missing)}",
            code="catalog",
        )
    return catalog


def load_catalog(path: Path | None = None) -> ModelCatalog:
    """The catalog in ``path``, or the one packaged with Folio (``models/data/catalog.toml``)."""
    return parse_catalog(read_data_toml(path, "catalog.toml", "model catalog"))


def read_data_toml(path: Path | None, packaged: str, what: str) -> dict[str, Any]:
    """Parse a TOML data file: ``path`` if given, else the packaged ``models/data/<packaged>``.

    Floats are read as ``Decimal`` so money in the files is exact. The only file access in
    ``models/``: the price list, the tiers and the catalog are data shipped with the code.
    """
    try:
        if path is not None:
            text = Path(path).read_text(encoding="utf-8")
        else:
            text = resources.files("models").joinpath("data", packaged).read_text(encoding="utf-8")
        return tomllib.loads(text, parse_float=Decimal)
    except FileNotFoundError:
        raise ConfigurationError(f"the {what} file {path} does not exist", code="data_file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"the {what} file is not valid TOML: {exc}", code="data_file") from None
