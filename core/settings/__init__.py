"""Folio's one ``Settings`` object, built once and passed in: one section per subsystem.

Every field keeps the environment variable it always had: ``settings.llm.base_urls`` reads
``FOLIO_LLM_BASE_URLS``, ``settings.api.max_upload_bytes`` reads ``FOLIO_MAX_UPLOAD_BYTES``
(each section's ``env_prefix`` plus the field name; ``Section.variables()`` lists them). Values
come from the environment, then the ``.env`` file, then the defaults.

Tests and tools change a few values with a mapping per section, over the environment's::

    Settings(_env_file=None, storage={"data_dir": tmp}, extraction={"engine": "local"})
    settings.replace(llm={"stream": False})
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic_settings.sources import DotenvType

from core.settings.http import ApiSettings, CallbackSettings
from core.settings.llm import LlmSettings
from core.settings.section import ENV_FILE, Section
from core.settings.sections import (
    BatchSettings,
    EngineName,
    ExtractionSettings,
    IntakeSettings,
    LicenceSettings,
    LoggingSettings,
    PageSettings,
    PricingSettings,
    QueueSettings,
    StorageSettings,
    TenancySettings,
)

__all__ = [
    "ApiSettings",
    "BatchSettings",
    "CallbackSettings",
    "EngineName",
    "ExtractionSettings",
    "IntakeSettings",
    "LicenceSettings",
    "LlmSettings",
    "LoggingSettings",
    "PageSettings",
    "PricingSettings",
    "QueueSettings",
    "Section",
    "Settings",
    "StorageSettings",
    "TenancySettings",
]


def _section_class(name: str) -> type[Section]:
    annotation = Settings.model_fields[name].annotation
    assert isinstance(annotation, type) and issubclass(annotation, Section)
    return annotation


def _checked(name: str, values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(_section_class(name).model_fields)
    if unknown:
        raise ValueError(f"settings section {name!r} has no field {', '.join(sorted(unknown))}")
    return dict(values)


class Settings(BaseModel):
    """Every knob of Folio, one section per subsystem; each field reads ``FOLIO_…`` from the
    environment or ``.env``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    storage: StorageSettings
    intake: IntakeSettings
    pages: PageSettings
    extraction: ExtractionSettings
    llm: LlmSettings
    tenancy: TenancySettings
    licence: LicenceSettings
    pricing: PricingSettings
    queue: QueueSettings
    api: ApiSettings
    callbacks: CallbackSettings
    batch: BatchSettings
    logging: LoggingSettings

    def __init__(
        self, _env_file: DotenvType | None = ENV_FILE, **sections: Section | Mapping[str, Any]
    ) -> None:
        """Each section not given reads the environment and ``_env_file`` (``None``: no file); one
        given as a mapping is those values over what the environment says."""
        built: dict[str, Section] = {}
        for name in type(self).model_fields:
            given = sections.pop(name, None)
            if isinstance(given, Section):
                built[name] = given
            else:
                built[name] = _section_class(name)(_env_file=_env_file, **_checked(name, given or {}))
        if sections:
            raise ValueError(f"Settings has no section {', '.join(sorted(sections))}")
        super().__init__(**built)

    def replace(self, **sections: Mapping[str, Any]) -> Settings:
        """A copy with some fields of some sections changed, validated like the environment's
        values (bounds included): ``settings.replace(storage={"database_url": url})``."""
        changed: dict[str, Section] = {}
        for name, values in sections.items():
            if name not in type(self).model_fields:
                raise ValueError(f"Settings has no section {name!r}")
            current: Section = getattr(self, name)
            changed[name] = type(current).model_validate({**current.model_dump(), **_checked(name, values)})
        return self.model_copy(update=changed)

    @classmethod
    def variables(cls) -> dict[str, tuple[str, str]]:
        """Every environment variable: ``FOLIO_NAME`` → (``section.field``, description)."""
        found: dict[str, tuple[str, str]] = {}
        for name in cls.model_fields:
            section = _section_class(name)
            for field, variable in section.variables().items():
                found[variable] = (f"{name}.{field}", section.model_fields[field].description or "")
        return found
