"""Choosing the engine for a run: ``local``, ``llama`` or ``auto``."""

from __future__ import annotations

from core.errors import ConfigurationError
from core.logging import get_logger
from core.settings import Settings
from extractors.engines.base import Engine
from extractors.engines.local import LocalEngine
from extractors.memory_budget import MemoryBudget

log = get_logger("engines")


async def resolve_engine_name(settings: Settings, name: str | None = None) -> str:
    """``local`` or ``llama``: what ``auto`` (or the configured default) means.

    ``auto`` is ``llama`` whenever model servers are configured, ready or not: a server that
    is still loading its weights is waited for per document (``flows.readiness``), so a
    fresh deployment never quietly answers with the weaker engine. Only a tier that chose
    ``model_unavailable = "fallback"`` goes to the local engine meanwhile, recorded on the
    document. Without servers ``auto`` is ``local``.
    """
    chosen = name or settings.extraction.engine
    if chosen in ("local", "llama"):
        return chosen
    if chosen != "auto":
        raise ConfigurationError(f"unknown engine {chosen!r}; choose auto, local or llama")
    return "llama" if settings.llm.base_urls else "local"


async def open_engine(
    settings: Settings, name: str | None = None, *, memory: MemoryBudget | None = None
) -> Engine:
    """The engine named (or the configured default), ready to use; close it with ``aclose``.
    ``memory``: the render pool's budget, which the local engine's OCR shares."""
    resolved = await resolve_engine_name(settings, name)
    if resolved == "llama":
        if not settings.llm.base_urls:
            raise ConfigurationError(
                "the llama engine needs FOLIO_LLM_BASE_URLS (e.g. http://gpu-host:8000/v1)"
            )
        # Imported here: its HTTP client and image tiling (numpy, Pillow) cost a local run
        # half a second of a cold start for nothing.
        from extractors.llama import LlamaEngine

        return LlamaEngine(settings)
    return LocalEngine(settings, memory=memory)
