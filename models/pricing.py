"""Prices as versioned data: what an engine call costs, and the hosted-API equivalent.

The price list is ``models/data/prices.toml`` (or the file ``FOLIO_PRICES_FILE`` names),
with per-model overrides from ``FOLIO_PRICE_OVERRIDES``. Self-hosted prices are derived here
from the fleet inputs kept in the file (GPU $/hour, GPUs per replica, tokens/second,
utilisation); :meth:`ModelPrice.derivation` shows the arithmetic.

Money is ``Decimal`` throughout: prices per million tokens are rounded to 1e-6 $, the cost
of one call to 1e-8 $ (half up), and a document's cost is the exact sum of its calls.

What a call is billed for (self-hosted GPUs cost money whether or not the answer was good):
- input tokens = the ``prompt_tokens`` the server reported (vLLM counts image tokens in the
  prompt; image tokens are input tokens); if it reported none but did report
  ``image_tokens``, those;
- output tokens = the ``completion_tokens`` it reported;
- a failed attempt that reported usage is billed like any other; one that reported nothing
  (refused connection, timeout) costs 0 — its ledger row still exists;
- Folio's own estimates are never billed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.errors import ConfigurationError
from models.catalog import catalog_names, read_data_toml
from models.usage import EngineCall

MONEY_QUANTUM = Decimal("0.00000001")  # 1e-8 $: the ledger's precision (Numeric(18, 8))
PRICE_QUANTUM = Decimal("0.000001")  # 1e-6 $ per million tokens
MILLION = Decimal(1_000_000)
SECONDS_PER_HOUR = Decimal(3600)


def quantize_usd(amount: Decimal) -> Decimal:
    """``amount`` rounded half up to 1e-8 dollars, the precision of every stored cost."""
    return amount.quantize(MONEY_QUANTUM, rounding=ROUND_HALF_UP)


class FleetInputs(BaseModel):
    """What one self-hosted replica of a model costs and does; the price is derived from it."""

    model_config = ConfigDict(frozen=True)

    gpu: str
    gpu_hour_usd: Decimal = Field(ge=0)
    gpus_per_replica: int = Field(ge=1)
    prefill_tokens_per_second: Decimal = Field(gt=0)
    decode_tokens_per_second: Decimal = Field(gt=0)
    utilisation: Decimal = Field(gt=0, le=1)
    throughput_source: str = ""

    @property
    def replica_hour_usd(self) -> Decimal:
        """$ per hour of one replica: GPU $/hour times GPUs per replica."""
        return self.gpu_hour_usd * self.gpus_per_replica

    def usd_per_million(self, tokens_per_second: Decimal) -> Decimal:
        """$ per million tokens at ``tokens_per_second``, rounded to 1e-6 $."""
        tokens_per_hour = tokens_per_second * SECONDS_PER_HOUR * self.utilisation
        return (self.replica_hour_usd / tokens_per_hour * MILLION).quantize(
            PRICE_QUANTUM, rounding=ROUND_HALF_UP
        )


class HostedRange(BaseModel):
    """An indicative range of public hosted-API prices, $ per million tokens."""

    model_config = ConfigDict(frozen=True)

    low: Decimal = Field(ge=0)
    high: Decimal = Field(ge=0)


class ModelPrice(BaseModel):
    """The price of one model's tokens under one price-list version."""

    model_config = ConfigDict(frozen=True)

    model: str
    input_usd_per_million: Decimal = Field(ge=0)
    output_usd_per_million: Decimal = Field(ge=0)
    source: Literal["derived", "fixed", "override"]
    fleet: FleetInputs | None = None
    hosted_input: HostedRange | None = None
    hosted_output: HostedRange | None = None

    def cost(self, input_tokens: int, output_tokens: int) -> Decimal:
        """$ for these tokens, rounded half up to 1e-8."""
        raw = (
            Decimal(input_tokens) * self.input_usd_per_million
            + Decimal(output_tokens) * self.output_usd_per_million
        ) / MILLION
        return quantize_usd(raw)

    def hosted_cost(self, input_tokens: int, output_tokens: int) -> HostedRange | None:
        """What the same tokens would cost on a hosted API (indicative low..high), if known."""
        if self.hosted_input is None or self.hosted_output is None:
            return None
        return HostedRange(
            low=quantize_usd(
                (input_tokens * self.hosted_input.low + output_tokens * self.hosted_output.low) / MILLION
            ),
            high=quantize_usd(
                (input_tokens * self.hosted_input.high + output_tokens * self.hosted_output.high) / MILLION
            ),
        )

    def derivation(self) -> str:
        """How the price was arrived at, in words and numbers (for the README and reports)."""
        if self.fleet is None:
            return (
                f"{self.model}: {self.source} price ${self.input_usd_per_million}/M input, "
                f"${self.output_usd_per_million}/M output"
            )
        f = self.fleet
        return (
            f"{self.model}: {f.gpus_per_replica} x {f.gpu} at ${f.gpu_hour_usd}/h = "
            f"${f.replica_hour_usd}/h a replica; at {f.utilisation:.0%} utilisation, "
            f"{f.prefill_tokens_per_second} prefill tok/s -> ${self.input_usd_per_million}/M "
            f"input, {f.decode_tokens_per_second} decode tok/s -> "
            f"${self.output_usd_per_million}/M output ({f.throughput_source or 'measured'})"
        )


class PriceList(BaseModel):
    """Every model's price under one version."""

    model_config = ConfigDict(frozen=True)

    version: str
    prices: dict[str, ModelPrice]

    def price_for(self, model: str | None) -> ModelPrice | None:
        """The price of ``model`` (or of the model it runs: :func:`catalog_names`), or None
        when the list does not price it."""
        for key in catalog_names(model) if model is not None else ():
            if key in self.prices:
                return self.prices[key]
        return None

    @property
    def unpriced_version(self) -> str:
        """The version recorded on rows of a model the list does not price (cost 0)."""
        return f"{self.version}+unpriced"


def _decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _hosted(value: Any) -> HostedRange | None:
    if value is None:
        return None
    low, high = (_decimal(v) for v in value)
    return HostedRange(low=low, high=high)


def _model_price(model: str, entry: Mapping[str, Any]) -> ModelPrice:
    hosted = {
        "hosted_input": _hosted(entry.get("hosted_input_usd_per_million")),
        "hosted_output": _hosted(entry.get("hosted_output_usd_per_million")),
    }
    if "gpu_hour_usd" in entry:
        fleet = FleetInputs(
            gpu=str(entry.get("gpu", "GPU")),
            gpu_hour_usd=_decimal(entry["gpu_hour_usd"]),
            gpus_per_replica=int(entry["gpus_per_replica"]),
            prefill_tokens_per_second=_decimal(entry["prefill_tokens_per_second"]),
            decode_tokens_per_second=_decimal(entry["decode_tokens_per_second"]),
            utilisation=_decimal(entry.get("utilisation", 1)),
            throughput_source=str(entry.get("throughput_source", "")),
        )
        return ModelPrice(
            model=model,
            input_usd_per_million=fleet.usd_per_million(fleet.prefill_tokens_per_second),
            output_usd_per_million=fleet.usd_per_million(fleet.decode_tokens_per_second),
            source="derived",
            fleet=fleet,
            **hosted,
        )
    return ModelPrice(
        model=model,
        input_usd_per_million=_decimal(entry["input_usd_per_million"]),
        output_usd_per_million=_decimal(entry["output_usd_per_million"]),
        source="fixed",
        **hosted,
    )


def parse_price_list(
    data: Mapping[str, Any], overrides: Mapping[str, Mapping[str, Decimal]] | None = None
) -> PriceList:
    """A price list from the parsed TOML, with ``overrides`` applied.

    ``overrides`` maps a model name to ``input_usd_per_million`` and/or
    ``output_usd_per_million``. Overridden prices are a different price list, so the
    version becomes ``<version>+override.<hash of the overrides>``: rows priced with them
    are told apart from rows priced with the file alone.
    """
    try:
        version = str(data["version"])
        prices = {model: _model_price(model, entry) for model, entry in data["models"].items()}
        if overrides:
            for model, values in overrides.items():
                base = prices.get(model)
                unknown = set(values) - {"input_usd_per_million", "output_usd_per_million"}
                if unknown:
                    raise ValueError(f"override for {model} has unknown keys {sorted(unknown)}")
                if base is None and len(values) < 2:
                    raise ValueError(f"override for unpriced model {model} must give both prices")
                prices[model] = ModelPrice(
                    model=model,
                    input_usd_per_million=_decimal(
                        values.get("input_usd_per_million", base and base.input_usd_per_million)
                    ),
                    output_usd_per_million=_decimal(
                        values.get("output_usd_per_million", base and base.output_usd_per_million)
                    ),
                    source="override",
                    hosted_input=base.hosted_input if base else None,
                    hosted_output=base.hosted_output if base else None,
                )
            canonical = json.dumps(
                {m: {k: str(v) for k, v in vs.items()} for m, vs in overrides.items()},
                sort_keys=True,
            )
            version = f"{version}+override.{hashlib.sha256(canonical.encode()).hexdigest()[:8]}"
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise ConfigurationError(f"the price list is malformed: {exc}", code="prices") from None
    return PriceList(version=version, prices=prices)


def load_price_list(
    path: Path | None = None, overrides: Mapping[str, Mapping[str, Decimal]] | None = None
) -> PriceList:
    """The price list in ``path`` (default: the packaged one) with ``overrides`` applied."""
    return parse_price_list(read_data_toml(path, "prices.toml", "price list"), overrides)


def billable_tokens(call: EngineCall) -> tuple[int, int]:
    """(input, output) tokens a call is billed for: what the server reported, else 0."""
    reported = call.prompt_tokens if call.prompt_tokens is not None else call.image_tokens
    return reported or 0, call.completion_tokens or 0


def price_call(call: EngineCall, prices: PriceList) -> EngineCall:
    """``call`` with ``cost_usd`` and ``price_version`` set from ``prices``.

    A call that already carries a ``price_version`` is returned unchanged (it was priced
    before: pricing never rewrites a cost). A model the list does not price costs 0 and
    records ``<version>+unpriced``, so the gap is visible in the ledger.
    """
    if call.price_version is not None:
        return call
    price = prices.price_for(call.model)
    if price is None:
        return call.model_copy(
            update={"cost_usd": Decimal(0).quantize(MONEY_QUANTUM), "price_version": prices.unpriced_version}
        )
    input_tokens, output_tokens = billable_tokens(call)
    return call.model_copy(
        update={"cost_usd": price.cost(input_tokens, output_tokens), "price_version": prices.version}
    )


def price_calls(calls: Iterable[EngineCall], prices: PriceList) -> list[EngineCall]:
    """Every call priced with :func:`price_call`, in order."""
    return [price_call(call, prices) for call in calls]
