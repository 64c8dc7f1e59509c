"""The ``llama`` engine: Llama 4 served by vLLM's OpenAI-compatible API.

``LlamaEngine(settings)`` is a drop-in ``Engine`` (``ready()`` says whether a server answers
now); ``llama_server_healthy(settings)`` says whether a configured server answers its health
check, without an engine. See docs/llama.md for what a real vLLM does and how it is handled.
"""

from extractors.llama.engine import LlamaEngine, llama_server_healthy
from extractors.llama.requests import PROMPT_TEMPLATE_VERSION

__all__ = ["PROMPT_TEMPLATE_VERSION", "LlamaEngine", "llama_server_healthy"]
