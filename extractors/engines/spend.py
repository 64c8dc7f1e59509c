"""A document's spending ceiling: how many completion tokens and dollars its model calls may
use, so that a misbehaving server (an answer that runs to its token limit, again and again)
costs a bounded amount and then a person's look, never an open-ended bill.

The pipeline sets the ceiling once per document from its quote (``spend_ceiling``); every
engine call made inside, in any task started there, sees it through a context variable, as
with ``call_context``. Engines decide which calls are follow-ups (a retry with a bigger
budget, a split into smaller requests, a repair turn): each page group's first request is
always sent (the quote admitted the document), a follow-up only when its worst case (its
prompt estimate and its whole completion budget) still fits under the ceiling beside what
was spent and what other follow-ups in flight may spend. Without a ceiling (calls outside
a document) nothing is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal

# Dollars of a call of (prompt tokens, completion tokens); None: the model is unpriced.
Pricer = Callable[[int, int], Decimal]

COST_OVERRUN = "cost_overrun"


@dataclass(frozen=True)
class Reservation:
    """What one follow-up call may spend at most (released when it is settled)."""

    completion_tokens: int
    usd: Decimal


@dataclass
class SpendCeiling:
    """The most one document may spend, and what it has spent and reserved so far."""

    completion_tokens: int
    usd: Decimal | None  # None: unpriced model, only tokens are bounded
    price: Pricer | None = None
    spent_completion_tokens: int = 0
    spent_usd: Decimal = Decimal(0)
    _reserved_tokens: int = field(default=0, repr=False)
    _reserved_usd: Decimal = field(default=Decimal(0), repr=False)

    def cost(self, prompt_tokens: int, completion_tokens: int) -> Decimal:
        """Dollars of a call of that many tokens (0 for an unpriced model)."""
        return self.price(prompt_tokens, completion_tokens) if self.price else Decimal(0)

    def reserve(self, prompt_tokens: int, completion_tokens: int) -> Reservation | None:
        """Room for a follow-up call of at most these tokens; None when it would pass the
        ceiling (the caller stops and reports ``cost_overrun``)."""
        usd = self.cost(prompt_tokens, completion_tokens)
        tokens_after = self.spent_completion_tokens + self._reserved_tokens + completion_tokens
        if tokens_after > self.completion_tokens:
            return None
        if self.usd is not None and self.spent_usd + self._reserved_usd + usd > self.usd:
            return None
        self._reserved_tokens += completion_tokens
        self._reserved_usd += usd
        return Reservation(completion_tokens, usd)

    def settle(self, reservation: Reservation | None, *, prompt_tokens: int, completion_tokens: int) -> None:
        """Count what a call spent and release its reservation (None for first requests)."""
        if reservation is not None:
            self._reserved_tokens -= reservation.completion_tokens
            self._reserved_usd -= reservation.usd
        self.spent_completion_tokens += completion_tokens
        self.spent_usd += self.cost(prompt_tokens, completion_tokens)

    def describe(self) -> str:
        """Spent and allowed, for a reason a person reads."""
        dollars = f"${self.spent_usd:.4f} of ${self.usd:.4f}, " if self.usd is not None else ""
        return (
            f"{dollars}{self.spent_completion_tokens:,} of {self.completion_tokens:,} completion "
            "tokens spent (FOLIO_LLM_SPEND_CEILING_FACTOR x the quote)"
        )


_current: ContextVar[SpendCeiling | None] = ContextVar("folio_spend_ceiling", default=None)


def current_spend_ceiling() -> SpendCeiling | None:
    """The ceiling of the document being processed here, or None outside one."""
    return _current.get()


@contextmanager
def spend_ceiling(ceiling: SpendCeiling | None) -> Iterator[SpendCeiling | None]:
    """Make ``ceiling`` the current document's for the code inside (and its tasks)."""
    token = _current.set(ceiling)
    try:
        yield ceiling
    finally:
        _current.reset(token)
