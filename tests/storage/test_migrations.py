"""Migrations build exactly the schema the ORM describes, in the schema the URL names."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from core.errors import ConfigurationError
from core.settings import Settings
from storage.database import make_engine
from storage.migrate import MIGRATIONS_DIR, current_revision, downgrade, head_revision, upgrade
from storage.tables import Base

OUR_TABLES = set(Base.metadata.tables)


def _table_names(settings: Settings) -> set[str]:
    engine = make_engine(settings)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_builds_the_schema_the_orm_describes(db_settings: Settings) -> None:
    assert current_revision(db_settings) is None

    upgrade(db_settings)

    assert current_revision(db_settings) == head_revision()
    engine = make_engine(db_settings)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": True}
            )
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()
    assert _table_names(db_settings) == OUR_TABLES | {"alembic_version"}


def test_upgrade_twice_is_harmless_and_downgrade_drops_everything(db_settings: Settings) -> None:
    upgrade(db_settings)
    upgrade(db_settings)
    assert current_revision(db_settings) == head_revision()

    downgrade(db_settings, "base")
    assert current_revision(db_settings) is None
    assert _table_names(db_settings) == {"alembic_version"}

    upgrade(db_settings)
    assert _table_names(db_settings) == OUR_TABLES | {"alembic_version"}


POSTGRES_ONLY = pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


@POSTGRES_ONLY
def test_tables_land_in_the_schema_of_the_search_path(db_settings: Settings) -> None:
    upgrade(db_settings)
    engine = make_engine(db_settings)
    try:
        with engine.connect() as connection:
            schema = connection.execute(sa.text("select current_schema()")).scalar_one()
            rows = connection.execute(
                sa.text(
                    "select table_schema, table_name from information_schema.tables "
                    "where table_name = any(:names)"
                ),
                {"names": sorted(OUR_TABLES | {"alembic_version"})},
            ).all()
    finally:
        engine.dispose()
    assert schema != "public"
    assert {(schema, name) for name in OUR_TABLES | {"alembic_version"}} == set(rows)


def test_every_table_and_column_says_what_it_holds() -> None:
    for table in Base.metadata.tables.values():
        assert table.comment, table.name
        for column in table.columns:
            assert column.comment, f"{table.name}.{column.name}"


def test_migration_scripts_sit_inside_the_package() -> None:
    package_dir = Path(__import__("storage").__file__).resolve().parent
    assert MIGRATIONS_DIR.parent == package_dir
    assert (MIGRATIONS_DIR / "env.py").is_file()
    assert head_revision() is not None


def test_sqlite_engine_creates_its_folder_and_sets_its_pragmas(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, storage={"data_dir": tmp_path / "not" / "yet" / "there"})
    engine = make_engine(settings)
    try:
        with engine.connect() as connection:
            pragmas = {
                name: connection.execute(sa.text(f"PRAGMA {name}")).scalar_one()
                for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
            }
    finally:
        engine.dispose()
    assert (tmp_path / "not" / "yet" / "there" / "folio.db").is_file()
    # synchronous is reported as a number: NORMAL is 1.
    assert pragmas == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "busy_timeout": 30000,
        "synchronous": 1,
    }


def test_a_bare_postgresql_url_uses_psycopg_3(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None,
        storage={"data_dir": tmp_path, "database_url": "postgresql://someone@db.invalid/folio"},
    )
    engine = make_engine(settings)  # no connection is made until one is needed
    try:
        assert engine.dialect.driver == "psycopg"
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "url", ["mysql+pymysql://someone@db.invalid/folio", "postgresql+psycopg2://x@db.invalid/f"]
)
def test_unsupported_databases_are_a_configuration_error(tmp_path: Path, url: str) -> None:
    settings = Settings(_env_file=None, storage={"data_dir": tmp_path, "database_url": url})
    with pytest.raises(ConfigurationError):
        make_engine(settings)
