"""The dashboard in a real headless Chromium, and its auth; the analyst role on PostgreSQL."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from PIL import Image

from core.settings import Settings
from storage.database import make_engine
from tests.analytics.seed import seed
from tests.analytics.server import serve

CHROMIUM = Path("/usr/bin/chromium")
KEY = "dashboard-admin-key"


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def test_dashboard_renders_charts_with_data_in_chromium(settings: Settings, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is absent (apt-get install chromium)"
        if os.environ.get("FOLIO_REQUIRE_CHROMIUM") == "1":
            pytest.fail(message + " and FOLIO_REQUIRE_CHROMIUM=1", pytrace=False)
        pytest.skip(message + "; dashboard browser test skipped")
    settings = settings.replace(api={"admin_key_hash": hashlib.sha256(KEY.encode()).hexdigest()})
    truth = seed(settings)
    auth = {"Authorization": f"Bearer {KEY}"}
    with serve(settings) as url, httpx.Client(base_url=url, timeout=30) as client:
        assert client.get("/dashboard").status_code == 401
        assert client.post("/dashboard/tickets").status_code == 401
        tickets = [client.post("/dashboard/tickets", headers=auth).json()["url"] for _ in range(2)]
        shot = tmp_path / "dashboard.png"
        ran = _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,1600", url + tickets[0])
        assert shot.exists(), ran.stderr[-2000:]
        dom = _chromium(tmp_path, "--dump-dom", url + tickets[1]).stdout
        reused = client.get(tickets[0], follow_redirects=False)
    assert reused.status_code == 401  # a ticket is good once
    with Image.open(shot) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 20, "the screenshot is blank"
    for chart in ("chart-status", "chart-cost", "chart-tiers", "chart-review"):
        assert f'id="{chart}"' in dom
    documents = sum(
        float(v)
        for v in re.findall(
            r'<rect class="bar"[^>]*data-series="(?:done|needs_review)" data-value="([0-9.e+-]+)"', dom
        )
    )
    assert documents == len(truth.invoices)
    tiers = dict(re.findall(r'data-label="(standard|enterprise)" data-value="([0-9.]+)"', dom))
    assert {k: int(float(v)) for k, v in tiers.items()} == {
        t: sum(1 for i in truth.invoices if (i["tenant"] == "north") == (t == "standard"))
        for t in ("standard", "enterprise")
    }


POSTGRES_ONLY = pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


@POSTGRES_ONLY
def test_analyst_role_reads_views_only(db_settings: Settings) -> None:
    seed(db_settings, documents=4)
    engine = make_engine(db_settings)
    try:
        with engine.connect() as conn:
            role = conn.execute(
                sa.text("SELECT rolcanlogin FROM pg_roles WHERE rolname = 'folio_analyst'")
            ).scalar_one()
            conn.execute(sa.text("SET LOCAL ROLE folio_analyst"))
            assert conn.execute(sa.text("SELECT COUNT(*) FROM folio_documents_v")).scalar_one() == 4
            with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
                conn.execute(sa.text("SELECT COUNT(*) FROM documents"))
    finally:
        engine.dispose()
    assert role is False
