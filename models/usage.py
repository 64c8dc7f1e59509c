"""What one engine call used: the data behind a usage-ledger row."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field


class EngineCall(BaseModel):
    """One call to an engine (one attempt), successful or not. Retries are separate calls."""

    engine: str = Field(description="Engine name: local, llama.")
    model: str | None = Field(None, description="Model that answered (None for rule-based steps).")
    page_numbers: list[int] = Field(default_factory=list)
    attempt: int = Field(1, ge=1)
    estimated_prompt_tokens: int = Field(0, ge=0)
    estimated_image_tokens: int = Field(0, ge=0)
    prompt_tokens: int | None = Field(None, ge=0, description="As reported by the server.")
    completion_tokens: int | None = Field(None, ge=0)
    image_tokens: int | None = Field(None, ge=0)
    latency_ms: float = Field(0.0, ge=0)
    first_token_ms: float | None = Field(
        None, ge=0, description="Time to the first generated token, ms (streamed calls)."
    )
    tokens_per_s: float | None = Field(
        None, ge=0, description="Decode rate after the first token, tokens/s (streamed calls)."
    )
    finish_reason: str | None = None
    http_status: int | None = None
    cost_usd: Decimal = Field(Decimal("0"), ge=0)
    price_version: str | None = None
    error_code: str | None = None
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.error_code is None
