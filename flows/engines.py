"""Choosing the engine for a run: ``local``, ``llama`` or ``auto``."""

from __future__ import annotations

from core.errors import ConfigurationError
from core.logging import get_logger
from core.settings import Settings
from extractors.engines.base import Engine
from extractors.engines.local import LocalEngine
from extractors.llama import LlamaEngine, llama_server_healthy

log = get_logger("engines")


async def resolve_engine_name(settings: Settings, name: str | None = None) -> str:
    """``local`` or ``llama``: what ``auto`` (or the configured default) means right now.

    ``auto`` is ``llama`` when model servers are configured and at least one answers its
    health check, else ``local`` (logged, so a silent fallback is visible).
    """
    chosen = name or settings.engine
    if chosen in ("local", "llama"):
        return chosen
    if chosen != "auto":
        raise ConfigurationError(f"unknown engine {chosen!r}; choose auto, local or llama")
    if not settings.llm_base_urls:
        return "local"
    if await llama_server_healthy(settings):
        return "llama"
    log.warning(
        "engine auto: no model server in FOLIO_LLM_BASE_URLS answered its health check; "
        "using the local engine"
    )
    return "local"


async def open_engine(settings: Settings, name: str | None = None) -> Engine:
    """The engine named (or the configured default), ready to use; close it with ``aclose``."""
    resolved = await resolve_engine_name(settings, name)
    if resolved == "llama":
        if not settings.llm_base_urls:
            raise ConfigurationError(
                "the llama engine needs FOLIO_LLM_BASE_URLS (e.g. http://gpu-host:8000/v1)"
            )
        return LlamaEngine(settings)
    return LocalEngine(settings)
