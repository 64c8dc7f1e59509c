"""`folio tenant key list` and `key revoke`: a revoked key is refused by a running API once
its cache entry expires (FOLIO_API_KEY_CACHE_S), and a prefix must name exactly one key."""

from __future__ import annotations

import asyncio
import json

import httpx
from typer.testing import CliRunner, Result

from cli import app as cli_app
from core.settings import Settings
from tests.api.conftest import api_settings, bearer, make_keys, running_app


def _folio(settings: Settings, *args: str) -> Result:
    env = {
        "FOLIO_DATA_DIR": str(settings.storage.data_dir),
        "FOLIO_DATABASE_URL": settings.storage.sqlalchemy_url,
        "COLUMNS": "200",
    }
    return CliRunner().invoke(cli_app, list(args), env=env)


def test_a_revoked_key_is_refused_and_listed_as_revoked(db_settings: Settings) -> None:
    settings = api_settings(db_settings, api={"api_key_cache_s": 0})
    keys = make_keys(settings)
    created = _folio(settings, "tenant", "key", "create", "alpha", "--json")
    assert created.exit_code == 0, created.output
    key = json.loads(created.stdout)["key"]

    async def status(with_key: str) -> int:
        async with running_app(settings) as (_, client):
            response: httpx.Response = await client.get("/v1/documents", headers=bearer(with_key))
            return response.status_code

    assert asyncio.run(status(key)) == 200
    listed = [
        json.loads(line)
        for line in _folio(settings, "tenant", "key", "list", "alpha", "--json").stdout.splitlines()
    ]
    assert [row["prefix"] for row in listed if row["revoked_at"] is None] == [keys.alpha[:12], key[:12]]

    revoked = _folio(settings, "tenant", "key", "revoke", key[:12] + "...")
    assert revoked.exit_code == 0, revoked.output
    assert asyncio.run(status(key)) == 401
    assert asyncio.run(status(keys.alpha)) == 200  # the tenant's other key still works

    after = [
        json.loads(line)
        for line in _folio(settings, "tenant", "key", "list", "alpha", "--json").stdout.splitlines()
    ]
    assert {row["prefix"]: row["revoked_at"] is not None for row in after} == {
        keys.alpha[:12]: False,
        key[:12]: True,
    }
    again = _folio(settings, "tenant", "key", "revoke", key[:12])
    assert again.exit_code == 2 and "no live key" in again.output


def test_revoke_wants_a_prefix_that_names_one_key(db_settings: Settings) -> None:
    settings = api_settings(db_settings)
    keys = make_keys(settings)
    short = _folio(settings, "tenant", "key", "revoke", "folio_")
    assert short.exit_code == 2 and "at least 8" in short.output
    whole = _folio(settings, "tenant", "key", "revoke", keys.beta)  # the whole key works too
    assert whole.exit_code == 0, whole.output
    admins = [
        json.loads(line)
        for line in _folio(settings, "tenant", "key", "list", "--admin", "--json").stdout.splitlines()
    ]
    assert [row["admin"] for row in admins] == [True] and admins[0]["revoked_at"] is None
