"""Choosing the engine for a run: ``local``, ``llama`` or ``auto``."""

from __future__ import annotations

from core.errors import ConfigurationError
from core.settings import Settings
from extractors.engines.base import Engine
from extractors.engines.local import LocalEngine


async def open_engine(settings: Settings, name: str | None = None) -> Engine:
    """The engine named (or the configured default), ready to use; close it with ``aclose``.

    ``auto`` is ``llama`` when a model server is configured and answers its health check,
    else ``local``. The ``llama`` engine is not part of this build yet, so ``auto`` resolves
    to ``local`` and an explicit ``llama`` is a configuration error that says so.
    """
    chosen = name or settings.engine
    if chosen == "local" or (chosen == "auto" and not settings.llm_base_urls):
        return LocalEngine(settings)
    if chosen == "auto":
        # A server is configured but no client for it exists in this build: say so rather
        # than silently running a different engine than the operator asked for.
        raise ConfigurationError(
            "FOLIO_LLM_BASE_URLS is set but this build has no llama engine yet; "
            "unset it or use --engine local"
        )
    if chosen == "llama":
        raise ConfigurationError(
            "the llama engine is not available in this build; use --engine local"
        )
    raise ConfigurationError(f"unknown engine {chosen!r}; choose auto, local or llama")
