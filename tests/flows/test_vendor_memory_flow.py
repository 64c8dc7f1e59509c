"""Vendor memory end to end: an approval teaches the tenant's profile (stored on SQLite and
PostgreSQL), the next document of that vendor is read with it, other tenants never see it,
and ``folio vendor show`` / ``reset`` explain and forget it."""

from __future__ import annotations

import asyncio

from typer.testing import CliRunner

from cli import app
from core.settings import Settings
from extractors.engines.local import LocalEngine
from extractors.engines.vendor_context import VendorMemory, vendor_memory
from flows.review import approve_document
from flows.vendor_memory import approved_values, load_vendor_memory
from models.page import PageRoute, PreparedPage
from models.schemas import get_schema
from storage import repository as repo
from storage.database import make_engine, make_session_factory
from tests.support.review import needs_review, tenant_id
from tests.support.vendor_docs import vendor_documents


def _approve(settings: Settings, document_id: str) -> None:
    db = make_engine(settings)
    try:
        asyncio.run(
            approve_document(
                make_session_factory(db),
                document_id=document_id,
                tenant_id=None,
                expected_version=1,
                author="erin",
                learn_with=settings,
            )
        )
    finally:
        db.dispose()


def test_an_approval_teaches_the_tenants_vendor_profile(db_settings: Settings) -> None:
    waiting = needs_review(db_settings, seed=71, tenant="acme")
    needs_review(db_settings, seed=72, tenant="globex")  # another tenant, nothing approved
    _approve(db_settings, waiting.document_id)
    acme, globex = tenant_id(db_settings, "acme"), tenant_id(db_settings, "globex")
    db = make_engine(db_settings)
    try:
        with make_session_factory(db)() as session:
            (profile,) = repo.vendor_profiles(session, tenant_id=acme)
            current = repo.current_extraction(session, waiting.document_id)
            assert current is not None
            assert profile.document_ids == [waiting.document_id] and profile.approvals == 1
            assert profile.example == {
                k: v for k, v in approved_values(current.result).items() if v is not None
            }
            assert profile.fields, "nothing was located on the approved page"
            # Round trip: what was stored is what is read back, typed.
            again = repo.get_vendor_profile(session, profile_id=profile.id or "", tenant_id=acme)
            assert again == profile
            # Tenant isolation.
            assert repo.vendor_profiles(session, tenant_id=globex) == []
            assert repo.get_vendor_profile(session, profile_id=profile.id or "", tenant_id=globex) is None
            memory = load_vendor_memory(session, tenant_id=globex, schema_name="invoice")
            assert memory.profiles == ()
    finally:
        db.dispose()


def test_teaching_the_same_vendor_again_updates_its_profile(db_settings: Settings) -> None:
    docs = vendor_documents("fattura_pa_copy", "it-IT", 2)
    first, second = docs
    db = make_engine(db_settings)
    try:
        from storage.migrate import upgrade

        upgrade(db_settings)
        sessions = make_session_factory(db)
        from extractors.fieldmap.vendor_profiles import teach_profile

        schema = get_schema("invoice")
        with sessions.begin() as session:
            tenant = repo.get_or_create_tenant(session, name="acme", tier="free")
            saved = repo.save_vendor_profile(
                session,
                tenant_id=tenant.id,
                profile=teach_profile([first.lines], first.truth, schema, document_id="d1"),
            )
        with sessions.begin() as session:
            taught = teach_profile([second.lines], second.truth, schema, document_id="d2", existing=saved)
            updated = repo.save_vendor_profile(session, tenant_id=tenant.id, profile=taught)
        assert updated.id == saved.id and updated.approvals == 2
        with sessions() as session:
            (only,) = repo.vendor_profiles(session, tenant_id=tenant.id)
            assert only.document_ids == ["d1", "d2"]
            # The local engine reads the vendor's next page with it: a field the mapper
            # misses is found, and says so.
            memory = load_vendor_memory(session, tenant_id=tenant.id, schema_name="invoice")
        page = PreparedPage(page_number=1, lines=second.lines, text="x", route=PageRoute.TEXT)
        engine = LocalEngine(db_settings)
        plain = asyncio.run(engine.extract([page], schema))

        async def with_memory():
            with vendor_memory(memory):
                return await engine.extract([page], schema)

        taught_result = asyncio.run(with_memory())
        changed = [n for n, f in taught_result.fields.items() if f.method and f.method.startswith("vendor:")]
        assert changed
        assert all(
            plain.fields.get(n) is None or plain.fields[n].value != taught_result.fields[n].value
            for n in changed
        )
        # Without memory the engine's answer is what it always was.
        assert asyncio.run(engine.extract([page], schema)).fields == plain.fields
        assert VendorMemory().match(second.lines, "invoice") is None
    finally:
        db.dispose()


def test_cli_shows_and_resets_a_profile(db_settings: Settings) -> None:
    waiting = needs_review(db_settings, seed=73, tenant="acme")
    _approve(db_settings, waiting.document_id)
    env = {
        "FOLIO_DATA_DIR": str(db_settings.storage.data_dir),
        "FOLIO_DATABASE_URL": db_settings.storage.database_url or "",
        "FOLIO_ENGINE": "local",
        "COLUMNS": "200",
    }
    runner = CliRunner()
    listed = runner.invoke(app, ["vendor", "list", "--tenant", "acme", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    profile_id = listed.output.split('"id": "')[1].split('"')[0]
    shown = runner.invoke(app, ["vendor", "show", profile_id[:8]], env=env)
    assert shown.exit_code == 0, shown.output
    assert waiting.document_id in shown.output
    reset = runner.invoke(app, ["vendor", "reset", profile_id], env=env)
    assert reset.exit_code == 0, reset.output
    again = runner.invoke(app, ["vendor", "show", profile_id], env=env)
    assert again.exit_code == 1
