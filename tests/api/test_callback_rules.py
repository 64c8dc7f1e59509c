"""The callback URL rules, as production holds them: https, an allow-listed host, and only
public addresses; no setting opens loopback or private addresses (tests use a transport)."""

from __future__ import annotations

import asyncio

import pytest

from api.callbacks import CallbackRefused, check_callback_url, check_resolved
from core.settings import Settings
from tests.api.conftest import HOOK_HOST, SECRET


def _settings(*hosts: str) -> Settings:
    return Settings(_env_file=None, api={"webhook_secret": SECRET}, callbacks={"allowed_hosts": list(hosts)})


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1:8000/hook", "https"),
        ("http://localhost/hook", "https"),
        ("https://evil.example/hook", "ALLOWED_HOSTS"),
        ("https://user:pw@hooks.example.com/hook", "credentials"),
        ("https:///hook", "no host"),
    ],
)
def test_urls_outside_the_rules_are_refused(url: str, why: str) -> None:
    with pytest.raises(CallbackRefused, match=why):
        check_callback_url(url, _settings("hooks.example.com", "127.0.0.1", "localhost"))


def test_no_secret_no_callbacks() -> None:
    settings = Settings(_env_file=None, callbacks={"allowed_hosts": ["hooks.example.com"]})
    with pytest.raises(CallbackRefused, match="FOLIO_WEBHOOK_SECRET"):
        check_callback_url("https://hooks.example.com/hook", settings)


def test_allowed_hosts_and_subdomains_pass() -> None:
    settings = _settings("hooks.example.com", ".acme.test")
    check_callback_url("https://hooks.example.com/hook", settings)
    check_callback_url("https://eu.acme.test/hook", settings)


@pytest.mark.parametrize("host", ["127.0.0.1", "10.0.0.8", "169.254.169.254", "[::1]", "0.0.0.0"])
def test_allow_listed_hosts_that_resolve_to_non_public_addresses_are_refused(host: str) -> None:
    check_callback_url(f"https://{host}/hook", _settings(host.strip("[]")))
    with pytest.raises(CallbackRefused, match="non-public"):
        asyncio.run(check_resolved(f"https://{host}/hook"))


def test_the_test_receivers_host_passes_as_any_public_address_would() -> None:
    check_callback_url(f"https://{HOOK_HOST}/hook", _settings(HOOK_HOST))
    asyncio.run(check_resolved(f"https://{HOOK_HOST}/hook"))
