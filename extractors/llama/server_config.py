"""What a vLLM replica says about its own configuration, where it says it.

vLLM's current engine accepts a request's ``priority`` on the default ``fcfs`` policy and
ignores it (the 400 "Priority scheduling is not enabled" was the old engine's), so a
request cannot tell whether priorities are honoured. The server's configuration can:
``GET /server_info?config_format=json`` returns ``vllm_config`` with
``scheduler_config.policy`` and ``structured_outputs_config``. vLLM serves that endpoint
only with ``VLLM_SERVER_DEV_MODE=1`` (with its other development endpoints); without it
the answer is a 404 and the operator's setting (``FOLIO_LLM_SCHEDULING_POLICY``) is all
there is. ``/metrics`` exposes no scheduler setting (only ``vllm:cache_config_info``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class ServerConfig:
    """What ``/server_info`` said; None where it said nothing (or was not asked)."""

    reachable: bool  # False: no /server_info (404, not JSON, no answer)
    scheduling_policy: str | None = None
    disable_any_whitespace: bool | None = None
    structured_outputs_backend: str | None = None


def server_info_url(base_url: str) -> str:
    """``/server_info`` is at the server root, next to ``/v1``."""
    return str(httpx.URL(base_url.rstrip("/") + "/").join("../server_info"))


async def read_server_config(http: httpx.AsyncClient, base_url: str, *, timeout_s: float) -> ServerConfig:
    """Ask a replica for its configuration; ``reachable`` is False when it does not say."""
    try:
        response = await http.get(
            server_info_url(base_url), params={"config_format": "json"}, timeout=httpx.Timeout(timeout_s)
        )
    except httpx.HTTPError:
        return ServerConfig(reachable=False)
    if response.status_code != 200:
        return ServerConfig(reachable=False)
    try:
        body = response.json()
    except ValueError:
        return ServerConfig(reachable=False)
    config = body.get("vllm_config") if isinstance(body, dict) else None
    if not isinstance(config, dict):  # the text format, or another server's /server_info
        return ServerConfig(reachable=False)
    scheduler = _section(config, "scheduler_config")
    outputs = _section(config, "structured_outputs_config")
    policy = scheduler.get("policy")
    whitespace = outputs.get("disable_any_whitespace")
    backend = outputs.get("backend")
    return ServerConfig(
        reachable=True,
        scheduling_policy=policy if isinstance(policy, str) else None,
        disable_any_whitespace=whitespace if isinstance(whitespace, bool) else None,
        structured_outputs_backend=backend if isinstance(backend, str) else None,
    )


def _section(config: dict[str, Any], name: str) -> dict[str, Any]:
    value = config.get(name)
    return value if isinstance(value, dict) else {}
