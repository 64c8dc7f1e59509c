"""Prices: derived from the fleet inputs in the file, exact Decimal arithmetic, versions.

Expected values are recomputed here from the TOML itself with ``fractions.Fraction`` (exact
rational arithmetic and a hand-written half-up rounding), never with the code under test."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from fractions import Fraction
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import ConfigurationError
from models.pricing import billable_tokens, load_price_list, price_call, price_calls
from models.usage import EngineCall

SCOUT = "meta-llama/Llama-4-Scout-17B-16E-Instruct"
LOCAL = "rapidocr-ppocrv4+fieldmap-3"


def raw_prices() -> dict:
    text = resources.files("models").joinpath("data", "prices.toml").read_text()
    return tomllib.loads(text)


def round_half_up(value: Fraction, places: int) -> Decimal:
    scaled = value * 10**places
    whole = scaled.numerator // scaled.denominator
    if scaled - whole >= Fraction(1, 2):
        whole += 1
    return Decimal(whole).scaleb(-places)


def per_million(gpu_hour: Fraction, gpus: int, tps: Fraction, utilisation: Fraction) -> Decimal:
    return round_half_up(gpu_hour * gpus / (tps * 3600 * utilisation) * 1_000_000, 6)


def test_self_hosted_prices_are_derived_from_the_fleet_inputs_in_the_file():
    raw = raw_prices()
    prices = load_price_list()
    assert prices.version == raw["version"]
    derived = [m for m, e in raw["models"].items() if "gpu_hour_usd" in e]
    assert len(derived) >= 4
    for model in derived:
        entry = raw["models"][model]
        args = (Fraction(str(entry["gpu_hour_usd"])), entry["gpus_per_replica"])
        util = Fraction(str(entry["utilisation"]))
        price = prices.price_for(model)
        assert price is not None and price.source == "derived"
        assert price.input_usd_per_million == per_million(
            *args, Fraction(str(entry["prefill_tokens_per_second"])), util
        )
        assert price.output_usd_per_million == per_million(
            *args, Fraction(str(entry["decode_tokens_per_second"])), util
        )
        assert isinstance(price.input_usd_per_million, Decimal)
        assert str(entry["gpu_hour_usd"]) in price.derivation()


def test_hosted_equivalents_are_the_file_ranges_and_the_local_engine_is_free():
    raw = raw_prices()
    prices = load_price_list()
    scout = prices.price_for(SCOUT)
    low, high = raw["models"][SCOUT]["hosted_input_usd_per_million"]
    assert (scout.hosted_input.low, scout.hosted_input.high) == (Decimal(str(low)), Decimal(str(high)))
    local = prices.price_for(LOCAL)
    assert local.cost(10**9, 10**9) == 0
    hosted = scout.hosted_cost(1_000_000, 0)
    assert hosted.low == Decimal(str(low)) and hosted.high == Decimal(str(high))


@settings(max_examples=200, deadline=None)
@given(
    input_tokens=st.integers(0, 5_000_000),
    output_tokens=st.integers(0, 500_000),
    model=st.sampled_from([SCOUT, "meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8"]),
)
def test_call_cost_is_exact_and_rounded_half_up_to_1e_8(input_tokens, output_tokens, model):
    price = load_price_list().price_for(model)
    expected = round_half_up(
        (
            input_tokens * Fraction(str(price.input_usd_per_million))
            + output_tokens * Fraction(str(price.output_usd_per_million))
        )
        / 1_000_000,
        8,
    )
    assert price.cost(input_tokens, output_tokens) == expected


def call(**fields) -> EngineCall:
    return EngineCall(engine="llama", model=SCOUT, **fields)


def test_what_a_call_is_billed_for():
    # Reported prompt tokens include the image tokens (as vLLM counts them): not added twice.
    assert billable_tokens(call(prompt_tokens=3000, image_tokens=2467, completion_tokens=90)) == (3000, 90)
    # Only image tokens reported: those are the input.
    assert billable_tokens(call(image_tokens=2467)) == (2467, 0)
    # Nothing reported (refused connection, timeout): nothing billed; estimates never are.
    assert billable_tokens(call(estimated_prompt_tokens=4000, error_code="connect", http_status=None)) == (
        0,
        0,
    )


def test_failed_attempts_that_reported_usage_are_billed_like_any_other():
    prices = load_price_list()
    failed = call(prompt_tokens=1200, completion_tokens=4096, finish_reason="length", error_code="truncated")
    ok = call(prompt_tokens=1200, completion_tokens=300, attempt=2)
    silent = call(error_code="http_503", http_status=503, attempt=3)
    priced = price_calls([failed, ok, silent], prices)
    scout = prices.price_for(SCOUT)
    assert priced[0].cost_usd == scout.cost(1200, 4096) > 0
    assert priced[1].cost_usd == scout.cost(1200, 300)
    assert priced[2].cost_usd == 0
    assert {p.price_version for p in priced} == {prices.version}


def test_a_priced_call_is_never_repriced_and_an_unpriced_model_is_marked():
    prices = load_price_list()
    already = call(prompt_tokens=10, cost_usd=Decimal("1.5"), price_version="1999-01-01")
    assert price_call(already, prices) == already
    other = EngineCall(engine="llama", model="acme/unknown-7b", prompt_tokens=10_000)
    priced = price_call(other, prices)
    assert priced.cost_usd == 0 and priced.price_version == f"{prices.version}+unpriced"


def test_overrides_change_the_price_and_the_version():
    base = load_price_list()
    overrides = {SCOUT: {"input_usd_per_million": Decimal("0.5")}}
    changed = load_price_list(overrides=overrides)
    assert changed.version.startswith(base.version + "+override.")
    assert changed.version != base.version
    assert load_price_list(overrides=overrides).version == changed.version  # stable
    assert changed.price_for(SCOUT).input_usd_per_million == Decimal("0.5")
    assert changed.price_for(SCOUT).output_usd_per_million == (base.price_for(SCOUT).output_usd_per_million)
    assert changed.price_for(SCOUT).cost(2_000_000, 0) == Decimal("1.00000000")
    with pytest.raises(ConfigurationError):
        load_price_list(overrides={"new/model": {"input_usd_per_million": Decimal(1)}})


def test_a_prices_file_replaces_the_packaged_list(tmp_path: Path):
    path = tmp_path / "prices.toml"
    path.write_text(
        'version = "2027-01-01"\n[models."x/y"]\n'
        "input_usd_per_million = 0.25\noutput_usd_per_million = 1.75\n"
    )
    prices = load_price_list(path)
    assert prices.version == "2027-01-01"
    assert prices.price_for("x/y").cost(4_000_000, 1_000_000) == Decimal("2.75")
    assert prices.price_for(SCOUT) is None
    with pytest.raises(ConfigurationError):
        load_price_list(tmp_path / "missing.toml")
    (tmp_path / "bad.toml").write_text("version = \n")
    with pytest.raises(ConfigurationError):
        load_price_list(tmp_path / "bad.toml")


def test_the_local_engine_as_it_names_itself_is_listed_and_free() -> None:
    # Its name carries the mapper's version, which moves with every rule change: the catalog
    # and the price list find it under the OCR models it runs, never as an unknown model.
    from extractors.engines.local import LocalEngine
    from models.catalog import load_catalog

    name = LocalEngine.model
    assert name is not None and "+" in name
    entry = load_catalog().lookup(name)
    assert entry.known and entry.engine == "local" and entry.licence == "apache-2.0"
    prices = load_price_list()
    assert prices.price_for(name) is not None
    call = price_call(EngineCall(engine="local", model=name, page_numbers=[1], latency_ms=5.0), prices)
    assert call.cost_usd == 0 and call.price_version == prices.version  # priced, not "+unpriced"
    assert load_catalog().lookup("rapidocr-ppocrv5+fieldmap-3").known is False  # other weights
    assert load_price_list().price_for("something+fieldmap-3") is None
