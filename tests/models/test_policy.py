"""The licence and budget policy: EU and 700M-MAU cases, routing, attribution, budgets,
calendar months in UTC. Expected numbers in reasons are derived from the inputs."""

from __future__ import annotations

import datetime as dt
import tomllib
from decimal import Decimal
from importlib import resources

import pytest

from models.catalog import load_catalog
from models.licences import LicenseeFacts
from models.policy import (
    MonthlyUsage,
    PolicyOutcome,
    calendar_month,
    check_budget,
    decide_model,
    format_usd,
)
from models.tiers import LicenceTier, load_tiers

SCOUT = "meta-llama/Llama-4-Scout-17B-16E-Instruct"
MAVERICK = "meta-llama/Llama-4-Maverick-17B-128E-Instruct"
LOCAL = "rapidocr-ppocrv4+fieldmap-3"
CATALOG = load_catalog()
TIERS = load_tiers()
TERMS = tomllib.loads(resources.files("models").joinpath("data", "catalog.toml").read_text())["licences"][
    "llama4-community"
]
EU = set(TERMS["multimodal_excluded_countries"])


def decide(model: str, tier: str = "standard", *, fallback: bool = True, **facts):
    entry = CATALOG.lookup(model)
    local = CATALOG.lookup(LOCAL)
    chosen = TIERS.get(tier)
    return decide_model(
        tier=chosen,
        engine="llama" if entry.engine != "local" else "local",
        model=entry,
        terms=CATALOG.licence_of(entry),
        facts=LicenseeFacts(**facts),
        fallback=("local", local, CATALOG.licence_of(local)) if fallback and chosen.fallback_engine else None,
    )


def test_the_catalog_lists_the_llama_4_checkpoints_under_the_community_licence():
    for name in (
        SCOUT,
        MAVERICK,
        "meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8",
        "RedHatAI/Llama-4-Scout-17B-16E-Instruct-quantized.w4a16",
    ):
        entry = CATALOG.lookup(name)
        assert entry.known and entry.multimodal and entry.licence == "llama4-community"
    assert CATALOG.lookup(SCOUT).total_params_b == 109
    assert CATALOG.lookup(MAVERICK).experts == 128
    assert CATALOG.lookup(LOCAL).licence == "apache-2.0"
    assert len(EU) == 27 and CATALOG.licences["llama4-community"].mau_threshold == 700_000_000


def test_every_eu_country_is_refused_the_multimodal_models():
    for country in sorted(EU):
        decision = decide(SCOUT, country=country.lower())
        assert decision.outcome is PolicyOutcome.BLOCKED, country
        assert decision.code == "licence_region"
        assert "European Union" in decision.reason and country in decision.reason


@pytest.mark.parametrize("country", ["US", "GB", "UK", "CH", "NO", "JP"])
def test_countries_outside_the_eu_are_allowed(country):
    decision = decide(SCOUT, country=country)
    assert decision.outcome is PolicyOutcome.ALLOWED
    assert decision.attribution == "Built with Llama"
    assert decision.licence_id == "llama4-community"


def test_greece_written_el_is_greece():
    assert decide(SCOUT, country="EL").code == "licence_region"


def test_an_undeclared_country_fails_closed_with_a_reason_asking_for_it():
    decision = decide(MAVERICK)
    assert decision.blocked and decision.code == "licensee_country_unset"
    assert "FOLIO_LICENSEE_COUNTRY" in decision.reason


def test_the_local_engine_is_not_restricted_in_the_eu():
    decision = decide(LOCAL, country="DE")
    assert decision.outcome is PolicyOutcome.ALLOWED and decision.attribution is None


def test_above_700_million_users_needs_a_meta_licence_and_records_it():
    threshold = TERMS["mau_threshold"]
    at = decide(SCOUT, country="US", monthly_active_users=threshold)
    assert at.outcome is PolicyOutcome.ALLOWED and at.licence_reference is None
    above = decide(SCOUT, country="US", monthly_active_users=threshold + 1)
    assert above.blocked and above.code == "licence_mau"
    assert f"{threshold + 1:,}" in above.reason and "FOLIO_META_LICENCE_REFERENCE" in above.reason
    granted = decide(
        SCOUT, country="US", monthly_active_users=threshold + 1, meta_licence_reference="META-LLAMA-2026-0042"
    )
    assert granted.outcome is PolicyOutcome.ALLOWED
    assert granted.licence_reference == "META-LLAMA-2026-0042"
    assert any("META-LLAMA-2026-0042" in note for note in granted.notes)
    undeclared = decide(SCOUT, country="US")
    assert any("not declared" in note for note in undeclared.notes)


def test_a_tier_with_a_fallback_routes_refused_documents_to_the_local_engine():
    decision = decide(SCOUT, "free", country="FR")
    assert decision.outcome is PolicyOutcome.ROUTED
    assert (decision.engine, decision.model, decision.licence_id) == ("local", LOCAL, "apache-2.0")
    assert decision.requested_model == SCOUT and decision.code == "licence_region"
    assert "European Union" in decision.reason and "routed to the local engine" in decision.reason
    # A model outside the tier is routed as well, for the tier's own reason.
    outside = decide(MAVERICK, "free", country="US")
    assert outside.outcome is PolicyOutcome.ROUTED and outside.code == "tier_model"
    # Without a fallback the document is blocked, never silently processed.
    assert decide(SCOUT, "standard", country="FR").blocked
    assert decide(SCOUT, "free", fallback=False, country="FR").blocked


def test_licence_attribution_is_recorded_whatever_the_tier_says():
    assert TIERS.get("enterprise").attribution_required is False
    decision = decide(SCOUT, "enterprise", country="US")
    assert decision.attribution == "Built with Llama"
    assert any("tenant displays it" in note for note in decision.notes)
    shown = decide(SCOUT, "standard", country="US")
    assert any("Folio shows it" in note for note in shown.notes)


def test_unknown_models_are_allowed_with_a_warning_or_blocked_on_request():
    allowed = decide("acme/mystery-70b", "enterprise", country="US")
    assert allowed.outcome is PolicyOutcome.ALLOWED and allowed.licence_id == "unknown"
    assert any("licence unknown" in note for note in allowed.notes)
    blocked = decide("acme/mystery-70b", "enterprise", country="US", unknown_model_licence="block")
    assert blocked.blocked and blocked.code == "licence_unknown"


def tier(**limits) -> LicenceTier:
    return LicenceTier(name="test", allowed_models=("*",), **limits)


def test_monthly_pages_reason_says_which_limit_and_by_how_much():
    limit, used, pages = 1000, 980, 57
    check = check_budget(
        tier(pages_per_month=limit),
        usage=MonthlyUsage(month="2026-11", pages=used),
        document_pages=pages,
        quote_usd=Decimal(0),
    )
    assert not check.allowed and check.code == "budget_pages"
    over = used + pages - limit
    assert check.reason.startswith(
        f"monthly pages {limit:,} would be exceeded by {over}: {used} used + {pages} this document"
    )
    exact = check_budget(
        tier(pages_per_month=limit),
        usage=MonthlyUsage(month="2026-11", pages=limit - pages),
        document_pages=pages,
        quote_usd=Decimal(0),
    )
    assert exact.allowed


def test_monthly_dollars_reason_says_by_how_much():
    limit, used, quote = Decimal("5.00"), Decimal("4.9"), Decimal("0.12345678")
    check = check_budget(
        tier(usd_per_month=limit),
        usage=MonthlyUsage(month="2026-11", usd=used),
        document_pages=1,
        quote_usd=quote,
    )
    assert not check.allowed and check.code == "budget_usd"
    assert check.reason.startswith(
        f"monthly dollars {format_usd(limit)} would be exceeded by "
        f"{format_usd(used + quote - limit)}: {format_usd(used)} used + {format_usd(quote)}"
    )
    assert "$0.02345678" in check.reason  # 4.9 + 0.12345678 - 5.00, with every digit kept
    assert check_budget(
        tier(usd_per_month=None),
        usage=MonthlyUsage(month="2026-11", usd=Decimal(10**9)),
        document_pages=1,
        quote_usd=quote,
    ).allowed


def test_pages_per_document_limit():
    check = check_budget(
        tier(max_pages_per_document=20),
        usage=MonthlyUsage(month="2026-11"),
        document_pages=21,
        quote_usd=Decimal(0),
    )
    assert check.code == "tier_document_pages" and "21" in check.reason


def test_calendar_months_are_utc():
    last = dt.datetime(2026, 1, 31, 23, 59, 59, tzinfo=dt.UTC)
    first = last + dt.timedelta(seconds=1)
    assert calendar_month(last) == (
        dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        dt.datetime(2026, 2, 1, tzinfo=dt.UTC),
    )
    assert calendar_month(first)[0] == dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
    december = calendar_month(dt.datetime(2026, 12, 15, tzinfo=dt.UTC))
    assert december[1] == dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    # 20:00 on 31 January in New York is already February in UTC.
    new_york = dt.timezone(dt.timedelta(hours=-5))
    assert calendar_month(dt.datetime(2026, 1, 31, 20, 0, tzinfo=new_york))[0].month == 2
    with pytest.raises(ValueError):
        calendar_month(dt.datetime(2026, 1, 1))
