"""Licence tiers as data: which models a tenant may use, how much, and in what order.

The tiers are ``models/data/tiers.toml`` (or the file ``FOLIO_TIERS_FILE`` names), read by
:func:`load_tiers` when called.
"""

from __future__ import annotations

from decimal import Decimal
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.errors import ConfigurationError
from models.catalog import read_data_toml

UNLIMITED = "unlimited"


class UnknownTierError(ConfigurationError):
    """A tier name the tier file does not define; the message lists the ones it does."""

    code = "unknown_tier"


class LicenceTier(BaseModel):
    """One tier's entitlements. ``None`` limits are unlimited."""

    model_config = ConfigDict(frozen=True)

    name: str
    description: str = ""
    allowed_models: tuple[str, ...] = Field(description="Model names or fnmatch globs.")
    max_pages_per_document: int | None = Field(None, ge=1)
    pages_per_month: int | None = Field(None, ge=0)
    usd_per_month: Decimal | None = Field(None, ge=0)
    priority: int = 0
    attribution_required: bool = True
    fallback_engine: str | None = Field(
        None, description="Engine to route to when the model is refused; None blocks."
    )
    model_unavailable: Literal["wait", "fallback"] = Field(
        "wait",
        description="When no model server is ready (still loading, or down): 'wait' keeps the "
        "document queued (up to FOLIO_LLM_STARTUP_WAIT_S); 'fallback' sends it to "
        "fallback_engine at once, recorded on the document.",
    )

    def allows_model(self, model: str) -> bool:
        """True when ``model`` matches one of the tier's names or globs."""
        return any(fnmatchcase(model, pattern) for pattern in self.allowed_models)


class TierTable(BaseModel):
    """Every tier, by name, with the file's version."""

    model_config = ConfigDict(frozen=True)

    version: str
    tiers: dict[str, LicenceTier]

    def get(self, name: str) -> LicenceTier:
        """The tier called ``name``; ``UnknownTierError`` listing the tiers otherwise."""
        tier = self.tiers.get(name)
        if tier is None:
            raise UnknownTierError(f"unknown licence tier {name!r}; the tiers are: {', '.join(self.tiers)}")
        return tier


def _limit(value: Any) -> Any:
    return None if value is None or value == UNLIMITED else value


def parse_tiers(data: dict[str, Any]) -> TierTable:
    """Tiers from the parsed TOML document (ConfigurationError when malformed)."""
    try:
        tiers = {}
        for name, entry in data["tiers"].items():
            values = dict(entry)
            for key in ("max_pages_per_document", "pages_per_month", "usd_per_month"):
                values[key] = _limit(values.get(key))
            if values.get("usd_per_month") is not None:
                values["usd_per_month"] = Decimal(str(values["usd_per_month"]))
            values["fallback_engine"] = values.get("fallback_engine") or None
            tier = LicenceTier(name=name, **values)
            if tier.model_unavailable == "fallback" and tier.fallback_engine is None:
                raise ValueError(f"tier {name}: model_unavailable = 'fallback' needs a fallback_engine")
            tiers[name] = tier
        if not tiers:
            raise ValueError("no tiers defined")
        return TierTable(version=str(data["version"]), tiers=tiers)
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigurationError(f"the tier file is malformed: {exc}", code="tiers") from None


def load_tiers(path: Path | None = None) -> TierTable:
    """The tiers in ``path``, or the ones packaged with Folio (``models/data/tiers.toml``)."""
    return parse_tiers(read_data_toml(path, "tiers.toml", "licence tier"))
