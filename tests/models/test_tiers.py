"""Licence tiers as data: the packaged file, unlimited limits, globs, unknown tiers."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest

from core.errors import ConfigurationError
from models.tiers import UnknownTierError, load_tiers


def raw_tiers() -> dict:
    return tomllib.loads(resources.files("models").joinpath("data", "tiers.toml").read_text())


def test_packaged_tiers_match_the_file():
    raw = raw_tiers()
    tiers = load_tiers()
    assert set(tiers.tiers) == set(raw["tiers"]) >= {"free", "standard", "enterprise"}
    for name, entry in raw["tiers"].items():
        tier = tiers.get(name)
        assert tier.priority == entry["priority"]
        assert tier.allowed_models == tuple(entry["allowed_models"])
        for key in ("pages_per_month", "usd_per_month", "max_pages_per_document"):
            value = entry.get(key, "unlimited")
            got = getattr(tier, key)
            if value == "unlimited":
                assert got is None
            else:
                assert got == (Decimal(str(value)) if key == "usd_per_month" else value)
        assert tier.fallback_engine == (entry.get("fallback_engine") or None)


def test_unknown_tier_error_lists_every_tier():
    tiers = load_tiers()
    with pytest.raises(UnknownTierError) as caught:
        tiers.get("gold")
    for name in tiers.tiers:
        assert name in caught.value.message
    assert isinstance(caught.value, ConfigurationError)


def test_allowed_models_are_names_or_globs():
    tiers = load_tiers()
    free = tiers.get("free")
    assert free.allows_model("meta-llama/Llama-4-Scout-17B-16E-Instruct")
    assert free.allows_model("rapidocr-ppocrv4+fieldmap-3")
    assert not free.allows_model("meta-llama/Llama-4-Maverick-17B-128E-Instruct")
    assert tiers.get("enterprise").allows_model("anything/at-all")


def test_a_tiers_file_replaces_the_packaged_one_and_bad_files_are_refused(tmp_path: Path):
    path = tmp_path / "tiers.toml"
    path.write_text(
        'version = "t1"\n[tiers.tiny]\nallowed_models = ["a/*"]\npages_per_month = 3\n'
        'usd_per_month = "unlimited"\nfallback_engine = "local"\n'
    )
    tiers = load_tiers(path)
    tiny = tiers.get("tiny")
    assert (tiny.pages_per_month, tiny.usd_per_month, tiny.fallback_engine) == (3, None, "local")
    assert tiny.max_pages_per_document is None
    path.write_text('version = "t2"\n[tiers.broken]\npages_per_month = -1\nallowed_models = []\n')
    with pytest.raises(ConfigurationError):
        load_tiers(path)
