"""What every settings section shares: the ``FOLIO_`` environment, the ``.env`` file, frozen values."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_FILE = ".env"


class Section(BaseSettings):
    """One subsystem's settings; each field reads ``<env_prefix><NAME>`` from the environment or ``.env``.

    ``extra="ignore"``: the ``.env`` file holds every section's variables, each section takes its own.
    """

    model_config = SettingsConfigDict(env_prefix="FOLIO_", env_file=ENV_FILE, extra="ignore", frozen=True)

    @classmethod
    def variables(cls) -> dict[str, str]:
        """Environment variable of each field by field name: ``base_urls`` → ``FOLIO_LLM_BASE_URLS``."""
        prefix = cls.model_config.get("env_prefix", "")
        return {name: f"{prefix}{name}".upper() for name in cls.model_fields}
