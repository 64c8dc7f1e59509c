"""Checks a command makes before any start-up cost, so a request that cannot work fails in a
second with what to do, not after half a minute with a traceback."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from core.errors import ConfigurationError
from core.settings import Settings

# How long one model server may take to accept a TCP connection.
CONNECT_TIMEOUT_S = 2.0


def planned_engine_name(settings: Settings, engine: str | None) -> str:
    """``local`` or ``llama``: what the run will use (``auto``: llama when servers are set)."""
    chosen = engine or settings.extraction.engine
    if chosen == "auto":
        return "llama" if settings.llm.base_urls else "local"
    return chosen


def check_model_server(settings: Settings, engine: str | None) -> None:
    """When the ``llama`` engine is asked for by name, at least one model server must accept
    a connection; ConfigurationError otherwise. (``auto`` waits for a loading server per
    document instead: ``flows.readiness``.)"""
    if (engine or settings.extraction.engine) != "llama":
        return
    urls = settings.llm.base_urls
    if not urls:
        raise ConfigurationError(
            "the llama engine needs a model server: set FOLIO_LLM_BASE_URLS "
            "(e.g. http://gpu-host:8000/v1), or use --engine local"
        )
    problems = []
    for url in urls:
        problem = _connect_problem(url)
        if problem is None:
            return
        problems.append(f"{url} ({problem})")
    raise ConfigurationError(
        f"no model server answers at {', '.join(problems)}; start vLLM there, correct "
        "FOLIO_LLM_BASE_URLS, or use --engine local"
    )


def _connect_problem(url: str) -> str | None:
    """None when ``url``'s host accepts a TCP connection, else why not."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "localhost", port), timeout=CONNECT_TIMEOUT_S):
            return None
    except TimeoutError:
        return f"no answer in {CONNECT_TIMEOUT_S:.0f} s"
    except OSError as exc:
        return exc.strerror or type(exc).__name__
